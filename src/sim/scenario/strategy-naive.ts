/**
 * A naive rebalancer, the way eviction-driven tools move VMs: every Running, live-migratable VM
 * that is not on a client goes to one (its bound client, else the least loaded) as soon as there is
 * one, and a client that announces its departure is drained at once. It has no cost model and no
 * thresholds: it does not ask whether a move will converge, how long it takes, or what it gains.
 * What it cannot ignore is what the cluster enforces: the scheduler (Ready, schedulable, not
 * cordoned by a departure, CPU labels, room) and KubeVirt's concurrency limits. It sees the cluster
 * through the operator's own gatherer, so both strategies look at the same world; a failed move is
 * tried again at the next step. Migrations run with KubeVirt's default settings.
 */
import { gather } from '../../observation/gather.js';
import { cpuRejection } from '../../domain/placement/cpu-compatibility.js';
import { firstRejection, SCHEDULING_CHECKS } from '../../domain/placement/node-filters.js';
import { PlanningWorld } from '../../domain/placement/planning-world.js';
import type { MigrationDirection, VmView } from '../../domain/placement/index.js';
import { KubeView } from './kube-objects.js';
import { KUBEVIRT_DEFAULT_OPTIONS } from './migration-run.js';
import type { StartRequest, Strategy, StrategyPlan } from './strategy.js';
import type { SimWorld } from './world.js';

export class NaiveStrategy implements Strategy {
  readonly name = 'naive' as const;
  private view: KubeView | undefined;

  plan(world: SimWorld, nowMs: number): StrategyPlan {
    this.view ??= new KubeView(world);
    const input = gather(this.view.observed(nowMs)).input;
    const pw = new PlanningWorld(input);
    const starts: StartRequest[] = [];
    for (const vm of input.vms) {
      const start = this.moveFor(pw, vm);
      if (start) starts.push(start);
    }
    return { starts };
  }

  private moveFor(pw: PlanningWorld, vm: VmView): StartRequest | undefined {
    const { nodes } = pw.input;
    if (vm.phase !== 'Running' || !vm.liveMigratable || vm.migrating || pw.openMigrations.has(vm.key)) return undefined;
    const sourceIndex = pw.nodeIndex.get(vm.nodeName);
    const source = sourceIndex === undefined ? undefined : nodes[sourceIndex];
    if (sourceIndex === undefined || !source?.ready) return undefined;
    const policy = pw.policy(vm.placementKey);
    const requirement = pw.requirement(vm, sourceIndex);
    if (!requirement.ok) return undefined;

    let direction: MigrationDirection;
    let candidates: number[];
    if (pw.isClient(policy, sourceIndex)) {
      if (!source.leaving) return undefined;
      direction = 'Home';
      candidates = pw.homes(policy).forRequirement(requirement.requirement).targets.map((t) => t.index);
    } else {
      direction = 'ToClient';
      candidates = [];
      nodes.forEach((node, i) => {
        if (!node.clientFor.includes(policy.key) || (vm.boundClient !== undefined && node.name !== vm.boundClient)) return;
        if (firstRejection(SCHEDULING_CHECKS, node) === undefined && cpuRejection(requirement.requirement, node.labels) === undefined) candidates.push(i);
      });
    }
    // 'Home' asks for KubeVirt's limits only (cluster, outbound per node): the placement's own limits are the operator's.
    if (pw.concurrency.sourceLimit(source.name, 'Home', policy) !== undefined) return undefined;
    let best: number | undefined;
    let bestLoad = Infinity;
    for (const i of candidates) {
      if (pw.ledger.rejection(i, vm.requests) !== undefined) continue;
      const load = pw.ledger.loadWith(i, vm.requests);
      if (load < bestLoad) [best, bestLoad] = [i, load];
    }
    if (best === undefined) return undefined;
    const target = nodes[best]!.name;
    pw.ledger.reserve(best, vm.requests);
    pw.concurrency.add({ placementKey: policy.key, sourceNode: source.name, targetNode: target, direction });
    return {
      vmKey: vm.key,
      placementKey: policy.key,
      target,
      direction,
      reason: direction === 'Home' ? 'Drain' : 'Rebalance',
      options: KUBEVIRT_DEFAULT_OPTIONS,
    };
  }
}
