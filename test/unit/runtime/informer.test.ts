import { expect } from 'chai';
import type { KubeClient, WatchEvent, WatchOptions } from '../../../src/kube/client.js';
import { KubeApiError } from '../../../src/kube/errors.js';
import type { KubeList, KubeObject } from '../../../src/kube/objects.js';
import type { Resource } from '../../../src/kube/resources.js';
import { Informer, type InformerOptions } from '../../../src/runtime/informer.js';
import { until } from './until.js';

interface Widget extends KubeObject {
  spec?: { size: number };
}

const widgets: Resource = { group: 'test.offline-first.io', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true };
const NS = 'ns';

/**
 * An API server for one collection, with the two calls the informer makes. The test changes its
 * objects, decides which changes the open watch sees, and ends or breaks the watch.
 */
class FakeApi {
  readonly objects = new Map<string, Widget>();
  readonly watches: WatchOptions[] = [];
  lists = 0;
  failLists = 0;
  /** When set, every watch ends at once without events (a misbehaving server or proxy). */
  closeWatchesAtOnce = false;
  private resourceVersion = 100;
  private stream: { onEvent: (e: WatchEvent<Widget>) => void; end: () => void; fail: (err: unknown) => void } | undefined;

  async listAll(_r: Resource, _namespace?: string, _opts?: unknown, each: (w: Widget) => Widget = (w) => w): Promise<KubeList<Widget>> {
    this.lists++;
    if (this.failLists > 0) {
      this.failLists--;
      throw new KubeApiError('GET', '/widgets', 503, 'ServiceUnavailable', 'try later');
    }
    const items = [...this.objects.values()].map((o) => each(structuredClone(o)));
    return { metadata: { resourceVersion: String(this.resourceVersion) }, items };
  }

  watch(_r: Resource, _namespace: string | undefined, opts: WatchOptions, onEvent: (e: WatchEvent<Widget>) => void, signal: AbortSignal): Promise<void> {
    this.watches.push(opts);
    // Closing on the next turn of the event loop, as a real response would, keeps a regression
    // to a tight loop a failing assertion instead of a hung test.
    if (this.closeWatchesAtOnce) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve, reject) => {
      const stream = { onEvent, end: () => resolve(), fail: (err: unknown) => reject(err) };
      this.stream = stream;
      signal.addEventListener(
        'abort',
        () => {
          if (this.stream === stream) this.stream = undefined;
          stream.end();
        },
        { once: true },
      );
    });
  }

  // ---- the test's side ----

  get watching(): boolean {
    return this.stream !== undefined;
  }

  /** Creates or changes an object; the open watch sees it unless `quietly`. */
  put(name: string, size: number, opts: { quietly?: boolean } = {}): Widget {
    const existed = this.objects.has(name);
    const obj: Widget = {
      metadata: { name, namespace: NS, resourceVersion: String(++this.resourceVersion), managedFields: [{ manager: 'kubectl' }] },
      spec: { size },
    };
    this.objects.set(name, obj);
    if (!opts.quietly) this.send({ type: existed ? 'MODIFIED' : 'ADDED', object: structuredClone(obj) });
    return obj;
  }

  remove(name: string, opts: { quietly?: boolean } = {}): void {
    const obj = this.objects.get(name);
    if (!obj) return;
    this.objects.delete(name);
    const gone = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(++this.resourceVersion) } };
    if (!opts.quietly) this.send({ type: 'DELETED', object: gone });
  }

  bookmark(): string {
    const rv = String(++this.resourceVersion);
    this.send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: rv } } });
    return rv;
  }

  /** The server's answer to a watch from a resourceVersion it no longer has. */
  expire(): void {
    this.send({ type: 'ERROR', object: { kind: 'Status', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version' } });
  }

  breakWatch(): void {
    const s = this.take();
    s.fail(new KubeApiError('WATCH', '/widgets', 0, 'Unreachable', 'connection reset'));
  }

  endWatch(): void {
    this.take().end();
  }

  /** Delivers like KubeClient.watch: an exception from the handler ends the stream with it. */
  private send(e: WatchEvent<Widget>): void {
    if (!this.stream) return;
    try {
      this.stream.onEvent(e);
    } catch (err) {
      this.take().fail(err);
    }
  }

  private take() {
    const s = this.stream;
    if (!s) throw new Error('no watch is open');
    this.stream = undefined;
    return s;
  }
}

describe('Informer', () => {
  let api: FakeApi;
  let informer: Informer<Widget>;
  let upserts: string[];
  let deletes: string[];
  let errors: { phase: string; err: unknown }[];

  function start(opts: InformerOptions<Widget> = {}): Informer<Widget> {
    informer = new Informer<Widget>(api as unknown as KubeClient, widgets, {
      namespace: NS,
      backoff: { initialMs: 1, maxMs: 5 },
      onError: (err, phase) => errors.push({ phase, err }),
      ...opts,
    });
    informer.addHandler({
      onUpsert: (o, old) => upserts.push(`${o.metadata.name}@${o.spec?.size}${old ? ` was ${old.spec?.size}` : ''}`),
      onDelete: (o) => deletes.push(o.metadata.name ?? ''),
    });
    informer.start();
    return informer;
  }
  const sizes = () => Object.fromEntries(informer.list().map((w) => [w.metadata.name, w.spec?.size]));
  const watchingAgain = (n: number) => until(`watch #${n}`, () => api.watches.length >= n && api.watching);

  beforeEach(() => {
    api = new FakeApi();
    upserts = [];
    deletes = [];
    errors = [];
  });
  afterEach(async () => {
    await informer?.stop();
  });

  it('fills the cache from the initial list, reports each object, and then is synced', async () => {
    api.put('a', 1, { quietly: true });
    api.put('b', 2, { quietly: true });
    start();
    await informer.waitForSync();
    expect(informer.hasSynced()).to.equal(true);
    expect(sizes()).to.deep.equal({ a: 1, b: 2 });
    expect(informer.get(`${NS}/a`)?.spec).to.deep.equal({ size: 1 });
    expect(upserts.sort()).to.deep.equal(['a@1', 'b@2']);
    expect(informer.relists).to.equal(1);
  });

  it('watches from the list resourceVersion and applies added, modified and deleted objects', async () => {
    const listed = api.put('a', 1, { quietly: true });
    start();
    await watchingAgain(1);
    expect(api.watches[0]).to.include({ resourceVersion: listed.metadata.resourceVersion, allowWatchBookmarks: true });

    api.put('b', 2);
    api.put('a', 10);
    api.remove('b');
    expect(sizes()).to.deep.equal({ a: 10 });
    expect(upserts).to.deep.equal(['a@1', 'b@2', 'a@10 was 1']);
    expect(deletes).to.deep.equal(['b']);
  });

  it('strips managedFields from listed and watched objects', async () => {
    api.put('listed', 1, { quietly: true });
    start();
    await watchingAgain(1);
    api.put('watched', 2);
    expect(informer.list()).to.have.length(2);
    for (const w of informer.list()) expect(w.metadata).to.not.have.property('managedFields');
  });

  it('caches and reports what the transform returns for listed, watched and deleted objects, and still follows bookmarks', async () => {
    const seen: string[] = [];
    api.put('listed', 1, { quietly: true });
    start({ transform: (w) => { seen.push(w.metadata.name ?? ''); return { metadata: w.metadata, spec: { size: (w.spec?.size ?? 0) * 100 } }; } });
    await watchingAgain(1);
    api.put('watched', 2);
    const bookmarked = api.bookmark();
    api.endWatch();
    await watchingAgain(2);
    api.remove('watched');
    expect(api.watches[1]?.resourceVersion).to.equal(bookmarked);
    expect(sizes()).to.deep.equal({ listed: 100 });
    expect(upserts).to.deep.equal(['listed@100', 'watched@200']);
    expect(seen).to.deep.equal(['listed', 'watched', 'watched']);
  });

  it('relists on a 410 Expired watch event: objects deleted meanwhile are dropped and reported, changed ones updated', async () => {
    api.put('stays', 1, { quietly: true });
    api.put('changes', 1, { quietly: true });
    api.put('goes', 1, { quietly: true });
    start();
    await watchingAgain(1);

    // While the watch was behind, the world moved on without it.
    api.remove('goes', { quietly: true });
    api.put('changes', 2, { quietly: true });
    api.put('new', 3, { quietly: true });
    api.expire();

    await until('the relist', () => informer.relists === 2);
    expect(sizes()).to.deep.equal({ stays: 1, changes: 2, new: 3 });
    expect(deletes).to.deep.equal(['goes']);
    expect(upserts.slice(3).sort()).to.deep.equal(['changes@2 was 1', 'new@3']);
    // A 410 is expected life, not an error.
    expect(errors).to.deep.equal([]);
    await watchingAgain(2);
  });

  it('retries a broken watch after a backoff from the last resourceVersion it saw, without relisting', async () => {
    start();
    await watchingAgain(1);
    const last = api.put('a', 1);
    api.breakWatch();

    await watchingAgain(2);
    expect(api.watches[1]?.resourceVersion).to.equal(last.metadata.resourceVersion);
    expect(api.lists).to.equal(1);
    expect(errors.map((e) => e.phase)).to.deep.equal(['watch']);
    // Nothing was lost or repeated.
    api.put('b', 2);
    expect(sizes()).to.deep.equal({ a: 1, b: 2 });
    expect(upserts).to.deep.equal(['a@1', 'b@2']);
  });

  it('resumes from a bookmark resourceVersion after a watch ends normally', async () => {
    api.put('a', 1, { quietly: true });
    start();
    await watchingAgain(1);
    const bookmarked = api.bookmark();
    api.endWatch();

    await watchingAgain(2);
    expect(api.watches[1]?.resourceVersion).to.equal(bookmarked);
    expect(api.lists).to.equal(1);
    expect(sizes()).to.deep.equal({ a: 1 });
    expect(errors).to.deep.equal([]);
  });

  it('retries a failing list with backoff until it succeeds, and only then is synced', async () => {
    api.failLists = 3;
    api.put('a', 1, { quietly: true });
    start();
    await informer.waitForSync();
    expect(api.lists).to.equal(4);
    expect(errors.map((e) => e.phase)).to.deep.equal(['list', 'list', 'list']);
    expect(sizes()).to.deep.equal({ a: 1 });
  });

  it('backs off when watches close at once without events, instead of calling again in a tight loop', async () => {
    api.closeWatchesAtOnce = true;
    start({ backoff: { initialMs: 5, maxMs: 20 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // 100 ms at >= 4 ms (5 ms less jitter) per retry allows at most ~25 calls; a tight loop makes thousands.
    expect(api.watches.length).to.be.within(2, 30);
    expect(errors.length).to.be.greaterThan(0);
    expect(errors.every((e) => e.phase === 'watch')).to.equal(true);
  });

  it('stop() ends the open watch and the loop: nothing is called afterwards', async () => {
    start();
    await watchingAgain(1);
    await informer.stop();
    expect(api.watching).to.equal(false);
    const calls = api.watches.length + api.lists;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(api.watches.length + api.lists).to.equal(calls);
  });
});
