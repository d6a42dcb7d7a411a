/**
 * The plain data the placement engine plans from and the plan it returns. The controller fills these
 * from its informer caches (quantities already parsed, node roles already resolved from the
 * placements' selectors) and calls planPlacements once per re-plan for all placements together, so
 * that capacity and KubeVirt's concurrency limits are shared.
 */
import type { DirtyRateInput, MigrationMode } from '../migration/predict.js';
import type { EffectiveMigrationSettings } from '../migration/kubevirt-settings.js';
import type { Reason, RejectionReason } from './reasons.js';
import type { InvalidInput } from './input-checks.js';

export type { InvalidInput } from './input-checks.js';

export type { DirtyRateInput } from '../migration/predict.js';

// ---------------------------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------------------------

/** One OfflineFirstPlacement's spec, parsed and with units normalised. */
export interface PlacementPolicy {
  /** "namespace/name". */
  readonly key: string;
  /** Only the controller reads this: the plan is the same in both modes. */
  readonly mode: 'Enforce' | 'Recommend';
  readonly thresholds: {
    readonly minBandwidthBytesPerSecond: number;
    readonly maxPredictedSeconds: number;
    /** Dirty rate over usable bandwidth, e.g. 0.5; near 1 the migration time explodes. */
    readonly maxDirtyRateRatio: number;
    readonly maxDowntimeMs: number;
  };
  /** What makes a move to a client worth it. */
  readonly triggers: {
    readonly offlineCapabilityWanted: boolean;
    readonly cloudRttAboveMs?: number;
    readonly cloudBandwidthBelowBytesPerSecond?: number;
  };
  readonly limits: {
    /** Open migrations of this placement at once (moves and returns). */
    readonly maxConcurrentPerPlacement: number;
    /** Open inbound migrations per client node. */
    readonly maxConcurrentPerClientNode: number;
  };
  /** After the n-th move of a VM it waits min(max, base × 2^(n−1)). */
  readonly cooldown: { readonly baseSeconds: number; readonly maxSeconds: number };
  /**
   * After the n-th consecutive failed migration a VM waits min(max, base × 2^(n−1)) × (1 + jitter),
   * jitter in [0, 0.2); after maxFailuresPerTarget consecutive failures to one node, that pair is
   * blocked until its inputs change.
   */
  readonly failureBackoff: { readonly baseSeconds: number; readonly maxSeconds: number; readonly maxFailuresPerTarget: number };
  /**
   * In score units, where one fully met trigger is worth 1 (the CRD's hysteresisPercent / 100):
   * a VM already on a client moves to another client only if the new score beats the current by this.
   */
  readonly hysteresisMargin: number;
  readonly migration: {
    /** Caps the usable bandwidth (and is written to the managed MigrationPolicy). */
    readonly bandwidthLimitBytesPerSecond?: number;
    readonly allowAutoConverge: boolean;
    readonly allowPostCopy: boolean;
    /** QEMU's downtime limit the migration runs with. */
    readonly downtimeLimitMs: number;
    readonly completionTimeoutPerGiB: number;
    readonly progressTimeoutSeconds: number;
  };
  /** Link measurements older than this are stale and not trusted for moves to clients. */
  readonly linkMaxAgeSeconds: number;
  /** The names of its link classes (spec.linkClasses); nodes carry their class in NodeView.linkClasses. */
  readonly linkClasses?: readonly string[];
  /** Informational: the controller resolves the binding into VmView.boundClient. */
  readonly clientBinding?: { readonly labelKey?: string; readonly annotationKey?: string };
}

// ---------------------------------------------------------------------------------------------
// Nodes
// ---------------------------------------------------------------------------------------------

export interface Resources {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** A throughput and round-trip measurement between a client and the data centre. */
export interface LinkMeasurement {
  readonly bandwidthBytesPerSecond: number;
  readonly rttMs: number;
  readonly measuredAtMs: number;
  /** Where it came from: the node's link annotations (a manual override) or the link agent's NodeLink. */
  readonly source?: 'annotation' | 'agent';
  /**
   * Learned from this client's finished migrations (link-correction.ts): bandwidthBytesPerSecond is
   * the measurement times this; absent when nothing was learned.
   */
  readonly correction?: number;
  /** The measurement before the correction (present with correction). */
  readonly measuredBandwidthBytesPerSecond?: number;
}

export interface NodeView {
  readonly name: string;
  /** Ready condition True. A client that is not Ready is offline: the VMs on it run offline. */
  readonly ready: boolean;
  /** spec.unschedulable (cordoned). */
  readonly unschedulable: boolean;
  /**
   * All taints; NoSchedule and NoExecute ones reject the node (VMs have no tolerations in this view).
   * The controller leaves out the taint it reads `leaving` from, so that ClientLeaving is reported.
   */
  readonly taints: readonly Taint[];
  /** Node labels: kubernetes.io/arch, kubevirt.io/schedulable and the KubeVirt CPU labels. */
  readonly labels: Readonly<Record<string, string>>;
  readonly allocatable: Resources;
  /** Requests of the pods on the node, including target pods of migrations that already exist. */
  readonly requested: Resources;
  /** Migration link to the data centre; undefined when never measured. */
  readonly link?: LinkMeasurement;
  /** The interaction path to the cloud services; the link measurement when not given. */
  readonly cloudPath?: { readonly rttMs: number; readonly bandwidthBytesPerSecond: number };
  /** The client announced it is leaving (annotation or taint), optionally with a departure time. */
  readonly leaving?: { readonly departureAtMs?: number };
  /** Keys of the placements whose clientNodeSelector selects this node. */
  readonly clientFor: readonly string[];
  /** Keys of the placements whose homeNodeSelector selects this node. */
  readonly homeFor: readonly string[];
  /** Placement key → the link class (spec.linkClasses) this client belongs to for that placement. */
  readonly linkClasses?: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------
// VMs
// ---------------------------------------------------------------------------------------------

export type VolumeKind =
  | 'containerDisk'
  | 'emptyDisk'
  | 'ephemeral'
  | 'cloudInitNoCloud'
  | 'cloudInitConfigDrive'
  | 'persistentVolumeClaim'
  | 'dataVolume'
  /** A hostDisk image on storage every node mounts (`hostDisk.shared: true`, e.g. an NFS export). */
  | 'sharedHostDisk'
  /** A hostDisk on the node's own disk. */
  | 'hostDisk'
  | 'configMap'
  | 'secret'
  | 'serviceAccount'
  | 'downwardAPI';

export interface VmCpu {
  /** `host-model`, `host-passthrough` or a named model such as `Skylake-Client-IBRS`. */
  readonly model: string;
  /** spec.domain.cpu.features with policy `require` or empty. */
  readonly requiredFeatures: readonly string[];
  /**
   * For host-model after an earlier migration: the `cpu-model-migration` model and `cpu-feature`
   * keys of the launcher pod's node selector, which KubeVirt copies to every later target. When
   * absent, the source node's host-model labels are used, as on a first migration.
   */
  readonly inheritedHostModel?: { readonly model: string; readonly requiredFeatures: readonly string[] };
}

export interface VmView {
  /** "namespace/name". */
  readonly key: string;
  readonly placementKey: string;
  readonly nodeName: string;
  /** VMI status.phase. */
  readonly phase: string;
  /** The LiveMigratable condition is True. */
  readonly liveMigratable: boolean;
  readonly liveMigratableReason?: string;
  /** An open (non-final) migration of this VM exists. */
  readonly migrating: boolean;
  /** Guest memory. */
  readonly memoryBytes: number;
  /** The guest's used memory (MemTotal − MemFree) when measured; the model adds what it leaves out. */
  readonly guestUsedBytes?: number;
  /** The launcher pod's requests, overhead included. */
  readonly requests: Resources;
  readonly cpu: VmCpu;
  /** The client this VM is bound to (resolved from the placement's clientBinding). */
  readonly boundClient?: string;
  readonly volumeKinds: readonly VolumeKind[];
  /**
   * The data block migration copies from local disks before memory (allocated bytes, not
   * capacity); 0 for a live migration without block migration.
   */
  readonly blockMigrationDiskBytes: number;
  /** Of the disk bytes, those KubeVirt's completion budget counts (its ephemeral-disks directory). */
  readonly budgetDiskBytes: number;
  /** Some copied bytes are a local disk's capacity (an upper bound), not the data it holds. */
  readonly localDiskBytesAssumed?: boolean;
  /**
   * `fallback`: nothing measured, the controller's conservative default. `source`: where the rate
   * came from (the observation layer's source names: readings-annotation, prometheus, …).
   */
  readonly dirtyRate: { readonly input: DirtyRateInput; readonly confidence: 'measured' | 'fallback'; readonly source?: string };
  /** Moves made by this operator, for the growing cooldown. */
  readonly moves: { readonly count: number; readonly lastMoveAtMs?: number };
  /** This operator's failed migrations of the VM since its last success; none when absent. */
  readonly failures?: FailureHistory;
  /**
   * The settings KubeVirt will migrate this VM with (its KubeVirt resource, then the matching
   * MigrationPolicy, named in `policy`, the placement's own managed one included). Absent when
   * neither exists and the placement asks for nothing: KubeVirt's defaults stand in.
   */
  readonly migrationSettings?: EffectiveMigrationSettings;
  /**
   * Set when the placement asks for migration settings (its managed MigrationPolicy) that KubeVirt
   * would not apply to this VM (another policy wins, or none can be written): why. Such a VM is not
   * moved to a client; a return home is still made, predicted with what KubeVirt will apply.
   */
  readonly settingsNotApplied?: string;
  /**
   * Per link class of its placement that has a managed policy: the settings KubeVirt will use when
   * the VMI carries that class's label (set by the operator before a move to or from such a client).
   */
  readonly classSettings?: Readonly<Record<string, EffectiveMigrationSettings>>;
}

/** From the operator's finished migrations in the cluster (failures.ts reads it). */
export interface FailureHistory {
  /** Failed or aborted migrations in a row since the last success. */
  readonly consecutive: number;
  readonly lastFailedAtMs?: number;
  /** In [0, 1), fixed per failure: the backoff's jitter. */
  readonly jitter: number;
  /** The highest attempt number among the VM's migrations of ours (0 when none). */
  readonly lastAttempt: number;
  /** Per target node: failures there in the current run of failures, and the inputs of the last one. */
  readonly byTarget: Readonly<Record<string, { readonly count: number; readonly inputs: string }>>;
}

// ---------------------------------------------------------------------------------------------
// Migrations and limits
// ---------------------------------------------------------------------------------------------

export type MigrationDirection = 'ToClient' | 'Home';

/** An open migration, ours or anyone's (KubeVirt evacuations, users). */
export interface InFlightMigration {
  readonly vmKey: string;
  /** Set when the migration belongs to a placement (ours). */
  readonly placementKey?: string;
  readonly sourceNode: string;
  /** Known when the target is pinned (ours) or already chosen. */
  readonly targetNode?: string;
  readonly direction?: MigrationDirection | 'Other';
  /**
   * The target launcher pod exists and is counted in the target's NodeView.requested. When false,
   * the planner reserves the VM's requests on targetNode itself.
   */
  readonly targetCounted?: boolean;
}

/** KubeVirt's migration configuration. */
export interface ClusterLimits {
  /** Default 5. */
  readonly parallelMigrationsPerCluster: number;
  /** Default 2. */
  readonly parallelOutboundMigrationsPerNode: number;
}

/** Knobs of the planner itself, not of a placement; defaults in tuning.ts. */
export interface PlannerTuning {
  /** Candidates fully scored (cost model run) per VM before the best is picked. */
  readonly candidatesScoredPerVm: number;
  /** At most this many cost-model runs per VM, accepted or not; nodes past it are neither scored nor counted. */
  readonly predictionsPerVm: number;
  /** Returns start when the time left is at most predicted time × this + the margin. */
  readonly returnSafetyFactor: number;
  readonly returnMarginSeconds: number;
  /** Rejected candidates listed per decision (all are counted). */
  readonly rejectedListed: number;
}

export interface PlanInput {
  readonly nowMs: number;
  readonly placements: readonly PlacementPolicy[];
  readonly nodes: readonly NodeView[];
  /** Each VM's placementKey must be one of `placements` (planPlacements throws otherwise). */
  readonly vms: readonly VmView[];
  readonly inFlight: readonly InFlightMigration[];
  readonly clusterLimits: ClusterLimits;
  readonly tuning?: Partial<PlannerTuning>;
}

// ---------------------------------------------------------------------------------------------
// The plan
// ---------------------------------------------------------------------------------------------

/**
 * - Stay: no move (placed already, nothing better, or every candidate rejected).
 * - MoveToClient / ReturnHome: a migration starts now (it is in Plan.migrations).
 * - Wait: a move is right, but a concurrency limit, the cooldown or an open migration delays it.
 * - Blocked: the VM cannot move at all (not running, not live-migratable, its client offline, …).
 */
export type Action = 'Stay' | 'MoveToClient' | 'ReturnHome' | 'Wait' | 'Blocked';

export type BenefitPart = 'offlineCapability' | 'cloudLatency' | 'cloudBandwidth';
export type CostPart = 'predictedTime' | 'downtime' | 'dirtyRate' | 'nodeLoad' | 'uncertainty';

/** A score with every part shown; total = benefit − cost. */
export interface ScoreExplanation {
  readonly total: number;
  readonly benefit: number;
  readonly cost: number;
  readonly benefitParts: Readonly<Partial<Record<BenefitPart, number>>>;
  readonly costParts: Readonly<Partial<Record<CostPart, number>>>;
}

export interface PredictionSummary {
  readonly seconds: number;
  readonly bytes: number;
  readonly downtimeMs: number;
  readonly converges: boolean;
  readonly completes: boolean;
  readonly mode: MigrationMode;
  /** The bandwidth the prediction used (usable bandwidth, rounded down). */
  readonly bandwidthBytesPerSecond: number;
  readonly dirtyRateConfidence: 'measured' | 'fallback';
  /** Where the dirty rate came from, when known. */
  readonly dirtyRateSource?: string;
  /** `low`: a return home predicted from a stale or missing link measurement. */
  readonly linkConfidence: 'fresh' | 'low';
  /** Where the link measurement came from (LinkMeasurement.source); absent when none was used. */
  readonly linkSource?: 'annotation' | 'agent';
  /** The client whose link the prediction used, its measured (uncorrected) bandwidth and the correction applied. */
  readonly link?: { readonly node: string; readonly measuredBandwidthBytesPerSecond: number; readonly correction: number };
  /** The local disk bytes copied are capacities (an upper bound), not measured data. */
  readonly localDiskBytesAssumed?: boolean;
  /** KubeVirt's completion budget in seconds (Infinity when disabled). */
  readonly budgetSeconds: number;
  /** The MigrationPolicy whose settings KubeVirt will use (and the prediction used). */
  readonly migrationPolicy?: string;
}

export interface RejectedCandidate {
  readonly node: string;
  readonly reason: RejectionReason;
  /** What exactly, where the reason alone does not say (the taints of a NodeTainted node). */
  readonly detail?: string;
}

export interface Decision {
  readonly vmKey: string;
  readonly placementKey: string;
  readonly currentNode: string;
  /** Where it should run: the target of a move, return or wait. */
  readonly desiredNode?: string;
  readonly action: Action;
  readonly reason: Reason;
  readonly message: string;
  /** The chosen (or best rejected-by-limit) candidate's score. */
  readonly score?: ScoreExplanation;
  /** Score of staying where it is, for a VM already on a client. */
  readonly currentScore?: number;
  readonly prediction?: PredictionSummary;
  /** The first few rejected candidates (PlannerTuning.rejectedListed). */
  readonly rejected: readonly RejectedCandidate[];
  /** Every rejected candidate, by reason. */
  readonly rejectedCounts: Readonly<Partial<Record<RejectionReason, number>>>;
  /** For a move to a client: the home node that could take the VM back now (the no-stranding rule). */
  readonly returnNode?: string;
}

export interface PlannedMigration {
  readonly vmKey: string;
  readonly placementKey: string;
  readonly sourceNode: string;
  readonly targetNode: string;
  readonly direction: MigrationDirection;
  readonly predictedSeconds: number;
  /** KubeVirt's completion budget for it (Infinity when disabled): beyond it, it is hung. */
  readonly budgetSeconds: number;
  readonly reason: Reason;
  /** moveInputsSignature: what the prediction was made from, for the repeated-failure rule. */
  readonly inputs: string;
  /** The VM's attempt number (1 + its highest so far) and its failures in a row before it. */
  readonly attempt: number;
  readonly failuresBefore: number;
  /** Failures in a row to this target before it. */
  readonly targetFailuresBefore: number;
  /** What the prediction used, so that the finished migration can be compared with it (link-correction.ts). */
  readonly predictedBytes: number;
  readonly predictedBandwidthBytesPerSecond: number;
  readonly link?: PredictionSummary['link'];
  /**
   * The link class of the client it moves to or from, for the VMI's link-class label: a name to set,
   * null to remove the label (a client in no class), absent when the placement has no link classes.
   */
  readonly linkClass?: string | null;
}

export interface Plan {
  /** One per input VM, in input order. */
  readonly decisions: readonly Decision[];
  /** Migrations to create now, most urgent first. */
  readonly migrations: readonly PlannedMigration[];
  /** When something changes by itself (a cooldown ends, a return falls due); undefined if nothing. */
  readonly requeueAfterMs?: number;
  /** Rejected (VM, node) pairs by reason, over all decisions: for metrics. */
  readonly rejectionsByReason: Readonly<Partial<Record<RejectionReason, number>>>;
  /** Values the planner could not use (each VM or node left out or neutralised, once per plan). */
  readonly invalidInputs: readonly InvalidInput[];
}
