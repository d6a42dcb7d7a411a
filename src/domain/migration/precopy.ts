/**
 * QEMU 7.2's pre-copy loop, pass by pass (reference/migration-model.md §1.7, §2.3):
 * pass 0 sends the first-pass bytes; each pass of T seconds leaves U(T) dirty bytes for the next;
 * after a pass, if what is dirty is at most bandwidth × downtime-limit, QEMU stops the guest and
 * sends it (stop-and-copy). There is no cap on passes or bytes.
 *
 * The loop ends on one of three things, and never on a pass counter:
 * - switch-over: the stop rule holds;
 * - the deadline: KubeVirt's completion budget runs out during a pass;
 * - analytic non-convergence: the passes stop shrinking while above the threshold, or they shrink
 *   towards a fixed point that is above it (h(L) ≥ L, see pass-map.ts); with no deadline the loop
 *   then never ends. With a deadline the passes are still followed until it (a sequence that has
 *   settled at its fixed point is jumped over), because post-copy needs the pass then in progress.
 *
 * Speed: a pass costs one exp(). The number of passes is logarithmic unless the pass-to-pass ratio
 * is very near 1; after EXACT_PASSES the rest is bounded by the geometric series with the largest
 * ratio the remaining passes can have, h(L)/L, which is exact for a constant dirty rate and an upper
 * bound otherwise (so a bounded tail can only predict a slower migration, never a faster one).
 */
import { AutoConvergeThrottle } from './auto-converge.js';
import type { DirtyingCurve } from './dirtying.js';
import { dirtiedDuring, transferSeconds, type PassMap } from './pass-map.js';

/** Passes simulated one by one before the rest is bounded in closed form. */
const EXACT_PASSES = 1000;
/** Passes kept in the result to explain a prediction. */
const RECORDED_PASSES = 8;
/** Relative change below which a pass sequence has settled at its fixed point. */
const SETTLED = 1e-12;

export interface PrecopyParams {
  readonly curve: DirtyingCurve;
  readonly memoryBytes: number;
  readonly firstPassWireBytes: number;
  readonly bandwidthBytesPerSecond: number;
  readonly downtimeLimitMs: number;
  readonly autoConverge: boolean;
  /** Seconds after the RAM phase starts at which KubeVirt steps in; Infinity when it never does. */
  readonly deadlineSeconds: number;
}

export interface PassRecord {
  readonly seconds: number;
  readonly wireBytes: number;
  readonly throttlePercent: number;
}

export interface PrecopyRun {
  /** `never`: no deadline, and the stop rule will never hold. */
  readonly outcome: 'switchover' | 'deadline' | 'never';
  /** Live passes completed before the switch-over or the deadline. */
  readonly rounds: number;
  /** From the start of the RAM phase to the end of the last live pass. */
  readonly liveSeconds: number;
  /** The stop-and-copy transfer (switchover only). */
  readonly finalPassSeconds: number;
  /** Length of the pass running when the deadline came (deadline only); its index is `rounds`. */
  readonly inProgressPassSeconds: number;
  /** How far into that pass the deadline came (0 when it came before the RAM phase). */
  readonly inProgressElapsedSeconds: number;
  /** Whether the stop rule would ever hold if nothing stopped the loop. */
  readonly convergesEventually: boolean;
  /** The pass map in force at the end (with the throttle reached). */
  readonly map: PassMap;
  readonly maxThrottle: number;
  readonly passes: readonly PassRecord[];
  /** The geometric upper bound replaced exact passes somewhere. */
  readonly tailBounded: boolean;
}

export function runPrecopy(p: PrecopyParams): PrecopyRun {
  const bandwidth = p.bandwidthBytesPerSecond;
  const thresholdBytes = (bandwidth * p.downtimeLimitMs) / 1000;
  const throttle = p.autoConverge ? new AutoConvergeThrottle() : undefined;
  let map: PassMap = { curve: p.curve, memoryBytes: p.memoryBytes, bandwidthBytesPerSecond: bandwidth, guestSpeed: 1 };
  // The pass that sends exactly the threshold: the stop rule in seconds.
  const thresholdPassSeconds = transferSeconds(map, thresholdBytes);
  const passes: PassRecord[] = [];

  let seconds = p.firstPassWireBytes / bandwidth;
  let start = 0;
  let rounds = 0;
  let never = false;
  let tailBounded = false;

  const convergesFrom = (passSeconds: number): boolean => {
    if (never) return false;
    // With auto-converge the throttle keeps rising while the loop does not converge.
    const final = throttle ? { ...map, guestSpeed: AutoConvergeThrottle.maxGuestSpeed } : map;
    const dirtied = dirtiedDuring(final, passSeconds);
    if (dirtied <= thresholdBytes) return true;
    if (transferSeconds(final, dirtied) >= passSeconds) return false;
    return dirtiedDuring(final, thresholdPassSeconds) < thresholdBytes;
  };
  const finish = (
    outcome: PrecopyRun['outcome'],
    finalPassSeconds: number,
    inProgressPassSeconds: number,
  ): PrecopyRun => ({
    outcome,
    rounds: outcome === 'never' ? Infinity : rounds,
    liveSeconds: outcome === 'never' ? Infinity : start,
    finalPassSeconds,
    inProgressPassSeconds,
    inProgressElapsedSeconds: outcome === 'deadline' ? Math.min(inProgressPassSeconds, Math.max(0, p.deadlineSeconds - start)) : 0,
    convergesEventually: outcome === 'switchover' || (outcome === 'deadline' && convergesFrom(inProgressPassSeconds)),
    map,
    maxThrottle: throttle?.throttle ?? 0,
    passes,
    tailBounded,
  });

  // The whole of RAM fits under the threshold: QEMU completes at its first check.
  if (p.memoryBytes <= thresholdBytes) return finish('switchover', seconds, 0);

  for (;;) {
    if (start + seconds > p.deadlineSeconds) return finish('deadline', 0, seconds);
    const dirtied = dirtiedDuring(map, seconds);
    const wireBytes = seconds * bandwidth;
    if (passes.length < RECORDED_PASSES) passes.push({ seconds, wireBytes, throttlePercent: (throttle?.throttle ?? 0) * 100 });
    rounds++;
    start += seconds;
    const next = transferSeconds(map, dirtied);
    if (dirtied <= thresholdBytes) return finish('switchover', next, 0);

    if (throttle?.sync(seconds, wireBytes, dirtied)) map = { ...map, guestSpeed: throttle.guestSpeed };
    else if (!never && (!throttle || throttle.atMax)) {
      never = next >= seconds || dirtiedDuring(map, thresholdPassSeconds) >= thresholdBytes;
    }
    if (never && !Number.isFinite(p.deadlineSeconds)) return finish('never', 0, 0);
    if (never && Math.abs(next - seconds) <= SETTLED * seconds) {
      // Settled: every later pass has this length, so skip to the last one that ends before the deadline.
      const passesLeft = Math.floor((p.deadlineSeconds - start) / next);
      if (passesLeft > 0) {
        rounds += passesLeft;
        start += passesLeft * next;
      }
    }
    seconds = next;
    if (rounds >= EXACT_PASSES) {
      tailBounded = true;
      return boundedTail();
    }
  }

  function boundedTail(): PrecopyRun {
    // Every later pass is at most q times the one before while above the threshold.
    const q = transferSeconds(map, dirtiedDuring(map, thresholdPassSeconds)) / thresholdPassSeconds;
    const room = p.deadlineSeconds - start;
    if (never || q >= 1) {
      if (!Number.isFinite(room)) return finish('never', 0, 0);
      // Passes near their fixed point: count them as if they kept the current length.
      const passesLeft = Math.max(0, Math.floor(room / seconds));
      rounds += passesLeft;
      start += passesLeft * seconds;
      return finish('deadline', 0, seconds);
    }
    if (q === 0) {
      if (seconds > room) return finish('deadline', 0, seconds);
      rounds += 1;
      start += seconds;
      return finish('switchover', 0, 0);
    }
    const lnQ = Math.log1p(q - 1);
    const sumOf = (n: number): number => (seconds * -Math.expm1(n * lnQ)) / (1 - q);
    const toStop = Math.max(1, Math.ceil(Math.log(thresholdPassSeconds / seconds) / lnQ));
    const live = sumOf(toStop);
    if (live <= room) {
      rounds += toStop;
      start += live;
      return finish('switchover', seconds * Math.exp(toStop * lnQ), 0);
    }
    // The last tail pass that ends before the deadline: sum(n) <= room.
    const z = 1 - (room * (1 - q)) / seconds;
    const done = Math.min(toStop - 1, Math.max(0, Math.floor(Math.log(z) / lnQ)));
    rounds += done;
    start += sumOf(done);
    return finish('deadline', 0, seconds * Math.exp(done * lnQ));
  }
}
