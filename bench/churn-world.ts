/**
 * What a live cluster writes while nobody asks the operator for anything, at the rates of kubelet's,
 * KubeVirt's and the link agent's defaults, against the world of cache-world.ts:
 *
 * | writer | object | every | what changes |
 * | --- | --- | --- | --- |
 * | kubelet | its node's Lease (kube-node-lease) | 10 s | renewTime (nodeLeaseDurationSeconds 40 / 4) |
 * | kubelet | its Node's status | 10-60 s, fixed per node | the conditions' lastHeartbeatTime |
 * | virt-handler | its Node | 60 s | `kubevirt.io/heartbeat` annotation, `kubevirt.io/schedulable` label |
 * | virt-handler | each VMI's status | 30-300 s, fixed per VMI | guest memory, interface addresses; one update in 20 flips the guest agent's AgentConnected condition |
 * | link agent | each workstation's link annotations | 5 min ± 20 % | measured-at, the bandwidth within ± 3 % |
 * | a drain, a descheduler | a migration between two servers | 20-40 s | a VM at home moves to another server (the simulated KubeVirt runs it) |
 *
 * Each writer starts at a random point of its period, so the writes spread as on a cluster whose
 * nodes did not all boot at once. Writes go out with a bounded number in flight; the achieved
 * rates are counted, so a machine too slow to keep up shows it.
 */
import type { KubeClient } from '../src/kube/client.js';
import { toMicroTime } from '../src/kube/lease.js';
import { Resources } from '../src/kube/resources.js';
import { NODE_LEASE_NAMESPACE, nodeLease } from '../src/devcluster/world.js';
import { SERVERS, WORKSTATIONS } from './cache-world.js';
import { inParallel, linkAnnotations, NAMESPACE, serverName, vmName, workstationName } from './operator-world.js';

const IN_FLIGHT = 16;

export type WriterKind = 'node lease' | 'node status' | 'virt-handler heartbeat' | 'VMI status' | 'link refresh' | 'other migration';

export interface WriterCounts {
  due: number;
  done: number;
  failed: number;
}

interface Due {
  atMs: number;
  kind: WriterKind;
  index: number;
  periodMs: number;
}

/** A binary min-heap of due writes. */
class DueQueue {
  private readonly items: Due[] = [];

  push(d: Due): void {
    const a = this.items;
    a.push(d);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (a[p]!.atMs <= a[i]!.atMs) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }

  peek(): Due | undefined {
    return this.items[0];
  }

  pop(): Due | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.atMs < a[m]!.atMs) m = l;
        if (r < a.length && a[r]!.atMs < a[m]!.atMs) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

const uniform = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);
const nodeNames = (): string[] => [...Array.from({ length: SERVERS }, (_, i) => serverName(i)), ...Array.from({ length: WORKSTATIONS }, (_, i) => workstationName(i))];

/** Creates the Lease kubelet keeps for each node. */
export async function createNodeLeases(client: KubeClient, log: (line: string) => void): Promise<void> {
  const now = Date.now();
  await inParallel('node Leases', nodeNames(), 8, (n) => client.apply(Resources.lease, nodeLease(n, now), { fieldManager: 'kubelet', force: true }), log);
}

function nodeConditions(at: string): object[] {
  const c = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: at, lastTransitionTime: '2026-11-20T08:00:00Z' });
  return [
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

function vmiConditions(agentConnected: boolean, at: string): object[] {
  const c = (type: string, status: string) => ({ type, status, lastProbeTime: null, lastTransitionTime: type === 'AgentConnected' ? at : '2026-11-20T08:01:00Z' });
  return [c('Ready', 'True'), c('LiveMigratable', 'True'), c('StorageLiveMigratable', 'True'), c('AgentConnected', agentConnected ? 'True' : 'False')];
}

export interface ChurnOptions {
  vmis: number;
  /** The link each workstation reports now (the benchmark's triggers change some). */
  linkOf: (workstation: number) => string;
  /** VMs a drain may move: at home on a server, and not one the benchmark's triggers use. */
  movable: (vm: number) => boolean;
}

export class Churn {
  readonly counts = new Map<WriterKind, WriterCounts>();
  private readonly queue = new DueQueue();
  private readonly agentConnected = new Map<number, boolean>();
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private startedAtMs = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: ChurnOptions,
  ) {}

  start(): void {
    const now = Date.now();
    this.startedAtMs = now;
    const every = (kind: WriterKind, n: number, periodMs: (i: number) => number) => {
      this.counts.set(kind, { due: 0, done: 0, failed: 0 });
      for (let i = 0; i < n; i++) {
        const p = periodMs(i);
        this.queue.push({ atMs: now + Math.random() * p, kind, index: i, periodMs: p });
      }
    };
    const nodes = SERVERS + WORKSTATIONS;
    every('node lease', nodes, () => 10_000);
    every('node status', nodes, () => uniform(10_000, 60_000));
    every('virt-handler heartbeat', nodes, () => 60_000);
    every('VMI status', this.opts.vmis, () => uniform(30_000, 300_000));
    every('link refresh', WORKSTATIONS, () => uniform(240_000, 360_000));
    every('other migration', 1, () => uniform(20_000, 40_000));
    this.timer = setInterval(() => this.pump(), 20);
  }

  /** Writes per second of each kind since the start, as planned and as done. */
  rates(): { kind: WriterKind; duePerSecond: number; donePerSecond: number; failed: number }[] {
    const s = (Date.now() - this.startedAtMs) / 1000;
    return [...this.counts].map(([kind, c]) => ({ kind, duePerSecond: c.due / s, donePerSecond: c.done / s, failed: c.failed }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  }

  private pump(): void {
    const now = Date.now();
    while (!this.stopped && this.inFlight < IN_FLIGHT) {
      const next = this.queue.peek();
      if (!next || next.atMs > now) return;
      this.queue.pop();
      // The next write of this writer is due one period after this one was: a backlog does not shift the schedule.
      this.queue.push({ ...next, atMs: next.atMs + next.periodMs });
      const counts = this.counts.get(next.kind)!;
      counts.due++;
      this.inFlight++;
      this.write(next).then(
        () => counts.done++,
        () => counts.failed++,
      ).finally(() => this.inFlight--);
    }
  }

  private write({ kind, index }: Due): Promise<unknown> {
    const at = new Date().toISOString();
    const node = index < SERVERS ? serverName(index) : workstationName(index - SERVERS);
    switch (kind) {
      case 'node lease':
        return this.client.mergePatch(Resources.lease, NODE_LEASE_NAMESPACE, node, { spec: { renewTime: toMicroTime(Date.now()) } });
      case 'node status':
        return this.client.mergePatch(Resources.node, undefined, node, { status: { conditions: nodeConditions(at) } }, 'status');
      case 'virt-handler heartbeat':
        return this.client.mergePatch(Resources.node, undefined, node, { metadata: { annotations: { 'kubevirt.io/heartbeat': at }, labels: { 'kubevirt.io/schedulable': 'true' } } });
      case 'VMI status': {
        const flip = Math.random() < 0.05;
        const connected = this.agentConnected.get(index) ?? true;
        if (flip) this.agentConnected.set(index, !connected);
        const status = {
          memory: { guestAtBoot: '2Gi', guestCurrent: `${1800 + Math.floor(Math.random() * 248)}Mi`, guestRequested: '2Gi' },
          interfaces: [{ infoSource: 'domain, guest-agent', interfaceName: 'enp1s0', ipAddress: `10.244.${(index >> 8) & 255}.${index & 255}`, ipAddresses: [`10.244.${(index >> 8) & 255}.${index & 255}`, `fd10:244::${Math.floor(Math.random() * 65535).toString(16)}`], linkState: 'up', name: 'default', podInterfaceName: 'eth0', queueCount: 1 }],
          ...(flip ? { conditions: vmiConditions(!connected, at) } : {}),
        };
        return this.client.mergePatch(Resources.vmi, NAMESPACE, vmName(index), { status }, 'status');
      }
      case 'link refresh': {
        const base = this.opts.linkOf(index);
        const m = /^([\d.]+)(\w+\/s)$/.exec(base);
        const bandwidth = m ? `${(Number(m[1]) * uniform(0.97, 1.03)).toFixed(2)}${m[2]}` : base;
        return this.client.mergePatch(Resources.node, undefined, workstationName(index), { metadata: { annotations: linkAnnotations(bandwidth) } });
      }
      case 'other migration': {
        let vm = Math.floor(Math.random() * this.opts.vmis);
        for (let tries = 0; tries < 100 && !this.opts.movable(vm); tries++) vm = Math.floor(Math.random() * this.opts.vmis);
        return this.client.create(Resources.migration, {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstanceMigration',
          metadata: { generateName: `drain-${vmName(vm)}-`, namespace: NAMESPACE },
          spec: { vmiName: vmName(vm), addedNodeSelector: { 'offline-first.io/pool': 'cloud' } },
        });
      }
    }
  }
}
