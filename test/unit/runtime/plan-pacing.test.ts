import { expect } from 'chai';
import { DEFAULT_PACING, planDelayMs, type LastPlan } from '../../../src/runtime/plan-pacing.js';

describe('plan pacing', () => {
  const cases: [string, number, LastPlan | undefined, number][] = [
    ['first event ever: wait for the burst', 0, undefined, 100],
    ['long after a short plan: the burst only', 60_000, { startedMs: 0, durationMs: 20 }, 100],
    ['just after a 20 ms plan: the burst (80 ms of gap is inside it)', 30, { startedMs: 0, durationMs: 20 }, 100],
    ['just after a 200 ms plan: 4 x its duration from its start', 250, { startedMs: 0, durationMs: 200 }, 550],
    ['during a slow plan: never more than 1 s after it started', 100, { startedMs: 0, durationMs: 3000 }, 900],
    ['well after a slow plan: the burst', 5000, { startedMs: 0, durationMs: 3000 }, 100],
  ];
  for (const [name, now, last, want] of cases) {
    it(`${name}: ${want} ms`, () => expect(planDelayMs(now, last, DEFAULT_PACING)).to.equal(want));
  }

  it('a trigger (a link, a departure, a placement) waits for its own short burst only', () => {
    expect(planDelayMs(100, { startedMs: 0, durationMs: 3000 }, DEFAULT_PACING, true)).to.equal(20);
    expect(planDelayMs(0, undefined, DEFAULT_PACING, true)).to.equal(20);
  });

  it('keeps planning under its share of a core while events never stop', () => {
    // Events every 10 ms for a minute, plans of 250 ms: the share of time spent planning.
    let clock = 0;
    let busy = 0;
    let last: LastPlan | undefined;
    let nextPlanAt: number | undefined;
    for (; clock < 60_000; clock += 10) {
      if (nextPlanAt !== undefined && clock >= nextPlanAt) {
        last = { startedMs: clock, durationMs: 250 };
        busy += 250;
        nextPlanAt = undefined;
      }
      const runningUntil = last ? last.startedMs + last.durationMs : 0;
      if (nextPlanAt === undefined && clock >= runningUntil) nextPlanAt = clock + planDelayMs(clock, last);
    }
    expect(busy / clock).to.be.within(0.2, 0.25);
  });
});
