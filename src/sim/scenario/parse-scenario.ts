/**
 * A scenario document (parsed YAML) into a Scenario: every field checked, with an error that names
 * it; `count` entries expanded; names resolved. Placement specs are checked against the CRD's own
 * schema and CEL rules and read with the operator's placementPolicy, so a scenario's placement is
 * exactly what `kubectl apply` would accept and the operator would plan with.
 *
 * The format is documented in the README ("Simulate before you deploy") and by the built-in
 * scenarios (`offline-first simulate --scenario lab-room --print-scenario`).
 */
import type { DirtyRateInput } from '../../domain/migration/predict.js';
import type { VolumeKind } from '../../domain/placement/index.js';
import { placementPolicy } from '../../observation/placement-policy.js';
import { cpuMillis } from '../../observation/gather.js';
import type { OfflineFirstPlacementSpec } from '../../kube/placement.js';
import { matchesSelector } from '../../kube/selectors.js';
import { parseStart, parseTimeOfDay, type ClockStart } from './clock.js';
import { checkAgainstSchema, type OpenApiSchema } from './crd-schema.js';
import { Field, ScenarioError } from './field-reader.js';
import { checkPlacementRules } from './placement-rules.js';
import type { NodeRole, Scenario, ScenarioLink, ScenarioNode, ScenarioPlacement, ScenarioVm, Session } from './types.js';

export interface ParseOptions {
  /** The CRD's spec schema (crd-schema.ts placementSpecSchema). */
  readonly placementSpecSchema: OpenApiSchema;
}

const TOP_FIELDS = ['name', 'description', 'namespace', 'time', 'kubevirt', 'defaults', 'nodes', 'vms', 'placements'];
const NODE_FIELDS = ['name', 'count', 'first', 'role', 'labels', 'cpu', 'capacity', 'link', 'online'];
const VM_VALUE_FIELDS = [
  'namespace', 'labels', 'memory', 'guestUsed', 'dirtyRate', 'dirtyRateWindows', 'dirtyRateKnown', 'cpuLoad', 'cpuModel', 'client', 'node', 'volumes', 'liveMigratable',
];
const VM_FIELDS = ['name', 'count', 'first', ...VM_VALUE_FIELDS];
const VOLUME_KINDS: readonly VolumeKind[] = [
  'containerDisk', 'emptyDisk', 'ephemeral', 'cloudInitNoCloud', 'cloudInitConfigDrive', 'persistentVolumeClaim',
  'dataVolume', 'hostDisk', 'sharedHostDisk', 'configMap', 'secret', 'serviceAccount', 'downwardAPI',
];
/** Enough for a what-if of a few thousand VMs over a week at a 1 s step. */
const MAX_STEPS = 1_000_000;
const MAX_COUNT = 100_000;

const ROLE_DEFAULTS: Record<NodeRole, { cpu: string; memory: string }> = {
  cloud: { cpu: '32', memory: '256Gi' },
  client: { cpu: '8', memory: '16Gi' },
};

export function parseScenario(doc: unknown, opts: ParseOptions): Scenario {
  const root = new Field(doc, '').mapping(TOP_FIELDS);
  const namespace = root.at('namespace').optionalString() ?? 'default';
  const time = root.at('time').mapping(['start', 'horizon', 'step']);
  const startText = time.at('start').string();
  const clock = parseStart(startText) ?? time.at('start').fail(`expected an RFC 3339 time with a zone such as 2026-11-25T08:00:00+01:00, got "${startText}"`);
  const horizonMs = positiveDuration(time.at('horizon'));
  const stepMs = time.at('step').present ? positiveDuration(time.at('step')) : 30_000;
  if (stepMs > horizonMs) time.at('step').fail('must not be longer than time.horizon');
  if (horizonMs / stepMs > MAX_STEPS) time.at('step').fail(`gives more than ${MAX_STEPS} steps over time.horizon; use a longer step`);

  const kubevirt = root.at('kubevirt');
  if (kubevirt.present) kubevirt.mapping(['parallelMigrationsPerCluster', 'parallelOutboundMigrationsPerNode']);

  const nodes = expand(root.at('nodes').items('node'), NODE_FIELDS).map(({ field, template }) => {
    const node = readNode(field, clock);
    return template ? { field, value: { ...node, name: expandName(field.at('name'), template.i) } } : { field, value: node };
  });
  unique(nodes, 'node');
  if (!nodes.some((n) => n.value.role === 'cloud')) root.at('nodes').fail('expected at least one node with role cloud (the data centre)');

  const placements = root.at('placements').items('placement').map((f, i) => readPlacement(f, i, namespace, opts.placementSpecSchema));
  unique(placements.map((p, i) => ({ field: new Field(undefined, `placements[${i}]`), value: { name: p.key } })), 'placement');

  const defaults = root.at('defaults');
  let vmDefaults: Record<string, unknown> = {};
  if (defaults.present) {
    const vm = defaults.mapping(['vm']).at('vm');
    if (vm.present) {
      vm.mapping(VM_VALUE_FIELDS);
      // Checked once on its own, so that a bad default is reported where it is written.
      readVmValues(vm, { nodes, placements, namespace, defaultNode: nodes.find((n) => n.value.role === 'cloud')!.value.name, template: undefined, partial: true });
      vmDefaults = vm.value as Record<string, unknown>;
    }
  }
  const cloudNames = nodes.filter((n) => n.value.role === 'cloud').map((n) => n.value.name);
  const vmEntries = root.at('vms').items('VM').map((f) => {
    f.mapping(VM_FIELDS);
    const raw = f.value as Record<string, unknown>;
    const labels = { ...(vmDefaults.labels as object | undefined), ...(raw.labels as object | undefined) };
    return new Field({ ...vmDefaults, ...raw, ...(vmDefaults.labels || raw.labels ? { labels } : {}) }, f.path);
  });
  const vms = expand(vmEntries, VM_FIELDS).map(({ field, index, template }, i) => {
    const value = readVmValues(field, { nodes, placements, namespace, defaultNode: cloudNames[i % cloudNames.length]!, template, partial: false });
    const name = template ? expandName(field.at('name'), template.i) : field.at('name').string();
    return { field, value: { ...value, name, key: `${value.namespace}/${name}` } };
  });
  unique(vms.map((v) => ({ field: v.field, value: { name: v.value.key } })), 'VM');
  for (const { field, value } of vms) checkBinding(field, value, placements);

  return {
    name: root.at('name').string(),
    ...(root.at('description').present ? { description: root.at('description').string().trim() } : {}),
    startMs: clock.startMs,
    utcOffsetMinutes: clock.utcOffsetMinutes,
    horizonMs,
    stepMs,
    kubevirt: {
      parallelMigrationsPerCluster: kubevirt.at('parallelMigrationsPerCluster').integer(5, 1, 1000),
      parallelOutboundMigrationsPerNode: kubevirt.at('parallelOutboundMigrationsPerNode').integer(2, 1, 1000),
    },
    nodes: nodes.map((n) => n.value),
    vms: vms.map((v) => v.value),
    placements,
  };
}

function positiveDuration(f: Field): number {
  const ms = f.durationMs();
  if (!(ms > 0)) f.fail('must be longer than 0');
  return ms;
}

// ---------------------------------------------------------------------------------------------
// count templates
// ---------------------------------------------------------------------------------------------

interface Expanded {
  readonly field: Field;
  /** Position of the written entry. */
  readonly index: number;
  readonly template?: { readonly i: number };
}

const PLACEHOLDER = /\{i(?::0(\d))?\}/g;

function substitute(text: string, i: number): string {
  return text.replace(PLACEHOLDER, (_, width: string | undefined) => String(i).padStart(Number(width ?? 0), '0'));
}

function expandName(f: Field, i: number): string {
  return substitute(f.string(), i);
}

/** Entries with `count: n` stand for n entries whose names (and `client`, `node`) substitute {i} or {i:02}. */
function expand(entries: readonly Field[], known: readonly string[]): Expanded[] {
  const out: Expanded[] = [];
  entries.forEach((field, index) => {
    field.mapping(known);
    const count = field.at('count');
    if (!count.present) {
      if (field.at('first').present) field.at('first').fail('only makes sense with count');
      out.push({ field, index });
      return;
    }
    const n = count.integer(undefined, 1, MAX_COUNT);
    const first = field.at('first').integer(1, 0);
    const name = field.at('name').string();
    if (n > 1 && !new RegExp(PLACEHOLDER.source).test(name)) field.at('name').fail(`with count, the name needs {i} (or {i:02} for 01, 02, …), got "${name}"`);
    for (let i = first; i < first + n; i++) out.push({ field, index, template: { i } });
  });
  return out;
}

function unique(entries: readonly { field: Field; value: { name: string } }[], what: string): void {
  const seen = new Map<string, string>();
  for (const { field, value } of entries) {
    const earlier = seen.get(value.name);
    if (earlier !== undefined) throw new ScenarioError(field.path.endsWith('.name') ? field.path : `${field.path}.name`, `duplicate ${what} name ${value.name} (also ${earlier})`);
    seen.set(value.name, field.path);
  }
}

// ---------------------------------------------------------------------------------------------
// nodes
// ---------------------------------------------------------------------------------------------

function readNode(f: Field, clock: ClockStart): ScenarioNode {
  const role = f.at('role').oneOf<NodeRole>(['cloud', 'client']);
  const cpu = f.at('cpu');
  if (cpu.present) cpu.mapping(['vendor', 'arch', 'hostModel', 'usableModels']);
  const capacity = f.at('capacity');
  if (capacity.present) capacity.mapping(['cpu', 'memory']);
  const cpuText = capacity.at('cpu').present ? String(capacity.at('cpu').value) : ROLE_DEFAULTS[role].cpu;
  if (!(cpuMillis(cpuText) > 0)) capacity.at('cpu').fail(`expected a CPU quantity like 8 or 8000m, got "${cpuText}"`);
  const memoryText = capacity.at('memory').present ? String(capacity.at('memory').value) : ROLE_DEFAULTS[role].memory;
  if (capacity.at('memory').present) new Field(memoryText, capacity.at('memory').path).bytes();
  const link = f.at('link');
  const online = f.at('online');
  if (role === 'cloud') {
    if (link.present) link.fail('only client nodes have a link to the data centre');
    if (online.present) online.fail('cloud nodes are always online; only client nodes come and go');
  }
  const usable = cpu.at('usableModels');
  const value: ScenarioNode = {
    name: f.at('name').string(),
    role,
    labels: f.at('labels').stringMap(),
    cpu: {
      vendor: cpu.at('vendor').oneOf(['Intel', 'AMD'], 'Intel'),
      arch: cpu.at('arch').oneOf(['amd64', 'arm64'], 'amd64'),
      ...(cpu.at('hostModel').present ? { hostModel: cpu.at('hostModel').string() } : {}),
      ...(usable.present ? { usableModels: usable.list().map((m) => m.string()) } : {}),
    },
    capacity: { cpu: cpuText, memory: memoryText },
    ...(link.present ? { link: readLink(link) } : {}),
    sessions: online.present ? readSessions(online, clock) : [],
  };
  return value;
}

function readLink(f: Field): ScenarioLink {
  f.mapping(['bandwidth', 'rtt', 'network']);
  const bandwidth = f.at('bandwidth').rate();
  if (!(bandwidth > 0)) f.at('bandwidth').fail('must be more than 0');
  return {
    bandwidthBytesPerSecond: bandwidth,
    rttMs: f.at('rtt').durationMs(),
    network: f.at('network').oneOf(['lan', 'wan'], 'lan'),
  };
}

function readTime(f: Field, clock: ClockStart): number {
  const text = f.string();
  return parseTimeOfDay(text, clock) ?? f.fail(`expected a time of day like 08:05 or 17:30:00 (on the start's date), or an RFC 3339 time, got "${text}"`);
}

function readSessions(f: Field, clock: ClockStart): Session[] {
  const sessions: Session[] = [];
  for (const s of f.list()) {
    s.mapping(['from', 'until', 'notice']);
    const fromMs = readTime(s.at('from'), clock);
    const untilMs = s.at('until').present ? readTime(s.at('until'), clock) : undefined;
    if (untilMs !== undefined && untilMs <= fromMs) s.at('until').fail('must be after from');
    const previous = sessions.at(-1);
    if (previous && (previous.untilMs === undefined || fromMs < previous.untilMs)) s.at('from').fail('starts before the previous session ends');
    const notice = s.at('notice');
    if (notice.present && untilMs === undefined) notice.fail('only makes sense with until');
    // Default: the departure is known half an hour ahead (a timetable, a shutdown scheduled by the user).
    const noticeMs = notice.value === 'none' ? undefined : notice.present ? notice.durationMs() : 30 * 60_000;
    sessions.push({ fromMs, ...(untilMs !== undefined ? { untilMs } : {}), ...(noticeMs !== undefined && untilMs !== undefined ? { noticeMs } : {}) });
  }
  return sessions;
}

// ---------------------------------------------------------------------------------------------
// VMs
// ---------------------------------------------------------------------------------------------

interface VmContext {
  readonly nodes: readonly { value: ScenarioNode }[];
  readonly placements: readonly ScenarioPlacement[];
  readonly namespace: string;
  readonly defaultNode: string;
  readonly template: { readonly i: number } | undefined;
  /** defaults.vm: every field optional. */
  readonly partial: boolean;
}

type VmValues = Omit<ScenarioVm, 'name' | 'key'>;

function readVmValues(f: Field, ctx: VmContext): VmValues {
  const sub = (field: Field): string => (ctx.template ? substitute(field.string(), ctx.template.i) : field.string());
  const memoryBytes = f.at('memory').present ? f.at('memory').bytes() : 2 * 1024 ** 3;
  if (!(memoryBytes > 0)) f.at('memory').fail('must be more than 0');
  const guestUsed = f.at('guestUsed');
  const guestUsedBytes = guestUsed.present ? guestUsed.bytes() : undefined;
  if (guestUsedBytes !== undefined && guestUsedBytes > memoryBytes) guestUsed.fail('is more than the VM\'s memory');
  const { dirtyRate, dirtyRateText } = readDirtyRate(f, ctx.partial);
  const client = f.at('client').present ? sub(f.at('client')) : undefined;
  if (client !== undefined) {
    const node = ctx.nodes.find((n) => n.value.name === client);
    if (!node) f.at('client').fail(`no node named ${client}`);
    else if (node.value.role !== 'client') f.at('client').fail(`${client} is a cloud node, not a client`);
  }
  const startNode = f.at('node').present ? sub(f.at('node')) : ctx.defaultNode;
  if (!ctx.nodes.some((n) => n.value.name === startNode)) f.at('node').fail(`no node named ${startNode}`);
  const live = f.at('liveMigratable');
  const liveMigratable = typeof live.value === 'string' ? live.string() : live.boolean(true) ? true : 'NotMigratable';
  const volumes = f.at('volumes');
  return {
    namespace: f.at('namespace').optionalString() ?? ctx.namespace,
    labels: f.at('labels').stringMap(),
    memoryBytes,
    ...(guestUsedBytes !== undefined ? { guestUsedBytes } : {}),
    dirtyRate,
    dirtyRateText,
    dirtyRateKnown: f.at('dirtyRateKnown').boolean(true),
    ...(f.at('cpuLoad').present ? { cpuLoadPercent: readPercent(f.at('cpuLoad')) } : {}),
    cpuModel: f.at('cpuModel').optionalString() ?? 'host-model',
    ...(client !== undefined ? { client } : {}),
    startNode,
    volumes: volumes.present ? volumes.list().map((v) => v.oneOf(VOLUME_KINDS)) : ['containerDisk', 'cloudInitNoCloud'],
    liveMigratable,
  };
}

function readDirtyRate(f: Field, partial: boolean): { dirtyRate: DirtyRateInput; dirtyRateText: ScenarioVm['dirtyRateText'] } {
  const rate = f.at('dirtyRate');
  const windows = f.at('dirtyRateWindows');
  if (rate.present && windows.present) windows.fail('give either dirtyRate or dirtyRateWindows, not both');
  if (rate.present) return { dirtyRate: { kind: 'constant', bytesPerSecond: rate.rate() }, dirtyRateText: { rate: rate.string() } };
  if (!windows.present) {
    if (partial) return { dirtyRate: { kind: 'constant', bytesPerSecond: 0 }, dirtyRateText: {} };
    // A default would decide the outcome of every move of this VM: it must be written down.
    return f.fail('give dirtyRate (e.g. 1.5MB/s) or dirtyRateWindows (e.g. {1s: 2.5MB/s, 10s: 1.2MB/s})');
  }
  const map = windows.stringMap();
  const parsed = Object.keys(map).map((window) => {
    const seconds = new Field(window, `${windows.path}.${window}`).durationMs() / 1000;
    if (!(seconds > 0)) windows.at(window).fail('the window must be longer than 0');
    return { seconds, bytesPerSecond: windows.at(window).rate() };
  });
  if (parsed.length === 0) windows.fail('expected at least one window, e.g. {1s: 2.5MB/s, 10s: 1.2MB/s}');
  const text = Object.entries(map).map(([w, r]) => `${w}=${r}`).join(',');
  const dirtyRate: DirtyRateInput = parsed.length === 1 ? { kind: 'constant', bytesPerSecond: parsed[0]!.bytesPerSecond } : { kind: 'windows', windows: parsed };
  return { dirtyRate, dirtyRateText: { windows: text } };
}

function readPercent(f: Field): number {
  const v = f.value;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?%$/.test(v) ? Number(v.slice(0, -1)) : NaN;
  if (!(n >= 0 && n <= 100)) f.fail(`expected a percentage like 25%, got ${JSON.stringify(v)}`);
  return n;
}

/** A VM's `client` must be carried by a placement that selects it and has a clientBinding. */
function checkBinding(f: Field, vm: ScenarioVm, placements: readonly ScenarioPlacement[]): void {
  if (vm.client === undefined) return;
  const selecting = placements.filter((p) => p.namespace === vm.namespace && matchesSelector(p.spec.vmSelector, vm.labels));
  if (!selecting.some((p) => p.spec.clientBinding)) {
    f.at('client').fail(
      selecting.length === 0
        ? `no placement selects this VM (namespace ${vm.namespace}, labels ${JSON.stringify(vm.labels)}), so nothing reads its binding`
        : `the placement selecting this VM (${selecting.map((p) => p.key).join(', ')}) has no clientBinding`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// placements
// ---------------------------------------------------------------------------------------------

function readPlacement(f: Field, index: number, defaultNamespace: string, schema: OpenApiSchema): ScenarioPlacement {
  f.mapping(['name', 'namespace', 'spec']);
  const name = f.at('name').string();
  const namespace = f.at('namespace').optionalString() ?? defaultNamespace;
  const specField = f.at('spec');
  checkAgainstSchema(specField.value, schema, specField.path);
  const spec = specField.value as OfflineFirstPlacementSpec;
  checkPlacementRules(spec, specField.path);
  const result = placementPolicy({ metadata: { name, namespace }, spec });
  // placementPolicy names the field from `spec.`; prefix the placement's position.
  if ('error' in result) throw new ScenarioError('', `placements[${index}].${result.error}`);
  return { key: `${namespace}/${name}`, name, namespace, spec, policy: result.policy };
}
