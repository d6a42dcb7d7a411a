/**
 * The calibration claim of docs/lab-calibration.md, re-checked on the committed lab JSON lines on
 * every `npm test` (no QEMU): held-out p90 within the documented bound, every non-converging run
 * predicted non-converging, every quick-grid run within the per-run bound the lab test uses.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { calibratedNonZeroBytes, LAB_CALIBRATION, writeRateOfReadings } from '../../../../src/domain/migration/calibration.js';
import { calibratedInput } from '../../../../src/domain/migration/model-input.js';
import { predictMigration } from '../../../../src/domain/migration/predict.js';
import { accuracy, BOUNDARY_SHARE, evaluate, HELD_OUT_P90_MAX, QUICK_RUN_MAX_APE } from '../../../../lab/calibration/calibrate.js';
import { readLabFile, type LabRun } from '../../../../lab/calibration/records.js';

const MiB = 2 ** 20;
const FULL = 'lab/results/full-grid.jsonl';
const QUICK = 'lab/results/quick-grid.jsonl';
const QUICK_HELD_OUT = 'lab/results/quick-grid-heldout.jsonl';

describe('lab calibration (src/domain/migration/calibration.ts against lab/results)', () => {
  const runs: LabRun[] = [FULL, QUICK, QUICK_HELD_OUT].flatMap((f) => (existsSync(f) ? readLabFile(f).runs : []));
  const results = evaluate(runs);
  const heldOut = results.filter((r) => !r.training);

  it('has lab data to check: the quick grid (training and held out) and the full grid', () => {
    for (const f of [FULL, QUICK, QUICK_HELD_OUT]) expect(existsSync(f), `${f} is missing`).to.equal(true);
    expect(readLabFile(QUICK).runs.length).to.be.at.least(5);
    expect(readLabFile(QUICK_HELD_OUT).runs.length).to.be.at.least(5);
    expect(heldOut.some((r) => r.measuredConverges)).to.equal(true);
  });

  it(`held-out converging runs: p90 absolute error of total time <= ${HELD_OUT_P90_MAX * 100} %`, () => {
    const a = accuracy(heldOut);
    expect(a.converging).to.be.greaterThan(0);
    expect(a.p90, `p50 ${a.p50}, p90 ${a.p90}, max ${a.max}`).to.be.at.most(HELD_OUT_P90_MAX);
  });

  it('every run that did not converge within its bound is predicted not to (training and held out)', () => {
    const missed = results.filter((r) => !r.measuredConverges && r.predictedConverges).map((r) => r.run.id);
    expect(missed).to.deep.equal([]);
  });

  it(`every run that converged is predicted to converge within its bound, unless it finished within ${Math.round((1 - BOUNDARY_SHARE) * 100)} % of the bound`, () => {
    const missed = results.filter((r) => r.measuredConverges && !r.predictedConverges && r.run.totalSeconds! < BOUNDARY_SHARE * r.run.boundSeconds).map((r) => r.run.id);
    expect(missed).to.deep.equal([]);
  });

  it(`each converging quick-grid run within ${QUICK_RUN_MAX_APE * 100} % (the bound test/lab/quick-grid.test.ts applies to fresh runs)`, () => {
    for (const r of results.filter((x) => x.run.grid === 'quick' && x.measuredConverges)) {
      expect(r.ape, r.run.id).to.be.at.most(QUICK_RUN_MAX_APE);
    }
  });

  describe('calibratedInput', () => {
    const vm = { memoryBytes: 2048 * MiB, guestUsedBytes: 600e6, linkGoodputBytesPerSecond: 4.4e6 };

    it('non-zero memory = used + memmap (1/64 of RAM) + hidden (a constant and a share per GiB, never below 0), at most RAM', () => {
      const hidden = (gib: number): number => Math.max(0, LAB_CALIBRATION.hiddenNonZeroBytes + gib * LAB_CALIBRATION.hiddenNonZeroBytesPerGiB);
      expect(calibratedNonZeroBytes(vm)).to.be.closeTo(600e6 + (2048 * MiB) / 64 + hidden(2), 1);
      expect(calibratedNonZeroBytes({ memoryBytes: 64 * 2 ** 30, guestUsedBytes: 1e9 })).to.be.closeTo(1e9 + 2 ** 30 + hidden(64), 1);
      expect(calibratedNonZeroBytes({ memoryBytes: 100e6, guestUsedBytes: 99e6 })).to.equal(100e6);
    });

    it('no readings or zero readings: a guest that dirties nothing', () => {
      expect(calibratedInput({ ...vm, dirtyRateReadings: [] }).dirtyRate).to.deep.equal({ kind: 'constant', bytesPerSecond: 0 });
      const zero = calibratedInput({ ...vm, dirtyRateReadings: [{ seconds: 1, mibPerSecond: 0 }] });
      expect(zero.dirtyRate).to.deep.equal({ kind: 'constant', bytesPerSecond: 0 });
    });

    it('many readings of a guest writing 2 MiB/s: the write rate is about 2 MiB/s × the scale; bandwidth is the scaled goodput', () => {
      const readings = [
        ...[2, 0, 2, 4, 0, 2, 4, 4, 4, 0].map((r) => ({ seconds: 1, samplePages: 512, mibPerSecond: r })),
        ...[2, 1, 1, 2, 2, 1, 1, 1, 1, 1].map((r) => ({ seconds: 1, samplePages: 16384, mibPerSecond: r })),
        ...[1, 2, 2].map((r) => ({ seconds: 5, samplePages: 16384, mibPerSecond: r })),
      ];
      const input = calibratedInput({ ...vm, dirtyRateReadings: readings });
      expect(input.bandwidthBytesPerSecond).to.be.closeTo(4.4e6 * LAB_CALIBRATION.goodputFactor, 1);
      expect(input.dirtyRate.kind).to.equal('curve');
      if (input.dirtyRate.kind !== 'curve') return;
      expect(input.dirtyRate.curve.hotSetBytes).to.equal(600e6);
      expect(input.dirtyRate.curve.hotWriteBytesPerSecond / (MiB * LAB_CALIBRATION.dirtyRateScale)).to.be.closeTo(2, 0.2);
    });

    it('a reading that saturates the used memory implies a write rate far above it (a memory hammer)', () => {
      const used = 160e6;
      const d = writeRateOfReadings([{ seconds: 1, mibPerSecond: 150 }], used, 512 * MiB);
      expect(d).to.be.greaterThan(2.5 * used);
      const p = predictMigration(calibratedInput({ memoryBytes: 512 * MiB, guestUsedBytes: used, linkGoodputBytesPerSecond: 119.5e6, dirtyRateReadings: [{ seconds: 1, mibPerSecond: 150 }] }));
      expect(p.converges).to.equal(false);
    });

    it('a higher reading never predicts a shorter migration', () => {
      let last = 0;
      for (const r of [0, 1, 2, 3, 4, 6, 8]) {
        const p = predictMigration({ ...calibratedInput({ ...vm, dirtyRateReadings: [{ seconds: 1, mibPerSecond: r }] }), completionTimeoutPerGiB: 0 });
        expect(p.totalSeconds).to.be.at.least(last);
        last = p.totalSeconds;
      }
    });
  });
});
