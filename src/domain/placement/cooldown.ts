/**
 * A VM that moved waits before it moves again, and the wait doubles with every move (OpenShift's
 * KubevirtMigrationAware descheduler plugin does the same), so that a flapping link cannot keep a VM
 * migrating back and forth.
 */
import type { PlacementPolicy, VmView } from './types.js';

/** The wait after the n-th move: min(max, base × 2^(n−1)); 0 before the first move. */
export function cooldownSeconds(cooldown: PlacementPolicy['cooldown'], moveCount: number): number {
  if (moveCount < 1) return 0;
  // 2^(n−1) overflows to Infinity for huge n, and min() then caps it.
  return Math.min(cooldown.maxSeconds, cooldown.baseSeconds * 2 ** (moveCount - 1));
}

/** When the VM may move again; undefined when it is not cooling down at nowMs. */
export function cooldownEndsAtMs(vm: VmView, policy: PlacementPolicy, nowMs: number): number | undefined {
  const { count, lastMoveAtMs } = vm.moves;
  if (lastMoveAtMs === undefined || count < 1) return undefined;
  const endsAtMs = lastMoveAtMs + cooldownSeconds(policy.cooldown, count) * 1000;
  return endsAtMs > nowMs ? endsAtMs : undefined;
}
