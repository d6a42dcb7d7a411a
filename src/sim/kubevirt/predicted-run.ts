/**
 * How long a simulated migration runs and whether KubeVirt would abort it, from the project's cost
 * model: VMI memory, dirty rate and, for a block migration, local disks (annotations), and the client link measured on whichever end is
 * a client (the target when moving out, the source when coming home); 1 Gbit/s LAN otherwise.
 */
import { diskFacts } from '../../observation/disks.js';
import { calibratedNonZeroBytes } from '../../domain/migration/calibration.js';
import { predictMigration, type MigrationPrediction } from '../../domain/migration/predict.js';
import { parseBytes } from '../../domain/units.js';
import { dirtyRateFromAnnotations, guestUsedFromAnnotations, linkFromAnnotations } from '../../observation/annotations.js';
import type { VirtualMachineInstance } from '../../kube/kubevirt.js';
import type { Node } from '../../kube/node.js';

const LAN_BYTES_PER_SECOND = 117.5e6;

export function vmiMemoryBytes(vmi: VirtualMachineInstance): number {
  const mem = vmi.spec.domain.memory?.guest ?? vmi.spec.domain.resources?.requests?.memory ?? '1Gi';
  return parseBytes(String(mem), 'spec.domain.memory.guest');
}

export function predictSimulatedRun(vmi: VirtualMachineInstance, source: Node | undefined, target: Node): MigrationPrediction {
  const link = linkFromAnnotations(target).value ?? (source ? linkFromAnnotations(source).value : undefined);
  const guestUsed = guestUsedFromAnnotations(vmi).value;
  // As the operator reads them: a block migration copies the local disks' data, and KubeVirt's budget counts only some of it.
  const disks = diskFacts(vmi);
  return predictMigration({
    memoryBytes: vmiMemoryBytes(vmi),
    ...(guestUsed !== undefined ? { guestUsedBytes: calibratedNonZeroBytes({ memoryBytes: vmiMemoryBytes(vmi), guestUsedBytes: guestUsed }) } : {}),
    dirtyRate: dirtyRateFromAnnotations(vmi).value ?? { kind: 'constant', bytesPerSecond: 0 },
    bandwidthBytesPerSecond: link?.bandwidthBytesPerSecond ?? LAN_BYTES_PER_SECOND,
    blockMigrationDiskBytes: disks.copiedDiskBytes,
    budgetDiskBytes: disks.budgetDiskBytes,
  });
}

/** KubeVirt's own abort message for a migration past its completion budget. */
export function abortMessage(p: MigrationPrediction): string | undefined {
  if (!p.abortedByKubevirt) return undefined;
  return p.abortReason === 'ProgressTimeout'
    ? `Live migration stuck for ${Math.round(p.totalSeconds)} seconds and has been aborted`
    : `Live migration is not completed after ${Math.round(p.completionBudgetSeconds)} seconds and has been aborted`;
}
