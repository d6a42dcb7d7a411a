/**
 * The caches keep only part of each VMI and Node (cached-fields.ts). These tests hold that part to
 * what the operator reads: from a world rich in every input the gatherer uses, and in fields a real
 * cluster adds that nothing reads, trimmed objects give the same planner input, the same migration
 * objects and the same Event targets as the full ones.
 */
import { expect } from 'chai';
import { migrationFor } from '../../../src/actuation/migration-object.js';
import { asNode, asVmi } from '../../../src/actuation/event-targets.js';
import { Reasons, type PlannedMigration } from '../../../src/domain/placement/index.js';
import type { MigrationState, VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../../src/kube/kubevirt.js';
import type { Node } from '../../../src/kube/node.js';
import type { NodeLink } from '../../../src/kube/node-link.js';
import { PlacementLabels } from '../../../src/kube/placement.js';
import { Annotations, LEAVING_TAINT } from '../../../src/observation/annotations.js';
import { cachedNode, cachedVmi } from '../../../src/observation/cached-fields.js';
import { gather, type Observed } from '../../../src/observation/gather.js';
import { clientWorkstation, cloudServer } from '../../../src/sim/fixtures/nodes.js';
import { vmiFromFixture, type VmiFixture } from '../../../src/sim/fixtures/vmis.js';
import { placement } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);
const MEASURED = '2026-01-12T08:58:00Z';

/** What a real cluster adds to a VMI and the operator never reads (bench/cache-world.ts has the full shape). */
function asOnRealCluster(v: VirtualMachineInstance, i: number): VirtualMachineInstance {
  return {
    ...v,
    metadata: {
      ...v.metadata,
      uid: `uid-${v.metadata.name}`,
      resourceVersion: String(100 + i),
      creationTimestamp: '2026-01-12T07:00:00Z',
      generation: 1,
      finalizers: ['kubevirt.io/virtualMachineControllerFinalize'],
      ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: v.metadata.name!, uid: `vm-${i}`, controller: true }],
      managedFields: [{ manager: 'virt-controller', operation: 'Update', fieldsV1: { 'f:status': {} } }],
    },
    spec: {
      ...v.spec,
      architecture: 'amd64',
      evictionStrategy: 'LiveMigrate',
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      networks: [{ name: 'default', pod: {} }],
      domain: {
        ...v.spec.domain,
        devices: { disks: [{ name: 'rootdisk', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] },
        firmware: { uuid: `fw-${i}` },
        machine: { type: 'q35' },
      },
    },
    status: {
      ...v.status,
      activePods: { [`pod-${i}`]: v.status?.nodeName ?? '' },
      guestOSInfo: { id: 'debian', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
      interfaces: [{ ipAddress: `10.0.0.${i}`, mac: '02:00:00:00:00:01', name: 'default' }],
      phaseTransitionTimestamps: [{ phase: 'Running', phaseTransitionTimestamp: '2026-01-12T07:00:05Z' }],
      volumeStatus: [{ name: 'rootdisk', target: 'vda' }],
      migrationTransport: 'Unix',
      conditions: [
        ...(v.status?.conditions ?? []).map((c) => ({ ...c, lastProbeTime: null, lastTransitionTime: '2026-01-12T07:00:05Z' })),
        { type: 'AgentConnected', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-12T07:00:20Z' },
      ],
      memory: { guestAtBoot: '2Gi', guestCurrent: '2Gi', guestRequested: '2Gi' },
    },
  };
}

function withState(v: VirtualMachineInstance, state: MigrationState & Record<string, unknown>): VirtualMachineInstance {
  return { ...v, status: { ...v.status, migrationState: state } };
}

function nodeOnRealCluster(n: Node): Node {
  return {
    ...n,
    metadata: {
      ...n.metadata,
      uid: `uid-${n.metadata.name}`,
      resourceVersion: '7',
      managedFields: [{ manager: 'kubelet' }],
      annotations: { ...n.metadata.annotations, 'kubevirt.io/heartbeat': MEASURED, 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    status: {
      ...n.status,
      conditions: [
        ...(n.status?.conditions ?? []).map((c) => ({ ...c, lastHeartbeatTime: MEASURED, lastTransitionTime: '2026-01-12T07:00:00Z' })),
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: MEASURED },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', lastHeartbeatTime: MEASURED },
      ],
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
      images: [{ names: ['quay.io/kubevirt/virt-launcher:v1.6.2'], sizeBytes: 400_000_000 }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    } as NonNullable<Node['status']>,
  };
}

const links = (bandwidth: string) => ({ [Annotations.linkBandwidth]: bandwidth, [Annotations.linkRtt]: '12ms', [Annotations.linkMeasuredAt]: MEASURED });

function vmis(): VirtualMachineInstance[] {
  const v = (name: string, f: Partial<VmiFixture> = {}) => vmiFromFixture({ name, namespace: 'lab', node: 'home-1', ...f, labels: { app: 'lab', ...f.labels } });
  const list = [
    v('plain', { labels: { seat: 'pc-1' } }),
    v('on-client', { node: 'pc-2', labels: { seat: 'pc-2', [PlacementLabels.linkClass]: 'fast' }, annotations: { [Annotations.dirtyRate]: '2.5MB/s', [Annotations.guestUsed]: '800Mi' } }),
    v('windows', { annotations: { [Annotations.dirtyRateWindows]: '1s=2.5MB/s,5s=1.9MB/s' } }),
    v('readings', { annotations: { [Annotations.dirtyRateReadings]: '1s=2,1s=0,1s=4,1s/16384=1' } }),
    v('not-migratable', { liveMigratable: 'DisksNotLiveMigratable', cpuModel: 'Skylake-Client-IBRS' }),
    v('block', {
      blockMigration: true,
      annotations: { [Annotations.localDiskUsed]: 'rootdisk=200Mi,cloudinit=1Mi' },
      volumes: [
        { name: 'rootdisk', containerDisk: { image: 'quay.io/containerdisks/debian:12' } },
        { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\nhostname: lab\n' } },
        { name: 'scratch', emptyDisk: { capacity: '4Gi' } },
        { name: 'shared', hostDisk: { path: '/nfs/a.img', capacity: '8Gi', type: 'DiskOrCreate', shared: true } },
        { name: 'local', hostDisk: { path: '/var/a.img', capacity: '2Gi', type: 'DiskOrCreate' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'dv', dataVolume: { name: 'dv' } },
      ],
    }),
    v('block-no-capacity', { blockMigration: true, volumes: [{ name: 'scratch', emptyDisk: {} }] }),
    v('bad-memory', { memory: '2 gigs' }),
    v('done', { phase: 'Succeeded' }),
    v('by-annotation', { annotations: { 'lab.example/seat': 'pc-1' } }),
    v('elsewhere', { labels: { app: 'web' } }),
  ].map(asOnRealCluster);
  list[4]!.spec.domain.cpu = { model: 'Skylake-Client-IBRS', cores: 2, features: [{ name: 'vmx', policy: 'require' }, { name: 'pcid' }, { name: 'avx', policy: 'optional' }] };
  list[0]!.spec.domain.resources = { requests: { cpu: '500m' } };
  list[1] = withState(list[1]!, {
    migrationUid: 'uid-m-done', sourceNode: 'home-1', targetNode: 'pc-2', completed: true, mode: 'PreCopy', startTimestamp: '2026-01-12T08:00:00Z', endTimestamp: '2026-01-12T08:01:00Z',
    targetNodeAddress: '10.0.0.9', migrationConfiguration: { allowPostCopy: false, progressTimeout: 150 },
  });
  // An aborted migration whose object is gone: only the VMI's migrationState remembers the failure.
  list[2] = withState(list[2]!, { migrationUid: 'uid-aborted', sourceNode: 'home-1', targetNode: 'pc-3', failed: true, abortStatus: 'Succeeded', endTimestamp: '2026-01-12T08:50:00Z' });
  list[3] = withState(list[3]!, { migrationUid: 'uid-m-running', sourceNode: 'home-1', targetNode: 'pc-1', startTimestamp: '2026-01-12T08:59:00Z' });
  return list;
}

function nodes(): Node[] {
  return [
    cloudServer('home-1'),
    cloudServer('home-2', { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }),
    clientWorkstation('pc-1', { annotations: links('80Mbit/s') }),
    clientWorkstation('pc-2', { annotations: { ...links('300Mbit/s'), [Annotations.departureTime]: '2026-01-12T09:30:00Z' } }),
    clientWorkstation('pc-3', { annotations: links('37Mbit/s'), taints: [{ key: LEAVING_TAINT, effect: 'NoSchedule' }], ready: false }),
    clientWorkstation('pc-4', { annotations: { [Annotations.linkBandwidth]: 'fast' }, labels: { 'lab.example/fast': 'true' } }),
    clientWorkstation('pc-5', { annotations: { [Annotations.leaving]: 'true' } }),
  ].map(nodeOnRealCluster);
}

const running: VirtualMachineInstanceMigration = {
  metadata: { name: 'm-running', namespace: 'lab', uid: 'uid-m-running', creationTimestamp: '2026-01-12T08:58:50Z', labels: { [PlacementLabels.placement]: 'room', [PlacementLabels.direction]: 'ToClient' } },
  spec: { vmiName: 'readings', addedNodeSelector: { 'kubernetes.io/hostname': 'pc-1' } },
  status: { phase: 'Running', migrationState: { sourceNode: 'home-1', targetNode: 'pc-1', startTimestamp: '2026-01-12T08:59:00Z' } },
};

const nodeLink: NodeLink = {
  metadata: { name: 'pc-5' },
  status: { bandwidthBytesPerSecond: 5_000_000, rttMs: 20, measuredAt: MEASURED },
} as NodeLink;

function world(v: VirtualMachineInstance[], n: Node[]): Observed {
  return {
    placements: [
      placement('room', '2026-01-10T08:00:00Z', {
        clientBinding: { labelKey: 'seat' },
        linkClasses: [{ name: 'fast', nodeSelector: { matchLabels: { 'lab.example/fast': 'true' } } }],
      }),
      placement('by-annotation', '2026-01-11T08:00:00Z', { vmSelector: { matchLabels: { app: 'lab' } }, clientBinding: { annotationKey: 'lab.example/seat' } }),
    ],
    vmis: v,
    migrations: [running],
    nodes: n,
    nodeLinks: [nodeLink],
    nowMs: NOW,
  };
}

describe('cached fields of VMIs and nodes', () => {
  it('give the gatherer the same planner input, problems and ownership as the full objects', () => {
    const full = gather(world(vmis(), nodes()));
    const trimmed = gather(world(vmis().map(cachedVmi), nodes().map(cachedNode)));
    // The fixture world exercises what it is meant to: VMs of both placements, input errors, a migration in flight.
    expect(full.input.vms.length).to.be.greaterThan(8);
    expect(full.inputErrors.length).to.be.greaterThan(1);
    expect(full.input.inFlight).to.have.length(1);
    expect(full.input.vms.some((vm) => vm.blockMigrationDiskBytes > 0 && vm.failures === undefined)).to.equal(true);
    expect(full.input.vms.some((vm) => vm.failures !== undefined)).to.equal(true);
    expect(trimmed).to.deep.equal(full);
  });

  it('give the same migration objects and Event targets', () => {
    const full = vmis();
    const trimmed = vmis().map(cachedVmi);
    const planned: PlannedMigration = {
      vmKey: '', placementKey: 'lab/room', sourceNode: 'home-1', targetNode: 'pc-1', direction: 'ToClient', predictedSeconds: 40, budgetSeconds: 300, reason: Reasons.ClientLeaving,
      inputs: 'x', attempt: 2, failuresBefore: 1, targetFailuresBefore: 0, predictedBytes: 2e9, predictedBandwidthBytesPerSecond: 1e7,
    };
    full.forEach((vmi, i) => {
      expect(migrationFor(trimmed[i]!, planned)).to.deep.equal(migrationFor(vmi, planned));
      const { metadata, apiVersion, kind } = asVmi(trimmed[i]!);
      const fullTarget = asVmi(vmi);
      expect({ apiVersion, kind, name: metadata.name, namespace: metadata.namespace, uid: metadata.uid, resourceVersion: metadata.resourceVersion }).to.deep.equal({
        apiVersion: fullTarget.apiVersion, kind: fullTarget.kind, name: fullTarget.metadata.name, namespace: fullTarget.metadata.namespace, uid: fullTarget.metadata.uid, resourceVersion: fullTarget.metadata.resourceVersion,
      });
    });
    for (const node of nodes()) {
      const target = asNode(cachedNode(node));
      const full = asNode(node);
      expect({ apiVersion: target.apiVersion, kind: target.kind, name: target.metadata.name, uid: target.metadata.uid, resourceVersion: target.metadata.resourceVersion }).to.deep.equal({
        apiVersion: full.apiVersion, kind: full.kind, name: full.metadata.name, uid: full.metadata.uid, resourceVersion: full.metadata.resourceVersion,
      });
    }
  });

  it('drop what the operator never reads', () => {
    const vmi = cachedVmi(vmis()[1]!);
    expect(vmi.metadata).not.to.have.any.keys('managedFields', 'ownerReferences', 'finalizers');
    expect(Object.keys(vmi.spec)).to.deep.equal(['domain', 'volumes']);
    expect(Object.keys(vmi.spec.domain).sort()).to.deep.equal(['cpu', 'memory', 'resources']);
    expect(vmi.spec.volumes).to.deep.equal([{ name: 'rootdisk', containerDisk: {} }, { name: 'cloudinit', cloudInitNoCloud: {} }]);
    expect(Object.keys(vmi.status!).sort()).to.deep.equal(['conditions', 'migrationMethod', 'migrationState', 'nodeName', 'phase']);
    expect(vmi.status?.migrationState).not.to.have.any.keys('targetNodeAddress', 'migrationConfiguration');
    // Of the conditions, only what gather reads: not the times rewritten on each report.
    expect(vmi.status?.conditions).to.deep.equal([{ type: 'LiveMigratable', status: 'True' }]);
    const node = cachedNode(nodes()[3]!);
    expect(Object.keys(node.status!).sort()).to.deep.equal(['allocatable', 'conditions']);
    expect(node.status?.conditions).to.deep.equal([{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }]);
    expect(Object.keys(node.metadata.annotations ?? {}).sort()).to.deep.equal([Annotations.linkBandwidth, Annotations.departureTime, Annotations.linkMeasuredAt, Annotations.linkRtt].sort());
  });

  it('never throw on an object without spec or status (a transform that threw would stall the watch)', () => {
    expect(cachedVmi({ metadata: { name: 'x' } } as VirtualMachineInstance)).to.deep.equal({ metadata: { name: 'x' }, spec: { domain: {} } });
    expect(cachedNode({ metadata: { name: 'n' } })).to.deep.equal({ metadata: { name: 'n' } });
  });
});
