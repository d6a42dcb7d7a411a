/**
 * Which migrations still hold their slots: every open one, and one that just succeeded while the
 * VMI is not yet seen on its target.
 *
 * The operator watches VMIs and migrations on two streams, and KubeVirt writes them separately
 * (virt-handler moves the VMI's nodeName, virt-controller marks the migration Succeeded), so a
 * reader can see the migration finished while its cached VMI still names the source node. Planned
 * from that view, the target looks empty and a second VM is sent to a client that fits one. Until
 * the VMI catches up, such a migration counts as in flight: its target is reserved and the VM is not
 * planned again.
 */
import { isMigrationFinal, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../kube/kubevirt.js';
import { byCreation } from '../kube/objects.js';

/** Past this, a VMI that never showed the target is not waited for (it was replaced or the data is odd). */
export const SETTLE_LIMIT_MS = 2 * 60_000;

export function openOrSettling(
  migrations: readonly VirtualMachineInstanceMigration[],
  vmiByKey: ReadonlyMap<string, VirtualMachineInstance>,
  nowMs: number,
): VirtualMachineInstanceMigration[] {
  const newest = new Map<string, VirtualMachineInstanceMigration>();
  for (const m of migrations) {
    const key = `${m.metadata.namespace}/${m.spec.vmiName}`;
    const seen = newest.get(key);
    if (!seen || byCreation(m, seen) > 0) newest.set(key, m);
  }
  return migrations.filter((m) => {
    if (!isMigrationFinal(m)) return true;
    const key = `${m.metadata.namespace}/${m.spec.vmiName}`;
    return newest.get(key) === m && isSettling(m, vmiByKey.get(key), nowMs);
  });
}

function isSettling(m: VirtualMachineInstanceMigration, vmi: VirtualMachineInstance | undefined, nowMs: number): boolean {
  if (m.status?.phase !== 'Succeeded' || m.metadata.deletionTimestamp || !vmi?.status?.nodeName) return false;
  const target = m.status.migrationState?.targetNode ?? m.spec.addedNodeSelector?.['kubernetes.io/hostname'];
  if (!target || vmi.status.nodeName === target) return false;
  // A VMI created after the migration is a new instance (the VM restarted): the move is history.
  const created = Date.parse(vmi.metadata.creationTimestamp ?? '');
  const migrated = Date.parse(m.metadata.creationTimestamp ?? '');
  if (Number.isFinite(created) && Number.isFinite(migrated) && created > migrated) return false;
  const ended = Date.parse(m.status.migrationState?.endTimestamp ?? m.status.phaseTransitionTimestamps?.at(-1)?.phaseTransitionTimestamp ?? '');
  return !Number.isFinite(ended) || nowMs - ended < SETTLE_LIMIT_MS;
}
