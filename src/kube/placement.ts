/** The OfflineFirstPlacement custom resource (placement.offline-first.io/v1alpha1) as stored. */
import type { Condition, KubeObject } from './objects.js';
import type { LabelSelector } from './selectors.js';

export interface OfflineFirstPlacementSpec {
  mode?: 'Enforce' | 'Recommend';
  vmSelector: LabelSelector;
  clientNodeSelector: LabelSelector;
  homeNodeSelector: LabelSelector;
  clientBinding?: { labelKey?: string; annotationKey?: string };
  triggers: { offlineCapabilityWanted?: boolean; cloudLatencyAbove?: string; cloudBandwidthBelow?: string };
  thresholds?: { minBandwidth?: string; maxPredictedMigrationTime?: string; maxDirtyRateRatio?: number; maxDowntime?: string };
  concurrency?: { maxPerPlacement?: number; maxPerClientNode?: number };
  cooldown?: { base?: string; max?: string };
  failureBackoff?: { base?: string; max?: string; maxFailuresPerTarget?: number };
  hysteresisPercent?: number;
  linkMaxAge?: string;
  migration?: {
    bandwidthLimit?: string;
    allowAutoConverge?: boolean;
    allowPostCopy?: boolean;
    completionTimeoutPerGiB?: number;
    progressTimeout?: number;
  };
  linkClasses?: LinkClassSpec[];
}

/** Migration settings for the clients its nodeSelector matches, over spec.migration. */
export interface LinkClassSpec {
  name: string;
  nodeSelector: LabelSelector;
  bandwidthLimit?: string;
  allowAutoConverge?: boolean;
  allowPostCopy?: boolean;
  completionTimeoutPerGiB?: number;
}

export interface DecisionStatus {
  vm: string;
  node?: string;
  desiredNode?: string;
  action: string;
  reason: string;
  message?: string;
  score?: { total: number; benefit: number; cost: number; parts?: Record<string, number> };
  predicted?: { seconds: number; downtimeMs: number; bytes: number; converges: boolean; dirtyRateConfidence?: string; dirtyRateSource?: string; linkConfidence?: string; linkSource?: string; linkCorrection?: number; migrationPolicy?: string };
  returnNode?: string;
  migration?: string;
  rejected?: { node: string; reason: string; detail?: string }[];
}

export interface OfflineFirstPlacementStatus {
  observedGeneration?: number;
  placed?: string;
  lastPlanTime?: string;
  vms?: { selected: number; onClients: number; atHome: number; migrating: number; runningOffline: number };
  conditions?: Condition[];
  decisions?: DecisionStatus[];
  decisionsTruncated?: number;
}

export interface OfflineFirstPlacement extends KubeObject {
  spec: OfflineFirstPlacementSpec;
  status?: OfflineFirstPlacementStatus;
}

/** Labels and annotations the operator puts on the migrations it creates. */
export const PlacementLabels = {
  /** The placement a migration carries out ("<name>"; namespace = the migration's). */
  placement: 'placement.offline-first.io/placement',
  /** ToClient or Home. */
  direction: 'placement.offline-first.io/direction',
  managedBy: 'app.kubernetes.io/managed-by',
  /** On a managed MigrationPolicy (cluster-scoped): the namespace of the placement it belongs to. */
  placementNamespace: 'placement.offline-first.io/placement-namespace',
  /** On a VMI: the link class of the client it is migrating to or from (set by the operator just before). */
  linkClass: 'placement.offline-first.io/link-class',
} as const;

/**
 * Held on a placement while it has a managed MigrationPolicy: a cluster-scoped policy cannot carry
 * an owner reference to a namespaced placement, so the operator deletes it before letting go.
 */
export const MIGRATION_POLICY_FINALIZER = 'placement.offline-first.io/migration-policy';

export const PlacementAnnotations = {
  predictedSeconds: 'placement.offline-first.io/predicted-seconds',
  /** KubeVirt's completion budget the prediction assumed ("Infinity" when disabled). */
  budgetSeconds: 'placement.offline-first.io/budget-seconds',
  reason: 'placement.offline-first.io/reason',
  /** The VM's attempt number among the operator's migrations of it (1, 2, …). */
  attempt: 'placement.offline-first.io/attempt',
  /** The VM's failed migrations in a row before this one. */
  failuresBefore: 'placement.offline-first.io/failures-before',
  /** Its failed migrations in a row to this same target before this one. */
  targetFailuresBefore: 'placement.offline-first.io/target-failures-before',
  /** What the prediction was made from (opaque; see the repeated-failure rule). */
  inputs: 'placement.offline-first.io/inputs',
  /** The bytes the prediction expected to send, and the bandwidth (bytes/s) it used: for link learning. */
  predictedBytes: 'placement.offline-first.io/predicted-bytes',
  predictedBandwidth: 'placement.offline-first.io/predicted-bandwidth',
  /** The client whose link set the bandwidth, that link's measurement (bytes/s, uncorrected) and the correction applied. */
  linkNode: 'placement.offline-first.io/link-node',
  linkBandwidth: 'placement.offline-first.io/link-bandwidth',
  linkCorrection: 'placement.offline-first.io/link-correction',
  /** The last phase whose outcome the operator reported (the exactly-once record). */
  observedPhase: 'placement.offline-first.io/observed-phase',
  actualSeconds: 'placement.offline-first.io/actual-seconds',
} as const;

/** The migration belongs to a placement (the operator created it). */
export function isOurs(m: KubeObject): boolean {
  return m.metadata.labels?.[PlacementLabels.placement] !== undefined;
}

export const MANAGED_BY = 'offline-first';
