/**
 * What one plan shares across VMs and placements: nodes by name, which nodes are clients and homes
 * of which placement, the capacity and concurrency ledgers, and the per-plan caches (screened
 * targets per placement, CPU requirements per source and CPU, cost-model predictions).
 */
import { CapacityLedger } from './capacity.js';
import { ConcurrencyLedger } from './concurrency.js';
import { PredictionCache } from './cost.js';
import { cpuRequirement, type CpuRequirementResult } from './cpu-compatibility.js';
import type { MoveContext } from './move-candidates.js';
import { sourceCpuFacts, type SourceCpuFacts } from './node-labels.js';
import { ClientTargets, HomeTargets } from './targets.js';
import { resolveTuning } from './tuning.js';
import type { PlacementPolicy, PlanInput, PlannerTuning, VmView } from './types.js';

export class PlanningWorld {
  readonly tuning: PlannerTuning;
  readonly nodeIndex = new Map<string, number>();
  readonly ledger: CapacityLedger;
  readonly concurrency: ConcurrencyLedger;
  readonly costs = new PredictionCache();
  readonly openMigrations = new Map<string, PlanInput['inFlight'][number]>();
  private readonly policies = new Map<string, PlacementPolicy>();
  private readonly clientIndexes = new Map<string, number[]>();
  private readonly homeIndexes = new Map<string, number[]>();
  private readonly homeSets = new Map<string, Set<number>>();
  private readonly clientSets = new Map<string, Set<number>>();
  private readonly clientTargets = new Map<string, ClientTargets>();
  private readonly homeTargets = new Map<string, HomeTargets>();
  private readonly sourceFacts = new Map<number, SourceCpuFacts>();
  private readonly requirements = new Map<string, CpuRequirementResult>();

  constructor(readonly input: PlanInput) {
    this.tuning = resolveTuning(input.tuning);
    for (const p of input.placements) this.policies.set(p.key, p);
    input.nodes.forEach((node, i) => {
      this.nodeIndex.set(node.name, i);
      for (const key of node.clientFor) push(this.clientIndexes, key, i);
      for (const key of node.homeFor) push(this.homeIndexes, key, i);
    });
    for (const [key, indexes] of this.clientIndexes) this.clientSets.set(key, new Set(indexes));
    for (const [key, indexes] of this.homeIndexes) this.homeSets.set(key, new Set(indexes));

    this.ledger = new CapacityLedger(input.nodes);
    const vmsByKey = new Map(input.vms.map((vm) => [vm.key, vm]));
    for (const m of input.inFlight) {
      this.openMigrations.set(m.vmKey, m);
      const target = m.targetNode === undefined ? undefined : this.nodeIndex.get(m.targetNode);
      const vm = vmsByKey.get(m.vmKey);
      if (target !== undefined && vm && !m.targetCounted) this.ledger.reserve(target, vm.requests);
    }
    this.concurrency = new ConcurrencyLedger(input.clusterLimits, input.inFlight);
  }

  policy(key: string): PlacementPolicy {
    const policy = this.policies.get(key);
    if (!policy) throw new Error(`VM placement ${key} is not among PlanInput.placements`);
    return policy;
  }

  isHome(policy: PlacementPolicy, nodeIndex: number): boolean {
    return this.homeSets.get(policy.key)?.has(nodeIndex) ?? false;
  }

  isClient(policy: PlacementPolicy, nodeIndex: number): boolean {
    return this.clientSets.get(policy.key)?.has(nodeIndex) ?? false;
  }

  clients(policy: PlacementPolicy): ClientTargets {
    let targets = this.clientTargets.get(policy.key);
    if (!targets) {
      targets = new ClientTargets(policy, this.input.nodes, this.clientIndexes.get(policy.key) ?? [], this.input.nowMs);
      this.clientTargets.set(policy.key, targets);
    }
    return targets;
  }

  homes(policy: PlacementPolicy): HomeTargets {
    let targets = this.homeTargets.get(policy.key);
    if (!targets) {
      targets = new HomeTargets(this.input.nodes, this.homeIndexes.get(policy.key) ?? []);
      this.homeTargets.set(policy.key, targets);
    }
    return targets;
  }

  requirement(vm: VmView, sourceIndex: number): CpuRequirementResult {
    const { model, requiredFeatures, inheritedHostModel: inherited } = vm.cpu;
    const inheritedKey = inherited ? `${inherited.model}|${inherited.requiredFeatures.join(',')}` : '';
    const key = `${sourceIndex}|${model}|${requiredFeatures.join(',')}|${inheritedKey}`;
    let result = this.requirements.get(key);
    if (!result) {
      let facts = this.sourceFacts.get(sourceIndex);
      if (!facts) {
        facts = sourceCpuFacts(this.input.nodes[sourceIndex]!);
        this.sourceFacts.set(sourceIndex, facts);
      }
      result = cpuRequirement(vm.cpu, facts);
      this.requirements.set(key, result);
    }
    return result;
  }

  moveContext(policy: PlacementPolicy): MoveContext {
    return { nowMs: this.input.nowMs, policy, tuning: this.tuning, ledger: this.ledger, costs: this.costs, clients: this.clients(policy) };
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
