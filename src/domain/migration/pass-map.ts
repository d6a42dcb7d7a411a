/**
 * QEMU's pre-copy loop seen as a map from one pass to the next, in seconds of transfer: a pass
 * lasting T seconds lets the guest dirty U(T) distinct bytes, and sending those is the next pass.
 *
 * With a concave U the map h(T) = min(memory, U(speed·T)) · wireFactor / bandwidth is concave and
 * increasing, so h(T)/T never increases with T. That gives the analytic facts the simulation uses:
 * the sequence of passes is monotone; it has at most one positive fixed point; and a shrinking
 * sequence gets below a threshold pass length L iff h(L) < L.
 */
import { distinctBytesDirtied, type DirtyingCurve } from './dirtying.js';
import { NORMAL_PAGE_WIRE_FACTOR } from './qemu.js';

export interface PassMap {
  readonly curve: DirtyingCurve;
  readonly memoryBytes: number;
  readonly bandwidthBytesPerSecond: number;
  /** Share of normal speed the guest runs at: 1 − the auto-converge throttle. */
  readonly guestSpeed: number;
}

/** Distinct bytes dirtied while a pass of `seconds` runs; a throttled guest lives through less time. */
export function dirtiedDuring(map: PassMap, seconds: number): number {
  return Math.min(map.memoryBytes, distinctBytesDirtied(map.curve, map.guestSpeed * seconds));
}

/** Seconds to send `bytes` of dirty (non-zero) pages. */
export function transferSeconds(map: PassMap, bytes: number): number {
  return (bytes * NORMAL_PAGE_WIRE_FACTOR) / map.bandwidthBytesPerSecond;
}

export function nextPassSeconds(map: PassMap, seconds: number): number {
  return transferSeconds(map, dirtiedDuring(map, seconds));
}

/**
 * The fixed point h(T) = T above `fromSeconds`, where h(fromSeconds) > fromSeconds: the pass length
 * a growing sequence settles at. Bisection (h(T) − T changes sign once); the upper end is returned.
 */
export function fixedPointSeconds(map: PassMap, fromSeconds: number): number {
  let lo = fromSeconds;
  let hi = transferSeconds(map, map.memoryBytes); // h never exceeds this, so h(hi) <= hi
  if (hi <= lo) return lo;
  for (let i = 0; i < 200 && hi - lo > hi * 1e-13; i++) {
    const mid = (lo + hi) / 2;
    if (nextPassSeconds(map, mid) > mid) lo = mid;
    else hi = mid;
  }
  return hi;
}
