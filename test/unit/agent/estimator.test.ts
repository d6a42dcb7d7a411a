import { expect } from 'chai';
import { ESTIMATE_WINDOW, estimateLink, recordProbe, type ProbeSample } from '../../../src/agent/estimator.js';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 9, minute));
/** Probes one minute apart with these goodputs (MB/s) and an RTT of 20 ms unless given. */
function probes(mbPerSecond: readonly number[], rttMs: readonly number[] = []): ProbeSample[] {
  return mbPerSecond.reduce<ProbeSample[]>(
    (history, mb, i) => recordProbe(history, { measuredAt: at(i), bandwidthBytesPerSecond: mb * 1e6, rttMs: rttMs[i] ?? 20 }),
    [],
  );
}

describe('link estimate (median of the recent probes)', () => {
  const cases: [name: string, mbPerSecond: number[], estimateMb: number][] = [
    ['one probe is its own estimate', [4.4], 4.4],
    ['two probes: their mean', [4.4, 4.6], 4.5],
    ['steady link', [4.4, 4.5, 4.4, 4.6, 4.5], 4.5],
    ['one probe that shared the link with a video call', [4.4, 4.5, 0.9, 4.6, 4.5], 4.5],
    ['one probe through a burst of an idle link', [4.4, 4.5, 40, 4.6, 4.5], 4.5],
    ['two bad probes out of five, either side', [4.4, 0.5, 4.5, 40, 4.6], 4.5],
    ['a real drop, seen by 3 of the last 5 probes', [4.4, 4.5, 1.2, 1.1, 1.2], 1.2],
    ['older probes leave the window', [9, 9, 9, 4.4, 4.5, 4.4, 4.6, 4.5], 4.5],
  ];
  for (const [name, series, estimateMb] of cases) {
    it(`${name}: ${estimateMb} MB/s`, () => {
      expect(estimateLink(probes(series))!.bandwidthBytesPerSecond).to.equal(estimateMb * 1e6);
    });
  }

  it('has no estimate without probes', () => {
    expect(estimateLink([])).to.equal(undefined);
  });

  it('keeps the last five probes and dates the estimate by the newest', () => {
    const history = probes([1, 2, 3, 4, 5, 6, 7]);
    expect(history).to.have.length(ESTIMATE_WINDOW);
    expect(estimateLink(history)).to.deep.equal({ bandwidthBytesPerSecond: 5e6, rttMs: 20, measuredAt: at(6), samples: 5 });
  });

  it('smooths the RTT the same way: one slow echo does not move it', () => {
    expect(estimateLink(probes([4, 4, 4, 4, 4], [20, 21, 250, 20, 22]))!.rttMs).to.equal(21);
  });

  it('one bad probe, anywhere and of any size, keeps the estimate within the good probes', () => {
    const good = [4.4, 4.5, 4.6, 4.5];
    for (let position = 0; position <= good.length; position++) {
      for (const bad of [0, 0.01, 1, 10, 1000]) {
        const series = [...good.slice(0, position), bad, ...good.slice(position)];
        const estimate = estimateLink(probes(series))!.bandwidthBytesPerSecond / 1e6;
        expect(estimate, `bad ${bad} MB/s at ${position}`).to.be.within(Math.min(...good), Math.max(...good));
      }
    }
  });
});
