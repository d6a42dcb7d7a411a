/**
 * A plan that a trigger overtakes stops between its steps and leaves the rest to the next plan
 * (plan-supersession.ts): what it wrote before stopping is whole, and a full plan afterwards writes
 * what it skipped.
 */
import { expect } from 'chai';
import { RecordingActuator } from '../../../src/actuation/actuator.js';
import { PlacementReconciler, type ReconcileStep } from '../../../src/controllers/placement/controller.js';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../../src/kube/kubevirt.js';
import type { Node } from '../../../src/kube/node.js';
import { objectKey } from '../../../src/kube/objects.js';
import type { OfflineFirstPlacement } from '../../../src/kube/placement.js';
import { placement as roomPlacement } from '../observation/fixtures.js';
import { OperatorMetrics } from '../../../src/observability/metrics.js';
import type { Informer } from '../../../src/runtime/informer.js';
import { clientWorkstation, cloudServer } from '../../../src/sim/fixtures/nodes.js';
import { vmiFromFixture } from '../../../src/sim/fixtures/vmis.js';

function cache<T extends { metadata: { name?: string; namespace?: string } }>(items: T[]): Informer<T> {
  const byKey = new Map(items.map((i) => [objectKey(i), i]));
  return { get: (k: string) => byKey.get(k), list: () => [...byKey.values()] } as unknown as Informer<T>;
}

const models = { hostModel: 'Skylake-Client-IBRS', usableModels: ['Skylake-Client-IBRS', 'Haswell-noTSX-IBRS'] };
const link = {
  'link.offline-first.io/bandwidth': '900Mbit/s',
  'link.offline-first.io/rtt': '5ms',
  'link.offline-first.io/measured-at': new Date().toISOString(),
};

function world(): { placements: Informer<OfflineFirstPlacement>; vmis: Informer<VirtualMachineInstance>; migrations: Informer<VirtualMachineInstanceMigration>; nodes: Informer<Node> } {
  const placement = roomPlacement('room', '2026-01-10T08:00:00Z');
  return {
    placements: cache([placement]),
    vmis: cache([vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'srv-1', cpuModel: 'Haswell-noTSX-IBRS', labels: { app: 'lab' } })]),
    migrations: cache<VirtualMachineInstanceMigration>([]),
    nodes: cache([cloudServer('srv-1', models), clientWorkstation('pc-1', { annotations: link })]),
  };
}

/** The reconciler, told it is superseded from the `cutAt`-th question on (never when undefined). */
function reconciler(actuator: RecordingActuator, cutAt?: number): PlacementReconciler {
  let asked = 0;
  return new PlacementReconciler(world(), new OperatorMetrics({ defaultMetrics: false }), actuator, {
    superseded: () => cutAt !== undefined && ++asked >= cutAt,
  });
}

const kinds = (a: RecordingActuator): string[] => [...new Set(a.writes.map((w) => w.kind))].sort();

describe('PlacementReconciler: a plan cut short by a trigger', () => {
  it('plans, moves, reports and writes status when nothing overtakes it', async () => {
    const actuator = new RecordingActuator();
    const outcome = await reconciler(actuator).reconcile();
    expect(outcome.cutAfter).to.equal(undefined);
    expect(outcome.requeueAfterMs).to.be.a('number');
    expect(kinds(actuator)).to.deep.equal(['event', 'migration', 'status']);
  });

  const cases: [number, ReconcileStep, string[]][] = [
    [1, 'gather', []],
    [2, 'plan', []],
    [3, 'act', ['event', 'migration']],
    [4, 'status', ['event', 'migration', 'status']],
  ];
  for (const [cutAt, step, written] of cases) {
    it(`stops after ${step} and has written ${written.join(' and ') || 'nothing'}`, async () => {
      const actuator = new RecordingActuator();
      const r = reconciler(actuator, cutAt);
      const outcome = await r.reconcile();
      expect(outcome.cutAfter).to.equal(step);
      expect(kinds(actuator)).to.deep.equal(written);
      // The migration's creation is reported with it, never left to a later plan (which adopts it silently).
      if (written.includes('migration')) expect(actuator.writes.filter((w) => w.kind === 'event').map((w) => w.detail.reason)).to.deep.equal(['MovingToClient', 'MovingToClient']);
    });
  }

  it('leaves nothing out once a full plan follows the cut one', async () => {
    const actuator = new RecordingActuator();
    let cut = true;
    const r = new PlacementReconciler(world(), new OperatorMetrics({ defaultMetrics: false }), actuator, { superseded: () => cut });
    expect((await r.reconcile()).cutAfter).to.equal('gather');
    cut = false;
    expect((await r.reconcile()).cutAfter).to.equal(undefined);
    expect(kinds(actuator)).to.deep.equal(['event', 'migration', 'status']);
  });
});
