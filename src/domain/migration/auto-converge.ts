/**
 * QEMU 7.2 auto-converge (migration/ram.c `migration_trigger_throttle`, `mig_throttle_guest_down`):
 * at a dirty-bitmap sync that closes a bookkeeping period (more than 1 s since the last one), the
 * period counts as "high" when the bytes dirtied exceed 50 % of the bytes sent; every second high
 * period throttles the vCPUs: 20 % first, then +10 % a step, at most 99 %. In 7.2 a sync happens once
 * per pass, so on a slow link a step takes about two passes.
 *
 * The model of the effect: a throttled guest runs (1 − throttle) of the time, so it lives through
 * less time per pass and dirties along U((1 − throttle)·t). Without tailslow (the default).
 */

const INITIAL_PERCENT = 20;
const INCREMENT_PERCENT = 10;
const MAX_PERCENT = 99;
const TRIGGER_FRACTION = 0.5;
const PERIOD_SECONDS = 1;
const HIGH_PERIODS_PER_STEP = 2;

export class AutoConvergeThrottle {
  private percent = 0;
  private highPeriods = 0;
  private periodSeconds = 0;
  private periodDirtiedBytes = 0;
  private periodWireBytes = 0;

  /** 0 to 0.99. */
  get throttle(): number {
    return this.percent / 100;
  }

  /** The guest's share of CPU time, which scales how fast it dirties memory. */
  get guestSpeed(): number {
    return 1 - this.percent / 100;
  }

  get atMax(): boolean {
    return this.percent >= MAX_PERCENT;
  }

  /** What the throttle will end at if the migration keeps failing to converge. */
  static readonly maxGuestSpeed = 1 - MAX_PERCENT / 100;

  /** The sync at the end of a pass. Returns true when the throttle changed. */
  sync(passSeconds: number, passWireBytes: number, dirtiedBytes: number): boolean {
    this.periodSeconds += passSeconds;
    this.periodWireBytes += passWireBytes;
    this.periodDirtiedBytes += dirtiedBytes;
    if (this.periodSeconds <= PERIOD_SECONDS) return false;
    const high = this.periodDirtiedBytes > TRIGGER_FRACTION * this.periodWireBytes;
    this.periodSeconds = 0;
    this.periodWireBytes = 0;
    this.periodDirtiedBytes = 0;
    if (!high || ++this.highPeriods < HIGH_PERIODS_PER_STEP) return false;
    this.highPeriods = 0;
    const before = this.percent;
    this.percent = before === 0 ? INITIAL_PERCENT : Math.min(MAX_PERCENT, before + INCREMENT_PERCENT);
    return this.percent !== before;
  }
}
