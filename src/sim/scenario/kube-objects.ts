/**
 * The simulated cluster as the operator sees it: Node, VirtualMachineInstance, migration and
 * OfflineFirstPlacement objects built with the same fixtures the integration tests use, carrying
 * the documented annotations (link, departure, dirty rate, guest used). The offline-first strategy
 * feeds them to the operator's own gatherer, so the simulator plans from exactly what the operator
 * would read. Timestamps in the objects are simulated time.
 */
import { Annotations } from '../../observation/annotations.js';
import { KubevirtLabels, type VirtualMachineInstance, type VirtualMachineInstanceMigration, type Volume } from '../../kube/kubevirt.js';
import type { Node } from '../../kube/node.js';
import { PlacementLabels, type OfflineFirstPlacement } from '../../kube/placement.js';
import { matchesSelector } from '../../kube/selectors.js';
import { nodeFromFixture, type NodeFixture } from '../fixtures/nodes.js';
import { vmiFromFixture, type VmiFixture } from '../fixtures/vmis.js';
import { isoTime } from './clock.js';
import type { Scenario, ScenarioNode, ScenarioPlacement, ScenarioVm } from './types.js';
import type { FailedMove, NodeState, OpenMigration, SimWorld, SucceededMove } from './world.js';
import type { Observed } from '../../observation/gather.js';

/** Workstation CPUs as the fixtures' clientWorkstation() has them. */
const CLIENT_INTEL_CPU = { hostModel: 'Skylake-Client-IBRS', usableModels: ['Skylake-Client-IBRS', 'Haswell-noTSX-IBRS'] };

/** A scenario node as the fixtures describe one (labels, CPU, capacity); link and state come on top. */
export function nodeFixtureOf(n: ScenarioNode): NodeFixture {
  const clientDefaults = n.role === 'client' && n.cpu.vendor === 'Intel' ? CLIENT_INTEL_CPU : {};
  return {
    name: n.name,
    labels: { ...n.labels },
    arch: n.cpu.arch,
    cpuVendor: n.cpu.vendor,
    ...clientDefaults,
    ...(n.cpu.hostModel ? { hostModel: n.cpu.hostModel } : {}),
    ...(n.cpu.usableModels ? { usableModels: n.cpu.usableModels } : {}),
    cpu: n.capacity.cpu,
    memory: n.capacity.memory,
  };
}

/** The link measurement annotations a link agent would publish for this node. */
export function linkAnnotations(n: ScenarioNode, measuredAtMs: number, iso: (ms: number) => string = isoTime): Record<string, string> {
  if (!n.link) return {};
  return {
    [Annotations.linkBandwidth]: `${n.link.bandwidthBytesPerSecond * 8}bit/s`,
    [Annotations.linkRtt]: `${n.link.rttMs}ms`,
    [Annotations.linkMeasuredAt]: iso(measuredAtMs),
  };
}

/** isoTime with a memory: one plan writes the same few instants on every object. */
function memoisedIsoTime(): (ms: number) => string {
  const seen = new Map<number, string>();
  return (ms) => {
    let text = seen.get(ms);
    if (text === undefined) seen.set(ms, (text = isoTime(ms)));
    return text;
  };
}

function baseNode(n: ScenarioNode, startMs: number): Node {
  const node = nodeFromFixture(nodeFixtureOf(n));
  // The fixture stamps the wall clock; the simulation has its own.
  delete node.metadata.annotations?.[KubevirtLabels.heartbeat];
  node.metadata.creationTimestamp = isoTime(startMs);
  return node;
}

function volumesOf(vm: ScenarioVm): Volume[] {
  return vm.volumes.map((kind, i): Volume => {
    const name = `${kind.toLowerCase()}-${i}`;
    switch (kind) {
      case 'persistentVolumeClaim':
        return { name, persistentVolumeClaim: { claimName: `${vm.name}-home` } };
      case 'dataVolume':
        return { name, dataVolume: { name: `${vm.name}-data` } };
      case 'sharedHostDisk':
        return { name, hostDisk: { path: `/srv/images/${vm.name}.img`, type: 'Disk', shared: true } };
      default:
        return { name, [kind]: {} } as Volume;
    }
  });
}

/** The binding label or annotation each placement that selects the VM reads its client from. */
function binding(vm: ScenarioVm, placements: readonly ScenarioPlacement[]): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  if (vm.client === undefined) return { labels, annotations };
  for (const p of placements) {
    if (p.namespace !== vm.namespace || !matchesSelector(p.spec.vmSelector, vm.labels)) continue;
    if (p.spec.clientBinding?.labelKey) labels[p.spec.clientBinding.labelKey] = vm.client;
    if (p.spec.clientBinding?.annotationKey) annotations[p.spec.clientBinding.annotationKey] = vm.client;
  }
  return { labels, annotations };
}

/** A scenario VM as a running VMI fixture, with the annotations and binding label the operator reads. */
export function vmiFixtureOf(vm: ScenarioVm, placements: readonly ScenarioPlacement[]): VmiFixture {
  const bound = binding(vm, placements);
  const annotations: Record<string, string> = { ...bound.annotations };
  if (vm.dirtyRateKnown) {
    if (vm.dirtyRateText.windows) annotations[Annotations.dirtyRateWindows] = vm.dirtyRateText.windows;
    else if (vm.dirtyRateText.rate) annotations[Annotations.dirtyRate] = vm.dirtyRateText.rate;
  }
  if (vm.guestUsedBytes !== undefined) annotations[Annotations.guestUsed] = String(vm.guestUsedBytes);
  return {
    name: vm.name,
    namespace: vm.namespace,
    node: vm.startNode,
    memory: String(vm.memoryBytes),
    cpuModel: vm.cpuModel,
    labels: { ...vm.labels, ...bound.labels },
    annotations,
    volumes: volumesOf(vm),
    liveMigratable: vm.liveMigratable,
  };
}

function baseVmi(vm: ScenarioVm, scenario: Scenario): VirtualMachineInstance {
  const vmi = vmiFromFixture(vmiFixtureOf(vm, scenario.placements));
  const at = isoTime(scenario.startMs);
  for (const c of vmi.status?.conditions ?? []) c.lastTransitionTime = at;
  vmi.metadata.creationTimestamp = at;
  return vmi;
}

export function placementObject(p: ScenarioPlacement, startMs: number): OfflineFirstPlacement {
  return { apiVersion: 'placement.offline-first.io/v1alpha1', kind: 'OfflineFirstPlacement', metadata: { name: p.name, namespace: p.namespace, creationTimestamp: isoTime(startMs) }, spec: p.spec };
}

function migrationObject(m: OpenMigration | SucceededMove | FailedMove, iso: (ms: number) => string): VirtualMachineInstanceMigration {
  const [namespace, vmiName] = m.vmKey.split('/') as [string, string];
  const labels: Record<string, string> = {};
  if (m.placementKey) labels[PlacementLabels.placement] = m.placementKey.slice(m.placementKey.indexOf('/') + 1);
  // As the operator's actuator built it: its name and annotations (attempt, failure counts, inputs).
  const metadata = { name: m.object?.name ?? `sim-${m.id}`, namespace, labels, ...(m.object ? { annotations: { ...m.object.annotations } } : {}) };
  const target = m.target === undefined ? {} : { addedNodeSelector: { 'kubernetes.io/hostname': m.target } };
  if ('run' in m) {
    labels[PlacementLabels.direction] = m.direction;
    return {
      metadata,
      spec: { vmiName, ...target },
      status: { phase: 'Running', migrationState: { sourceNode: m.source, targetNode: m.target, startTimestamp: iso(m.startMs) } },
    };
  }
  if ('failed' in m) return { metadata, spec: { vmiName, ...target }, status: { phase: 'Failed', migrationState: { failed: true, endTimestamp: iso(m.endMs) } } };
  return { metadata, spec: { vmiName, ...target }, status: { phase: 'Succeeded', migrationState: { completed: true, endTimestamp: iso(m.endMs) } } };
}

/** Builds each object once and dresses it with the current state on every plan. */
export class KubeView {
  private readonly nodes: Map<string, Node>;
  private readonly vmis: Map<string, VirtualMachineInstance>;
  private readonly placements: OfflineFirstPlacement[];

  constructor(private readonly world: SimWorld) {
    const s = world.scenario;
    this.nodes = new Map(s.nodes.map((n) => [n.name, baseNode(n, s.startMs)]));
    this.vmis = new Map(s.vms.map((vm) => [vm.key, baseVmi(vm, s)]));
    this.placements = s.placements.map((p) => placementObject(p, s.startMs));
  }

  observed(nowMs: number): Observed {
    const w = this.world;
    const iso = memoisedIsoTime();
    const nodes = [...this.nodes.entries()].map(([name, base]) => this.node(base, w.node(name), nowMs, iso));
    const vmis = w.vms.map((vm) => {
      const base = this.vmis.get(vm.spec.key)!;
      return {
        ...base,
        metadata: { ...base.metadata, labels: { ...base.metadata.labels, [KubevirtLabels.nodeName]: vm.node } },
        status: { ...base.status, nodeName: vm.node },
      };
    });
    const migrations = [...w.openMigrations(), ...w.succeeded, ...w.failed].map((m) => migrationObject(m, iso));
    return { placements: this.placements, vmis, migrations, nodes, nowMs, clusterLimits: w.scenario.kubevirt };
  }

  private node(base: Node, state: NodeState, nowMs: number, iso: (ms: number) => string): Node {
    const annotations: Record<string, string> = { ...base.metadata.annotations };
    if (state.linkMeasuredAtMs !== undefined) Object.assign(annotations, linkAnnotations(state.spec, state.linkMeasuredAtMs, iso));
    if (state.departureAtMs !== undefined) annotations[Annotations.departureTime] = iso(state.departureAtMs);
    const ready = state.online;
    const at = iso(nowMs);
    return {
      ...base,
      metadata: { ...base.metadata, annotations },
      status: {
        ...base.status,
        conditions: [
          {
            type: 'Ready',
            status: ready ? 'True' : 'False',
            reason: ready ? 'KubeletReady' : 'NodeStatusUnknown',
            message: ready ? 'kubelet is posting ready status' : 'the client is disconnected',
            lastHeartbeatTime: at,
            lastTransitionTime: at,
          },
        ],
      },
    };
  }
}
