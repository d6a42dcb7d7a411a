/**
 * The no-stranding rule: a VM moves to a client only if, at that moment, a home node could take it
 * back — one that passes the scheduling checks, can run the VM's CPU as KubeVirt would require it
 * on the way back (the same requirement as the way out: a host-model VM carries its source's model),
 * has room for it, and is not blocked for repeated failures. The VM's own home node counts with the
 * room the VM holds there now.
 */
import type { CpuRequirement } from './cpu-compatibility.js';
import { describeRejections } from './decisions.js';
import { repeatedlyFailed } from './failures.js';
import type { PlanningWorld } from './planning-world.js';
import type { HomeTarget } from './targets.js';
import { Reasons, type RejectionReason } from './reasons.js';
import type { RejectionCounts } from './rejections.js';
import type { PlacementPolicy, VmView } from './types.js';

export function returnPath(world: PlanningWorld, vm: VmView, policy: PlacementPolicy, sourceIndex: number, requirement: CpuRequirement): { node?: string; why: string } {
  const homes = world.homes(policy);
  if (homes.homeCount === 0) return { why: `homeNodeSelector of ${policy.key} selects no node` };
  const screened = homes.forRequirement(requirement);
  const counts: RejectionCounts = { ...screened.counts };
  const count = (reason: RejectionReason): void => {
    counts[reason] = (counts[reason] ?? 0) + 1;
  };
  const takes = (home: HomeTarget): boolean => {
    if (repeatedlyFailed(vm, policy, home.node)) {
      count(Reasons.RepeatedFailures);
      return false;
    }
    const room = home.index === sourceIndex ? undefined : world.ledger.rejection(home.index, vm.requests);
    if (room) count(room);
    return room === undefined;
  };
  // The source first: a VM leaving its home node can always come back to it while it fits there.
  // Then the others in their order (no copy or sort per VM: with thousands of VMs and a hundred homes that was a tenth of a plan).
  const at = screened.position.get(sourceIndex);
  const source = at === undefined ? undefined : screened.targets[at];
  if (source && takes(source)) return { node: source.node.name, why: '' };
  for (const home of screened.targets) {
    if (home !== source && takes(home)) return { node: home.node.name, why: '' };
  }
  return { why: describeRejections(counts) || 'no home node is schedulable' };
}
