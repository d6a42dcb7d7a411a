/**
 * The planner's own guard against values no parser should have let through (0 or negative
 * bandwidth, NaN, Infinity, a VM of a placement that is not in the input). One bad VM or node must
 * never stop the plan for everyone: a VM with unusable inputs is left out with InvalidInput, a node's
 * unusable link is dropped (NoLinkData for moves; a return home from it uses the placement's minimum
 * bandwidth as a floor), a node's unusable capacity counts as none. Each is reported once per plan.
 */
import type { DirtyRateInput } from '../migration/predict.js';
import type { LinkMeasurement, NodeView, PlacementPolicy, PlanInput, Resources, VmView } from './types.js';

export interface InvalidInput {
  readonly kind: 'Node' | 'VM' | 'Placement';
  /** The node's name, or "namespace/name". */
  readonly key: string;
  readonly message: string;
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const positive = (x: unknown): boolean => finite(x) && x > 0;
const nonNegative = (x: unknown): boolean => finite(x) && x >= 0;

function resourcesProblem(r: Resources | undefined, field: string): string | undefined {
  if (!r || typeof r !== 'object') return `${field}: missing`;
  if (!nonNegative(r.cpuMillis)) return `${field}.cpuMillis: expected a finite number ≥ 0, got ${String(r.cpuMillis)}`;
  if (!nonNegative(r.memoryBytes)) return `${field}.memoryBytes: expected a finite number ≥ 0, got ${String(r.memoryBytes)}`;
  return undefined;
}

function dirtyRateProblem(input: DirtyRateInput | undefined): string | undefined {
  if (!input || typeof input !== 'object') return 'dirty rate: missing';
  switch (input.kind) {
    case 'constant':
      return nonNegative(input.bytesPerSecond) ? undefined : `dirty rate: expected bytes per second ≥ 0, got ${String(input.bytesPerSecond)}`;
    case 'windows':
      if (!Array.isArray(input.windows) || input.windows.length === 0) return 'dirty-rate windows: expected at least one window';
      for (const w of input.windows) {
        if (!positive(w?.seconds) || !nonNegative(w?.bytesPerSecond)) return `dirty-rate window: expected seconds > 0 and bytes per second ≥ 0, got ${String(w?.seconds)} s at ${String(w?.bytesPerSecond)} B/s`;
      }
      return undefined;
    case 'curve': {
      const c = input.curve;
      if (!c || !nonNegative(c.hotSetBytes) || !nonNegative(c.hotWriteBytesPerSecond) || !nonNegative(c.coldBytesPerSecond)) return 'dirty-rate curve: expected finite values ≥ 0';
      return undefined;
    }
    default:
      return `dirty rate: unknown kind ${String((input as { kind?: unknown }).kind)}`;
  }
}

/** Why a VM cannot be planned, or undefined. */
export function vmInputProblem(vm: VmView): string | undefined {
  if (!positive(vm.memoryBytes)) return `guest memory: expected bytes > 0, got ${String(vm.memoryBytes)}`;
  if (vm.guestUsedBytes !== undefined && !nonNegative(vm.guestUsedBytes)) return `guest used memory: expected bytes ≥ 0, got ${String(vm.guestUsedBytes)}`;
  if (!nonNegative(vm.blockMigrationDiskBytes)) return `local disk bytes: expected bytes ≥ 0, got ${String(vm.blockMigrationDiskBytes)}`;
  const requests = resourcesProblem(vm.requests, 'requests');
  if (requests) return requests;
  const dirty = dirtyRateProblem(vm.dirtyRate?.input);
  if (dirty) return dirty;
  if (!vm.cpu || typeof vm.cpu.model !== 'string' || !Array.isArray(vm.cpu.requiredFeatures)) return 'cpu: expected a model and a feature list';
  if (!Array.isArray(vm.volumeKinds)) return 'volumes: expected a list';
  if (!vm.moves || !nonNegative(vm.moves.count)) return `moves: expected a count ≥ 0, got ${String(vm.moves?.count)}`;
  return undefined;
}

function linkProblem(link: LinkMeasurement): string | undefined {
  if (!positive(link.bandwidthBytesPerSecond)) return `link bandwidth: expected more than 0 bit/s, got ${String(link.bandwidthBytesPerSecond)} B/s`;
  if (!nonNegative(link.rttMs)) return `link rtt: expected a duration ≥ 0, got ${String(link.rttMs)} ms`;
  if (!finite(link.measuredAtMs)) return `link measured-at: expected a time, got ${String(link.measuredAtMs)}`;
  return undefined;
}

function policyProblem(p: PlacementPolicy): string | undefined {
  const t = p.thresholds;
  if (!nonNegative(t?.minBandwidthBytesPerSecond) || !positive(t?.maxPredictedSeconds) || !positive(t?.maxDirtyRateRatio) || !positive(t?.maxDowntimeMs)) return 'thresholds: expected positive finite values';
  const m = p.migration;
  if (!m || !positive(m.downtimeLimitMs) || !nonNegative(m.completionTimeoutPerGiB) || !nonNegative(m.progressTimeoutSeconds)) return 'migration: expected positive finite timeouts';
  if (m.bandwidthLimitBytesPerSecond !== undefined && !positive(m.bandwidthLimitBytesPerSecond)) return 'migration.bandwidthLimit: expected more than 0 bit/s';
  if (!nonNegative(p.cooldown?.baseSeconds) || !nonNegative(p.cooldown?.maxSeconds)) return 'cooldown: expected durations ≥ 0';
  const b = p.failureBackoff;
  if (!b || !nonNegative(b.baseSeconds) || !nonNegative(b.maxSeconds) || !positive(b.maxFailuresPerTarget)) return 'failureBackoff: expected durations ≥ 0 and maxFailuresPerTarget ≥ 1';
  if (!positive(p.linkMaxAgeSeconds)) return 'linkMaxAge: expected a duration > 0';
  if (!nonNegative(p.hysteresisMargin) || !positive(p.limits?.maxConcurrentPerPlacement) || !positive(p.limits?.maxConcurrentPerClientNode)) return 'limits or hysteresis: expected positive values';
  return undefined;
}

export interface CheckedInput {
  readonly input: PlanInput;
  /** Per VM (by index into input.vms): why it is left out. */
  readonly vmProblems: ReadonlyMap<number, string>;
  readonly invalid: readonly InvalidInput[];
}

/** The input with unusable node values neutralised, and the VMs that cannot be planned. */
export function checkPlanInput(input: PlanInput): CheckedInput {
  const invalid: InvalidInput[] = [];
  const nowMs = finite(input.nowMs) ? input.nowMs : 0;
  const policies = new Map<string, string | undefined>();
  const placements: PlacementPolicy[] = [];
  for (const p of input.placements ?? []) {
    const problem = policyProblem(p);
    policies.set(p.key, problem);
    if (problem) invalid.push({ kind: 'Placement', key: p.key, message: problem });
    else placements.push(p);
  }
  const nodes = (input.nodes ?? []).map((node, i): NodeView => {
    let n = node;
    // Structure first: the checks below read these.
    if (typeof n.name !== 'string' || n.name === '') {
      invalid.push({ kind: 'Node', key: String(n.name), message: 'name: expected a non-empty string; the node is left out' });
      n = { ...n, name: `<unnamed node ${i}>`, clientFor: [], homeFor: [] };
    }
    if (!Array.isArray(n.clientFor) || !Array.isArray(n.homeFor)) n = { ...n, clientFor: Array.isArray(n.clientFor) ? n.clientFor : [], homeFor: Array.isArray(n.homeFor) ? n.homeFor : [] };
    if (n.labels === null || typeof n.labels !== 'object') {
      invalid.push({ kind: 'Node', key: n.name, message: 'labels: expected a map; read as none' });
      n = { ...n, labels: {} };
    }
    if (!Array.isArray(n.taints)) {
      // Unknown taints may forbid anything: the conservative reading is "cordoned".
      invalid.push({ kind: 'Node', key: n.name, message: 'taints: expected a list; the node is treated as unschedulable' });
      n = { ...n, taints: [], unschedulable: true };
    }
    if (n.link !== undefined && (n.link === null || typeof n.link !== 'object')) {
      const { link: _dropped, ...rest } = n;
      n = rest;
    }
    if (n.leaving !== undefined && (n.leaving === null || typeof n.leaving !== 'object')) n = { ...n, leaving: {} };
    if (n.link && linkProblem(n.link)) {
      invalid.push({ kind: 'Node', key: n.name, message: `${linkProblem(n.link)}; the link is treated as unmeasured` });
      const { link: _dropped, ...rest } = n;
      n = rest;
    }
    const capacity = resourcesProblem(n.allocatable, 'allocatable') ?? resourcesProblem(n.requested, 'requested');
    if (capacity) {
      invalid.push({ kind: 'Node', key: n.name, message: `${capacity}; the node is treated as full` });
      n = { ...n, allocatable: { cpuMillis: 0, memoryBytes: 0 }, requested: { cpuMillis: 0, memoryBytes: 0 } };
    }
    if (n.leaving?.departureAtMs !== undefined && !finite(n.leaving.departureAtMs)) {
      invalid.push({ kind: 'Node', key: n.name, message: 'departure time: not a time; the client is treated as leaving now' });
      n = { ...n, leaving: {} };
    }
    return n;
  });
  const vmProblems = new Map<number, string>();
  (input.vms ?? []).forEach((vm, i) => {
    const placement = policies.get(vm.placementKey);
    const problem = !policies.has(vm.placementKey)
      ? `placement ${vm.placementKey} is not among the placements planned`
      : placement !== undefined
        ? `placement ${vm.placementKey} is unusable (${placement})`
        : vmInputProblem(vm);
    if (problem === undefined) return;
    vmProblems.set(i, problem);
    // The placement's own problem is reported once, above.
    if (placement === undefined) invalid.push({ kind: 'VM', key: vm.key, message: `${problem}; the VM is left out of the plan` });
  });
  const limits = input.clusterLimits;
  const clusterLimits = {
    parallelMigrationsPerCluster: positive(limits?.parallelMigrationsPerCluster) ? limits.parallelMigrationsPerCluster : 5,
    parallelOutboundMigrationsPerNode: positive(limits?.parallelOutboundMigrationsPerNode) ? limits.parallelOutboundMigrationsPerNode : 2,
  };
  return { input: { ...input, nowMs, placements, nodes, clusterLimits, inFlight: input.inFlight ?? [], vms: input.vms ?? [] }, vmProblems, invalid };
}
