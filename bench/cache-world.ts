/**
 * The world of bench/cache-memory.ts: 20 data-centre servers and 980 workstations (1,000 nodes,
 * labelled as KubeVirt's node labeller does), every workstation reporting a 5 Mbit/s link (below a
 * placement's 20 Mbit/s default minimum), and VMIs shaped like ones read from a real KubeVirt 1.6
 * cluster: labels, annotations, an owner reference, finalizers, disks, interfaces, firmware,
 * cloud-init user data, and a status with conditions, guest OS info, interfaces, volume status and
 * phase timestamps. VM i is bound to workstation i mod 980; 30 % run there and carry the
 * migrationState of the move that took them there, the rest run on the servers.
 */
import { randomUUID } from 'node:crypto';
import type { KubeClient } from '../src/kube/client.js';
import type { VirtualMachineInstance } from '../src/kube/kubevirt.js';
import { Resources } from '../src/kube/resources.js';
import { clientWorkstation, cloudServer, putNode } from '../src/sim/fixtures/nodes.js';
import { vmiFromFixture } from '../src/sim/fixtures/vmis.js';
import { elapsed, inParallel, linkAnnotations, NAMESPACE, serverName, vmName, workstationName, WORKSTATION_LABEL } from './operator-world.js';

export const SERVERS = 20;
export const WORKSTATIONS = 980;
const CONCURRENCY = 8;

const USER_DATA = [
  '#cloud-config',
  'hostname: lab-vm',
  'users:',
  '  - name: student',
  '    sudo: ALL=(ALL) NOPASSWD:ALL',
  '    shell: /bin/bash',
  '    ssh_authorized_keys:',
  '      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk3Q0x1bW9uZ3N0dWRlbnRrZXlleGFtcGxlZm9yYmVuY2ggc3R1ZGVudEBsYWI=',
  'packages: [qemu-guest-agent, build-essential, python3-venv]',
  'runcmd:',
  '  - [systemctl, enable, --now, qemu-guest-agent]',
  '',
].join('\n');

function mac(i: number): string {
  return `02:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
}

function ip(i: number): string {
  return `10.244.${(i >> 8) & 255}.${i & 255}`;
}

/** A VMI as virt-controller and virt-handler leave it on a real cluster. */
export function realisticVmi(i: number): VirtualMachineInstance {
  const name = vmName(i);
  const workstation = workstationName(i % WORKSTATIONS);
  const onClient = i % 10 < 3;
  const node = onClient ? workstation : serverName(i % SERVERS);
  const base = vmiFromFixture({
    name,
    namespace: NAMESPACE,
    node,
    memory: '2Gi',
    labels: {
      app: 'lab',
      course: `course-${String(i % 40).padStart(2, '0')}`,
      [WORKSTATION_LABEL]: workstation,
      'kubevirt.io/domain': name,
      'kubevirt.io/size': 'small',
      'vm.kubevirt.io/name': name,
    },
    annotations: {
      'kubevirt.io/latest-observed-api-version': 'v1',
      'kubevirt.io/storage-observed-api-version': 'v1',
      'kubevirt.io/vm-generation': '1',
      'vm.kubevirt.io/os': 'debian12',
      'vm.kubevirt.io/flavor': 'small',
      'vm.kubevirt.io/workload': 'desktop',
      'offline-first.io/dirty-rate': `${(0.2 + (i % 17) * 0.3).toFixed(1)}MB/s`,
    },
  });
  const t = (min: number) => new Date(Date.UTC(2026, 10, 20, 8, min, i % 60)).toISOString();
  const domain = {
    ...base.spec.domain,
    cpu: { cores: 1, sockets: 1, threads: 1, maxSockets: 4, model: 'host-model' },
    devices: {
      disks: [{ name: 'rootdisk', disk: { bus: 'virtio' } }, { name: 'cloudinit', disk: { bus: 'virtio' } }],
      interfaces: [{ name: 'default', masquerade: {}, macAddress: mac(i) }],
      rng: {},
    },
    features: { acpi: { enabled: true }, smm: { enabled: true } },
    firmware: { uuid: randomUUID(), serial: randomUUID() },
    machine: { type: 'q35' },
    memory: { guest: '2Gi', maxGuest: '8Gi' },
    resources: { requests: { memory: '2Gi', cpu: '1' } },
  };
  const migrationState = {
    migrationUid: randomUUID(), sourceNode: serverName(i % SERVERS), targetNode: workstation, completed: true, mode: 'PreCopy' as const,
    startTimestamp: t(20), endTimestamp: t(21), sourcePod: `virt-launcher-${name}-${i.toString(36)}a`, targetPod: `virt-launcher-${name}-${i.toString(36)}b`,
    targetNodeDomainDetected: true, targetNodeAddress: ip(i + 1), targetDirectMigrationNodePorts: { '38317': 0, '42511': 49152 },
    migrationConfiguration: { allowAutoConverge: false, allowPostCopy: false, bandwidthPerMigration: '0', completionTimeoutPerGiB: 150, progressTimeout: 150, nodeDrainTaintKey: 'kubevirt.io/drain', parallelMigrationsPerCluster: 5, parallelOutboundMigrationsPerNode: 2 },
  };
  const podUid = randomUUID();
  return {
    ...base,
    metadata: {
      ...base.metadata,
      finalizers: ['kubevirt.io/virtualMachineControllerFinalize', 'foregroundDeleteVirtualMachine'],
      ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name, uid: randomUUID(), controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      ...base.spec,
      architecture: 'amd64',
      domain,
      evictionStrategy: 'LiveMigrate',
      networks: [{ name: 'default', pod: {} }],
      terminationGracePeriodSeconds: 180,
      volumes: [
        { name: 'rootdisk', containerDisk: { image: 'quay.io/containerdisks/debian:12', imagePullPolicy: 'IfNotPresent' } },
        { name: 'cloudinit', cloudInitNoCloud: { userData: USER_DATA } },
      ],
    },
    status: {
      ...base.status,
      activePods: { [podUid]: node },
      conditions: [
        ...(base.status?.conditions ?? []),
        { type: 'AgentConnected', status: 'True', lastProbeTime: null, lastTransitionTime: t(2) },
        { type: 'StorageLiveMigratable', status: 'True', lastProbeTime: null, lastTransitionTime: t(1) },
      ],
      currentCPUTopology: { cores: 1, sockets: 1, threads: 1 },
      guestOSInfo: {
        id: 'debian', kernelRelease: '6.1.0-26-amd64', kernelVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 (2024-09-30)', machine: 'x86_64',
        name: 'Debian GNU/Linux', prettyName: 'Debian GNU/Linux 12 (bookworm)', version: '12 (bookworm)', versionId: '12',
      },
      interfaces: [{
        infoSource: 'domain, guest-agent', interfaceName: 'enp1s0', ipAddress: ip(i), ipAddresses: [ip(i), `fd10:244::${i.toString(16)}`],
        linkState: 'up', mac: mac(i), name: 'default', podInterfaceName: 'eth0', queueCount: 1,
      }],
      launcherContainerImageVersion: 'quay.io/kubevirt/virt-launcher:v1.6.2',
      machine: { type: 'pc-q35-rhel9.6.0' },
      memory: { guestAtBoot: '2Gi', guestCurrent: '2Gi', guestRequested: '2Gi' },
      migrationTransport: 'Unix',
      phaseTransitionTimestamps: [
        { phase: 'Pending', phaseTransitionTimestamp: t(0) },
        { phase: 'Scheduling', phaseTransitionTimestamp: t(0) },
        { phase: 'Scheduled', phaseTransitionTimestamp: t(1) },
        { phase: 'Running', phaseTransitionTimestamp: t(1) },
      ],
      qosClass: 'Burstable',
      runtimeUser: 107,
      selinuxContext: 'none',
      virtualMachineRevisionName: `revision-start-vm-${randomUUID()}-1`,
      volumeStatus: [
        { name: 'cloudinit', size: 1048576, target: 'vdb' },
        { name: 'rootdisk', target: 'vda', containerDiskVolume: { checksum: 3316429312 } },
      ],
      ...(onClient ? { migrationState } : {}),
    },
  };
}

async function createVmi(client: KubeClient, vmi: VirtualMachineInstance): Promise<void> {
  const created = await client.create<VirtualMachineInstance>(Resources.vmi, { ...vmi, status: undefined });
  await client.mergePatch(Resources.vmi, NAMESPACE, created.metadata.name!, { status: vmi.status }, 'status');
}

/** Creates the nodes and `vmis` VMIs with 8 requests in flight, printing progress. */
export async function buildCacheWorld(client: KubeClient, vmis: number, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  const nodes = [
    ...Array.from({ length: SERVERS }, (_, i) => cloudServer(serverName(i), { cpu: '512', memory: '1Ti' })),
    ...Array.from({ length: WORKSTATIONS }, (_, i) => clientWorkstation(workstationName(i), { annotations: linkAnnotations('5Mbit/s') })),
  ];
  await inParallel('nodes', nodes, CONCURRENCY, (n) => putNode(client, n), log);
  await inParallel('VMIs', Array.from({ length: vmis }, (_, i) => i), CONCURRENCY, (i) => createVmi(client, realisticVmi(i)), log);
  log(`world built in ${elapsed(started)}`);
}

/** Mean size of a VMI as an informer caches it (JSON without managedFields), in bytes. */
export async function meanCachedVmiBytes(client: KubeClient): Promise<number> {
  const sample = await client.list<VirtualMachineInstance>(Resources.vmi, NAMESPACE, { limit: 100 });
  const sizes = sample.items.map((v) => JSON.stringify({ ...v, metadata: { ...v.metadata, managedFields: undefined } }).length);
  return sizes.reduce((s, n) => s + n, 0) / Math.max(1, sizes.length);
}
