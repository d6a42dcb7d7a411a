/**
 * How long a full re-plan takes: 10,000 VMs against 1,000 client nodes (DESIGN.md target: under
 * 1 s on 2 cores). Synthetic worlds from a seeded generator, so every run plans the same input.
 *
 *   npm run build && node dist/bench/plan.bench.js [runs]
 *
 * Scenarios:
 * - bound: the lab case, every VM bound to its own workstation (10 per client), all at home;
 * - unbound: one placement, every VM free to go to any of the 1,000 clients, all at home;
 * - mixed: 10 placements of 100 clients each, 30 % of VMs already on clients, 2 % of clients
 *   leaving, some links stale or missing, mixed CPU vendors and models, open migrations.
 */
import os from 'node:os';
import { NodeLabels, planPlacements, type NodeView, type PlacementPolicy, type PlanInput, type VmView } from '../src/domain/placement/index.js';
import { seeded } from '../test/unit/domain/placement/fixtures.js';

const GiB = 2 ** 30;
const MB = 1e6;
const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);

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
  return {
    key,
    mode: 'Enforce',
    thresholds: { minBandwidthBytesPerSecond: 2.5 * MB, maxPredictedSeconds: 900, maxDirtyRateRatio: 0.5, maxDowntimeMs: 500 },
    triggers: rand() < 0.5 ? { offlineCapabilityWanted: true } : { offlineCapabilityWanted: true, cloudRttAboveMs: 40 },
    limits: { maxConcurrentPerPlacement: 10, maxConcurrentPerClientNode: 1 },
    cooldown: { baseSeconds: 600, maxSeconds: 4 * 3600 },
    failureBackoff: { baseSeconds: 60, maxSeconds: 3600, maxFailuresPerTarget: 3 },
    hysteresisMargin: 0.2,
    migration: { allowAutoConverge: false, allowPostCopy: false, downtimeLimitMs: 300, completionTimeoutPerGiB: 150, progressTimeoutSeconds: 150 },
    linkMaxAgeSeconds: 600,
    ...(bound ? { clientBinding: { labelKey: 'lab.example/workstation' } } : {}),
  };
}

interface Shape {
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

function world(shape: Shape, seed: number): PlanInput {
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
const scenarios: [string, Shape][] = [
  ['bound (lab): 10,000 VMs each bound to one of 1,000 clients', { ...plain, bound: true }],
  ['unbound: 10,000 VMs free to go to any of 1,000 clients', plain],
  [
    'mixed: 10 placements × 100 clients, 30 % on clients, 2 % leaving, 10 % bad links, 20 % AMD',
    { placements: 10, clients: 1000, homes: 20, vms: 10_000, bound: false, onClients: 0.3, leavingClients: 0.02, amdClients: 0.2, badLinks: 0.1 },
  ],
  [
    'rebalancing: 10,000 unbound VMs already on clients, 1 placement × 1,000 clients',
    { ...plain, onClients: 1 },
  ],
  [
    'mixed and bound: as in mixed, each VM bound to its client',
    { placements: 10, clients: 1000, homes: 20, vms: 10_000, bound: true, onClients: 0.3, leavingClients: 0.02, amdClients: 0.2, badLinks: 0.1 },
  ],
];

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const runs = Number(process.argv[2] ?? 7);
const cpus = os.cpus();
console.log(`planPlacements benchmark: ${runs} runs per scenario after one warm-up`);
const cores = `${cpus.length} logical cores (os.availableParallelism ${os.availableParallelism()})`;
console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cores}, ${Math.round(os.totalmem() / GiB)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`);
for (const [name, shape] of scenarios) {
  const input = world(shape, 7);
  const first = planPlacements(input);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    planPlacements(input);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const actions = new Map<string, number>();
  const reasons = new Map<string, number>();
  for (const d of first.decisions) {
    actions.set(d.action, (actions.get(d.action) ?? 0) + 1);
    reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
  }
  const topReasons = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 6);
  const rejected = Object.values(first.rejectionsByReason).reduce((s, n) => s + (n ?? 0), 0);
  console.log(`\n${name}`);
  console.log(`  ${input.vms.length} VMs, ${input.nodes.length} nodes, ${input.placements.length} placements`);
  console.log(`  p50 ${quantile(times, 0.5).toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms (min ${times[0]!.toFixed(1)} ms)`);
  const actionCounts = [...actions].map(([a, n]) => `${a} ${n}`).join(', ');
  console.log(`  decisions: ${actionCounts}; migrations ${first.migrations.length}; rejected (VM, node) pairs ${rejected}`);
  console.log(`  top reasons: ${topReasons.map(([r, n]) => `${r} ${n}`).join(', ')}`);
}
