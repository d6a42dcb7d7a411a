import { expect } from 'chai';
import { backoffDelayMs, sleep } from '../../../src/runtime/backoff.js';

describe('backoff', () => {
  describe('backoffDelayMs', () => {
    const policy = { initialMs: 100, maxMs: 1_000 };
    const noJitter = () => 0.5; // the jitter factor is 0.8 + 0.4 x random: 1.0 here

    const cases: [failures: number, delayMs: number][] = [
      [0, 100],
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 800],
      [5, 1_000],
      [6, 1_000],
      [1_000, 1_000],
    ];
    for (const [failures, delayMs] of cases) {
      it(`waits ${delayMs} ms before retry ${failures} (without jitter)`, () => {
        expect(backoffDelayMs(policy, failures, noJitter)).to.equal(delayMs);
      });
    }

    it('jitters within [0.8, 1.2) of the capped delay', () => {
      expect(backoffDelayMs(policy, 2, () => 0)).to.equal(160);
      expect(backoffDelayMs(policy, 2, () => 0.999_999)).to.be.within(239.99, 240);
      expect(backoffDelayMs(policy, 50, () => 0)).to.equal(800);
    });

    it('never shrinks as failures add up, and stays within its bounds', () => {
      for (const r of [0, 0.3, 0.7, 0.999]) {
        let previous = 0;
        for (let failures = 1; failures <= 80; failures++) {
          const d = backoffDelayMs(policy, failures, () => r);
          expect(d, `failures=${failures} random=${r}`).to.be.at.least(previous);
          expect(d).to.be.within(policy.initialMs * 0.8, policy.maxMs * 1.2);
          expect(Number.isFinite(d)).to.equal(true);
          previous = d;
        }
      }
    });
  });

  describe('sleep', () => {
    it('resolves after the delay', async () => {
      const start = performance.now();
      await sleep(20);
      expect(performance.now() - start).to.be.at.least(15);
    });

    it('resolves early, without an error, when the signal aborts', async () => {
      const abort = new AbortController();
      const slept = sleep(60_000, abort.signal).then(() => 'woke');
      setTimeout(() => abort.abort(), 5);
      expect(await slept).to.equal('woke');
    });

    it('resolves at once when the signal has already aborted', async () => {
      const slept = sleep(60_000, AbortSignal.abort()).then(() => 'woke');
      const other = new Promise((resolve) => setTimeout(() => resolve('timer'), 50));
      expect(await Promise.race([slept, other])).to.equal('woke');
    });
  });
});
