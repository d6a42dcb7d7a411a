/**
 * The one table of reason strings. The same PascalCase values appear in decision status, Kubernetes
 * events and metrics labels, so they are part of the API: add, never rename.
 *
 * Candidate reasons are listed in pipeline order (the order a candidate node is checked in). When a
 * VM stays because every candidate was rejected, the decision reports the rejection that got
 * furthest down the pipeline: "the best node failed on predicted time" tells more than "most nodes
 * had no link data".
 */
export const Reasons = {
  // VM eligibility, checked before any node.
  NotRunning: 'NotRunning',
  ClientOffline: 'ClientOffline',
  Migrating: 'Migrating',
  NotLiveMigratable: 'NotLiveMigratable',
  NotOfflineCapable: 'NotOfflineCapable',
  Cooldown: 'Cooldown',
  NoClientNodes: 'NoClientNodes',
  NoHomeNodes: 'NoHomeNodes',
  /** The VM's or its node's inputs are unusable (zero, negative, not a number): it is left out. */
  InvalidInput: 'InvalidInput',
  /** Its last migration failed: it waits (exponential, capped, with jitter) before the next. */
  FailureBackoff: 'FailureBackoff',
  /** No home node could take the VM back from a client now: it is not moved there. */
  NoReturnPath: 'NoReturnPath',
  /** The placement's migration settings would not be applied by KubeVirt (another MigrationPolicy wins). */
  MigrationSettingsNotApplied: 'MigrationSettingsNotApplied',

  // Candidate node rejections, in pipeline order.
  NotBoundClient: 'NotBoundClient',
  NodeNotReady: 'NodeNotReady',
  ClientLeaving: 'ClientLeaving',
  NodeUnschedulable: 'NodeUnschedulable',
  NodeTainted: 'NodeTainted',
  KubevirtNotSchedulable: 'KubevirtNotSchedulable',
  NoLinkData: 'NoLinkData',
  StaleLinkData: 'StaleLinkData',
  BandwidthBelowThreshold: 'BandwidthBelowThreshold',
  NoBenefit: 'NoBenefit',
  ArchitectureMismatch: 'ArchitectureMismatch',
  CPUVendorMismatch: 'CPUVendorMismatch',
  CPUModelUnsupported: 'CPUModelUnsupported',
  CPUFeatureMissing: 'CPUFeatureMissing',
  HostModelUnsupported: 'HostModelUnsupported',
  InsufficientMemory: 'InsufficientMemory',
  InsufficientCPU: 'InsufficientCPU',
  RepeatedFailures: 'RepeatedFailures',
  DirtyRateTooHigh: 'DirtyRateTooHigh',
  WouldNotConverge: 'WouldNotConverge',
  KubevirtWouldAbort: 'KubevirtWouldAbort',
  PredictedTimeTooLong: 'PredictedTimeTooLong',
  DowntimeTooHigh: 'DowntimeTooHigh',
  CostExceedsBenefit: 'CostExceedsBenefit',

  // Outcomes.
  ConcurrencyLimit: 'ConcurrencyLimit',
  HysteresisHold: 'HysteresisHold',
  Placed: 'Placed',
  OfflineCapabilityWanted: 'OfflineCapabilityWanted',
  CloudLatencyHigh: 'CloudLatencyHigh',
  CloudBandwidthLow: 'CloudBandwidthLow',
  BetterClient: 'BetterClient',
} as const;

export type Reason = (typeof Reasons)[keyof typeof Reasons];

/** Why a candidate node was rejected. */
export type RejectionReason = (typeof CANDIDATE_PIPELINE)[number];

/** The pipeline's last stage: refusals on the predicted cost of the migration itself. */
export const COST_REASONS = [
  Reasons.DirtyRateTooHigh,
  Reasons.WouldNotConverge,
  Reasons.KubevirtWouldAbort,
  Reasons.PredictedTimeTooLong,
  Reasons.DowntimeTooHigh,
  Reasons.CostExceedsBenefit,
] as const;

const CANDIDATE_PIPELINE = [
  Reasons.NotBoundClient,
  Reasons.NodeNotReady,
  Reasons.ClientLeaving,
  Reasons.NodeUnschedulable,
  Reasons.NodeTainted,
  Reasons.KubevirtNotSchedulable,
  Reasons.NoLinkData,
  Reasons.StaleLinkData,
  Reasons.BandwidthBelowThreshold,
  Reasons.NoBenefit,
  Reasons.ArchitectureMismatch,
  Reasons.CPUVendorMismatch,
  Reasons.CPUModelUnsupported,
  Reasons.CPUFeatureMissing,
  Reasons.HostModelUnsupported,
  Reasons.InsufficientMemory,
  Reasons.InsufficientCPU,
  Reasons.RepeatedFailures,
  ...COST_REASONS,
] as const;

const PIPELINE_STAGE: ReadonlyMap<Reason, number> = new Map(CANDIDATE_PIPELINE.map((r, i) => [r, i]));

/** How far down the candidate pipeline a rejection happened; -1 for reasons that are not rejections. */
export function pipelineStage(reason: Reason): number {
  return PIPELINE_STAGE.get(reason) ?? -1;
}

/** The rejection that got furthest, among reasons with a non-zero count. */
export function furthestRejection(counts: Readonly<Partial<Record<RejectionReason, number>>>): RejectionReason | undefined {
  for (let i = CANDIDATE_PIPELINE.length - 1; i >= 0; i--) {
    const reason = CANDIDATE_PIPELINE[i]!;
    if ((counts[reason] ?? 0) > 0) return reason;
  }
  return undefined;
}
