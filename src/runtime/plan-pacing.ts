/**
 * When to plan after an event asked for it. Two rules, both bounded so that a trigger still turns
 * into a migration well within DESIGN.md's 2 s:
 * - a burst is one plan: the plan waits `burstMs` after the first event, and the events meanwhile
 *   (a migration's creation, its VMI's update, the phase changes that follow) join it;
 * - plans leave the core mostly free: the next one starts no sooner than its predecessor's
 *   duration divided by `busyShare` after that one started, at most `maxGapMs`. With 10,000 VMIs
 *   and a 250 ms plan, a world that changes without pause is planned once a second.
 * A trigger (a client's link or departure, a node's readiness, a placement's spec: what a person or
 * a link agent changes, rarely, one object at a time) skips the second rule and waits only
 * `triggerBurstMs`, enough for the few watch events of one change to arrive together; a plan in
 * progress when it arrives stops at its next step (plan-supersession.ts). Timed work (the periodic re-plan, cooldowns, departures) is scheduled
 * by the plan itself and does not pass through here.
 */

export interface PacingOptions {
  burstMs: number;
  triggerBurstMs: number;
  /** Highest share of one core planning may take while events keep coming. */
  busyShare: number;
  maxGapMs: number;
}

export const DEFAULT_PACING: PacingOptions = { burstMs: 100, triggerBurstMs: 20, busyShare: 0.25, maxGapMs: 1000 };

export interface LastPlan {
  /** When the newest plan started (any clock, the same as `nowMs`). */
  startedMs: number;
  /** How long it took, or the one before it while it is still running. */
  durationMs: number;
}

/** Milliseconds from `nowMs` until the plan an event asks for should start. */
export function planDelayMs(nowMs: number, last: LastPlan | undefined, o: PacingOptions = DEFAULT_PACING, trigger = false): number {
  if (trigger) return o.triggerBurstMs;
  if (!last) return o.burstMs;
  const gap = Math.min(o.maxGapMs, last.durationMs / o.busyShare);
  return Math.max(o.burstMs, last.startedMs + gap - nowMs);
}
