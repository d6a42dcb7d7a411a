import { expect } from 'chai';
import { DEFAULT_INTERVAL_MS, DEFAULT_MAX_CONCURRENT, DEFAULT_PROBE_BUDGET, reflectorLoad } from '../../../src/agent/budget.js';
import { DEFAULT_JITTER_FRACTION, firstProbeDelayMs, nextProbeDelayMs, scheduleFor } from '../../../src/agent/schedule.js';

describe('probe schedule', () => {
  const schedule = scheduleFor(300_000);
  const middle = () => 0.5;

  it('probes every interval after a success, jittered within ±20 %', () => {
    expect(nextProbeDelayMs(schedule, 0, middle)).to.equal(300_000);
    expect(nextProbeDelayMs(schedule, 0, () => 0)).to.equal(240_000);
    expect(nextProbeDelayMs(schedule, 0, () => 0.999_999)).to.equal(360_000);
  });

  const backoff: [failures: number, delayMs: number][] = [
    [1, 15_000],
    [2, 30_000],
    [3, 60_000],
    [5, 240_000],
    [7, 960_000],
    [8, 1_800_000],
    [50, 1_800_000],
  ];
  for (const [failures, delayMs] of backoff) {
    it(`backs off ${delayMs / 1000} s after ${failures} failed or refused probes in a row (without jitter)`, () => {
      expect(nextProbeDelayMs(schedule, failures, middle)).to.equal(delayMs);
    });
  }

  it("never retries a busy reflector sooner than its hint", () => {
    expect(nextProbeDelayMs(schedule, 1, middle, 60_000)).to.equal(60_000);
    expect(nextProbeDelayMs(schedule, 4, middle, 60_000)).to.equal(120_000);
  });

  it('backs off to at most the interval when the interval is longer than 30 min', () => {
    expect(nextProbeDelayMs(scheduleFor(3_600_000), 40, middle)).to.equal(3_600_000);
  });

  it('starts at a uniformly random point of the first interval, so a rollout does not probe at once', () => {
    expect(firstProbeDelayMs(schedule, () => 0)).to.equal(0);
    expect(firstProbeDelayMs(schedule, () => 0.5)).to.equal(150_000);
    expect(firstProbeDelayMs(schedule, () => 0.999_999)).to.be.below(300_000);
  });
});

describe('probe budget of a fleet', () => {
  it('1,000 agents on the defaults load the reflectors with 3.3 probes/s, 28 MB/s on average, 35 MB/s at most', () => {
    const load = reflectorLoad({
      agents: 1000,
      budget: DEFAULT_PROBE_BUDGET,
      intervalMs: DEFAULT_INTERVAL_MS,
      jitterFraction: DEFAULT_JITTER_FRACTION,
      reflectorReplicas: 2,
      maxConcurrent: DEFAULT_MAX_CONCURRENT,
    });
    expect(load.probesPerSecond).to.be.closeTo(3.33, 0.01);
    expect(load.averageBytesPerSecond / 1e6).to.be.closeTo(27.96, 0.01);
    expect(load.maxAverageBytesPerSecond / 1e6).to.be.closeTo(34.95, 0.01);
    expect(load.maxConcurrentProbes).to.equal(16);
  });
});
