/**
 * How long a simulated migration runs and whether KubeVirt aborts it: the project's cost model fed
 * exactly as the operator feeds it — the same VmMeasurementReader (page-sampling readings, windows,
 * a mean rate, else the fallback; guest used memory; local disks) and the one input function,
 * migrationInput — over the client link measured on whichever end is a client (the target when
 * moving out, the source when coming home; 1 Gbit/s LAN otherwise), times that client's
 * SIM_THROUGHPUT_FACTOR_ANNOTATION when set. Optionally the run deviates
 * from the prediction as real migrations did in the lab (lab-error.ts), and is aborted when that
 * pushes it past KubeVirt's budget.
 */
import { migrationInput } from '../../domain/migration/model-input.js';
import { predictMigration, type MigrationPrediction } from '../../domain/migration/predict.js';
import { parseBytes } from '../../domain/units.js';
import type { VirtualMachineInstance } from '../../kube/kubevirt.js';
import type { Node } from '../../kube/node.js';
import { linkFromAnnotations } from '../../observation/annotations.js';
import { diskFacts } from '../../observation/disks.js';
import { stableFraction } from '../../observation/stable-fraction.js';
import { VmMeasurementReader } from '../../observation/vm-measurements.js';
import { labTimeError } from './lab-error.js';

const LAN_BYTES_PER_SECOND = 117.5e6;

/** KubeVirt's migration settings a simulated migration runs with (KubeVirt's defaults when absent). */
export interface SimulatedSettings {
  readonly completionTimeoutPerGiB?: number;
  readonly progressTimeoutSeconds?: number;
  readonly allowAutoConverge?: boolean;
  readonly allowPostCopy?: boolean;
  readonly bandwidthLimitBytesPerSecond?: number;
  /** A maxDowntimeMs the KubeVirt resource or a policy sets (QEMU's own limit otherwise). */
  readonly downtimeLimitMs?: number;
  /** The MigrationPolicy these came from, if any. */
  readonly policy?: string;
}

export function vmiMemoryBytes(vmi: VirtualMachineInstance): number {
  const mem = vmi.spec.domain.memory?.guest ?? vmi.spec.domain.resources?.requests?.memory ?? '1Gi';
  return parseBytes(String(mem), 'spec.domain.memory.guest');
}

const reader = new VmMeasurementReader();

/**
 * Node annotation: the fraction of its measured link a migration over it really gets (e.g. "0.5": the
 * probe reads twice what the migration stream achieves). The simulated run uses the link × this.
 */
export const SIM_THROUGHPUT_FACTOR_ANNOTATION = 'sim.offline-first.io/throughput-factor';

function throughputFactor(node: Node): number {
  const f = Number(node.metadata.annotations?.[SIM_THROUGHPUT_FACTOR_ANNOTATION] ?? 1);
  return Number.isFinite(f) && f > 0 ? f : 1;
}

export function predictSimulatedRun(vmi: VirtualMachineInstance, source: Node | undefined, target: Node, settings: SimulatedSettings = {}): MigrationPrediction {
  const client = [target, source].find((n): n is Node => n !== undefined && linkFromAnnotations(n).value !== undefined);
  const link = client && linkFromAnnotations(client).value;
  const memoryBytes = vmiMemoryBytes(vmi);
  const measured = reader.read(vmi, memoryBytes);
  const disks = diskFacts(vmi);
  return predictMigration(
    migrationInput(
      {
        memoryBytes,
        ...(measured.guestUsedBytes !== undefined ? { guestUsedBytes: measured.guestUsedBytes } : {}),
        dirtyRate: measured.dirtyRate.input,
        copiedDiskBytes: disks.copiedDiskBytes,
        budgetDiskBytes: disks.budgetDiskBytes,
      },
      { goodputBytesPerSecond: link && client ? link.bandwidthBytesPerSecond * throughputFactor(client) : LAN_BYTES_PER_SECOND },
      settings,
    ),
  );
}

export interface SimulatedRun {
  /** How long Running lasts (simulated seconds). */
  readonly seconds: number;
  /** KubeVirt's failure reason when it aborts the migration. */
  readonly failure?: string;
}

/** The run as it happens: the prediction, deviated by `error` (actual ÷ predicted − 1), cut at KubeVirt's budget. */
export function simulatedRun(p: MigrationPrediction, error = 0): SimulatedRun {
  if (!p.completes) return { seconds: Math.min(p.totalSeconds, 24 * 3600), failure: abortMessage(p) ?? 'Live migration did not converge' };
  const seconds = p.totalSeconds * (1 + error);
  if (seconds > p.completionBudgetSeconds) return { seconds: p.completionBudgetSeconds, failure: abortMessage({ ...p, abortedByKubevirt: true, abortReason: 'CompletionTimeout' }) };
  return { seconds: Math.min(seconds, 24 * 3600) };
}

/** The lab's deviation for one migration, fixed by its uid (or name). */
export function labErrorFor(migrationId: string): number {
  return labTimeError(stableFraction(migrationId));
}

/** KubeVirt's own abort message for a migration past its completion budget. */
export function abortMessage(p: MigrationPrediction): string | undefined {
  if (!p.abortedByKubevirt) return undefined;
  return p.abortReason === 'ProgressTimeout'
    ? `Live migration stuck for ${Math.round(p.totalSeconds)} seconds and has been aborted`
    : `Live migration is not completed after ${Math.round(p.completionBudgetSeconds)} seconds and has been aborted`;
}
