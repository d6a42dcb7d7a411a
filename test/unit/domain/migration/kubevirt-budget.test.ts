import { expect } from 'chai';
import { completionBudgetSeconds, migrationDataSizeGB } from '../../../../src/domain/migration/kubevirt-budget.js';
import { predictMigration } from '../../../../src/domain/migration/predict.js';

const GiB = 2 ** 30;

describe('KubeVirt completion budget', () => {
  const cases: [string, number, number, number | undefined, number][] = [
    ['2Gi counts as 3 GB started: 450 s', 2 * GiB, 0, undefined, 450],
    ['1Gi (1.07 GB) counts as 2 GB: 300 s', GiB, 0, undefined, 300],
    ['exactly 1 GB counts as 1: 150 s', 1e9, 0, undefined, 150],
    ['one byte over 1 GB counts as 2: 300 s', 1e9 + 1, 0, undefined, 300],
    ['ephemeral-disk files (container-disk overlays) count too: 2Gi + 10Gi = 12.9 GB -> 13 × 150 s', 2 * GiB, 10 * GiB, undefined, 1950],
    ['the old default of 800 s per GiB: 2Gi -> 2400 s', 2 * GiB, 0, 800, 2400],
    ['0 s per GiB disables the timeout', 2 * GiB, 0, 0, Infinity],
  ];
  for (const [name, memory, disk, perGiB, budget] of cases) {
    it(name, () => expect(completionBudgetSeconds(memory, disk, perGiB)).to.equal(budget));
  }

  // [what, memory, copied disk bytes, budget-counted disk bytes, budget]
  const blockMigrations: [string, number, number, number, number][] = [
    ['a 2 GiB VM with a 20Gi emptyDisk keeps 450 s: emptyDisks are not in the budget', 2 * GiB, 20 * GiB, 0, 450],
    ['a 2 GiB VM with a 4Gi hostDisk keeps 450 s, not 1050 s', 2 * GiB, 4 * GiB, 0, 450],
    ['a 1 GiB container-disk overlay stretches it to 4 GB started: 600 s', 2 * GiB, GiB, GiB, 600],
  ];
  for (const [name, memory, copied, budgeted, budget] of blockMigrations) {
    it(`predicts with KubeVirt's budget: ${name}`, () => {
      const p = predictMigration({ memoryBytes: memory, dirtyRate: { kind: 'constant', bytesPerSecond: 0 }, bandwidthBytesPerSecond: 117.5e6, blockMigrationDiskBytes: copied, budgetDiskBytes: budgeted });
      expect(p.completionBudgetSeconds).to.equal(budget);
      expect(p.diskCopySeconds).to.be.closeTo(copied / 117.5e6, 1e-9);
    });
  }

  it('rounds the data size up to whole decimal GB', () => {
    expect([1, 1e9, 1e9 + 1, 2 * GiB, 3e9].map((b) => migrationDataSizeGB(b))).to.deep.equal([1, 1, 2, 3, 3]);
  });
});
