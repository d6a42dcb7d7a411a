/** The parts of KubeVirt's API (v1.9) the project reads or writes. Names as in kubevirt.io/api. */
import type { Condition, KubeObject } from './objects.js';

export type MigrationPhase =
  | ''
  | 'Pending'
  | 'Scheduling'
  | 'Scheduled'
  | 'PreparingTarget'
  | 'TargetReady'
  | 'Running'
  | 'Succeeded'
  | 'Failed';

export const FINAL_MIGRATION_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

export interface MigrationState {
  startTimestamp?: string | null;
  endTimestamp?: string | null;
  targetNode?: string;
  targetPod?: string;
  sourceNode?: string;
  sourcePod?: string;
  completed?: boolean;
  failed?: boolean;
  abortRequested?: boolean;
  abortStatus?: 'Succeeded' | 'Failed' | 'Aborting';
  failureReason?: string;
  migrationUid?: string;
  mode?: 'PreCopy' | 'PostCopy' | 'Paused';
  targetNodeDomainDetected?: boolean;
  /** The MigrationPolicy virt-controller matched when the migration started; empty for none. */
  migrationPolicyName?: string;
}

export interface Volume {
  name: string;
  containerDisk?: object;
  emptyDisk?: { capacity?: string };
  ephemeral?: object;
  cloudInitNoCloud?: object;
  cloudInitConfigDrive?: object;
  persistentVolumeClaim?: { claimName?: string };
  dataVolume?: { name?: string };
  /** shared: the image is on storage every node mounts (e.g. NFS); block migration leaves it alone. */
  hostDisk?: { path?: string; capacity?: string; type?: string; shared?: boolean };
  configMap?: object;
  secret?: object;
  serviceAccount?: object;
  downwardAPI?: object;
}

export interface VirtualMachineInstance extends KubeObject {
  spec: {
    nodeSelector?: Record<string, string>;
    evictionStrategy?: string;
    domain: {
      cpu?: { model?: string; cores?: number; features?: { name: string; policy?: string }[] };
      memory?: { guest?: string | number };
      resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
      [k: string]: unknown;
    };
    volumes?: Volume[];
    [k: string]: unknown;
  };
  status?: {
    phase?: string;
    nodeName?: string;
    conditions?: Condition[];
    migrationState?: MigrationState;
    migrationMethod?: 'BlockMigration' | 'LiveMigration';
    evacuationNodeName?: string;
    activePods?: Record<string, string>;
    [k: string]: unknown;
  };
}

export interface VirtualMachineInstanceMigration extends KubeObject {
  spec: {
    vmiName: string;
    addedNodeSelector?: Record<string, string>;
    priority?: string;
  };
  status?: {
    phase?: MigrationPhase;
    conditions?: Condition[];
    phaseTransitionTimestamps?: { phase: string; phaseTransitionTimestamp: string }[];
    migrationState?: MigrationState;
  };
}

/** Labels, annotations and finalizers KubeVirt sets, with their exact spelling. */
export const KubevirtLabels = {
  vmiName: 'kubevirt.io/vmi-name',
  nodeName: 'kubevirt.io/nodeName',
  migrationTargetNodeName: 'kubevirt.io/migrationTargetNodeName',
  schedulable: 'kubevirt.io/schedulable',
  cpuVendorPrefix: 'cpu-vendor.node.kubevirt.io/',
  cpuModelPrefix: 'cpu-model.node.kubevirt.io/',
  cpuModelMigrationPrefix: 'cpu-model-migration.node.kubevirt.io/',
  hostModelCpuPrefix: 'host-model-cpu.node.kubevirt.io/',
  hostModelRequiredFeaturePrefix: 'host-model-required-features.node.kubevirt.io/',
  cpuFeaturePrefix: 'cpu-feature.node.kubevirt.io/',
  heartbeat: 'kubevirt.io/heartbeat',
  migrationJobFinalizer: 'kubevirt.io/migrationJobFinalize',
} as const;

export function isMigrationFinal(m: VirtualMachineInstanceMigration): boolean {
  return FINAL_MIGRATION_PHASES.has(m.status?.phase ?? '');
}

export function vmiCondition(vmi: VirtualMachineInstance, type: string): Condition | undefined {
  return vmi.status?.conditions?.find((c) => c.type === type);
}

/** spec.configuration.migrations of the KubeVirt resource (MigrationConfiguration); values as the API server holds them. */
export interface KubevirtMigrationConfiguration {
  parallelMigrationsPerCluster?: unknown;
  parallelOutboundMigrationsPerNode?: unknown;
  bandwidthPerMigration?: unknown;
  completionTimeoutPerGiB?: unknown;
  progressTimeout?: unknown;
  maxDowntimeMs?: unknown;
  allowAutoConverge?: unknown;
  allowPostCopy?: unknown;
}

/** kubevirt.io/v1 KubeVirt: the cluster's KubeVirt installation (usually one, in namespace kubevirt). */
export interface KubeVirt extends KubeObject {
  spec?: { configuration?: { migrations?: KubevirtMigrationConfiguration } };
}

/** migrations.kubevirt.io/v1alpha1 MigrationPolicy (cluster-scoped). */
export interface MigrationPolicy extends KubeObject {
  spec?: {
    selectors?: { namespaceSelector?: Record<string, string>; virtualMachineInstanceSelector?: Record<string, string> };
    allowAutoConverge?: unknown;
    bandwidthPerMigration?: unknown;
    completionTimeoutPerGiB?: unknown;
    maxDowntimeMs?: unknown;
    allowPostCopy?: unknown;
  };
}
