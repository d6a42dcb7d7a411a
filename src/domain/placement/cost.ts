/**
 * What a move would cost, from the migration model, and which predictions rule a move out.
 *
 * Predictions are cached per (VM profile, usable bandwidth rounded down to 3 significant digits):
 * identical VMs share them, and so do nodes with nearly the same link. Rounding down costs at most
 * 1 % of bandwidth and can only predict a slower migration, never a faster one.
 */
import { distinctBytesDirtied } from '../migration/dirtying.js';
import { migrationInput, type MeasuredVm } from '../migration/model-input.js';
import type { EffectiveMigrationSettings } from '../migration/kubevirt-settings.js';
import { predictMigration, type DirtyRateInput, type MigrationPrediction } from '../migration/predict.js';
import { Reasons, type RejectionReason } from './reasons.js';
import type { NodeView, PlacementPolicy, PredictionSummary, VmView } from './types.js';

/**
 * The dirty rate compared with the bandwidth (maxDirtyRateRatio): the highest rate any measurement
 * window saw, which for KubeVirt's gauge is the 1 s window; for a fitted curve, its 1 s rate.
 */
export function dirtyRateBytesPerSecond(input: DirtyRateInput): number {
  switch (input.kind) {
    case 'constant':
      return input.bytesPerSecond;
    case 'windows':
      return input.windows.reduce((max, w) => Math.max(max, w.bytesPerSecond), 0);
    case 'curve':
      return distinctBytesDirtied(input.curve, 1);
  }
}

/** `x` rounded down to 3 significant digits. */
export function bandwidthBucket(bytesPerSecond: number): number {
  if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) return bytesPerSecond;
  const scale = 10 ** (Math.floor(Math.log10(bytesPerSecond)) - 2);
  // The small epsilon keeps 4.62e6 from becoming 4.61e6 through 4.62e6 / 1e4 = 461.99999….
  return Math.floor(bytesPerSecond / scale + 1e-9) * scale;
}

function dirtyRateSignature(input: DirtyRateInput): string {
  switch (input.kind) {
    case 'constant':
      return `c${input.bytesPerSecond}`;
    case 'windows':
      return `w${input.windows.map((w) => `${w.seconds}:${w.bytesPerSecond}`).join(';')}`;
    case 'curve':
      return `h${input.curve.hotSetBytes},${input.curve.hotWriteBytesPerSecond},${input.curve.coldBytesPerSecond}`;
  }
}

/**
 * The options a VM's migrations run with, in this precedence: KubeVirt's effective settings for
 * the VM (its KubeVirt resource's spec.configuration.migrations with KubeVirt's defaults, overridden
 * by the MigrationPolicy KubeVirt matches to the VMI) when a KubeVirt resource or a matching policy
 * exists; the placement's spec.migration otherwise. The placement's bandwidth limit still caps the
 * usable bandwidth the planner works with (the node filters use it); KubeVirt's
 * bandwidthPerMigration (0 = unlimited) caps it further.
 */
export function vmMigrationOptions(vm: VmView, policy: PlacementPolicy, s: EffectiveMigrationSettings | undefined = vm.migrationSettings): PlacementPolicy['migration'] {
  if (!s) return policy.migration;
  return {
    ...(s.bandwidthPerMigrationBytesPerSecond > 0 ? { bandwidthLimitBytesPerSecond: s.bandwidthPerMigrationBytesPerSecond } : {}),
    allowAutoConverge: s.allowAutoConverge,
    allowPostCopy: s.allowPostCopy,
    downtimeLimitMs: s.maxDowntimeMs ?? policy.migration.downtimeLimitMs,
    completionTimeoutPerGiB: s.completionTimeoutPerGiB,
    progressTimeoutSeconds: s.progressTimeoutSeconds,
  };
}

function migrationOptionsSignature(m: PlacementPolicy['migration']): string {
  return `${m.downtimeLimitMs}|${m.completionTimeoutPerGiB}|${m.progressTimeoutSeconds}|${m.allowAutoConverge ? 1 : 0}|${m.allowPostCopy ? 1 : 0}`;
}

/** What the planner knows of a VM, as the model's one input function takes it. */
export function measuredVm(vm: VmView): MeasuredVm {
  return {
    memoryBytes: vm.memoryBytes,
    ...(vm.guestUsedBytes !== undefined ? { guestUsedBytes: vm.guestUsedBytes } : {}),
    dirtyRate: vm.dirtyRate.input,
    copiedDiskBytes: vm.blockMigrationDiskBytes,
    budgetDiskBytes: vm.budgetDiskBytes,
  };
}

/** Predicts moves of one VM under one placement's migration options. */
export interface VmCostModel {
  /** With the MigrationPolicy whose settings it used, if any. */
  predict(usableBandwidthBytesPerSecond: number): MigrationPrediction & { readonly bandwidthBytesPerSecond: number; readonly migrationPolicy?: string };
}

export class PredictionCache {
  private readonly predictions = new Map<string, MigrationPrediction>();
  /** A VM's options and their signature, per settings object (shared by the VMs a policy governs) and placement. */
  private readonly options = new WeakMap<object, Map<PlacementPolicy, { m: PlacementPolicy['migration']; signature: string }>>();
  private readonly noSettings = {};
  /** Cost-model runs, for the benchmark. */
  runs = 0;

  /** `linkClass`: the class of the client the move goes to or from (its policy's settings apply). */
  forVm(vm: VmView, policy: PlacementPolicy, linkClass?: string): VmCostModel {
    const settings = (linkClass !== undefined ? vm.classSettings?.[linkClass] : undefined) ?? vm.migrationSettings;
    const settingsKey = settings ?? this.noSettings;
    let byPolicy = this.options.get(settingsKey);
    if (!byPolicy) {
      byPolicy = new Map();
      this.options.set(settingsKey, byPolicy);
    }
    let memo = byPolicy.get(policy);
    if (!memo) {
      const m = vmMigrationOptions(vm, policy, settings);
      memo = { m, signature: migrationOptionsSignature(m) };
      byPolicy.set(policy, memo);
    }
    const { m, signature: options } = memo;
    const limit = settings ? m.bandwidthLimitBytesPerSecond : undefined;
    const dirtying = dirtyRateSignature(vm.dirtyRate.input);
    const profile = `${vm.memoryBytes}|${vm.guestUsedBytes ?? ''}|${vm.blockMigrationDiskBytes}|${vm.budgetDiskBytes}|${dirtying}|${options}|`;
    return {
      predict: (usable) => {
        const bandwidthBytesPerSecond = bandwidthBucket(limit === undefined ? usable : Math.min(usable, limit));
        const key = profile + bandwidthBytesPerSecond;
        let p = this.predictions.get(key);
        if (p === undefined) {
          this.runs++;
          // The usable bandwidth has the placement's (and KubeVirt's) limit applied already.
          p = predictMigration(
            migrationInput(measuredVm(vm), { goodputBytesPerSecond: bandwidthBytesPerSecond }, {
              downtimeLimitMs: m.downtimeLimitMs,
              completionTimeoutPerGiB: m.completionTimeoutPerGiB,
              progressTimeoutSeconds: m.progressTimeoutSeconds,
              allowAutoConverge: m.allowAutoConverge,
              allowPostCopy: m.allowPostCopy,
            }),
          );
          this.predictions.set(key, p);
        }
        return { ...p, bandwidthBytesPerSecond, ...(settings?.policy !== undefined ? { migrationPolicy: settings.policy } : {}) };
      },
    };
  }
}

/** A migration that cannot succeed: even a return home is not started. */
export function infeasibility(p: MigrationPrediction): RejectionReason | undefined {
  if (!p.converges) return Reasons.WouldNotConverge;
  if (p.abortedByKubevirt) return Reasons.KubevirtWouldAbort;
  return undefined;
}

/** A move to a client the placement's thresholds refuse. */
export function costRejection(p: MigrationPrediction, thresholds: PlacementPolicy['thresholds']): RejectionReason | undefined {
  const infeasible = infeasibility(p);
  if (infeasible) return infeasible;
  if (p.totalSeconds > thresholds.maxPredictedSeconds) return Reasons.PredictedTimeTooLong;
  if (p.downtimeMs > thresholds.maxDowntimeMs) return Reasons.DowntimeTooHigh;
  return undefined;
}

/**
 * Rejections that also hold for every lower bandwidth, so a walk down candidates sorted by bandwidth
 * can stop at the first one. The model is monotone in bandwidth without auto-converge (its property
 * tests); its throttle and the post-copy switch break that, so then every candidate is predicted.
 */
export function holdsForLowerBandwidth(reason: RejectionReason, policy: PlacementPolicy, vm?: VmView): boolean {
  // With link classes, later (slower) nodes may be in a class whose settings differ: nothing holds.
  if (vm?.classSettings) return false;
  const m = vm ? vmMigrationOptions(vm, policy) : policy.migration;
  if (m.allowAutoConverge || m.allowPostCopy) return false;
  return reason === Reasons.WouldNotConverge || reason === Reasons.KubevirtWouldAbort || reason === Reasons.PredictedTimeTooLong;
}

export function predictionSummary(
  p: MigrationPrediction & { readonly bandwidthBytesPerSecond: number; readonly migrationPolicy?: string },
  vm: VmView,
  linkConfidence: PredictionSummary['linkConfidence'],
  /** The client whose link set the bandwidth, if a link did. */
  linkNode?: Pick<NodeView, 'name' | 'link'>,
): PredictionSummary {
  const link = linkNode?.link;
  const linkSource = link?.source;
  return {
    ...(vm.localDiskBytesAssumed ? { localDiskBytesAssumed: true } : {}),
    seconds: p.totalSeconds,
    bytes: p.transferredBytes,
    downtimeMs: p.downtimeMs,
    converges: p.converges,
    completes: p.completes,
    mode: p.mode,
    bandwidthBytesPerSecond: p.bandwidthBytesPerSecond,
    dirtyRateConfidence: vm.dirtyRate.confidence,
    ...(vm.dirtyRate.source !== undefined ? { dirtyRateSource: vm.dirtyRate.source } : {}),
    linkConfidence,
    ...(linkSource !== undefined ? { linkSource } : {}),
    ...(link && linkNode ? { link: { node: linkNode.name, measuredBandwidthBytesPerSecond: link.measuredBandwidthBytesPerSecond ?? link.bandwidthBytesPerSecond, correction: link.correction ?? 1 } } : {}),
    budgetSeconds: p.completionBudgetSeconds,
    ...(p.migrationPolicy !== undefined ? { migrationPolicy: p.migrationPolicy } : {}),
  };
}
