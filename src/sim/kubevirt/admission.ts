/**
 * The admission rules virt-api applies to a new VirtualMachineInstanceMigration, as pure
 * functions (pkg/virt-api/webhooks/.../migration-create-admitter.go and the create mutator).
 */
import { KubevirtLabels, isMigrationFinal, vmiCondition, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../kube/kubevirt.js';

/** Why a migration would be refused at creation, or undefined when it is admitted. */
export function refuseMigration(
  migration: VirtualMachineInstanceMigration,
  vmi: VirtualMachineInstance | undefined,
  sameVmiMigrations: readonly VirtualMachineInstanceMigration[],
): string | undefined {
  const vmiName = migration.spec?.vmiName;
  if (!vmiName) return 'spec.vmiName is missing';
  if (migration.spec.priority) return 'spec.priority can only be set by virt-controller';
  const ref = `${migration.metadata.namespace}/${vmiName}`;
  if (!vmi) return `the VMI "${ref}" does not exist`;
  const phase = vmi.status?.phase ?? '';
  if (phase === 'Succeeded' || phase === 'Failed') return `Cannot migrate VMI "${ref}" in finalized state ${phase}`;
  if (phase !== 'Running') return `Cannot migrate VMI "${ref}": it is not running (phase "${phase}")`;
  const migratable = vmiCondition(vmi, 'LiveMigratable');
  if (migratable?.status === 'False') {
    return `Cannot migrate VMI, Reason: ${migratable.reason ?? 'NotMigratable'}, Message: ${migratable.message ?? ''}`;
  }
  const open = sameVmiMigrations.find((m) => m.metadata.name !== migration.metadata.name && !isMigrationFinal(m));
  if (open) {
    return `in-flight migration detected. Active migration job (${open.metadata.name}) is currently already in progress for VMI ${vmiName}.`;
  }
  return undefined;
}

/** The JSON patch virt-api's mutating webhook applies: the vmi-name label and the finalizer. */
export function mutateMigration(migration: VirtualMachineInstanceMigration): object[] {
  const ops: object[] = [];
  const labels = migration.metadata.labels;
  const escaped = KubevirtLabels.vmiName.replace(/~/g, '~0').replace(/\//g, '~1');
  if (!labels) ops.push({ op: 'add', path: '/metadata/labels', value: { [KubevirtLabels.vmiName]: migration.spec.vmiName } });
  else ops.push({ op: 'add', path: `/metadata/labels/${escaped}`, value: migration.spec.vmiName });
  const finalizers = migration.metadata.finalizers;
  if (!finalizers) ops.push({ op: 'add', path: '/metadata/finalizers', value: [KubevirtLabels.migrationJobFinalizer] });
  else if (!finalizers.includes(KubevirtLabels.migrationJobFinalizer)) {
    ops.push({ op: 'add', path: '/metadata/finalizers/-', value: KubevirtLabels.migrationJobFinalizer });
  }
  return ops;
}
