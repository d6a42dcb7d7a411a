/**
 * The gatherer: from the cluster's objects (and the external sources behind a VmMeasurementReader)
 * to the engine's plain input. All parsing of Kubernetes objects into domain values happens in
 * observation/; the engine sees no Kubernetes types. Used alike by the operator, `plan` and the
 * simulator.
 */
import type { InFlightMigration, LinkMeasurement, NodeView, PlacementPolicy, PlanInput, VmView } from '../domain/placement/index.js';
import { parseBytes } from '../domain/units.js';
import { LEAVING_TAINT } from './annotations.js';
import { SettingsResolver, type EffectiveMigrationSettings, type KubevirtMigrationConfig, type KubevirtMigrationPolicy } from '../domain/migration/kubevirt-settings.js';
import { vmiCondition, type KubeVirt, type MigrationPolicy, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../kube/kubevirt.js';
import { isNodeReady, type Node } from '../kube/node.js';
import { byCreation, objectKey } from '../kube/objects.js';
import { PlacementLabels, type OfflineFirstPlacement } from '../kube/placement.js';
import { matchesSelector } from '../kube/selectors.js';
import { activeKubevirt, kubevirtMigrationConfig, migrationPolicy } from './kubevirt-settings.js';
import { vmHistory, type VmHistory } from './history.js';
import { desiredPolicies, managedPolicyIntent, managedPolicyOwner, type ManagedPolicyIntent } from './managed-policy.js';
import { placementPolicy } from './placement-policy.js';
import { linkFromNodeLink } from './node-link.js';
import type { NodeLink } from '../kube/node-link.js';
import { openOrSettling } from './settling.js';
import { learnedLinkCorrections } from './link-learning.js';
import type { LinkCorrection } from '../domain/placement/link-correction.js';
import { VmMeasurementReader, type VmMeasurements } from './vm-measurements.js';
import { ParsedFacts, valueOf, type DerivedVm, type NodeParsers, type VmiFacts, type VmiParsers } from './parsed-facts.js';

/** Launcher pod overhead on top of the guest memory request (virt-launcher, QEMU, page tables). */
const LAUNCHER_OVERHEAD_BYTES = 300 * 1024 * 1024;
export { FALLBACK_DIRTY_RATE_BYTES_PER_SECOND } from './vm-measurements.js';

export interface Observed {
  placements: readonly OfflineFirstPlacement[];
  vmis: readonly VirtualMachineInstance[];
  migrations: readonly VirtualMachineInstanceMigration[];
  nodes: readonly Node[];
  nowMs: number;
  /** Used when no KubeVirt resource is observed (`kubevirt` absent or empty); KubeVirt's defaults otherwise. */
  clusterLimits?: { parallelMigrationsPerCluster: number; parallelOutboundMigrationsPerNode: number };
  /**
   * KubeVirt resources (kubevirt.io/v1): the oldest one's spec.configuration.migrations, and the
   * MigrationPolicies with the VMI's namespace labels, give each VM the settings KubeVirt will use.
   * Without a KubeVirt resource and a matching policy, a VM's predictions use its placement's
   * spec.migration as before.
   */
  kubevirt?: readonly KubeVirt[];
  migrationPolicies?: readonly MigrationPolicy[];
  /**
   * false when the cluster does not serve MigrationPolicies (no KubeVirt, or an old one): a
   * placement's spec.migration settings cannot be applied then. Assumed served when absent.
   */
  migrationPoliciesServed?: boolean;
  /** For the policies' namespaceSelector. */
  namespaces?: readonly { metadata: { name?: string; labels?: Record<string, string> } }[];
  /**
   * The last usable link measurement per node, kept by the caller across plans: a leaving client
   * whose link annotation became unreadable is brought home with it (stale, so low confidence).
   */
  lastGoodLinks?: Map<string, { bandwidthBytesPerSecond: number; rttMs?: number; measuredAtMs: number; source?: 'annotation' | 'agent' }>;
  /** The link agents' records, one per node named after it; a node's link annotations override its record. */
  nodeLinks?: readonly NodeLink[];
  /** Reads each VM's measurements from its sources (kept across plans for its estimate cache). */
  measurements?: VmMeasurementReader;
  /**
   * What was parsed of each cached object, kept across plans (parsed-facts.ts): only for objects
   * nobody edits in place, such as an informer's. Without it every object is parsed on each call.
   */
  facts?: ParsedFacts;
  /** Real seconds per second the migrations report (1 on a real cluster), for the link learning. */
  timeScale?: number;
}

export interface PlacementProblem {
  placementKey: string;
  reason: 'InvalidSpec' | 'VMClaimedByOtherPlacement';
  message: string;
}

export interface Gathered {
  input: PlanInput;
  /** Valid placements by key, with their object. */
  placements: Map<string, { object: OfflineFirstPlacement; policy: PlacementPolicy }>;
  problems: PlacementProblem[];
  /** Problems with input data (bad annotations), by object, for status, events and logs. */
  inputErrors: InputProblem[];
  /** The placement that owns each selected VMI (the oldest that selects it), by VMI key. */
  owners: Map<string, string>;
  /** Per placement whose spec.migration asks for settings: its managed MigrationPolicy. */
  managedPolicies: Map<string, ManagedPolicyIntent>;
  /** Per placement: its VMs KubeVirt would not migrate with those settings, one line each. */
  settingsNotApplied: Map<string, string[]>;
}

/** A value on a Node or VMI the operator could not use, and what it did instead. */
export interface InputProblem {
  kind: 'Node' | 'NodeLink' | 'VirtualMachineInstance' | 'OfflineFirstPlacement' | 'KubeVirt' | 'MigrationPolicy';
  namespace?: string;
  name: string;
  message: string;
}

/** "Node ws-01: …", "VMI lab/vm-1: …": one line for logs and the plan command. */
export function describeInputProblem(p: InputProblem): string {
  return `${p.kind === 'VirtualMachineInstance' ? 'VMI' : p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name}: ${p.message}`;
}

const nodeProblem = (name: string, message: string): InputProblem => ({ kind: 'Node', name, message });
const vmiProblem = (vmi: VirtualMachineInstance, message: string): InputProblem => ({
  kind: 'VirtualMachineInstance',
  ...(vmi.metadata.namespace ? { namespace: vmi.metadata.namespace } : {}),
  name: vmi.metadata.name ?? '',
  message,
});

export function cpuMillis(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const s = String(q);
  if (s.endsWith('m')) return Number(s.slice(0, -1));
  return Number(s) * 1000;
}

function memoryBytes(q: string | number | undefined, field: string): number {
  return q === undefined ? 0 : parseBytes(String(q), field);
}

function vmiFootprint(vmi: VirtualMachineInstance): { cpuMillis: number; memoryBytes: number } {
  const req = vmi.spec.domain.resources?.requests ?? {};
  const guest = vmi.spec.domain.memory?.guest;
  const mem = memoryBytes(req.memory ?? guest, 'spec.domain.resources.requests.memory');
  const cpu = req.cpu !== undefined ? cpuMillis(req.cpu) : (vmi.spec.domain.cpu?.cores ?? 1) * 1000;
  return { cpuMillis: cpu, memoryBytes: mem + LAUNCHER_OVERHEAD_BYTES };
}

const VMI_PARSERS: VmiParsers = {
  footprint: vmiFootprint,
  memoryBytes: (vmi) => parseBytes(String(vmi.spec.domain.memory?.guest ?? vmi.spec.domain.resources?.requests?.memory ?? '1Gi'), 'spec.domain.memory.guest'),
};

const NODE_PARSERS: NodeParsers = {
  allocatable: (node) => {
    const alloc = node.status?.allocatable ?? {};
    return { cpuMillis: cpuMillis(alloc.cpu), memoryBytes: memoryBytes(alloc.memory, 'status.allocatable.memory') };
  },
};

export function gather(o: Observed): Gathered {
  const facts = o.facts ?? ParsedFacts.once();
  const problems: PlacementProblem[] = [];
  const inputErrors: InputProblem[] = [];
  const placements = new Map<string, { object: OfflineFirstPlacement; policy: PlacementPolicy }>();
  // Oldest first, so that a VM selected by two placements belongs to the older one.
  const ordered = [...o.placements].sort(byCreation);
  for (const p of ordered) {
    if (p.metadata.deletionTimestamp) continue;
    const r = placementPolicy(p);
    if ('error' in r) problems.push({ placementKey: objectKey(p), reason: 'InvalidSpec', message: r.error });
    else placements.set(objectKey(p), { object: p, policy: r.policy });
  }

  const nodes: NodeView[] = [];
  // What each client's finished migrations achieved of its measured link (link-learning.ts).
  const corrections = learnedLinkCorrections(o.migrations, o.nowMs, o.timeScale);
  const nodeLinks = new Map((o.nodeLinks ?? []).map((r) => [r.metadata.name ?? '', r]));
  const nodeByName = new Map<string, Node>();
  const requested = new Map<string, { cpuMillis: number; memoryBytes: number }>();
  for (const vmi of o.vmis) {
    const n = vmi.status?.nodeName;
    if (!n || vmi.status?.phase === 'Succeeded' || vmi.status?.phase === 'Failed') continue;
    try {
      const f = valueOf(facts.vmi(vmi, VMI_PARSERS).footprint);
      const r = requested.get(n) ?? { cpuMillis: 0, memoryBytes: 0 };
      requested.set(n, { cpuMillis: r.cpuMillis + f.cpuMillis, memoryBytes: r.memoryBytes + f.memoryBytes });
    } catch (err) {
      inputErrors.push(vmiProblem(vmi, String(err)));
    }
  }
  for (const node of o.nodes) {
    const name = node.metadata.name!;
    nodeByName.set(name, node);
    const labels = node.metadata.labels ?? {};
    const clientFor: string[] = [];
    const homeFor: string[] = [];
    let linkClasses: Record<string, string> | undefined;
    for (const [key, { object }] of placements) {
      if (matchesSelector(object.spec.clientNodeSelector, labels)) {
        clientFor.push(key);
        const linkClass = object.spec.linkClasses?.find((c) => matchesSelector(c.nodeSelector, labels));
        if (linkClass) (linkClasses ??= {})[key] = linkClass.name;
      }
      if (matchesSelector(object.spec.homeNodeSelector, labels)) homeFor.push(key);
    }
    // The annotations are a manual override; the link agent's record otherwise (docs/link-record.md).
    const parsed = facts.node(node, NODE_PARSERS);
    const annotated = parsed.link;
    if (annotated.error) inputErrors.push(nodeProblem(name, annotated.error));
    const record = nodeLinks.get(name);
    const recorded = record ? linkFromNodeLink(record) : {};
    if (recorded.error) inputErrors.push({ kind: 'NodeLink', name, message: recorded.error });
    const measured = annotated.value ? { ...annotated.value, source: 'annotation' as const } : recorded.value ? { ...recorded.value, source: 'agent' as const } : undefined;
    const linkError = measured ? undefined : (annotated.error ?? recorded.error);
    const departure = parsed.departure;
    if (departure.error) inputErrors.push(nodeProblem(name, departure.error));
    let allocatable = { cpuMillis: 0, memoryBytes: 0 };
    try {
      allocatable = valueOf(parsed.allocatable);
    } catch (err) {
      inputErrors.push(nodeProblem(name, String(err)));
    }
    if (measured) o.lastGoodLinks?.set(name, measured);
    const l = measured ?? (linkError && departure.value ? o.lastGoodLinks?.get(name) : undefined);
    nodes.push({
      name,
      ready: isNodeReady(node),
      unschedulable: node.spec?.unschedulable ?? false,
      taints: (node.spec?.taints ?? []).filter((t) => t.key !== LEAVING_TAINT),
      labels,
      allocatable,
      requested: requested.get(name) ?? { cpuMillis: 0, memoryBytes: 0 },
      // Without a measured RTT the latency trigger cannot fire (0 is never above a threshold): unknown is not slow.
      ...(l ? { link: { bandwidthBytesPerSecond: l.bandwidthBytesPerSecond, rttMs: l.rttMs ?? 0, measuredAtMs: l.measuredAtMs, ...(l.source ? { source: l.source } : {}), ...correctedLink(l.bandwidthBytesPerSecond, corrections.get(name)) } } : {}),
      ...(departure.value ? { leaving: departure.value } : {}),
      clientFor,
      homeFor,
      ...(linkClasses ? { linkClasses } : {}),
    });
  }

  // A migration being deleted is being aborted: it holds its slots under every limit until it ends.
  // A migration that just succeeded stays open until its VMI is seen on the target (settling.ts).
  const vmiByKey = new Map(o.vmis.map((v) => [objectKey(v), v]));
  const open = openOrSettling(o.migrations, vmiByKey, o.nowMs);
  const openByVm = new Map(open.map((m) => [`${m.metadata.namespace}/${m.spec.vmiName}`, m]));
  const migrationsByVm = new Map<string, VirtualMachineInstanceMigration[]>();
  for (const m of o.migrations) {
    const key = `${m.metadata.namespace}/${m.spec.vmiName}`;
    const list = migrationsByVm.get(key);
    if (list) list.push(m);
    else migrationsByVm.set(key, [m]);
  }

  // KubeVirt's migration settings: the cluster's, and the policies to match per VMI.
  const kubevirt = activeKubevirt(o.kubevirt ?? []);
  let clusterConfig: KubevirtMigrationConfig | undefined;
  if (kubevirt) {
    const parsed = kubevirtMigrationConfig(kubevirt);
    clusterConfig = parsed.value;
    for (const message of parsed.errors) inputErrors.push({ kind: 'KubeVirt', ...(kubevirt.metadata.namespace ? { namespace: kubevirt.metadata.namespace } : {}), name: kubevirt.metadata.name ?? '', message });
  }
  // The policies KubeVirt will match: those in the cluster, with each placement's managed policy as
  // the operator keeps it (desired, not as last seen) in place of the managed ones.
  const intents = new Map<string, ManagedPolicyIntent>();
  for (const { object } of placements.values()) {
    const intent = managedPolicyIntent(object);
    if (!intent) continue;
    intents.set(
      intent.placementKey,
      o.migrationPoliciesServed === false && desiredPolicies(intent).length > 0
        ? { placementKey: intent.placementKey, classes: [], notCarried: intent.notCarried, refusal: 'spec.migration sets migration settings, but the cluster does not serve KubeVirt\'s MigrationPolicy API (migrations.kubevirt.io/v1alpha1) that would apply them' }
        : intent,
    );
  }
  const policies: KubevirtMigrationPolicy[] = [];
  const readPolicy = (p: MigrationPolicy) => {
    const parsed = migrationPolicy(p);
    if (parsed.value) policies.push(parsed.value);
    for (const message of parsed.errors) inputErrors.push({ kind: 'MigrationPolicy', name: p.metadata.name ?? '', message });
  };
  for (const p of o.migrationPolicies ?? []) if (managedPolicyOwner(p) === undefined) readPolicy(p);
  for (const intent of intents.values()) for (const desired of desiredPolicies(intent)) readPolicy(desired);
  const resolver = new SettingsResolver(clusterConfig, policies);
  const clusterSettings = clusterConfig ? resolver.cluster : undefined;
  const namespaceLabels = new Map((o.namespaces ?? []).map((n) => [n.metadata.name ?? '', n.metadata.labels]));

  const vms: VmView[] = [];
  const measurements = o.measurements ?? new VmMeasurementReader();
  const claimedBy = new Map<string, string>();
  const overridden = new Map<string, string[]>();
  // Each VMI derived once per context (vm-view-memo.ts). The context is all the loop reads besides
  // the VMI and its migrations; measurements read from outside the object (Prometheus) change
  // without it, so with such a source every VMI is derived on every plan.
  const memo = facts.remembers && !measurements.readsOutside ? facts.views : undefined;
  memo?.begin(JSON.stringify([
    [...placements.values()].map(({ object: p }) => [objectKey(p), p.metadata.uid ?? '', p.metadata.generation ?? p.spec]),
    clusterConfig ?? null,
    policies,
    [...namespaceLabels],
    o.migrationPoliciesServed ?? true,
  ]));
  const context: VmContext = { placements: [...placements.values()], resolver, clusterConfig, intents, namespaceLabels, facts, measurements };
  for (const vmi of o.vmis) {
    const key = objectKey(vmi);
    const history = migrationsByVm.get(key) ?? NO_MIGRATIONS;
    const isOpen = openByVm.has(key);
    let derived = memo?.get(vmi, isOpen, history);
    if (!derived) {
      derived = deriveVm(vmi, key, isOpen, history, context);
      memo?.set(vmi, isOpen, history, derived);
    }
    for (const c of derived.claims) problems.push({ placementKey: c.placementKey, reason: 'VMClaimedByOtherPlacement', message: c.message });
    for (const error of derived.errors) inputErrors.push(vmiProblem(vmi, error));
    if (derived.owner === undefined) continue;
    claimedBy.set(key, derived.owner);
    if (derived.notApplied) overridden.set(derived.owner, [...(overridden.get(derived.owner) ?? []), `${vmi.metadata.name}: ${derived.notApplied}`]);
    if (derived.view) vms.push(derived.view);
  }

  const inFlight: InFlightMigration[] = open.map((m) => {
    const vmKey = `${m.metadata.namespace}/${m.spec.vmiName}`;
    const placementName = m.metadata.labels?.[PlacementLabels.placement];
    const state = m.status?.migrationState;
    const vmi = vmiByKey.get(vmKey);
    const target = state?.targetNode ?? m.spec.addedNodeSelector?.['kubernetes.io/hostname'];
    const direction = m.metadata.labels?.[PlacementLabels.direction];
    return {
      vmKey,
      ...(placementName ? { placementKey: `${m.metadata.namespace}/${placementName}` } : {}),
      sourceNode: state?.sourceNode ?? vmi?.status?.nodeName ?? '',
      ...(target ? { targetNode: target } : {}),
      direction: direction === 'ToClient' || direction === 'Home' ? direction : 'Other',
      targetCounted: false,
    };
  });

  return {
    input: {
      nowMs: o.nowMs,
      placements: [...placements.values()].map((p) => p.policy),
      nodes,
      vms,
      inFlight,
      clusterLimits: clusterSettings
        ? { parallelMigrationsPerCluster: clusterSettings.parallelMigrationsPerCluster, parallelOutboundMigrationsPerNode: clusterSettings.parallelOutboundMigrationsPerNode }
        : (o.clusterLimits ?? { parallelMigrationsPerCluster: 5, parallelOutboundMigrationsPerNode: 2 }),
    },
    placements,
    problems,
    inputErrors,
    owners: claimedBy,
    managedPolicies: intents,
    settingsNotApplied: overridden,
  };
}

const NO_MIGRATIONS: readonly VirtualMachineInstanceMigration[] = [];

/** What deriving one VMI reads besides the VMI and its migrations: the same for every VMI of a plan. */
interface VmContext {
  placements: readonly { object: OfflineFirstPlacement; policy: PlacementPolicy }[];
  resolver: SettingsResolver;
  clusterConfig: KubevirtMigrationConfig | undefined;
  intents: ReadonlyMap<string, ManagedPolicyIntent>;
  namespaceLabels: ReadonlyMap<string, Record<string, string> | undefined>;
  facts: ParsedFacts;
  measurements: VmMeasurementReader;
}

/** One VMI's placement, KubeVirt's settings for it and its view for the planner, with the problems found. */
function deriveVm(vmi: VirtualMachineInstance, key: string, isOpen: boolean, migrations: readonly VirtualMachineInstanceMigration[], c: VmContext): DerivedVm {
  const ns = vmi.metadata.namespace!;
  let owner: { object: OfflineFirstPlacement; policy: PlacementPolicy } | undefined;
  const claims: { placementKey: string; message: string }[] = [];
  for (const entry of c.placements) {
    if (entry.object.metadata.namespace !== ns || !matchesSelector(entry.object.spec.vmSelector, vmi.metadata.labels)) continue;
    if (!owner) owner = entry;
    else claims.push({ placementKey: entry.policy.key, message: `VMI ${key} is also selected by the older placement ${owner.policy.key}` });
  }
  if (!owner) return { claims, errors: [] };
  // The link-class label a VMI carries is the operator's, set before each move: matched without it,
  // and with each class of the placement that has a policy.
  const { [PlacementLabels.linkClass]: _class, ...labels } = vmi.metadata.labels ?? {};
  const vmiLabels = vmi.metadata.labels ? labels : undefined;
  const nsLabels = c.namespaceLabels.get(ns);
  const settings = c.resolver.forVmi(vmiLabels, nsLabels);
  const intent = c.intents.get(owner.policy.key);
  const classSettings = intent?.classes.length
    ? Object.fromEntries(intent.classes.map((cl) => [cl.name, c.resolver.forVmi({ ...labels, [PlacementLabels.linkClass]: cl.name }, nsLabels)]))
    : undefined;
  const migrationSettings = c.clusterConfig !== undefined || settings.policy !== undefined || intent !== undefined ? settings : undefined;
  const notApplied = intent ? settingsNotApplied(intent, settings, classSettings) : undefined;
  const errors: string[] = [];
  let view: VmView | undefined;
  try {
    const parsed = c.facts.vmi(vmi, VMI_PARSERS);
    const base = vmView(vmi, parsed, owner, isOpen, vmHistory(migrations, vmi.status?.migrationState), (memoryBytes, f) => c.facts.measurements(vmi, f, memoryBytes, c.measurements), errors);
    view = { ...base, ...(migrationSettings ? { migrationSettings } : {}), ...(classSettings ? { classSettings } : {}), ...(notApplied ? { settingsNotApplied: notApplied } : {}) };
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
  }
  return { owner: owner.policy.key, claims, ...(view ? { view } : {}), ...(notApplied ? { notApplied } : {}), errors };
}

/** The learned correction applied to a measured bandwidth, the measurement kept beside it. */
function correctedLink(measured: number, c: LinkCorrection | undefined): Pick<LinkMeasurement, 'bandwidthBytesPerSecond' | 'correction' | 'measuredBandwidthBytesPerSecond'> | undefined {
  return c ? { bandwidthBytesPerSecond: measured * c.factor, correction: c.factor, measuredBandwidthBytesPerSecond: measured } : undefined;
}

/** Why KubeVirt would not migrate a VM with its placement's managed policy, if it would not. */
function settingsNotApplied(intent: ManagedPolicyIntent, settings: EffectiveMigrationSettings, classSettings: Record<string, EffectiveMigrationSettings> | undefined): string | undefined {
  if (intent.refusal) return intent.refusal;
  const overridden = (got: EffectiveMigrationSettings, desired: string, what: string) =>
    got.policy === desired ? undefined : `KubeVirt would migrate it with MigrationPolicy ${got.policy}, which selects it with more labels (or an earlier name) than the placement's ${desired}: ${what} would not apply`;
  if (intent.desired) {
    const base = overridden(settings, intent.desired.metadata.name!, "the placement's spec.migration");
    if (base) return base;
  }
  for (const c of intent.classes) {
    const s = classSettings?.[c.name];
    const cls = s && overridden(s, c.desired.metadata.name!, `link class ${c.name}'s settings`);
    if (cls) return cls;
  }
  return undefined;
}

function vmView(
  vmi: VirtualMachineInstance,
  parsed: VmiFacts,
  owner: { object: OfflineFirstPlacement; policy: PlacementPolicy },
  migrating: boolean,
  history: VmHistory,
  measure: (memoryBytes: number, parsed: VmiFacts) => VmMeasurements,
  errors: string[],
): VmView {
  const key = objectKey(vmi);
  const lm = vmiCondition(vmi, 'LiveMigratable');
  const memoryBytes = valueOf(parsed.memoryBytes);
  // Each source in its precedence (sources.ts); what was unusable is reported.
  const measured = measure(memoryBytes, parsed);
  errors.push(...measured.errors);
  const binding = owner.object.spec.clientBinding;
  const boundClient = binding?.labelKey ? vmi.metadata.labels?.[binding.labelKey] : binding?.annotationKey ? vmi.metadata.annotations?.[binding.annotationKey] : undefined;
  const disks = parsed.disks;
  errors.push(...disks.errors);
  const cpu = vmi.spec.domain.cpu ?? {};
  const footprint = valueOf(parsed.footprint);
  return {
    key,
    placementKey: owner.policy.key,
    nodeName: vmi.status?.nodeName ?? '',
    phase: vmi.status?.phase ?? '',
    liveMigratable: lm?.status === 'True',
    ...(lm?.status === 'False' && lm.reason ? { liveMigratableReason: lm.reason } : {}),
    migrating: migrating || (vmi.status?.migrationState !== undefined && !vmi.status.migrationState.completed && !vmi.status.migrationState.failed && !!vmi.status.migrationState.migrationUid),
    memoryBytes,
    // Raw: the model's input function adds what "used" leaves out (memmap, kernel, firmware).
    ...(measured.guestUsedBytes !== undefined ? { guestUsedBytes: measured.guestUsedBytes } : {}),
    requests: footprint,
    cpu: {
      model: cpu.model ?? 'host-model',
      requiredFeatures: (cpu.features ?? []).filter((f) => !f.policy || f.policy === 'require').map((f) => f.name),
    },
    ...(boundClient ? { boundClient } : {}),
    volumeKinds: disks.volumeKinds,
    blockMigrationDiskBytes: disks.copiedDiskBytes,
    budgetDiskBytes: disks.budgetDiskBytes,
    ...(disks.assumed ? { localDiskBytesAssumed: true } : {}),
    dirtyRate: measured.dirtyRate,
    moves: history.moves,
    ...(history.failures.consecutive > 0 || history.failures.lastAttempt > 0 ? { failures: history.failures } : {}),
  };
}
