/**
 * A small good world to change one thing at a time: a lab placement wanting offline capability, one
 * home server, one client workstation on a 100 Mbit/s link, one 2 GiB VM at home dirtying 1 MB/s.
 * As it stands the VM moves to the client.
 */
import type { ClusterLimits, NodeView, PlacementPolicy, PlanInput, VmView } from '../../../../src/domain/placement/index.js';
import { NodeLabels } from '../../../../src/domain/placement/index.js';

export const GiB = 2 ** 30;
export const MB = 1e6;
export const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);
export const PLACEMENT = 'lab/ofp';
/** 100 Mbit/s. */
export const LINK = 12.5e6;

export function policy(overrides: Partial<PlacementPolicy> = {}): PlacementPolicy {
  return {
    key: PLACEMENT,
    mode: 'Enforce',
    thresholds: { minBandwidthBytesPerSecond: 2.5e6, maxPredictedSeconds: 900, maxDirtyRateRatio: 0.5, maxDowntimeMs: 1000 },
    triggers: { offlineCapabilityWanted: true },
    limits: { maxConcurrentPerPlacement: 3, maxConcurrentPerClientNode: 1 },
    cooldown: { baseSeconds: 600, maxSeconds: 4 * 3600 },
    failureBackoff: { baseSeconds: 60, maxSeconds: 3600, maxFailuresPerTarget: 3 },
    hysteresisMargin: 0.2,
    migration: { allowAutoConverge: false, allowPostCopy: false, downtimeLimitMs: 300, completionTimeoutPerGiB: 150, progressTimeoutSeconds: 150 },
    linkMaxAgeSeconds: 600,
    ...overrides,
  };
}

export function withThresholds(p: PlacementPolicy, t: Partial<PlacementPolicy['thresholds']>): PlacementPolicy {
  return { ...p, thresholds: { ...p.thresholds, ...t } };
}

export function withMigration(p: PlacementPolicy, m: Partial<PlacementPolicy['migration']>): PlacementPolicy {
  return { ...p, migration: { ...p.migration, ...m } };
}

/** Labels of an Intel node as KubeVirt's node labeller writes them. */
export function intelLabels(extra: Record<string, string> = {}): Record<string, string> {
  const labels: Record<string, string> = {
    [NodeLabels.arch]: 'amd64',
    [NodeLabels.kubevirtSchedulable]: 'true',
    [`${NodeLabels.cpuVendorPrefix}Intel`]: 'true',
    [`${NodeLabels.hostModelCpuPrefix}Cascadelake-Server`]: 'true',
  };
  for (const m of ['Cascadelake-Server', 'Skylake-Client-IBRS']) labels[NodeLabels.cpuModelPrefix + m] = 'true';
  for (const m of ['Cascadelake-Server', 'Skylake-Client-IBRS', 'Icelake-Server']) labels[NodeLabels.cpuModelMigrationPrefix + m] = 'true';
  for (const f of ['invtsc', 'pcid']) labels[NodeLabels.hostModelRequiredFeaturePrefix + f] = 'true';
  for (const f of ['invtsc', 'pcid', 'vmx', 'sse4.2']) labels[NodeLabels.cpuFeaturePrefix + f] = 'true';
  return { ...labels, ...extra };
}

/** A Ready, schedulable Intel node with nothing on it and no role. */
function node(name: string, overrides: Partial<NodeView>): NodeView {
  return {
    name,
    ready: true,
    unschedulable: false,
    taints: [],
    labels: intelLabels(),
    allocatable: { cpuMillis: 32_000, memoryBytes: 128 * GiB },
    requested: { cpuMillis: 0, memoryBytes: 0 },
    clientFor: [],
    homeFor: [],
    ...overrides,
  };
}

export function homeNode(name = 'home-1', overrides: Partial<NodeView> = {}): NodeView {
  return node(name, { homeFor: [PLACEMENT], ...overrides });
}

/** A 4-core, 16 GiB workstation on a fresh 100 Mbit/s link, 0.5 cores and 1 GiB in use. */
export function clientNode(name = 'pc-1', overrides: Partial<NodeView> = {}): NodeView {
  return node(name, {
    allocatable: { cpuMillis: 4000, memoryBytes: 16 * GiB },
    requested: { cpuMillis: 500, memoryBytes: 1 * GiB },
    link: { bandwidthBytesPerSecond: LINK, rttMs: 20, measuredAtMs: NOW - 60_000 },
    clientFor: [PLACEMENT],
    ...overrides,
  });
}

export function vm(name = 'vm-1', overrides: Partial<VmView> = {}): VmView {
  return {
    key: `lab/${name}`,
    placementKey: PLACEMENT,
    nodeName: 'home-1',
    phase: 'Running',
    liveMigratable: true,
    migrating: false,
    memoryBytes: 2 * GiB,
    requests: { cpuMillis: 1000, memoryBytes: 2.3 * GiB },
    cpu: { model: 'host-model', requiredFeatures: [] },
    volumeKinds: ['containerDisk', 'cloudInitNoCloud'],
    blockMigrationDiskBytes: 0,
    budgetDiskBytes: 0,
    dirtyRate: { input: { kind: 'constant', bytesPerSecond: 1 * MB }, confidence: 'measured' },
    moves: { count: 0 },
    ...overrides,
  };
}

export const KUBEVIRT_DEFAULTS: ClusterLimits = { parallelMigrationsPerCluster: 5, parallelOutboundMigrationsPerNode: 2 };

export interface World {
  policy: PlacementPolicy;
  nodes: NodeView[];
  vms: VmView[];
  inFlight?: PlanInput['inFlight'];
  clusterLimits?: ClusterLimits;
  nowMs?: number;
}

export function goodWorld(): World {
  return { policy: policy(), nodes: [homeNode(), clientNode()], vms: [vm()] };
}

export function planInput(w: World): PlanInput {
  return {
    nowMs: w.nowMs ?? NOW,
    placements: [w.policy],
    nodes: w.nodes,
    vms: w.vms,
    inFlight: w.inFlight ?? [],
    clusterLimits: w.clusterLimits ?? KUBEVIRT_DEFAULTS,
  };
}

/** Replaces the node called `name`. */
export function mapNode(w: World, name: string, change: (n: NodeView) => NodeView): World {
  return { ...w, nodes: w.nodes.map((n) => (n.name === name ? change(n) : n)) };
}

export function mapVms(w: World, change: (v: VmView) => VmView): World {
  return { ...w, vms: w.vms.map(change) };
}

export { seeded } from '../../../support/seeded.js';
