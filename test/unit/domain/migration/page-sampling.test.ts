import { expect } from 'chai';
import {
  dirtySamplesOf,
  dirtyShare,
  estimateWriteRate,
  logBinomialInterval,
  logGamma,
  readingOf,
  sampledPages,
  type PageSamplingReading,
} from '../../../../src/domain/migration/page-sampling.js';
import { seeded } from '../../../support/seeded.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** One page-sampling reading as QEMU 7.2 would produce it for a steady random writer. */
function simulatedReading(
  random: () => number,
  window: { seconds: number; samplePages: number },
  writeBytesPerSecond: number,
  hotSetBytes: number,
  memoryBytes: number,
): PageSamplingReading {
  const n = sampledPages(memoryBytes, window.samplePages);
  const p = dirtyShare(writeBytesPerSecond, window.seconds, hotSetBytes, memoryBytes);
  let k = 0;
  for (let i = 0; i < n; i++) if (random() < p) k++;
  return { ...window, mibPerSecond: readingOf(k, memoryBytes, window.seconds, window.samplePages) };
}

describe('QEMU page-sampling dirty rate (page-sampling.ts)', () => {
  describe('the arithmetic of one reading', () => {
    const cases = [
      { memory: 2 * GiB, seconds: 1, samplePages: 512, samples: 1024, oneSampleReads: 2 },
      { memory: 2 * GiB, seconds: 2, samplePages: 512, samples: 1024, oneSampleReads: 1 },
      { memory: 512 * MiB, seconds: 1, samplePages: 512, samples: 256, oneSampleReads: 2 },
      { memory: 2 * GiB, seconds: 1, samplePages: 16384, samples: 32768, oneSampleReads: 0 },
      { memory: 2 * GiB, seconds: 5, samplePages: 16384, samples: 32768, oneSampleReads: 0 },
      { memory: 1536 * MiB, seconds: 3, samplePages: 2048, samples: 3072, oneSampleReads: 0 },
      { memory: 64 * MiB, seconds: 1, samplePages: 512, samples: 0, oneSampleReads: 0 },
    ];
    for (const c of cases) {
      const label = `${c.memory / MiB} MiB, ${c.seconds} s, ${c.samplePages} samples/GiB`;
      it(`${label}: ${c.samples} samples, one dirty sample reads ${c.oneSampleReads}`, () => {
        expect(sampledPages(c.memory, c.samplePages)).to.equal(c.samples);
        expect(readingOf(1, c.memory, c.seconds, c.samplePages)).to.equal(c.oneSampleReads);
      });
      if (c.samples === 0) continue;
      it(`${label}: every dirty-sample count lies in the range its own reading allows, and the ranges tile 0..n`, () => {
        let next = 0;
        let lastReading = -1;
        for (let k = 0; k <= c.samples; k++) {
          const r = readingOf(k, c.memory, c.seconds, c.samplePages);
          const range = dirtySamplesOf({ seconds: c.seconds, samplePages: c.samplePages, mibPerSecond: r }, c.memory);
          expect(k, `k=${k} reads ${r}`).to.be.within(range.min, range.max);
          if (r !== lastReading) {
            expect(range.min, `range of reading ${r} starts where the last ended`).to.equal(next);
            next = range.max + 1;
            lastReading = r;
          }
        }
        expect(next).to.equal(c.samples + 1);
      });
    }

    it('a reading no count can give (between two multiples of 2 at 1 s, 512 samples/GiB) allows nothing', () => {
      const r = dirtySamplesOf({ seconds: 1, samplePages: 512, mibPerSecond: 3 }, 2 * GiB);
      expect(r.min).to.be.greaterThan(r.max);
    });

    it('such readings still count, as the counts on either side: 1, 3, 1, 3 MiB/s at 1 s / 512 read as about 2 MiB/s', () => {
      const e = estimateWriteRate([1, 3, 1, 3].map((r) => ({ seconds: 1, samplePages: 512, mibPerSecond: r })), 512 * MiB, 2 * GiB);
      expect(e.bytesPerSecond / MiB).to.be.within(1, 3);
    });

    it('readings above what the assumed hot set can show read as a saturated hot set, not as nothing', () => {
      const e = estimateWriteRate([200, 190, 210].map((r) => ({ seconds: 1, samplePages: 16384, mibPerSecond: r })), 150 * MiB, 512 * MiB);
      expect(e.saturated).to.equal(true);
    });
  });

  describe('binomial interval probabilities', () => {
    it('ln Γ matches factorials', () => {
      for (const [x, f] of [[1, 1], [2, 1], [5, 24], [11, 3628800]] as const) expect(logGamma(x)).to.be.closeTo(Math.log(f), 1e-9);
    });

    it('the whole range has probability 1, and small cases match the direct sum', () => {
      expect(logBinomialInterval(1000, 0.003, 0, 1000)).to.be.closeTo(0, 1e-9);
      const n = 12;
      const p = 0.3;
      let direct = 0;
      let c = 1;
      for (let k = 0; k <= n; k++) {
        if (k >= 2 && k <= 5) direct += c * p ** k * (1 - p) ** (n - k);
        c = (c * (n - k)) / (k + 1);
      }
      expect(Math.exp(logBinomialInterval(n, p, 2, 5))).to.be.closeTo(direct, 1e-12);
      expect(logBinomialInterval(n, 0, 0, 3)).to.equal(0);
      expect(logBinomialInterval(n, 0, 1, 3)).to.equal(-Infinity);
    });
  });

  describe('the most likely write rate', () => {
    const memory = 2 * GiB;
    const windows = [
      ...Array.from({ length: 10 }, () => ({ seconds: 1, samplePages: 512 })),
      ...Array.from({ length: 10 }, () => ({ seconds: 1, samplePages: 16384 })),
      ...Array.from({ length: 3 }, () => ({ seconds: 5, samplePages: 16384 })),
    ];
    const cases = [
      { name: '2 MiB/s into 512 MiB (the lab\'s 25 % RAM load)', d: 2 * MiB, hot: 512 * MiB },
      { name: '2 MiB/s into 1 GiB', d: 2 * MiB, hot: 1 * GiB },
      { name: '8 MiB/s into 128 MiB', d: 8 * MiB, hot: 128 * MiB },
      { name: '40 MiB/s into 1.6 GiB', d: 40 * MiB, hot: 1.6 * GiB },
    ];
    for (const c of cases) {
      it(`${c.name}: 20 trials of 23 simulated readings: each within 20 %, on average within 5 %, the 95 % interval holding the truth in most`, () => {
        const random = seeded(Math.round(c.d + c.hot / MiB));
        let covered = 0;
        let sum = 0;
        for (let trial = 0; trial < 20; trial++) {
          const readings = windows.map((w) => simulatedReading(random, w, c.d, c.hot, memory));
          const e = estimateWriteRate(readings, c.hot, memory);
          expect(e.bytesPerSecond / c.d, `trial ${trial}: ${(e.bytesPerSecond / MiB).toFixed(3)} MiB/s`).to.be.within(0.8, 1.2);
          sum += e.bytesPerSecond;
          if (e.lowerBytesPerSecond <= c.d && c.d <= e.upperBytesPerSecond) covered++;
          expect(e.saturated).to.equal(false);
        }
        expect(sum / 20 / c.d).to.be.within(0.95, 1.05);
        expect(covered).to.be.at.least(16);
      });
    }

    it('reads through the truncation the mean of the readings suffers (1.9 MiB/s at 16384 samples/GiB reads mostly 1)', () => {
      const random = seeded(19);
      const hot = 512 * MiB;
      const readings = Array.from({ length: 20 }, () => simulatedReading(random, { seconds: 1, samplePages: 16384 }, 1.9 * MiB, hot, memory));
      const mean = readings.reduce((a, r) => a + r.mibPerSecond, 0) / readings.length;
      expect(mean).to.be.below(1.6);
      expect(estimateWriteRate(readings, hot, memory).bytesPerSecond / MiB).to.be.closeTo(1.9, 0.2);
    });

    it('0.5 MiB/s into 32 MiB of a 512 MiB guest (nearly every reading is 0): a wide interval that holds the truth', () => {
      const random = seeded(5);
      let covered = 0;
      for (let trial = 0; trial < 20; trial++) {
        const readings = windows.map((w) => simulatedReading(random, w, 0.5 * MiB, 32 * MiB, 512 * MiB));
        const e = estimateWriteRate(readings, 32 * MiB, 512 * MiB);
        if (e.lowerBytesPerSecond <= 0.5 * MiB && 0.5 * MiB <= e.upperBytesPerSecond) covered++;
        expect(e.upperBytesPerSecond).to.be.below(4 * MiB);
      }
      expect(covered).to.be.at.least(16);
    });

    it('all readings zero: 0, with an upper bound above 0', () => {
      const e = estimateWriteRate(Array.from({ length: 5 }, () => ({ seconds: 1, samplePages: 512, mibPerSecond: 0 })), 40 * MiB, memory);
      expect(e.bytesPerSecond).to.equal(0);
      expect(e.upperBytesPerSecond).to.be.greaterThan(0);
    });

    it('no readings, or only of a block QEMU does not sample: 0 from 0 readings', () => {
      expect(estimateWriteRate([], 40 * MiB, memory)).to.include({ bytesPerSecond: 0, readings: 0 });
      expect(estimateWriteRate([{ seconds: 1, mibPerSecond: 4 }], 10 * MiB, 64 * MiB)).to.include({ bytesPerSecond: 0, readings: 0 });
    });

    it('a hammer: readings at the most the hot set allows are flagged saturated; just below it, several hot sets per second', () => {
      const hot = 128 * MiB;
      const at = (values: number[]): PageSamplingReading[] => values.map((r) => ({ seconds: 1, samplePages: 16384, mibPerSecond: r }));
      const full = estimateWriteRate(at([128, 128, 128]), hot, 512 * MiB);
      expect(full.saturated).to.equal(true);
      expect(full.bytesPerSecond).to.be.at.least(6 * hot);
      const nearly = estimateWriteRate(at([126, 127, 127]), hot, 512 * MiB);
      expect(nearly.saturated).to.equal(false);
      expect(nearly.bytesPerSecond).to.be.at.least(4 * hot);
    });

    it('more dirty readings never lower the estimate', () => {
      const base = [2, 0, 2, 4, 0].map((r) => ({ seconds: 1, samplePages: 512, mibPerSecond: r }));
      const higher = base.map((r, i) => (i === 1 ? { ...r, mibPerSecond: 2 } : r));
      expect(estimateWriteRate(higher, 512 * MiB, memory).bytesPerSecond).to.be.greaterThan(estimateWriteRate(base, 512 * MiB, memory).bytesPerSecond);
    });
  });
});
