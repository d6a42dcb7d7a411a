/**
 * What one live migration would cost: QEMU 7.2 pre-copy simulated pass by pass (precopy.ts), a
 * block-migration disk copy before it (the local disks' allocated data, copied incrementally), and KubeVirt's completion budget on top, which either
 * aborts the migration or, when post-copy is allowed, switches it to post-copy.
 *
 * A pure function of plain numbers, cheap enough to call for every VM × candidate node.
 *
 * Timeline: [disk copy at B] [pass 0 … pass n−1, live] [stop-and-copy: the last dirty set at B]
 * [resume on the destination]. Assumptions (see also qemu.ts, auto-converge.ts, post-copy.ts):
 * - every phase runs at the given bandwidth B, the link is never idle;
 * - the disk is not rewritten while it is copied (the mirror's catch-up traffic is ignored);
 * - pages dirtied after pass 0 are non-zero; zero pages cost their 9-byte header in pass 0 only;
 * - the stop rule compares the dirty set after each pass with B × downtime-limit, as QEMU does
 *   once per pass; the stop-and-copy then sends that set, so downtime = set / B + resume.
 */
import { initialDirtyRate, type DirtyingCurve } from './dirtying.js';
import { resolveMigrationInput, type MigrationInput } from './input.js';
import { completionBudgetSeconds } from './kubevirt-budget.js';
import { postCopyTransferSeconds } from './post-copy.js';
import { runPrecopy, type PassRecord } from './precopy.js';
import { firstPassWireBytes, SWITCHOVER_RESUME_MS } from './qemu.js';

export type { DirtyRateInput, MigrationInput } from './input.js';
export type { DirtyingCurve } from './dirtying.js';
export type { PassRecord } from './precopy.js';
export { fitDirtyingCurve } from './dirtying-fit.js';

export type MigrationMode = 'PreCopy' | 'PostCopy' | 'AutoConverge' | 'NotConverging';

export interface MigrationPrediction {
  /** Pre-copy (or post-copy / auto-converge when allowed) reaches switch-over, KubeVirt's clock aside. */
  converges: boolean;
  /** KubeVirt's completion or progress timeout would abort it. */
  abortedByKubevirt: boolean;
  abortReason?: 'CompletionTimeout' | 'ProgressTimeout';
  /** How it ends; for an aborted migration that would converge, the mode it would have ended in. */
  mode: MigrationMode;
  /** Until completion, or until the abort; Infinity when it never ends (no completion budget). */
  totalSeconds: number;
  /** The guest's pause at switch-over; 0 when there is none (aborted, never ends). */
  downtimeMs: number;
  /** Everything sent: disks, every pass, the stop-and-copy (or the post-copy remainder). */
  transferredBytes: number;
  /** Live passes before the switch-over, post-copy switch or abort; Infinity when it never ends. */
  rounds: number;
  /** KubeVirt's completionTimeoutPerGiB × ceil(decimal GB of memory and budgetDiskBytes); Infinity when disabled. */
  completionBudgetSeconds: number;
  /** The auto-converge throttle reached, when it had to throttle. */
  maxThrottlePercent?: number;

  /** converges and not aborted: the migration finishes. */
  completes: boolean;
  /** Time the guest already runs on the destination while memory is still pulled (PostCopy), else 0. */
  postCopySeconds: number;
  /** Block-migration disk copy before RAM. */
  diskCopySeconds: number;
  /** QEMU's stop rule: switch over once at most this much is dirty (bandwidth × downtime limit). */
  switchoverThresholdBytes: number;
  /** Dirty rate of a very short window over bandwidth; near or above 1 the migration time explodes. */
  dirtyToBandwidthRatio: number;
  /** The dirtying curve used (fitted when windows were given). */
  dirtying: DirtyingCurve;
  /** The first passes (at most 8), to explain the prediction. */
  passes: readonly PassRecord[];
  /** Passes with a ratio very near 1 were bounded rather than simulated: times are upper bounds. */
  tailBounded: boolean;
}

export function predictMigration(input: MigrationInput): MigrationPrediction {
  const v = resolveMigrationInput(input);
  const bandwidth = v.bandwidthBytesPerSecond;
  const budget = completionBudgetSeconds(v.memoryBytes, v.budgetDiskBytes, v.completionTimeoutPerGiB);
  const diskCopySeconds = v.blockMigrationDiskBytes / bandwidth;
  const resumeSeconds = SWITCHOVER_RESUME_MS / 1000;
  const run = runPrecopy({
    curve: v.dirtying,
    memoryBytes: v.memoryBytes,
    firstPassWireBytes: firstPassWireBytes(v.memoryBytes, v.guestUsedBytes),
    bandwidthBytesPerSecond: bandwidth,
    downtimeLimitMs: v.downtimeLimitMs,
    autoConverge: v.allowAutoConverge,
    deadlineSeconds: budget - diskCopySeconds,
  });

  const throttled = run.maxThrottle > 0;
  const convergingMode: MigrationMode = throttled ? 'AutoConverge' : 'PreCopy';
  const explanation = {
    completionBudgetSeconds: budget,
    ...(throttled ? { maxThrottlePercent: Math.round(run.maxThrottle * 100) } : {}),
    diskCopySeconds,
    switchoverThresholdBytes: (bandwidth * v.downtimeLimitMs) / 1000,
    dirtyToBandwidthRatio: initialDirtyRate(v.dirtying) / bandwidth,
    dirtying: v.dirtying,
    passes: run.passes,
    tailBounded: run.tailBounded,
  };
  // The headline fields first, so that JSON output reads top-down.
  type Headline = Omit<MigrationPrediction, keyof typeof explanation>;
  const withExplanation = (headline: Headline): MigrationPrediction => ({ ...headline, ...explanation });
  const abortedAtBudget = (converges: boolean): MigrationPrediction =>
    withExplanation({
      converges,
      abortedByKubevirt: true,
      abortReason: 'CompletionTimeout',
      mode: converges ? convergingMode : 'NotConverging',
      completes: false,
      totalSeconds: budget,
      downtimeMs: 0,
      transferredBytes: bandwidth * budget,
      rounds: run.rounds,
      postCopySeconds: 0,
    });

  switch (run.outcome) {
    case 'never':
      return withExplanation({
        converges: false,
        abortedByKubevirt: false,
        mode: 'NotConverging',
        completes: false,
        totalSeconds: Infinity,
        downtimeMs: 0,
        transferredBytes: Infinity,
        rounds: Infinity,
        postCopySeconds: 0,
      });
    case 'switchover': {
      const busySeconds = diskCopySeconds + run.liveSeconds + run.finalPassSeconds;
      const totalSeconds = busySeconds + resumeSeconds;
      // The budget ran out during the stop-and-copy: KubeVirt aborts; post-copy can no longer start.
      if (totalSeconds > budget && !v.allowPostCopy) return abortedAtBudget(true);
      return withExplanation({
        converges: true,
        abortedByKubevirt: false,
        mode: convergingMode,
        completes: true,
        totalSeconds,
        downtimeMs: (run.finalPassSeconds + resumeSeconds) * 1000,
        transferredBytes: busySeconds * bandwidth,
        rounds: run.rounds,
        postCopySeconds: 0,
      });
    }
    case 'deadline': {
      if (!v.allowPostCopy) return abortedAtBudget(run.convergesEventually);
      // Post-copy starts at the budget, or when the RAM phase starts if disks are still being copied.
      const switchSeconds = Math.max(budget, diskCopySeconds);
      const postCopySeconds = postCopyTransferSeconds(run.map, {
        index: run.rounds,
        seconds: run.inProgressPassSeconds,
        elapsedSeconds: run.inProgressElapsedSeconds,
      });
      return withExplanation({
        converges: true,
        abortedByKubevirt: false,
        mode: 'PostCopy',
        completes: true,
        totalSeconds: switchSeconds + resumeSeconds + postCopySeconds,
        downtimeMs: resumeSeconds * 1000,
        transferredBytes: (switchSeconds + postCopySeconds) * bandwidth,
        rounds: run.rounds,
        postCopySeconds,
      });
    }
  }
}
