/**
 * Support for the fault suite: the operator as a child process (so it can be SIGKILLed), and a world
 * of nodes, VMIs and the simulated KubeVirt on a given control plane.
 * The invariants themselves are in invariants.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ControlPlane } from '../../src/controlplane/control-plane.js';
import { freePort } from '../../src/controlplane/ports.js';
import { projectRoot } from '../../src/controlplane/tools.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { VirtualMachineInstance } from '../../src/kube/kubevirt.js';
import type { OfflineFirstPlacement } from '../../src/kube/placement.js';
import { Resources } from '../../src/kube/resources.js';
import { putVmi, type VmiFixture } from '../../src/sim/fixtures/vmis.js';
import { SimulatedKubevirt, type StartOptions } from '../../src/sim/kubevirt/simulated-kubevirt.js';
import { OperatorWorld } from './operator-support.js';

const cli = join(projectRoot, 'dist', 'src', 'cli.js');

/** Real milliseconds per simulated second in the fault suite: a migration takes a second or three. */
export const FAULT_MS_PER_SIM_SECOND = 150;

/** `offline-first run` as a child process, with its own metrics and health ports. */
export class OperatorProcess {
  private lines: string[] = [];
  readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly metricsPort: number,
    readonly healthPort: number,
  ) {
    const keep = (d: Buffer) => {
      this.lines.push(...d.toString().split('\n').filter(Boolean));
      if (this.lines.length > 400) this.lines.splice(0, this.lines.length - 400);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((r) => child.once('exit', () => r()));
  }

  static async start(kubeconfigPath: string, opts: { name: string; leaderElectionNamespace?: string }): Promise<OperatorProcess> {
    const metricsPort = await freePort();
    let healthPort = await freePort();
    while (healthPort === metricsPort) healthPort = await freePort();
    const args = [cli, 'run', '--kubeconfig', kubeconfigPath, '--metrics-port', String(metricsPort), '--health-port', String(healthPort), '--resync-seconds', '1'];
    if (opts.leaderElectionNamespace) args.push('--leader-elect', '--leader-election-namespace', opts.leaderElectionNamespace);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POD_NAME: opts.name } });
    return new OperatorProcess(opts.name, child, metricsPort, healthPort);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends the signal (SIGKILL by default) and waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.alive) this.child.kill(signal);
    await this.exited;
  }

  /** The value of an unlabelled gauge, or undefined when the process does not answer. */
  async gauge(name: string): Promise<number | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`, { signal: AbortSignal.timeout(1000) });
      const text = await res.text();
      const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The HTTP status of /readyz, or undefined when the process does not answer. */
  async readyz(): Promise<number | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.healthPort}/readyz`, { signal: AbortSignal.timeout(1000) });
      await res.text();
      return res.status;
    } catch {
      return undefined;
    }
  }

  /** The last lines it logged, for failure messages. */
  logTail(n = 30): string {
    return this.lines.slice(-n).join('\n');
  }
}

/**
 * A namespace with its own nodes, VMIs, placements and simulated KubeVirt (OperatorWorld's), on a
 * control plane of the fault suite's own, with the operator as child processes.
 */
export class FaultWorld extends OperatorWorld {
  readonly processes: OperatorProcess[] = [];

  private constructor(
    readonly plane: ControlPlane,
    client: KubeClient,
    ns: string,
  ) {
    super(client, ns);
  }

  static async create(plane: ControlPlane, client: KubeClient, prefix: string): Promise<FaultWorld> {
    const ns = `${prefix}-${randomBytes(3).toString('hex')}`;
    await client.create(Resources.namespace, { metadata: { name: ns } });
    return new FaultWorld(plane, client, ns);
  }

  /** A 1 GiB lab VM that dirties little, running on `node`; its simulated migrations run `seconds`. */
  addVmi(name: string, node: string, extra: Partial<VmiFixture> = {}, seconds = 8): Promise<VirtualMachineInstance> {
    return putVmi(this.client, {
      name,
      namespace: this.ns,
      node,
      memory: '1Gi',
      ...extra,
      labels: { app: 'lab', ...extra.labels },
      annotations: { 'offline-first.io/dirty-rate': '1MB/s', 'sim.offline-first.io/duration-seconds': String(seconds), ...extra.annotations },
    });
  }

  /** `n` workstations with one VM bound to each (vm-01 to ws-01, ...), the VMs spread over `servers`. */
  async boundLab(n: number, servers: readonly string[], labels: (i: number) => Record<string, string> = () => ({})): Promise<Map<string, string>> {
    const clientOf = new Map<string, string>();
    for (let i = 0; i < n; i++) {
      const id = String(i + 1).padStart(2, '0');
      const ws = await this.workstation(`ws-${id}`, '900Mbit/s');
      await this.addVmi(`vm-${id}`, servers[i % servers.length]!, { labels: { ...labels(i), [BINDING_LABEL]: ws } });
      clientOf.set(`vm-${id}`, ws);
    }
    return clientOf;
  }

  override async startKubevirt(opts: Partial<StartOptions> = {}): Promise<SimulatedKubevirt> {
    this.kubevirt = await SimulatedKubevirt.start(this.client, { namespace: this.ns, ca: this.plane.ca, realMsPerSimSecond: FAULT_MS_PER_SIM_SECOND, ...opts });
    return this.kubevirt;
  }

  async startProcess(name: string, leaderElect = false): Promise<OperatorProcess> {
    const op = await OperatorProcess.start(this.plane.kubeconfigPath, { name, ...(leaderElect ? { leaderElectionNamespace: this.ns } : {}) });
    this.processes.push(op);
    return op;
  }

  async vmis(): Promise<VirtualMachineInstance[]> {
    return (await this.client.list<VirtualMachineInstance>(Resources.vmi, this.ns)).items;
  }

  async placements(): Promise<OfflineFirstPlacement[]> {
    return (await this.client.list<OfflineFirstPlacement>(Resources.placement, this.ns)).items;
  }

  async annotateNode(node: string, annotations: Record<string, string | null>): Promise<void> {
    await this.client.mergePatch(Resources.node, undefined, node, { metadata: { annotations } });
  }

  /** Kills its operators first, so none acts on what the clean-up deletes. */
  override async stop(): Promise<void> {
    for (const op of this.processes.splice(0)) await op.kill('SIGKILL');
    await super.stop();
  }
}

/** The VM label that binds a VM to its workstation in the fault suite's placements. */
export const BINDING_LABEL = 'offline-first.io/workstation';

/** A fresh link measurement, with a round-trip time (OperatorWorld's linkAnnotations has a fixed one). */
export function freshLink(bandwidth: string, rtt: string): Record<string, string> {
  return {
    'link.offline-first.io/bandwidth': bandwidth,
    'link.offline-first.io/rtt': rtt,
    'link.offline-first.io/measured-at': new Date().toISOString(),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Counts by a key. */
export function countBy<T>(items: readonly T[], key: (x: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of items) out.set(key(x), (out.get(key(x)) ?? 0) + 1);
  return out;
}
