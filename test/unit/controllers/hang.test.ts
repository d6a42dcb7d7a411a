import { expect } from 'chai';
import { migrationHang } from '../../../src/controllers/migration/hang.js';
import type { VirtualMachineInstanceMigration } from '../../../src/kube/kubevirt.js';
import { PlacementAnnotations, PlacementLabels } from '../../../src/kube/placement.js';

const T0 = Date.parse('2026-01-12T09:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function m(phase: string, opts: { runningAt?: number; predicted?: string; budget?: string; ours?: boolean } = {}): VirtualMachineInstanceMigration {
  return {
    metadata: {
      name: 'ofp-vm-1-abc',
      namespace: 'lab',
      creationTimestamp: at(0),
      ...(opts.ours === false ? {} : { labels: { [PlacementLabels.placement]: 'room' } }),
      annotations: { [PlacementAnnotations.predictedSeconds]: opts.predicted ?? '100.0', [PlacementAnnotations.budgetSeconds]: opts.budget ?? '450' },
    },
    spec: { vmiName: 'vm-1' },
    status: { phase: phase as never, phaseTransitionTimestamps: opts.runningAt === undefined ? [] : [{ phase: 'Running', phaseTransitionTimestamp: at(opts.runningAt) }] },
  };
}

describe('migrationHang', () => {
  // [what, migration, seconds after creation, hung]
  const rows: [string, VirtualMachineInstanceMigration, number, boolean][] = [
    ['Pending for 5 minutes (KubeVirt still has time)', m('Pending'), 300, false],
    ['Pending for 7 minutes', m('Pending'), 420, true],
    ['Scheduling for 7 minutes', m('Scheduling'), 420, true],
    ['running within its budget', m('Running', { runningAt: 10 }), 400, false],
    ['running past its budget, within the grace', m('Running', { runningAt: 10 }), 10 + 450 + 59, false],
    ['running past its budget and the grace', m('Running', { runningAt: 10 }), 10 + 450 + 61, true],
    ['running past its budget but within twice its prediction', m('Running', { runningAt: 10, predicted: '400.0' }), 10 + 600, false],
    ['running with no budget (disabled)', m('Running', { runningAt: 10, budget: 'Infinity' }), 100_000, false],
    ['finished long ago', m('Succeeded', { runningAt: 10 }), 100_000, false],
    ['not ours', m('Pending', { ours: false }), 100_000, false],
  ];
  for (const [what, migration, seconds, hung] of rows) {
    it(`${hung ? 'calls' : 'does not call'} a migration hung when ${what}`, () => {
      const h = migrationHang(migration, T0 + seconds * 1000);
      expect(h !== undefined).to.equal(hung);
      if (h) expect(h.message).to.match(/^ofp-vm-1-abc /);
    });
  }

  it('reads time in the migration\'s own scale (a simulated KubeVirt running fast)', () => {
    expect(migrationHang(m('Pending'), T0 + 420 * 5, 5 / 1000)).to.not.equal(undefined);
  });
});
