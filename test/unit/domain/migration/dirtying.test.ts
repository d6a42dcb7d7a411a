import { expect } from 'chai';
import { constantDirtying, distinctBytesDirtied, initialDirtyRate, type DirtyingCurve } from '../../../../src/domain/migration/dirtying.js';
import { fitDirtyingCurve, type DirtyRateWindow } from '../../../../src/domain/migration/dirtying-fit.js';

const MB = 1e6;

function windowsOf(curve: DirtyingCurve, seconds: readonly number[]): DirtyRateWindow[] {
  return seconds.map((t) => ({ seconds: t, bytesPerSecond: distinctBytesDirtied(curve, t) / t }));
}

describe('dirtying curve', () => {
  it('a constant rate dirties rate × t', () => {
    expect(distinctBytesDirtied(constantDirtying(2 * MB), 5)).to.equal(10 * MB);
  });

  it('a hot set saturates at its size, and starts at its write rate', () => {
    const curve = { hotSetBytes: 64 * MB, hotWriteBytesPerSecond: 20 * MB, coldBytesPerSecond: 0 };
    expect(distinctBytesDirtied(curve, 1e-9) / 1e-9).to.be.closeTo(20 * MB, 1e-6 * MB);
    expect(distinctBytesDirtied(curve, 1000)).to.be.closeTo(64 * MB, 1e-6);
    expect(initialDirtyRate(curve)).to.equal(20 * MB);
  });

  it('adds the cold part on top of the saturated hot set', () => {
    const curve = { hotSetBytes: 64 * MB, hotWriteBytesPerSecond: 20 * MB, coldBytesPerSecond: 1 * MB };
    expect(distinctBytesDirtied(curve, 1000)).to.be.closeTo(1064 * MB, 1e-3);
  });

  it('is increasing and concave', () => {
    const curve = { hotSetBytes: 100 * MB, hotWriteBytesPerSecond: 30 * MB, coldBytesPerSecond: 2 * MB };
    let previous = 0;
    let previousSlope = Infinity;
    for (let t = 0.01; t < 100; t += 0.01) {
      const u = distinctBytesDirtied(curve, t);
      const slope = (u - previous) / 0.01;
      expect(u).to.be.greaterThan(previous);
      expect(slope).to.be.at.most(previousSlope * (1 + 1e-9));
      previous = u;
      previousSlope = slope;
    }
  });
});

describe('fitting the dirtying curve to measurement windows', () => {
  it('treats a single window as a constant rate', () => {
    expect(fitDirtyingCurve([{ seconds: 1, bytesPerSecond: 3 * MB }])).to.deep.equal(constantDirtying(3 * MB));
  });

  it('explains two windows with falling rates by a hot set, through both points', () => {
    const windows = [
      { seconds: 1, bytesPerSecond: 2.5 * MB },
      { seconds: 5, bytesPerSecond: 1.9 * MB },
    ];
    const curve = fitDirtyingCurve(windows);
    expect(curve.hotSetBytes).to.be.greaterThan(0);
    expect(curve.coldBytesPerSecond).to.be.below(1e-3 * MB);
    for (const w of windows) {
      expect(distinctBytesDirtied(curve, w.seconds)).to.be.closeTo(w.bytesPerSecond * w.seconds, 1e-4 * w.bytesPerSecond * w.seconds);
    }
  });

  it('falls back to a straight line when the rate does not fall with the window', () => {
    const curve = fitDirtyingCurve([
      { seconds: 1, bytesPerSecond: 2 * MB },
      { seconds: 10, bytesPerSecond: 2 * MB },
    ]);
    expect(curve.hotSetBytes).to.equal(0);
    expect(curve.coldBytesPerSecond).to.be.closeTo(2 * MB, 1e-6 * MB);
  });

  const truths: [string, DirtyingCurve][] = [
    ['a 64 MB hot set written at 20 MB/s', { hotSetBytes: 64 * MB, hotWriteBytesPerSecond: 20 * MB, coldBytesPerSecond: 0 }],
    ['a 1 GB hot set written at 50 MB/s plus 1 MB/s of new pages', { hotSetBytes: 1000 * MB, hotWriteBytesPerSecond: 50 * MB, coldBytesPerSecond: 1 * MB }],
    ['a 16 MB hot set written at 100 MB/s plus 3 MB/s of new pages', { hotSetBytes: 16 * MB, hotWriteBytesPerSecond: 100 * MB, coldBytesPerSecond: 3 * MB }],
  ];
  for (const [name, truth] of truths) {
    it(`recovers ${name} from windows of 1, 2, 5, 10 and 30 s`, () => {
      const curve = fitDirtyingCurve(windowsOf(truth, [1, 2, 5, 10, 30]));
      for (const t of [0.3, 1, 3, 10, 30, 100]) {
        const want = distinctBytesDirtied(truth, t);
        expect(distinctBytesDirtied(curve, t), `U(${t})`).to.be.closeTo(want, 0.02 * want);
      }
    });
  }

  it('scales with the measured rates: k times the rates gives k times the curve', () => {
    const windows = windowsOf({ hotSetBytes: 80 * MB, hotWriteBytesPerSecond: 15 * MB, coldBytesPerSecond: 0.5 * MB }, [1, 3, 10]);
    const base = fitDirtyingCurve(windows);
    for (const k of [0.5, 1.001, 3, 1000]) {
      const scaled = fitDirtyingCurve(windows.map((w) => ({ ...w, bytesPerSecond: w.bytesPerSecond * k })));
      for (const t of [0.1, 1, 10, 1000]) {
        const want = k * distinctBytesDirtied(base, t);
        expect(distinctBytesDirtied(scaled, t)).to.be.closeTo(want, 1e-6 * want);
      }
    }
  });

  it('weights a window that saw nothing without dividing by zero', () => {
    const curve = fitDirtyingCurve([
      { seconds: 1, bytesPerSecond: 0 },
      { seconds: 10, bytesPerSecond: 1 * MB },
    ]);
    expect(Number.isFinite(distinctBytesDirtied(curve, 5))).to.equal(true);
    expect(fitDirtyingCurve([
      { seconds: 1, bytesPerSecond: 0 },
      { seconds: 2, bytesPerSecond: 0 },
    ])).to.deep.equal(constantDirtying(0));
  });

  it('refuses an empty list of windows', () => {
    expect(() => fitDirtyingCurve([])).to.throw(RangeError, /dirtyRate\.windows/);
  });
});
