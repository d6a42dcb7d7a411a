/**
 * Property checks of the migration model over seeded pseudo-random inputs and fine grids.
 */
import { expect } from 'chai';
import { predictMigration, type MigrationInput, type MigrationPrediction } from '../../../../src/domain/migration/predict.js';

import { seeded } from '../../../support/seeded.js';

const logUniform = (rand: () => number, lo: number, hi: number): number => Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));
const pick = <T>(rand: () => number, values: readonly T[]): T => values[Math.floor(rand() * values.length)]!;

const GiB = 2 ** 30;

/** Inputs across WAN and LAN links, small and large VMs, constant rates and hot-set curves. */
function randomInput(rand: () => number, options: { autoConverge?: boolean } = {}): MigrationInput {
  const memoryBytes = Math.round(logUniform(rand, 2 ** 27, 64 * GiB));
  const bandwidthBytesPerSecond = logUniform(rand, 1e5, 1.25e9);
  const rate = logUniform(rand, 1e3, 4 * bandwidthBytesPerSecond);
  const dirtyRate: MigrationInput['dirtyRate'] =
    rand() < 0.4
      ? { kind: 'constant', bytesPerSecond: rand() < 0.05 ? 0 : rate }
      : {
          kind: 'curve',
          curve: {
            hotSetBytes: logUniform(rand, 1e5, memoryBytes),
            hotWriteBytesPerSecond: rate,
            coldBytesPerSecond: rand() < 0.5 ? 0 : rate * logUniform(rand, 1e-4, 1),
          },
        };
  return {
    memoryBytes,
    guestUsedBytes: rand() < 0.5 ? undefined : memoryBytes * rand(),
    dirtyRate,
    bandwidthBytesPerSecond,
    downtimeLimitMs: rand() < 0.5 ? undefined : logUniform(rand, 1, 5000),
    completionTimeoutPerGiB: pick(rand, [undefined, 0, 10, 150, 800]),
    blockMigrationDiskBytes: rand() < 0.7 ? undefined : logUniform(rand, 1e6, 50e9),
    allowPostCopy: rand() < 0.5,
    allowAutoConverge: options.autoConverge ?? false,
  };
}

function scaledDirtying(input: MigrationInput, k: number): MigrationInput {
  const d = input.dirtyRate;
  const dirtyRate: MigrationInput['dirtyRate'] =
    d.kind === 'constant'
      ? { kind: 'constant', bytesPerSecond: d.bytesPerSecond * k }
      : d.kind === 'curve'
        ? {
            kind: 'curve',
            curve: {
              hotSetBytes: d.curve.hotSetBytes * k,
              hotWriteBytesPerSecond: d.curve.hotWriteBytesPerSecond * k,
              coldBytesPerSecond: d.curve.coldBytesPerSecond * k,
            },
          }
        : { kind: 'windows', windows: d.windows.map((w) => ({ ...w, bytesPerSecond: w.bytesPerSecond * k })) };
  return { ...input, dirtyRate };
}

const describeInput = (input: MigrationInput, a: MigrationPrediction, b: MigrationPrediction): string =>
  JSON.stringify({ input, a: [a.mode, a.totalSeconds, a.rounds], b: [b.mode, b.totalSeconds, b.rounds] });

/** a <= b, allowing for rounding in the last bits. */
const notAbove = (a: number, b: number): boolean => a <= b || a - b <= 1e-9 * Math.abs(b);

describe('migration model properties', () => {
  const CASES = 3000;

  it('more bandwidth never predicts a slower migration', () => {
    const rand = seeded(1);
    for (let i = 0; i < CASES; i++) {
      const input = randomInput(rand);
      const faster = { ...input, bandwidthBytesPerSecond: input.bandwidthBytesPerSecond * (1 + pick(rand, [1e-6, 1e-3, 0.1, 1, 10])) };
      const a = predictMigration(input);
      const b = predictMigration(faster);
      expect(notAbove(b.totalSeconds, a.totalSeconds), describeInput(input, a, b)).to.equal(true);
    }
  });

  it('a higher dirty rate never predicts a faster migration', () => {
    const rand = seeded(2);
    for (let i = 0; i < CASES; i++) {
      const input = randomInput(rand);
      const k = 1 + pick(rand, [1e-6, 1e-3, 0.1, 1, 10]);
      const a = predictMigration(input);
      const b = predictMigration(scaledDirtying(input, k));
      expect(notAbove(a.totalSeconds, b.totalSeconds), describeInput(input, a, b)).to.equal(true);
    }
  });

  it('a higher dirty rate measured over windows never predicts a faster migration', () => {
    const rand = seeded(3);
    for (let i = 0; i < 300; i++) {
      const input: MigrationInput = {
        ...randomInput(rand),
        dirtyRate: {
          kind: 'windows',
          windows: [1, 2, 5, 10, 30].map((seconds) => ({ seconds, bytesPerSecond: logUniform(rand, 1e4, 1e8) / seconds ** (rand() * 0.9) })),
        },
      };
      const a = predictMigration(input);
      const b = predictMigration(scaledDirtying(input, 1 + pick(rand, [1e-3, 0.1, 1])));
      expect(notAbove(a.totalSeconds, b.totalSeconds), describeInput(input, a, b)).to.equal(true);
    }
  });

  it('stays monotone on a fine grid of dirty rates, across every change in the number of rounds', () => {
    for (const allowPostCopy of [false, true]) {
      for (const completionTimeoutPerGiB of [0, 150]) {
        let previous = 0;
        let rounds = new Set<number>();
        for (let rate = 0; rate <= 6e6; rate += 2e3) {
          const p = predictMigration({
            memoryBytes: 2 * GiB,
            guestUsedBytes: 300 * 2 ** 20,
            dirtyRate: { kind: 'constant', bytesPerSecond: rate },
            bandwidthBytesPerSecond: 4.625e6,
            completionTimeoutPerGiB,
            allowPostCopy,
          });
          expect(notAbove(previous, p.totalSeconds), `rate ${rate}: ${previous} then ${p.totalSeconds}`).to.equal(true);
          previous = p.totalSeconds;
          rounds = rounds.add(p.rounds);
        }
        expect(rounds.size).to.be.greaterThan(5);
      }
    }
  });

  it('a guest dirtying at least as fast as the link never converges without auto-converge or post-copy', () => {
    const rand = seeded(4);
    for (let i = 0; i < CASES; i++) {
      const input = randomInput(rand);
      const bandwidth = input.bandwidthBytesPerSecond;
      const p = predictMigration({
        ...input,
        guestUsedBytes: undefined,
        // All of memory must not fit under the switch-over threshold on its own.
        memoryBytes: Math.max(input.memoryBytes, bandwidth * 2000 * 2),
        dirtyRate: { kind: 'constant', bytesPerSecond: bandwidth * (1 + pick(rand, [0, 1e-9, 0.01, 1, 100])) },
        allowPostCopy: false,
        allowAutoConverge: false,
      });
      expect(p.converges, JSON.stringify(input)).to.equal(false);
      expect(p.mode).to.equal('NotConverging');
    }
  });

  it('counting more disk bytes in KubeVirt’s budget never shortens it, nor changes the disk copy', () => {
    const rand = seeded(11);
    for (let i = 0; i < CASES; i++) {
      const input = { ...randomInput(rand), blockMigrationDiskBytes: logUniform(rand, 1e6, 50e9) };
      const without = predictMigration(input);
      const counted = predictMigration({ ...input, budgetDiskBytes: logUniform(rand, 1e6, 50e9) });
      expect(counted.completionBudgetSeconds).to.be.at.least(without.completionBudgetSeconds);
      expect(counted.diskCopySeconds).to.equal(without.diskCopySeconds);
    }
  });

  it('predicts finite, non-negative numbers whenever KubeVirt’s budget is on', () => {
    const rand = seeded(5);
    for (let i = 0; i < CASES; i++) {
      const input = { ...randomInput(rand, { autoConverge: rand() < 0.5 }), completionTimeoutPerGiB: pick(rand, [undefined, 10, 150, 800]) };
      const p = predictMigration(input);
      for (const key of ['totalSeconds', 'downtimeMs', 'transferredBytes', 'rounds', 'completionBudgetSeconds', 'postCopySeconds'] as const) {
        expect(Number.isFinite(p[key]) && p[key] >= 0, `${key} = ${p[key]} for ${JSON.stringify(input)}`).to.equal(true);
      }
      expect(p.totalSeconds).to.be.at.most(Math.max(p.completionBudgetSeconds, p.diskCopySeconds) + p.postCopySeconds + 1);
      expect(p.completes).to.equal(p.converges && !p.abortedByKubevirt);
      if (p.abortedByKubevirt) expect(p.totalSeconds).to.equal(p.completionBudgetSeconds);
    }
  });

  it('keeps the downtime of a pre-copy switch-over within the downtime limit plus resume', () => {
    const rand = seeded(6);
    for (let i = 0; i < CASES; i++) {
      const input = randomInput(rand, { autoConverge: rand() < 0.5 });
      const p = predictMigration(input);
      if (p.completes && p.mode !== 'PostCopy' && p.rounds > 0) {
        const limitMs = input.downtimeLimitMs ?? 300;
        expect(p.downtimeMs, JSON.stringify(input)).to.be.at.most(limitMs * (4104 / 4096) + 10 + 1e-6);
      }
    }
  });

  it('is deterministic: the same input gives the same prediction', () => {
    const rand = seeded(7);
    for (let i = 0; i < 200; i++) {
      const input = randomInput(rand, { autoConverge: rand() < 0.5 });
      expect(predictMigration(input)).to.deep.equal(predictMigration(input));
    }
  });
});
