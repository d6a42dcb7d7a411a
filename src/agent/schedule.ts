/**
 * When the agent probes next. Healthy: every `intervalMs`, jittered by ±jitterFraction so agents
 * that started together drift apart. After a failure or a BUSY reply: capped exponential backoff
 * with jitter, never sooner than the reflector's retry hint. The first probe comes at a uniformly
 * random point of the first interval, so a DaemonSet rollout to 1,000 nodes spreads its probes
 * over the whole interval instead of arriving at once.
 */
import { backoffDelayMs, type BackoffPolicy } from '../runtime/backoff.js';

export interface ProbeSchedule {
  readonly intervalMs: number;
  /** 0.2: each interval is drawn from [0.8, 1.2] × intervalMs. */
  readonly jitterFraction: number;
  readonly backoff: BackoffPolicy;
}

export const DEFAULT_JITTER_FRACTION = 0.2;

/** Backoff of an unreachable or busy reflector: 15 s doubling to at most the larger of 30 min and the interval. */
export function scheduleFor(intervalMs: number): ProbeSchedule {
  return { intervalMs, jitterFraction: DEFAULT_JITTER_FRACTION, backoff: { initialMs: 15_000, maxMs: Math.max(30 * 60_000, intervalMs) } };
}

export function firstProbeDelayMs(schedule: ProbeSchedule, random: () => number): number {
  return Math.floor(random() * schedule.intervalMs);
}

/**
 * Delay after a probe. `failures` counts consecutive failed or refused probes (0 after a success);
 * `retryAfterMs` is a BUSY reply's hint.
 */
export function nextProbeDelayMs(schedule: ProbeSchedule, failures: number, random: () => number, retryAfterMs = 0): number {
  if (failures === 0) return Math.round(schedule.intervalMs * (1 - schedule.jitterFraction + 2 * schedule.jitterFraction * random()));
  return Math.round(Math.max(retryAfterMs, backoffDelayMs(schedule.backoff, failures, random)));
}
