/**
 * The synthetic worlds of bench/plan.bench.ts and bench/plan-growth.ts: a seeded generator, so every
 * run plans the same input, and the scenarios both benchmark (10,000 VMs against 1,000 clients).
 *
 * - bound: the lab case, every VM bound to its own workstation (10 per client), all at home;
 * - unbound: one placement, every VM free to go to any of the 1,000 clients, all at home;
 * - mixed: 10 placements of 100 clients each, 30 % of VMs already on clients, 2 % of clients
 *   leaving, some links stale or missing, mixed CPU vendors and models, open migrations.
 */
import { NodeLabels, planPlacements, type NodeView, type Plan, type PlacementPolicy, type PlanInput, type VmView } from '../src/domain/placement/index.js';
import { GiB, MB, NOW, policy, seeded, withThresholds } from '../test/unit/domain/placement/fixtures.js';


function cpuLabels(vendor: 'Intel' | 'AMD', rand: () => number): Record<string, string> {
  const hostModel = vendor === 'Intel' ? (rand() < 0.5 ? 'Cascadelake-Server' : 'Icelake-Server') : 'EPYC-Rome';
  const known = vendor === 'Intel' ? ['Skylake-Client-IBRS', 'Cascadelake-Server', 'Icelake-Server'] : ['EPYC', 'EPYC-Rome', 'EPYC-Milan'];
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': 'x',
    'kubernetes.io/os': 'linux',
    [NodeLabels.arch]: 'amd64',
    [NodeLabels.kubevirtSchedulable]: rand() < 0.99 ? 'true' : 'false',
    [NodeLabels.cpuVendorPrefix + vendor]: 'true',
    [NodeLabels.hostModelCpuPrefix + hostModel]: 'true',
    [NodeLabels.cpuModelPrefix + hostModel]: 'true',
  };
  for (const m of known) labels[NodeLabels.cpuModelMigrationPrefix + m] = 'true';
  for (const m of known.slice(0, 2)) labels[NodeLabels.cpuModelPrefix + m] = 'true';
  for (const f of ['invtsc', 'pcid']) labels[NodeLabels.hostModelRequiredFeaturePrefix + f] = 'true';
  // A realistic number of feature labels, so that label lookups are not unrealistically cheap.
  const features = ['invtsc', 'pcid', 'vmx', 'sse4.2', 'avx', 'avx2', 'aes', 'xsave', 'rdrand', 'fma', 'bmi1', 'bmi2', 'erms', 'mpx', 'ssbd'];
  for (const f of features) labels[NodeLabels.cpuFeaturePrefix + f] = 'true';
  return labels;
}

function placement(key: string, rand: () => number, bound: boolean): PlacementPolicy {
  const p = policy({
    key,
    triggers: rand() < 0.5 ? { offlineCapabilityWanted: true } : { offlineCapabilityWanted: true, cloudRttAboveMs: 40 },
    limits: { maxConcurrentPerPlacement: 10, maxConcurrentPerClientNode: 1 },
    ...(bound ? { clientBinding: { labelKey: 'lab.example/workstation' } } : {}),
  });
  return withThresholds(p, { maxDowntimeMs: 500 });
}

export interface Shape {
  readonly placements: number;
  readonly clients: number;
  readonly homes: number;
  readonly vms: number;
  readonly bound: boolean;
  /** Share of VMs already on a client. */
  readonly onClients: number;
  readonly leavingClients: number;
  readonly amdClients: number;
  readonly badLinks: number;
}

export function world(shape: Shape, seed: number): PlanInput {
  const rand = seeded(seed);
  const keys = Array.from({ length: shape.placements }, (_, i) => `course-${i}/ofp`);
  const placements = keys.map((k) => placement(k, rand, shape.bound));
  const homes: NodeView[] = Array.from({ length: shape.homes }, (_, i) => ({
    name: `server-${i}`,
    ready: true,
    unschedulable: false,
    taints: [],
    labels: cpuLabels('Intel', rand),
    allocatable: { cpuMillis: 64_000, memoryBytes: 512 * GiB },
    requested: { cpuMillis: Math.round(rand() * 32_000), memoryBytes: rand() * 256 * GiB },
    clientFor: [],
    homeFor: keys,
  }));
  const perPlacement = Math.ceil(shape.clients / shape.placements);
  const clients: NodeView[] = Array.from({ length: shape.clients }, (_, i) => {
    const r = rand();
    // 2 to 120 MB/s, log-uniform; a share of the links never measured or stale.
    const bandwidthBytesPerSecond = Math.exp(Math.log(2 * MB) + rand() * Math.log(60));
    const measuredAtMs = NOW - (r < shape.badLinks ? 3600_000 : rand() * 300_000);
    const link = r < shape.badLinks / 2 ? undefined : { bandwidthBytesPerSecond, rttMs: 5 + rand() * 80, measuredAtMs };
    return {
      name: `pc-${String(i).padStart(4, '0')}`,
      ready: rand() > 0.01,
      unschedulable: false,
      taints: [],
      labels: cpuLabels(rand() < shape.amdClients ? 'AMD' : 'Intel', rand),
      allocatable: { cpuMillis: 8000, memoryBytes: 32 * GiB },
      requested: { cpuMillis: Math.round(rand() * 2000), memoryBytes: rand() * 8 * GiB },
      ...(link ? { link } : {}),
      ...(rand() < shape.leavingClients ? { leaving: rand() < 0.5 ? {} : { departureAtMs: NOW + rand() * 3600_000 } } : {}),
      clientFor: [keys[Math.floor(i / perPlacement)]!],
      homeFor: [],
    };
  });
  const vms: VmView[] = Array.from({ length: shape.vms }, (_, i) => {
    const placementKey = keys[i % shape.placements]!;
    const ownClient = clients[Math.floor(i / shape.placements) % perPlacement + (i % shape.placements) * perPlacement] ?? clients[0]!;
    const onClient = rand() < shape.onClients;
    const memoryBytes = [1, 2, 2, 2, 4, 8][Math.floor(rand() * 6)]! * GiB;
    const measured = rand() < 0.8;
    return {
      key: `course-${i % shape.placements}/vm-${i}`,
      placementKey,
      nodeName: onClient ? ownClient.name : homes[i % homes.length]!.name,
      phase: 'Running',
      liveMigratable: rand() > 0.02,
      migrating: false,
      memoryBytes,
      requests: { cpuMillis: 1000, memoryBytes: memoryBytes + 250 * 2 ** 20 },
      cpu: rand() < 0.7 ? { model: 'host-model', requiredFeatures: [] } : { model: 'Skylake-Client-IBRS', requiredFeatures: ['vmx'] },
      ...(shape.bound ? { boundClient: ownClient.name } : {}),
      volumeKinds: rand() < 0.9 ? ['containerDisk', 'cloudInitNoCloud'] : ['dataVolume'],
      blockMigrationDiskBytes: 0,
      budgetDiskBytes: 0,
      dirtyRate: measured
        ? { input: { kind: 'constant', bytesPerSecond: Math.exp(Math.log(1e4) + rand() * Math.log(500)) }, confidence: 'measured' }
        : { input: { kind: 'constant', bytesPerSecond: 2 * MB }, confidence: 'fallback' },
      moves: rand() < 0.1 ? { count: 1 + Math.floor(rand() * 3), lastMoveAtMs: NOW - rand() * 7200_000 } : { count: 0 },
    };
  });
  return {
    nowMs: NOW,
    placements,
    nodes: [...homes, ...clients],
    vms,
    inFlight: [{ vmKey: vms[0]!.key, placementKey: vms[0]!.placementKey, sourceNode: vms[0]!.nodeName, targetNode: clients[0]!.name, targetCounted: true }],
    clusterLimits: { parallelMigrationsPerCluster: 5, parallelOutboundMigrationsPerNode: 2 },
  };
}

const plain: Shape = { placements: 1, clients: 1000, homes: 20, vms: 10_000, bound: false, onClients: 0, leavingClients: 0, amdClients: 0, badLinks: 0 };
const mixed: Shape = { placements: 10, clients: 1000, homes: 20, vms: 10_000, bound: false, onClients: 0.3, leavingClients: 0.02, amdClients: 0.2, badLinks: 0.1 };

export interface Scenario {
  /** How a command line names it: bound, unbound, mixed, rebalancing, mixed-bound. */
  readonly key: string;
  readonly title: string;
  readonly shape: Shape;
}

export const scenarios: readonly Scenario[] = [
  { key: 'bound', title: 'bound (lab): 10,000 VMs each bound to one of 1,000 clients', shape: { ...plain, bound: true } },
  { key: 'unbound', title: 'unbound: 10,000 VMs free to go to any of 1,000 clients', shape: plain },
  { key: 'mixed', title: 'mixed: 10 placements × 100 clients, 30 % on clients, 2 % leaving, 10 % bad links, 20 % AMD', shape: mixed },
  { key: 'rebalancing', title: 'rebalancing: 10,000 unbound VMs already on clients, 1 placement × 1,000 clients', shape: { ...plain, onClients: 1 } },
  { key: 'mixed-bound', title: 'mixed and bound: as in mixed, each VM bound to its client', shape: { ...mixed, bound: true } },
];

export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The first plan of the input (a warm-up, returned), then `runs` timed plans: their times sorted, in ms. */
export function timedPlans(input: PlanInput, runs: number): { first: Plan; times: number[] } {
  const first = planPlacements(input);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    planPlacements(input);
    times.push(performance.now() - start);
  }
  return { first, times: times.sort((a, b) => a - b) };
}
