/**
 * A VM's migration history as the cluster holds it: the operator's finished migrations of it, read
 * on every plan, so that a restarted operator or a new leader continues exactly where the last one
 * stopped. KubeVirt garbage-collects finished migrations (it keeps five per VMI), so each migration
 * also carries its attempt number and the failure counts before it: the newest one alone is enough.
 */
import type { FailureHistory } from '../domain/placement/index.js';
import { isMigrationFinal, type MigrationState, type VirtualMachineInstanceMigration } from '../kube/kubevirt.js';
import { isOurs, PlacementAnnotations } from '../kube/placement.js';
import { stableFraction } from './stable-fraction.js';

export interface VmHistory {
  moves: { count: number; lastMoveAtMs?: number };
  failures: FailureHistory;
}

function count(m: VirtualMachineInstanceMigration, key: string): number | undefined {
  const v = Number(m.metadata.annotations?.[key]);
  return Number.isInteger(v) && v >= 0 ? v : undefined;
}

/** When a finished migration ended: KubeVirt's end timestamp, else its last phase transition. */
export function endedAtMs(m: VirtualMachineInstanceMigration): number {
  const t = Date.parse(m.status?.migrationState?.endTimestamp ?? m.status?.phaseTransitionTimestamps?.at(-1)?.phaseTransitionTimestamp ?? m.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/**
 * Seconds from entering Running to the end: the migration's own phase timestamps, else KubeVirt's
 * migrationState start and end; undefined when it has not ended or the times are unreadable.
 */
export function runningSeconds(m: VirtualMachineInstanceMigration): number | undefined {
  const t = m.status?.phaseTransitionTimestamps ?? [];
  const running = t.find((p) => p.phase === 'Running')?.phaseTransitionTimestamp ?? m.status?.migrationState?.startTimestamp;
  const end = t.find((p) => p.phase === 'Succeeded' || p.phase === 'Failed')?.phaseTransitionTimestamp ?? m.status?.migrationState?.endTimestamp;
  if (!running || !end) return undefined;
  const seconds = (Date.parse(end) - Date.parse(running)) / 1000;
  return Number.isNaN(seconds) ? undefined : seconds;
}

export function targetOf(m: VirtualMachineInstanceMigration): string | undefined {
  return m.spec.addedNodeSelector?.['kubernetes.io/hostname'] ?? m.status?.migrationState?.targetNode ?? undefined;
}

/** In [0, 1), fixed by the failed migration's name: every replica computes the same. */
export function jitterOf(name: string): number {
  return stableFraction(name);
}

function attemptOf(m: VirtualMachineInstanceMigration): number {
  return count(m, PlacementAnnotations.attempt) ?? 0;
}

/** Newest first: by attempt number, then by creation (migrations from before attempt numbers). */
function newestFirst(a: VirtualMachineInstanceMigration, b: VirtualMachineInstanceMigration): number {
  return attemptOf(b) - attemptOf(a) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || endedAtMs(b) - endedAtMs(a);
}

/** The history of one VM from all migrations of it (anyone's: only the operator's count). */
export function vmHistory(migrations: readonly VirtualMachineInstanceMigration[], vmiState?: MigrationState | null): VmHistory {
  const history = knownHistory(migrations);
  // A migration deleted while it ran (an abort: KubeVirt cancels it, then the object is gone) leaves
  // its trace only in the VMI's migrationState. A failure newer than every migration still listed
  // counts too, so an abort is backed off from like any failure, whoever reads the cluster.
  if (!vmiState?.failed || !vmiState.migrationUid || migrations.some((m) => m.metadata.uid === vmiState.migrationUid)) return history;
  const endMs = Date.parse(vmiState.endTimestamp ?? '');
  if (Number.isNaN(endMs)) return history;
  const newestEnd = Math.max(0, ...migrations.filter(isMigrationFinal).map(endedAtMs));
  if (endMs <= newestEnd) return history;
  const f = history.failures;
  const target = vmiState.targetNode ?? undefined;
  const byTarget = { ...f.byTarget };
  // Its inputs are unknown: it counts towards the pair, which keeps the inputs of its last known failure.
  if (target) byTarget[target] = { count: (byTarget[target]?.count ?? 0) + 1, inputs: byTarget[target]?.inputs ?? '' };
  return {
    moves: history.moves,
    failures: { consecutive: f.consecutive + 1, lastFailedAtMs: endMs, jitter: jitterOf(vmiState.migrationUid), lastAttempt: f.lastAttempt, byTarget },
  };
}

function knownHistory(migrations: readonly VirtualMachineInstanceMigration[]): VmHistory {
  const ours = migrations.filter(isOurs);
  const lastAttempt = Math.max(ours.length, ...ours.map(attemptOf));
  const finished = ours.filter(isMigrationFinal).sort(newestFirst);
  const succeeded = finished.filter((m) => m.status?.phase === 'Succeeded');
  const moves = succeeded.length === 0 ? { count: 0 } : { count: succeeded.length, lastMoveAtMs: Math.max(...succeeded.map(endedAtMs)) };

  const newest = finished[0];
  if (!newest || newest.status?.phase !== 'Failed') return { moves, failures: { consecutive: 0, jitter: 0, lastAttempt, byTarget: {} } };
  // The run of failures since the last success, newest first.
  const run: VirtualMachineInstanceMigration[] = [];
  for (const m of finished) {
    if (m.status?.phase !== 'Failed') break;
    run.push(m);
  }
  const consecutive = Math.max(run.length, (count(newest, PlacementAnnotations.failuresBefore) ?? run.length - 1) + 1);
  const byTarget: Record<string, { count: number; inputs: string }> = {};
  for (const m of run) {
    const target = targetOf(m);
    if (!target || byTarget[target]) continue;
    const seen = run.filter((x) => targetOf(x) === target).length;
    const carried = (count(m, PlacementAnnotations.targetFailuresBefore) ?? seen - 1) + 1;
    byTarget[target] = { count: Math.max(seen, carried), inputs: m.metadata.annotations?.[PlacementAnnotations.inputs] ?? '' };
  }
  return {
    moves,
    failures: { consecutive, lastFailedAtMs: endedAtMs(newest), jitter: jitterOf(newest.metadata.name ?? ''), lastAttempt, byTarget },
  };
}
