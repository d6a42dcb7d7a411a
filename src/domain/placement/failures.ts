/**
 * Failed migrations back off instead of being retried in a loop. Everything here is a function of
 * VmView.failures, which the gatherer derives from the operator's finished migrations in the
 * cluster, so a restarted operator or a new leader computes the same waits.
 *
 * - After the n-th consecutive failure (or abort) the VM waits min(max, base × 2^(n−1)) × (1 + j),
 *   with j in [0, 0.2) fixed per failure (derived from the failed migration's name): replicas agree,
 *   and VMs that failed together do not all come back in the same second.
 * - A return home waits at most `base` (× jitter) whatever n is: a leaving client's VMs must keep
 *   trying, but never faster than once per base.
 * - After maxFailuresPerTarget consecutive failures to one node with the same inputs, that VM/node
 *   pair is blocked (RepeatedFailures) until the inputs change: a new link or dirty-rate measurement
 *   that differs by more than a bucket, or other memory. A success anywhere resets both counts.
 */
import { dirtyRateBytesPerSecond } from './cost.js';
import type { FailureHistory, MigrationDirection, NodeView, PlacementPolicy, VmView } from './types.js';

export const JITTER_SPAN = 0.2;

export const NO_FAILURES: FailureHistory = { consecutive: 0, jitter: 0, lastAttempt: 0, byTarget: {} };

/** The wait after `consecutive` failures in a row; 0 before the first. */
export function failureBackoffSeconds(backoff: PlacementPolicy['failureBackoff'], consecutive: number, jitter: number, direction: MigrationDirection): number {
  if (!(consecutive >= 1)) return 0;
  const n = direction === 'Home' ? 1 : consecutive;
  const j = Number.isFinite(jitter) ? Math.min(Math.max(jitter, 0), 1) * JITTER_SPAN : 0;
  return Math.min(backoff.maxSeconds, backoff.baseSeconds * 2 ** (n - 1)) * (1 + j);
}

/** When the VM may try again after its last failure; undefined when it is not backing off at nowMs. */
export function backoffEndsAtMs(vm: VmView, policy: PlacementPolicy, direction: MigrationDirection, nowMs: number): number | undefined {
  const f = vm.failures ?? NO_FAILURES;
  if (f.consecutive < 1 || f.lastFailedAtMs === undefined) return undefined;
  const endsAtMs = f.lastFailedAtMs + failureBackoffSeconds(policy.failureBackoff, f.consecutive, f.jitter, direction) * 1000;
  return endsAtMs > nowMs ? endsAtMs : undefined;
}

/** 10 % buckets on a log scale: a re-measurement within noise keeps the bucket, a real change leaves it. */
function bucket(x: number | undefined): string {
  if (x === undefined) return '-';
  if (!(x > 0) || !Number.isFinite(x)) return String(x);
  return String(Math.floor(Math.log(x) / Math.log(1.1)));
}

/**
 * What a move of this VM to this node was predicted from, coarsely: the link, the dirty rate, the
 * memory and the disks. Stored on each migration; a pair blocked for repeated failures is retried
 * only once this differs from the one its last failure recorded.
 */
export function moveInputsSignature(vm: VmView, target: NodeView): string {
  const dirty = dirtyRateBytesPerSecond(vm.dirtyRate.input);
  return [
    `b${bucket(target.link?.bandwidthBytesPerSecond)}`,
    `d${bucket(dirty)}`,
    `m${bucket(vm.memoryBytes)}`,
    `u${bucket(vm.guestUsedBytes)}`,
    `k${bucket(vm.blockMigrationDiskBytes)}`,
  ].join('.');
}

/** The pair failed maxFailuresPerTarget times in a row with the inputs it has now. */
export function repeatedlyFailed(vm: VmView, policy: PlacementPolicy, target: NodeView): boolean {
  const pair = vm.failures?.byTarget[target.name];
  if (!pair || pair.count < policy.failureBackoff.maxFailuresPerTarget) return false;
  return pair.inputs === moveInputsSignature(vm, target);
}

/** What a planned migration records of the VM's history, so the next plan can continue it. */
export function attemptRecord(vm: VmView, target: NodeView): { inputs: string; attempt: number; failuresBefore: number; targetFailuresBefore: number } {
  const f = vm.failures ?? NO_FAILURES;
  return {
    inputs: moveInputsSignature(vm, target),
    attempt: f.lastAttempt + 1,
    failuresBefore: f.consecutive,
    targetFailuresBefore: f.byTarget[target.name]?.count ?? 0,
  };
}

export function backoffMessage(vm: VmView, endsAtMs: number, nowMs: number, describeWait: (ms: number) => string): string {
  const n = vm.failures?.consecutive ?? 0;
  return `its last ${n === 1 ? 'migration' : `${n} migrations`} failed; it backs off, the next attempt in ${describeWait(endsAtMs - nowMs)}`;
}
