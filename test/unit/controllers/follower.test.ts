/**
 * Each migration outcome is reported once: a second reconcile from a stale cache, a restarted
 * operator and a second replica all find it claimed. The Actuator's claim is a compare-and-swap on
 * the migration (the real one is exercised against the API server in the integration suite); here
 * the RecordingActuator keeps the same rule in memory.
 */
import { expect } from 'chai';
import { RecordingActuator } from '../../../src/actuation/actuator.js';
import { MigrationFollower } from '../../../src/controllers/migration/follower.js';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../../src/kube/kubevirt.js';
import { objectKey } from '../../../src/kube/objects.js';
import { PlacementAnnotations, PlacementLabels, type OfflineFirstPlacement } from '../../../src/kube/placement.js';
import { OperatorMetrics } from '../../../src/observability/metrics.js';
import type { Informer } from '../../../src/runtime/informer.js';
import { vmiFromFixture } from '../../../src/sim/fixtures/vmis.js';

function cache<T extends { metadata: { name?: string; namespace?: string } }>(items: T[]): Informer<T> {
  const byKey = new Map(items.map((i) => [objectKey(i), i]));
  return { get: (k: string) => byKey.get(k), list: () => [...byKey.values()] } as unknown as Informer<T>;
}

const succeeded: VirtualMachineInstanceMigration = {
  metadata: { name: 'ofp-vm-1-abc', namespace: 'lab', resourceVersion: '42', labels: { [PlacementLabels.placement]: 'room', [PlacementLabels.direction]: 'ToClient' }, annotations: { [PlacementAnnotations.predictedSeconds]: '50.0', [PlacementAnnotations.observedPhase]: 'Running' } },
  spec: { vmiName: 'vm-1' },
  status: {
    phase: 'Succeeded',
    phaseTransitionTimestamps: [
      { phase: 'Running', phaseTransitionTimestamp: '2026-01-12T09:00:00Z' },
      { phase: 'Succeeded', phaseTransitionTimestamp: '2026-01-12T09:00:55Z' },
    ],
  },
};

async function counted(metrics: OperatorMetrics): Promise<number> {
  const m = await metrics.migrations.get();
  return m.values.filter((v) => v.labels.result === 'Succeeded').reduce((s, v) => s + v.value, 0);
}

describe('MigrationFollower: outcomes reported exactly once', () => {
  const vmi: VirtualMachineInstance = vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'pc-1' });
  const placement = { metadata: { name: 'room', namespace: 'lab' }, spec: {} } as OfflineFirstPlacement;

  it('counts a success once and records one event per object, however often the stale cached migration is reconciled', async () => {
    const actuator = new RecordingActuator();
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const follower = new MigrationFollower(actuator, cache([succeeded]), cache([vmi]), cache([placement]), metrics);
    for (let i = 0; i < 3; i++) await follower.reconcile('lab/ofp-vm-1-abc');
    expect(await counted(metrics)).to.equal(1);
    const events = actuator.writes.filter((w) => w.kind === 'event').map((w) => `${w.key}:${String(w.detail.reason)}`);
    expect(events).to.deep.equal(['VirtualMachineInstance/lab/vm-1:MigrationSucceeded', 'OfflineFirstPlacement/lab/room:MigrationSucceeded']);
    expect(actuator.writes.filter((w) => w.kind === 'claim')).to.have.length(1);
  });

  it('counts nothing for a second replica or a restart that finds the outcome claimed', async () => {
    const shared = new RecordingActuator();
    const first = new OperatorMetrics({ defaultMetrics: false });
    const second = new OperatorMetrics({ defaultMetrics: false });
    await new MigrationFollower(shared, cache([succeeded]), cache([vmi]), cache([placement]), first).reconcile('lab/ofp-vm-1-abc');
    await new MigrationFollower(shared, cache([succeeded]), cache([vmi]), cache([placement]), second).reconcile('lab/ofp-vm-1-abc');
    const claimed = { ...succeeded, metadata: { ...succeeded.metadata, annotations: { ...succeeded.metadata.annotations, [PlacementAnnotations.observedPhase]: 'Succeeded' } } };
    await new MigrationFollower(new RecordingActuator(), cache([claimed]), cache([vmi]), cache([placement]), second).reconcile('lab/ofp-vm-1-abc');
    expect((await counted(first)) + (await counted(second))).to.equal(1);
  });
});
