/** Invariants every plan must keep, asserted by several suites. */
import { expect } from 'chai';
import type { Plan, PlanInput } from '../../../../src/domain/placement/index.js';

function countBy<T>(items: readonly T[], key: (t: T) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/**
 * No migration is started beyond a limit: wherever the plan adds one, the open migrations there
 * (in flight plus planned) stay within the limit.
 */
export function expectWithinLimits(input: PlanInput, plan: Plan): void {
  if (plan.migrations.length === 0) return;
  const open = [...input.inFlight, ...plan.migrations];
  expect(open.length, 'open migrations in the cluster').to.be.at.most(input.clusterLimits.parallelMigrationsPerCluster);
  const outbound = countBy(open, (m) => m.sourceNode);
  for (const m of plan.migrations) {
    expect(outbound.get(m.sourceNode), `outbound from ${m.sourceNode}`).to.be.at.most(input.clusterLimits.parallelOutboundMigrationsPerNode);
  }
  const inbound = countBy(open, (m) => m.targetNode);
  const perPlacement = countBy(open, (m) => m.placementKey);
  for (const m of plan.migrations.filter((x) => x.direction === 'ToClient')) {
    const p = input.placements.find((x) => x.key === m.placementKey)!;
    expect(perPlacement.get(p.key), `open migrations of ${p.key}`).to.be.at.most(p.limits.maxConcurrentPerPlacement);
    expect(inbound.get(m.targetNode), `inbound to ${m.targetNode}`).to.be.at.most(p.limits.maxConcurrentPerClientNode);
  }
}

/** Requests of everything on or moving to a node never exceed its allocatable. */
export function expectWithinCapacity(input: PlanInput, plan: Plan): void {
  const vms = new Map(input.vms.map((v) => [v.key, v]));
  const reserved = new Map<string, { cpu: number; memory: number }>();
  const add = (node: string | undefined, vmKey: string): void => {
    const vm = vms.get(vmKey);
    if (node === undefined || !vm) return;
    const r = reserved.get(node) ?? { cpu: 0, memory: 0 };
    reserved.set(node, { cpu: r.cpu + vm.requests.cpuMillis, memory: r.memory + vm.requests.memoryBytes });
  };
  for (const m of input.inFlight) if (!m.targetCounted) add(m.targetNode, m.vmKey);
  for (const m of plan.migrations) add(m.targetNode, m.vmKey);
  for (const node of input.nodes) {
    if (!plan.migrations.some((m) => m.targetNode === node.name)) continue;
    const r = reserved.get(node.name)!;
    expect(node.requested.memoryBytes + r.memory, `memory on ${node.name}`).to.be.at.most(node.allocatable.memoryBytes);
    expect(node.requested.cpuMillis + r.cpu, `cpu on ${node.name}`).to.be.at.most(node.allocatable.cpuMillis);
  }
}
