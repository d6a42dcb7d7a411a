/**
 * The smoothed link estimate the agent publishes: the median of the most recent successful probes,
 * for goodput and RTT separately.
 *
 * Why a median of recent probes rather than an EWMA: a single bad probe (a download that shared
 * the link with a user's video call, a reflector replica on a busy node) moves an EWMA by its full
 * weight times the error, and outlier rejection on top of an EWMA needs a threshold that would also
 * reject a real change of the link for ever. The median of the last 5 ignores up to 2 outliers on
 * either side outright, needs no threshold, and follows a real change once 3 probes have seen it.
 */
import { median } from '../link/goodput.js';

export interface ProbeSample {
  readonly measuredAt: Date;
  readonly bandwidthBytesPerSecond: number;
  readonly rttMs: number;
}

export interface LinkEstimate {
  readonly bandwidthBytesPerSecond: number;
  readonly rttMs: number;
  /** When the newest probe in the window finished. */
  readonly measuredAt: Date;
  /** Probes the estimate is the median of. */
  readonly samples: number;
}

/** Probes kept: the estimate follows a real change after WINDOW/2 + 1 of them. */
export const ESTIMATE_WINDOW = 5;

/** The history with the new probe added, oldest dropped beyond the window. */
export function recordProbe(history: readonly ProbeSample[], probe: ProbeSample, window = ESTIMATE_WINDOW): ProbeSample[] {
  return [...history, probe].slice(-window);
}

export function estimateLink(history: readonly ProbeSample[]): LinkEstimate | undefined {
  const newest = history[history.length - 1];
  if (!newest) return undefined;
  return {
    bandwidthBytesPerSecond: Math.round(median(history.map((p) => p.bandwidthBytesPerSecond))!),
    rttMs: Math.round(median(history.map((p) => p.rttMs))! * 100) / 100,
    measuredAt: newest.measuredAt,
    samples: history.length,
  };
}
