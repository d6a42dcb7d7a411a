import { expect } from 'chai';
import { completionBudgetSeconds, migrationDataSizeGB } from '../../../../src/domain/migration/kubevirt-budget.js';

const GiB = 2 ** 30;

describe('KubeVirt completion budget', () => {
  const cases: [string, number, number, number | undefined, number][] = [
    ['2Gi counts as 3 GB started: 450 s', 2 * GiB, 0, undefined, 450],
    ['1Gi (1.07 GB) counts as 2 GB: 300 s', GiB, 0, undefined, 300],
    ['exactly 1 GB counts as 1: 150 s', 1e9, 0, undefined, 150],
    ['one byte over 1 GB counts as 2: 300 s', 1e9 + 1, 0, undefined, 300],
    ['block-migrated disks count too: 2Gi + 10Gi = 12.9 GB -> 13 × 150 s', 2 * GiB, 10 * GiB, undefined, 1950],
    ['the old default of 800 s per GiB: 2Gi -> 2400 s', 2 * GiB, 0, 800, 2400],
    ['0 s per GiB disables the timeout', 2 * GiB, 0, 0, Infinity],
  ];
  for (const [name, memory, disk, perGiB, budget] of cases) {
    it(name, () => expect(completionBudgetSeconds(memory, disk, perGiB)).to.equal(budget));
  }

  it('rounds the data size up to whole decimal GB', () => {
    expect([1, 1e9, 1e9 + 1, 2 * GiB, 3e9].map((b) => migrationDataSizeGB(b))).to.deep.equal([1, 1, 2, 3, 3]);
  });
});
