/**
 * Migrations that hang: stuck before they run (Pending, Scheduling, …) or running far past both
 * their prediction and KubeVirt's completion budget.
 *
 * The operator surfaces them (a Warning Event once, the placement's MigrationsHealthy condition, a
 * gauge) and does not cancel them. KubeVirt already ends every kind of hang on its own clock: a
 * target pod that cannot be scheduled fails the migration after 5 minutes, any other pending one
 * after 15, and a running one at its completion budget or progress timeout. A second clock in the
 * operator would race KubeVirt's, and cancelling (deleting the migration) would need delete on every
 * migration in the cluster, which RBAC cannot narrow to the operator's own. A migration still open
 * past these points means KubeVirt itself is not progressing: that is for a person to look at.
 */
import type { VirtualMachineInstanceMigration } from '../../kube/kubevirt.js';
import { isMigrationFinal } from '../../kube/kubevirt.js';
import { isOurs, PlacementAnnotations } from '../../kube/placement.js';

/** Past KubeVirt's own 5-minute timeout for an unschedulable target pod, with a minute's grace. */
export const PENDING_HANG_SECONDS = 6 * 60;
/** How far past max(prediction × 2, KubeVirt's budget) a running migration is called hung. */
export const RUNNING_GRACE_SECONDS = 60;

export interface Hang {
  readonly migration: string;
  readonly vmi: string;
  readonly message: string;
}

function phaseSince(m: VirtualMachineInstanceMigration, phase: string): number | undefined {
  const t = m.status?.phaseTransitionTimestamps?.find((p) => p.phase === phase)?.phaseTransitionTimestamp;
  const ms = t === undefined ? NaN : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Why an open migration of ours counts as hung at nowMs, or undefined. `timeScale`: real s per reported s. */
export function migrationHang(m: VirtualMachineInstanceMigration, nowMs: number, timeScale = 1): Hang | undefined {
  if (!isOurs(m) || isMigrationFinal(m) || m.metadata.deletionTimestamp) return undefined;
  const name = m.metadata.name ?? '';
  const vmi = `${m.metadata.namespace}/${m.spec.vmiName}`;
  const runningAt = phaseSince(m, 'Running');
  if (runningAt === undefined) {
    const created = Date.parse(m.metadata.creationTimestamp ?? '');
    if (Number.isNaN(created)) return undefined;
    const waited = (nowMs - created) / 1000 / timeScale;
    if (waited <= PENDING_HANG_SECONDS) return undefined;
    return { migration: name, vmi, message: `${name} has not started running after ${Math.round(waited)} s (phase ${m.status?.phase ?? 'none'}); KubeVirt fails an unschedulable one after 300 s` };
  }
  const predicted = Number(m.metadata.annotations?.[PlacementAnnotations.predictedSeconds]);
  const budget = Number(m.metadata.annotations?.[PlacementAnnotations.budgetSeconds] ?? 'Infinity');
  const limit = Math.max(Number.isFinite(predicted) ? 2 * predicted : 0, budget) + RUNNING_GRACE_SECONDS;
  if (!Number.isFinite(limit)) return undefined;
  const ran = (nowMs - runningAt) / 1000 / timeScale;
  if (ran <= limit) return undefined;
  return { migration: name, vmi, message: `${name} has been running ${Math.round(ran)} s, past twice its prediction (${Number.isFinite(predicted) ? predicted.toFixed(0) : '?'} s) and KubeVirt's budget (${Number.isFinite(budget) ? budget.toFixed(0) : 'none'} s)` };
}
