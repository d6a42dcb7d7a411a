import { expect } from 'chai';
import { median, steadyStateGoodput, type Arrival } from '../../../src/link/goodput.js';

/** A transfer at `rate` bytes/ms after `burstBytes` arrive at once, sampled every `stepMs`. */
function timeline(burstBytes: number, rate: number, durationMs: number, stepMs = 10): Arrival[] {
  const arrivals: Arrival[] = [{ atMs: 0, totalBytes: burstBytes }];
  for (let t = stepMs; t <= durationMs; t += stepMs) arrivals.push({ atMs: t, totalBytes: burstBytes + rate * t });
  return arrivals;
}

describe('steady-state goodput', () => {
  it("leaves out tbf's initial burst", () => {
    const g = steadyStateGoodput(timeline(2_000_000, 4_625, 2000))!;
    expect(g.bytesPerSecond).to.be.closeTo(4_625_000, 1);
    expect(g.fromMs).to.be.at.least(2000 / 3);
  });

  it('leaves out a slow start: a ramp over the first third does not count', () => {
    const arrivals: Arrival[] = [];
    let total = 0;
    for (let t = 0; t <= 3000; t += 10) {
      total += t < 900 ? (250_000 * t) / 900 : 250_000; // 10 ms steps: ramps to 25 MB/s in 0.9 s
      arrivals.push({ atMs: t, totalBytes: total });
    }
    expect(steadyStateGoodput(arrivals)!.bytesPerSecond).to.be.closeTo(25_000_000, 1);
  });

  it('has no rate for a transfer of one arrival', () => {
    expect(steadyStateGoodput([{ atMs: 0, totalBytes: 100 }])).to.equal(undefined);
    expect(steadyStateGoodput([])).to.equal(undefined);
  });

  it('median of odd, even and empty lists', () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    expect(median([])).to.equal(undefined);
  });
});
