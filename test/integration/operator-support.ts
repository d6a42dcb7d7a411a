/** Shared set-up for the operator's integration tests: a namespace, nodes, the simulated KubeVirt and the operator. */
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../../src/kube/client.js';
import { isMigrationFinal, type MigrationPolicy, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../src/kube/kubevirt.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { PlacementLabels, type DecisionStatus, type OfflineFirstPlacement, type OfflineFirstPlacementSpec } from '../../src/kube/placement.js';
import { Resources } from '../../src/kube/resources.js';
import { Operator, type OperatorOptions } from '../../src/operator/operator.js';
import { clientWorkstation, cloudServer, putNode, type NodeFixture } from '../../src/sim/fixtures/nodes.js';
import { SimulatedKubevirt, type StartOptions } from '../../src/sim/kubevirt/simulated-kubevirt.js';
import { controlPlane, eventually } from './support.js';

export const MS_PER_SIM_SECOND = 5;

export function linkAnnotations(bandwidth: string, measuredAt = new Date()): Record<string, string> {
  return {
    'link.offline-first.io/bandwidth': bandwidth,
    'link.offline-first.io/rtt': '25ms',
    'link.offline-first.io/measured-at': measuredAt.toISOString(),
  };
}

export class OperatorWorld {
  readonly operators: Operator[] = [];
  kubevirt: SimulatedKubevirt | undefined;

  constructor(
    readonly client: KubeClient,
    readonly ns: string,
  ) {}

  /** A label unique to this world, so its placements select only its own nodes. */
  get pool(): Record<string, string> {
    return { 'test.offline-first.io/world': this.ns };
  }

  node(name: string): string {
    return `${this.ns}-${name}`;
  }

  async server(name: string, f: Partial<NodeFixture> = {}): Promise<string> {
    await putNode(this.client, cloudServer(this.node(name), { ...f, labels: { ...this.pool, ...f.labels } }));
    return this.node(name);
  }

  async workstation(name: string, bandwidth: string | undefined, f: Partial<NodeFixture> = {}): Promise<string> {
    const annotations = { ...(bandwidth ? linkAnnotations(bandwidth) : {}), ...f.annotations };
    await putNode(this.client, clientWorkstation(this.node(name), { ...f, annotations, labels: { ...this.pool, ...f.labels } }));
    return this.node(name);
  }

  async startKubevirt(opts: Partial<StartOptions> = {}): Promise<SimulatedKubevirt> {
    this.kubevirt = await SimulatedKubevirt.start(this.client, { namespace: this.ns, ca: controlPlane().ca, realMsPerSimSecond: MS_PER_SIM_SECOND, ...opts });
    return this.kubevirt;
  }

  async startOperator(opts: Partial<OperatorOptions> = {}): Promise<Operator> {
    const op = new Operator(this.client, { identity: `op-${randomBytes(3).toString('hex')}`, resyncMs: 1000, timeScale: MS_PER_SIM_SECOND / 1000, ...opts });
    this.operators.push(op);
    await op.start();
    return op;
  }

  placementSpec(spec: Partial<OfflineFirstPlacementSpec> = {}): OfflineFirstPlacementSpec {
    return {
      mode: 'Enforce',
      vmSelector: { matchLabels: { app: 'lab' } },
      clientNodeSelector: { matchLabels: { 'offline-first.io/pool': 'client', ...this.pool } },
      homeNodeSelector: { matchLabels: { 'offline-first.io/pool': 'cloud', ...this.pool } },
      triggers: { offlineCapabilityWanted: true },
      ...spec,
    };
  }

  async placement(name: string, spec: Partial<OfflineFirstPlacementSpec> = {}): Promise<OfflineFirstPlacement> {
    return this.client.create<OfflineFirstPlacement>(Resources.placement, { metadata: { name, namespace: this.ns }, spec: this.placementSpec(spec) });
  }

  getPlacement(name: string): Promise<OfflineFirstPlacement> {
    return this.client.get<OfflineFirstPlacement>(Resources.placement, this.ns, name);
  }

  vmi(name: string): Promise<VirtualMachineInstance> {
    return this.client.get<VirtualMachineInstance>(Resources.vmi, this.ns, name);
  }

  async migrations(): Promise<VirtualMachineInstanceMigration[]> {
    return (await this.client.list<VirtualMachineInstanceMigration>(Resources.migration, this.ns)).items;
  }

  /** Waits for the placement's decision about `vm` to satisfy `test`. */
  decision(placement: string, vm: string, test: (d: DecisionStatus) => boolean, what: string, timeoutMs = 20_000): Promise<DecisionStatus> {
    return eventually(`${placement} decision for ${vm}: ${what}`, async () => {
      const d = (await this.getPlacement(placement)).status?.decisions?.find((x) => x.vm === vm);
      return d && test(d) ? d : undefined;
    }, timeoutMs);
  }

  nodeOf(vm: string, node: string, timeoutMs = 20_000): Promise<VirtualMachineInstance> {
    return eventually(`${vm} to run on ${node}`, async () => {
      const v = await this.vmi(vm);
      return v.status?.nodeName === node && v.status.migrationState?.completed ? v : undefined;
    }, timeoutMs);
  }

  /** Stops this world's operators and KubeVirt, and deletes its placements so later tests' operators leave it alone. */
  async stop(): Promise<void> {
    for (const op of this.operators.splice(0)) await op.stop();
    for (const p of (await this.client.list<OfflineFirstPlacement>(Resources.placement, this.ns)).items) {
      await this.client.delete(Resources.placement, this.ns, p.metadata.name!);
      // With the operators stopped, nobody would remove the managed policy's finalizer.
      if (p.metadata.finalizers?.length) await this.client.mergePatch(Resources.placement, this.ns, p.metadata.name!, { metadata: { finalizers: null } }).catch(() => undefined);
    }
    for (const policy of (await this.client.list<MigrationPolicy>(Resources.migrationPolicy)).items) {
      if (policy.metadata.labels?.[PlacementLabels.placementNamespace] === this.ns) await this.client.delete(Resources.migrationPolicy, undefined, policy.metadata.name!).catch(() => undefined);
    }
    // Open migrations would count against KubeVirt's cluster limit in later tests' plans: abort
    // them, and let the simulated KubeVirt finish the aborts before it stops.
    for (const m of await this.migrations()) {
      if (!isMigrationFinal(m) && !m.metadata.deletionTimestamp) await this.client.delete(Resources.migration, this.ns, m.metadata.name!);
    }
    if (this.kubevirt) {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await this.migrations()).some((m) => !isMigrationFinal(m))) await new Promise((r) => setTimeout(r, 100));
    }
    await this.kubevirt?.stop();
    this.kubevirt = undefined;
  }
}

export type { KubeObject };
