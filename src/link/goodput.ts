/**
 * Steady-state goodput of a download from its arrival timeline. The start of a transfer is not
 * the link: tbf lets a burst through at line rate, and TCP's slow start sends less than the link
 * carries for a few round trips. So the rate is taken over the later part of the transfer only.
 */

/** Bytes received so far, `atMs` after the first byte arrived. */
export interface Arrival {
  readonly atMs: number;
  readonly totalBytes: number;
}

export interface Goodput {
  readonly bytesPerSecond: number;
  /** The window the rate was taken over, ms after the first byte. */
  readonly fromMs: number;
  readonly toMs: number;
}

/** The share of the transfer's duration left out at its start. */
export const WARMUP_FRACTION = 1 / 3;

/**
 * Rate from the first arrival at or after WARMUP_FRACTION of the duration to the last arrival.
 * Undefined when the timeline is too short to hold a window (fewer than two arrivals apart in time).
 */
export function steadyStateGoodput(arrivals: readonly Arrival[], warmupFraction = WARMUP_FRACTION): Goodput | undefined {
  const last = arrivals[arrivals.length - 1];
  if (!last || last.atMs <= 0) return undefined;
  const startAt = last.atMs * warmupFraction;
  const start = arrivals.find((a) => a.atMs >= startAt);
  if (!start || start.atMs >= last.atMs) return undefined;
  return {
    bytesPerSecond: ((last.totalBytes - start.totalBytes) * 1000) / (last.atMs - start.atMs),
    fromMs: start.atMs,
    toMs: last.atMs,
  };
}

/** Median of a non-empty list; undefined for an empty one. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
