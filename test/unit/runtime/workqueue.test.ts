import { expect } from 'chai';
import { Controller } from '../../../src/runtime/controller.js';
import { WorkQueue } from '../../../src/runtime/workqueue.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What `get()` yields next, or "nothing" if it would still be waiting after a few ms. */
async function nextOrNothing(q: WorkQueue, waitMs = 20): Promise<string | undefined> {
  return Promise.race([q.get(), sleepMs(waitMs).then(() => 'nothing')]);
}

/** Fails the key `times` times in a row, as a controller whose reconcile keeps throwing would. */
async function failTimes(q: WorkQueue, key: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    q.addRateLimited(key);
    expect(await q.get()).to.equal(key);
    q.done(key);
  }
}

describe('WorkQueue', () => {
  it('holds a waiting key once, however often it is added', async () => {
    const q = new WorkQueue('test');
    for (const k of ['a', 'a', 'b', 'a', 'b']) q.add(k);
    expect(q.depth).to.equal(2);
    expect(await q.get()).to.equal('a');
    expect(await q.get()).to.equal('b');
    expect(await nextOrNothing(q)).to.equal('nothing');
  });

  it('holds a key added while it is processed until done, then hands it out again once', async () => {
    const q = new WorkQueue('test');
    q.add('a');
    expect(await q.get()).to.equal('a');
    q.add('a');
    q.add('a');
    expect(q.depth).to.equal(0);
    const next = q.get();
    const early = await Promise.race([next, sleepMs(20).then(() => 'still waiting')]);
    expect(early).to.equal('still waiting');
    q.done('a');
    expect(await next).to.equal('a');
    q.done('a');
    expect(q.depth).to.equal(0);
    expect(q.busy).to.equal(0);
  });

  it('under a 4-worker controller, never reconciles one key twice at once and never loses an add made during a reconcile', async () => {
    const q = new WorkQueue('test');
    let seq = 0;
    const lastAdd = new Map<string, number>();
    const lastStart = new Map<string, number>();
    const active = new Map<string, number>();
    const maxActivePerKey = new Map<string, number>();
    let activeTotal = 0;
    let maxActiveTotal = 0;
    const controller = new Controller('test', q, async (key) => {
      lastStart.set(key, ++seq);
      active.set(key, (active.get(key) ?? 0) + 1);
      maxActivePerKey.set(key, Math.max(maxActivePerKey.get(key) ?? 0, active.get(key)!));
      maxActiveTotal = Math.max(maxActiveTotal, ++activeTotal);
      await sleepMs(1 + Math.floor(Math.random() * 4));
      active.set(key, active.get(key)! - 1);
      activeTotal--;
    });
    controller.start(4);

    const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
    for (let round = 0; round < 40; round++) {
      for (const k of keys) {
        if (Math.random() < 0.5) continue;
        lastAdd.set(k, ++seq);
        q.add(k);
      }
      await sleepMs(Math.floor(Math.random() * 3));
    }
    while (q.depth > 0 || q.busy > 0) await sleepMs(2);
    await controller.stop();

    expect([...maxActivePerKey.values()].every((n) => n === 1)).to.equal(true);
    expect(maxActiveTotal).to.be.greaterThan(1);
    for (const [k, added] of lastAdd) expect(lastStart.get(k), `${k} reconciled after its last add`).to.be.greaterThan(added);
  });

  it('retries a failing key after a backoff that grows with its failures; forget starts it over', async () => {
    const q = new WorkQueue('test', { initialMs: 10, maxMs: 10_000 });
    await failTimes(q, 'often', 3);
    expect(q.retries('often')).to.equal(3);

    // The 4th retry of "often" waits 64..96 ms, the 1st of "once" 8..12 ms.
    q.addRateLimited('often');
    q.addRateLimited('once');
    expect(await q.get()).to.equal('once');
    expect(await q.get()).to.equal('often');
    q.done('once');
    q.done('often');
    expect(q.retries('often')).to.equal(4);

    q.forget('often');
    expect(q.retries('often')).to.equal(0);
    // Now "often" is on its 1st retry (8..12 ms) and "twice" on its 3rd (32..48 ms).
    await failTimes(q, 'twice', 2);
    q.addRateLimited('twice');
    q.addRateLimited('often');
    expect(await q.get()).to.equal('often');
    expect(await q.get()).to.equal('twice');
  });

  it('keeps the earliest of several delayed adds of one key, and adds it once', async () => {
    const q = new WorkQueue('test');
    q.addAfter('soon-then-late', 10);
    q.addAfter('soon-then-late', 300);
    q.addAfter('late-then-soon', 300);
    q.addAfter('late-then-soon', 10);
    q.addAfter('marker', 100);
    const order: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      const k = await q.get();
      order.push(k);
      q.done(k!);
    }
    expect(order.slice(0, 2).sort()).to.deep.equal(['late-then-soon', 'soon-then-late']);
    expect(order[2]).to.equal('marker');
    // The replaced 300 ms timers do not bring the keys back.
    expect(await nextOrNothing(q, 350)).to.equal('nothing');
  });

  it('a non-positive delay adds at once', async () => {
    const q = new WorkQueue('test');
    q.addAfter('now', 0);
    expect(q.depth).to.equal(1);
    expect(await q.get()).to.equal('now');
  });

  it('shutDown releases waiting getters and refuses new keys', async () => {
    const q = new WorkQueue('test');
    const waiting = [q.get(), q.get()];
    await tick();
    q.addAfter('delayed', 5);
    q.shutDown();
    expect(await Promise.all(waiting)).to.deep.equal([undefined, undefined]);
    q.add('late');
    expect(await q.get()).to.equal(undefined);
    await sleepMs(20);
    expect(q.depth).to.equal(0);
  });
});
