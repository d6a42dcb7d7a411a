/**
 * Whether the plan in progress should stop for a trigger. A plan of a big cluster takes most of a
 * second on a busy core; a trigger (plan-pacing.ts: a client's link or departure, a node's readiness,
 * a placement's spec) arriving meanwhile makes the rest of it stale, and waiting for it would spend
 * that time before the trigger is even read. So the plan stops at its next step and the plan the
 * trigger queued starts from fresher caches.
 *
 * At most every other plan is cut: the one after a cut plan always runs to its end, so a stream of
 * triggers delays status and Events by one plan at most and never starves them.
 */
export class PlanSupersession {
  private running = false;
  private requested = false;
  private lastCut = false;

  /** A plan starts. */
  begin(): void {
    this.running = true;
    this.requested = false;
  }

  /** A trigger arrived: the plan in progress, if any and if the one before it ended, should stop. */
  trigger(): void {
    if (this.running && !this.lastCut) this.requested = true;
  }

  /** Asked by the plan between its steps. */
  get superseded(): boolean {
    return this.requested;
  }

  /** The plan ended, at its end or cut short after a step. */
  end(cut: boolean): void {
    this.running = false;
    this.requested = false;
    this.lastCut = cut;
  }
}
