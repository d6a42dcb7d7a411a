/**
 * How a started migration really goes in the simulation: the cost model run with what the guest
 * really does (the scenario's dirty rate and used memory, whether or not the operator knew them)
 * over the link the migration really crosses. It lasts the predicted time and succeeds, or it runs
 * until KubeVirt's completion budget and fails, as KubeVirt aborts it (whether or not pre-copy
 * would have converged). With the budget disabled, a migration that never converges never ends.
 *
 * Assumption: each migration gets the whole client link; the data centre's uplink is not the
 * bottleneck. Concurrent returns from one client would share its link; the operator's return
 * clock already sums their times (return-home.ts).
 */
import { migrationInput } from '../../domain/migration/model-input.js';
import { predictMigration, type MigrationPrediction } from '../../domain/migration/predict.js';
import type { PlacementPolicy } from '../../domain/placement/index.js';
import type { ScenarioNode, ScenarioVm } from './types.js';

export type MigrationOptions = PlacementPolicy['migration'];

/** KubeVirt's defaults, for a migration nobody tuned (the naive strategy). */
export const KUBEVIRT_DEFAULT_OPTIONS: MigrationOptions = {
  allowAutoConverge: false,
  allowPostCopy: false,
  downtimeLimitMs: 300,
  completionTimeoutPerGiB: 150,
  progressTimeoutSeconds: 150,
};

/** Between two data-centre nodes: the 1 Gbit/s LAN of the original lab (117.5 MB/s of payload). */
export const DATA_CENTRE_BYTES_PER_SECOND = 117.5e6;

export type MigrationFailure =
  /** KubeVirt's completion timeout: pre-copy would converge, but not within the budget. */
  | 'AbortedByKubevirt'
  /** Pre-copy never converges: aborted at the budget (or never ends without one). */
  | 'NeverConverges'
  /** The target client left while the VM was being copied to it. */
  | 'TargetLeft'
  /** The source client left during a return: the VM stays there, offline. */
  | 'SourceLeft';

export interface MigrationRun {
  readonly succeeds: boolean;
  readonly failure?: 'AbortedByKubevirt' | 'NeverConverges';
  /** Infinity when it never ends (no completion budget and no convergence). */
  readonly seconds: number;
  readonly bandwidthBytesPerSecond: number;
  readonly prediction: MigrationPrediction;
}

/** The link a migration between these nodes crosses: the narrower client link, capped by a limit. */
export function migrationBandwidth(source: ScenarioNode, target: ScenarioNode, options: MigrationOptions): number {
  const links = [source.link, target.link].filter((l) => l !== undefined).map((l) => l.bandwidthBytesPerSecond);
  const link = links.length > 0 ? Math.min(...links) : DATA_CENTRE_BYTES_PER_SECOND;
  return options.bandwidthLimitBytesPerSecond === undefined ? link : Math.min(link, options.bandwidthLimitBytesPerSecond);
}

/**
 * `linkBytesPerSecond`: the path as migrationBandwidth gives it (limit applied); the model runs at its
 * goodput. `error`: how far the real migration deviates from the prediction (actual ÷ predicted − 1,
 * e.g. drawn from the lab's held-out runs); one pushed past KubeVirt's budget is aborted there.
 */
export function simulatedRun(vm: ScenarioVm, linkBytesPerSecond: number, options: MigrationOptions, error = 0): MigrationRun {
  // The model's one input function, as the planner calls it: what runs is what the lab validated.
  const input = migrationInput(
    { memoryBytes: vm.memoryBytes, ...(vm.guestUsedBytes !== undefined ? { guestUsedBytes: vm.guestUsedBytes } : {}), dirtyRate: vm.dirtyRate },
    { goodputBytesPerSecond: linkBytesPerSecond },
    {
      downtimeLimitMs: options.downtimeLimitMs,
      completionTimeoutPerGiB: options.completionTimeoutPerGiB,
      progressTimeoutSeconds: options.progressTimeoutSeconds,
      allowAutoConverge: options.allowAutoConverge,
      allowPostCopy: options.allowPostCopy,
    },
  );
  const prediction = predictMigration(input);
  const base = { bandwidthBytesPerSecond: input.bandwidthBytesPerSecond, prediction };
  if (prediction.completes) {
    const seconds = prediction.totalSeconds * (1 + error);
    if (seconds <= prediction.completionBudgetSeconds) return { ...base, succeeds: true, seconds };
    return { ...base, succeeds: false, failure: 'AbortedByKubevirt', seconds: prediction.completionBudgetSeconds };
  }
  const failure = prediction.converges ? 'AbortedByKubevirt' : 'NeverConverges';
  // totalSeconds is the budget for an aborted migration, Infinity when there is no budget.
  return { ...base, succeeds: false, failure, seconds: prediction.totalSeconds };
}

/** Bytes sent in the first `elapsedSeconds` of a run (the link is never idle in the model). */
export function bytesSentBy(run: MigrationRun, elapsedSeconds: number): number {
  if (run.succeeds && elapsedSeconds >= run.seconds) return run.prediction.transferredBytes;
  return Math.min(run.bandwidthBytesPerSecond * elapsedSeconds, run.prediction.transferredBytes);
}
