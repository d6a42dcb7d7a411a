/**
 * planPlacements: one pure function from the observed world to the plan, for all placements at
 * once, so that capacity and KubeVirt's limits are shared. It reads like descheduler's Balance():
 *
 * 1. gate each VM (running, its node reachable, not migrating, live-migratable);
 * 2. a VM on a leaving client gets a return home, due when the client's evacuation time (× safety)
 *    reaches its departure; every other VM gets its scored client candidates (offline capability,
 *    screening, CPU, capacity, cost model, benefit, hysteresis), and waits if it is in cooldown;
 * 3. assign greedily: due returns first (earliest departure, then quickest return), then moves by
 *    score, each taking capacity on its target and a slot under every concurrency limit; a VM over
 *    a limit waits (ConcurrencyLimit), one whose candidates filled up looks again once.
 *
 * A VM on a client that no longer qualifies (its link dropped, its benefit went away) stays: moving
 * it home costs a migration as well, and it keeps working where it is. Only a departure, or a
 * better client by the hysteresis margin, moves it.
 */
import { formatDuration } from '../units.js';
import { CapacityLedger } from './capacity.js';
import { ConcurrencyLedger } from './concurrency.js';
import { cooldownEndsAtMs } from './cooldown.js';
import { PredictionCache } from './cost.js';
import { cpuRequirement, type CpuRequirementResult } from './cpu-compatibility.js';
import { decisionFor, describePrediction, describeRejections, describeScore, type DecisionFields } from './decisions.js';
import { moveCandidates, moveReason, type MoveCandidates, type MoveContext, type MoveSource, type ScoredCandidate } from './move-candidates.js';
import { sourceCpuFacts, type SourceCpuFacts } from './node-labels.js';
import { furthestRejection, Reasons } from './reasons.js';
import { mergeCounts, RejectionLog, type RejectionCounts } from './rejections.js';
import { predictReturn, returnStartsAtMs, type ReturnPrediction } from './return-home.js';
import { ClientTargets, HomeTargets } from './targets.js';
import { resolveTuning } from './tuning.js';
import type { Decision, NodeView, PlacementPolicy, Plan, PlanInput, PlannedMigration, PlannerTuning, VmView } from './types.js';
import { cooldownGate, firstGate, offlineCapability, VM_GATES, type VmGate } from './vm-gates.js';

interface PlannedVm {
  readonly order: number;
  readonly vm: VmView;
  readonly policy: PlacementPolicy;
  readonly sourceIndex: number;
  readonly source: NodeView;
}

interface DueReturn extends PlannedVm {
  readonly deadlineMs: number;
  readonly prediction: ReturnPrediction;
  readonly homes: HomeTargets;
  readonly requirement: Extract<CpuRequirementResult, { ok: true }>['requirement'];
}

interface PendingMove extends PlannedVm {
  readonly moveSource: MoveSource;
  readonly requirement: Extract<CpuRequirementResult, { ok: true }>['requirement'];
  readonly candidates: MoveCandidates;
}

/** Everything one plan shares: the node index, role sets, ledgers and caches. */
class PlanningWorld {
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
    const key = `${sourceIndex}|${model}|${requiredFeatures.join(',')}|${inherited ? `${inherited.model}|${inherited.requiredFeatures.join(',')}` : ''}`;
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

const fromGate = (gate: VmGate): DecisionFields => gate;

export function planPlacements(input: PlanInput): Plan {
  const world = new PlanningWorld(input);
  const { nowMs } = input;
  const decisions: (Decision | undefined)[] = new Array<Decision | undefined>(input.vms.length);
  const wakeUps: number[] = [];
  const leaving: (PlannedVm & { requirement: CpuRequirementResult; prediction: ReturnPrediction })[] = [];
  const moves: PendingMove[] = [];

  // 1 and 2: gate, then evaluate each VM on its own.
  input.vms.forEach((vm, order) => {
    const policy = world.policy(vm.placementKey);
    const sourceIndex = world.nodeIndex.get(vm.nodeName);
    const source = sourceIndex === undefined ? undefined : input.nodes[sourceIndex];
    const sourceIsHome = sourceIndex !== undefined && world.isHome(policy, sourceIndex);
    const situation = { vm, policy, source, sourceIsHome, openMigration: world.openMigrations.get(vm.key) };
    const gate = firstGate(VM_GATES, situation);
    if (gate || sourceIndex === undefined || !source) {
      decisions[order] = decisionFor(vm, fromGate(gate!));
      return;
    }
    const planned: PlannedVm = { order, vm, policy, sourceIndex, source };
    const requirement = world.requirement(vm, sourceIndex);

    if (source.leaving && !sourceIsHome) {
      leaving.push({ ...planned, requirement, prediction: predictReturn(vm, source, policy, nowMs, world.costs) });
      return;
    }
    const offline = offlineCapability(situation);
    if (offline) {
      decisions[order] = decisionFor(vm, fromGate(offline));
      return;
    }
    const clients = world.clients(policy);
    if (clients.clientCount === 0) {
      decisions[order] = decisionFor(vm, { action: 'Stay', reason: Reasons.NoClientNodes, message: `clientNodeSelector of ${policy.key} selects no node` });
      return;
    }
    if (!requirement.ok) {
      const log = new RejectionLog(world.tuning.rejectedListed);
      log.count(requirement.reason, clients.clientCount);
      decisions[order] = decisionFor(vm, { action: 'Stay', reason: requirement.reason, message: requirement.message }, log);
      return;
    }
    const onClient = world.isClient(policy, sourceIndex) && (vm.boundClient === undefined || vm.boundClient === source.name);
    const moveSource: MoveSource = { index: sourceIndex, node: source, onClient };
    const candidates = moveCandidates(vm, moveSource, requirement.requirement, world.moveContext(policy));
    const best = candidates.accepted[0];
    if (!best) {
      decisions[order] = stayDecision(vm, candidates, onClient);
      return;
    }
    const cooldownEnd = cooldownEndsAtMs(vm, policy, nowMs);
    if (cooldownEnd !== undefined) {
      wakeUps.push(cooldownEnd);
      decisions[order] = decisionFor(
        vm,
        { ...cooldownGate(cooldownEnd, nowMs, best.target.node.name), score: best.score, prediction: best.prediction, ...currentScoreOf(candidates) },
        candidates.log,
      );
      return;
    }
    moves.push({ ...planned, moveSource, requirement: requirement.requirement, candidates });
  });

  // 2b: which returns are due. A client's VMs share its link, so its evacuation takes their sum.
  const evacuationSeconds = new Map<number, number>();
  for (const r of leaving) {
    if (!r.prediction.infeasible) evacuationSeconds.set(r.sourceIndex, (evacuationSeconds.get(r.sourceIndex) ?? 0) + r.prediction.summary.seconds);
  }
  const dueReturns: DueReturn[] = [];
  for (const r of leaving) {
    const { vm, policy, source, prediction } = r;
    const departureAtMs = source.leaving?.departureAtMs;
    const deadline = departureAtMs === undefined ? 'now' : `in ${formatDuration(departureAtMs - nowMs)}`;
    if (!r.requirement.ok) {
      decisions[r.order] = decisionFor(vm, { action: 'Blocked', reason: r.requirement.reason, message: `client ${source.name} leaves ${deadline}, but ${r.requirement.message}` });
      continue;
    }
    if (prediction.infeasible) {
      decisions[r.order] = decisionFor(vm, {
        action: 'Blocked',
        reason: prediction.infeasible,
        message: `client ${source.name} leaves ${deadline}, but a return home would fail (${prediction.infeasible}; ${describePrediction(prediction.summary)})`,
        prediction: prediction.summary,
      });
      continue;
    }
    const homes = world.homes(policy);
    if (homes.homeCount === 0) {
      decisions[r.order] = decisionFor(vm, { action: 'Blocked', reason: Reasons.NoHomeNodes, message: `client ${source.name} leaves ${deadline}, and homeNodeSelector of ${policy.key} selects no node` });
      continue;
    }
    const startsAtMs = returnStartsAtMs(departureAtMs, evacuationSeconds.get(r.sourceIndex) ?? 0, nowMs, world.tuning);
    if (startsAtMs > nowMs) {
      wakeUps.push(startsAtMs);
      decisions[r.order] = decisionFor(vm, {
        action: 'Stay',
        reason: Reasons.ClientLeaving,
        message: `client ${source.name} leaves ${deadline}; the return home starts in ${formatDuration(startsAtMs - nowMs)} (${describePrediction(prediction.summary)})`,
        prediction: prediction.summary,
      });
      continue;
    }
    dueReturns.push({ ...r, deadlineMs: departureAtMs ?? nowMs, homes, requirement: r.requirement.requirement });
  }

  // 3: assign, most urgent first.
  const migrations: PlannedMigration[] = [];
  dueReturns.sort((a, b) => a.deadlineMs - b.deadlineMs || a.prediction.summary.seconds - b.prediction.summary.seconds || compareKeys(a.vm.key, b.vm.key));
  for (const r of dueReturns) decisions[r.order] = assignReturn(world, r, migrations);
  moves.sort((a, b) => b.candidates.accepted[0]!.score.total - a.candidates.accepted[0]!.score.total || compareKeys(a.vm.key, b.vm.key));
  for (const m of moves) decisions[m.order] = assignMove(world, m, migrations);

  const rejectionsByReason: RejectionCounts = {};
  for (const d of decisions) mergeCounts(rejectionsByReason, d!.rejectedCounts);
  const nextWakeUp = wakeUps.length > 0 ? Math.min(...wakeUps) : undefined;
  return {
    decisions: decisions as Decision[],
    migrations,
    ...(nextWakeUp !== undefined ? { requeueAfterMs: Math.max(0, Math.ceil(nextWakeUp - nowMs)) } : {}),
    rejectionsByReason,
  };
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function currentScoreOf(c: MoveCandidates): { currentScore?: number } {
  return c.currentScore !== undefined ? { currentScore: c.currentScore } : {};
}

function stayDecision(vm: VmView, c: MoveCandidates, onClient: boolean): Decision {
  if (onClient) {
    const where = `placed on client ${vm.nodeName} (staying scores ${c.currentScore})`;
    if (c.held) {
      return decisionFor(
        vm,
        {
          action: 'Stay',
          reason: Reasons.HysteresisHold,
          message: `${where}; ${c.held.target.node.name} would score ${c.held.score.total}, not better by the hysteresis margin`,
          score: c.held.score,
          prediction: c.held.prediction,
          ...currentScoreOf(c),
        },
        c.log,
      );
    }
    return decisionFor(vm, { action: 'Stay', reason: Reasons.Placed, message: c.note ? `${where}; ${c.note}` : where, ...currentScoreOf(c) }, c.log);
  }
  const reason = furthestRejection(c.log.counts) ?? Reasons.NoClientNodes;
  return decisionFor(vm, { action: 'Stay', reason, message: `stays on ${vm.nodeName}: no client qualifies (${describeRejections(c.log.counts)})` }, c.log);
}

function assignReturn(world: PlanningWorld, r: DueReturn, migrations: PlannedMigration[]): Decision {
  const { vm, policy, source, prediction } = r;
  const leaves = source.leaving?.departureAtMs === undefined ? 'is leaving' : `leaves in ${formatDuration(source.leaving.departureAtMs - world.input.nowMs)}`;
  const limit = world.concurrency.sourceLimit(source.name, 'Home', policy);
  if (limit) {
    return decisionFor(vm, { action: 'Wait', reason: Reasons.ConcurrencyLimit, message: `client ${source.name} ${leaves}; the return home waits: ${limit}`, prediction: prediction.summary });
  }
  const screened = r.homes.forRequirement(r.requirement);
  const log = new RejectionLog(world.tuning.rejectedListed);
  log.addCounts(screened.counts);
  // The least loaded home node that has room, so that returns spread out.
  let chosen: { index: number; name: string; load: number } | undefined;
  for (const home of screened.targets) {
    const room = world.ledger.rejection(home.index, vm.requests);
    if (room) {
      log.add(home.node.name, room);
      continue;
    }
    const load = world.ledger.loadWith(home.index, vm.requests);
    if (!chosen || load < chosen.load || (load === chosen.load && home.node.name < chosen.name)) chosen = { index: home.index, name: home.node.name, load };
  }
  log.fill(screened.examples);
  if (!chosen) {
    const reason = furthestRejection(log.counts) ?? Reasons.NoHomeNodes;
    return decisionFor(vm, { action: 'Blocked', reason, message: `client ${source.name} ${leaves}, and no home node can take the VM (${describeRejections(log.counts)})`, prediction: prediction.summary }, log);
  }
  world.ledger.reserve(chosen.index, vm.requests);
  world.concurrency.add({ placementKey: policy.key, sourceNode: source.name, targetNode: chosen.name, direction: 'Home' });
  migrations.push({
    vmKey: vm.key,
    placementKey: policy.key,
    sourceNode: source.name,
    targetNode: chosen.name,
    direction: 'Home',
    predictedSeconds: prediction.summary.seconds,
    reason: Reasons.ClientLeaving,
  });
  return decisionFor(
    vm,
    { action: 'ReturnHome', reason: Reasons.ClientLeaving, desiredNode: chosen.name, message: `client ${source.name} ${leaves}: returning to ${chosen.name}, ${describePrediction(prediction.summary)}`, prediction: prediction.summary },
    log,
  );
}

function assignMove(world: PlanningWorld, m: PendingMove, migrations: PlannedMigration[]): Decision {
  const { vm, policy, source } = m;
  const best = m.candidates.accepted[0]!;
  const waitFields = (candidate: ScoredCandidate, why: string): DecisionFields => ({
    action: 'Wait',
    reason: Reasons.ConcurrencyLimit,
    desiredNode: candidate.target.node.name,
    message: `would move to ${candidate.target.node.name}, but ${why}`,
    score: candidate.score,
    prediction: candidate.prediction,
    ...currentScoreOf(m.candidates),
  });
  const limit = world.concurrency.sourceLimit(source.name, 'ToClient', policy);
  if (limit) return decisionFor(vm, waitFields(best, limit), m.candidates.log);

  let candidates = m.candidates;
  for (let attempt = 0; attempt < 2; attempt++) {
    let limited: { candidate: ScoredCandidate; why: string } | undefined;
    for (const candidate of candidates.accepted) {
      const target = candidate.target;
      // Capacity first: a full node is a rejection; a node at its inbound limit only delays.
      const room = world.ledger.rejection(target.index, vm.requests);
      if (room) {
        candidates.log.add(target.node.name, room);
        continue;
      }
      const why = world.concurrency.targetLimit(target.node.name, policy);
      if (why) {
        limited ??= { candidate, why };
        continue;
      }
      world.ledger.reserve(target.index, vm.requests);
      world.concurrency.add({ placementKey: policy.key, sourceNode: source.name, targetNode: target.node.name, direction: 'ToClient' });
      const reason = m.moveSource.onClient ? Reasons.BetterClient : moveReason(candidate.score);
      migrations.push({
        vmKey: vm.key,
        placementKey: policy.key,
        sourceNode: source.name,
        targetNode: target.node.name,
        direction: 'ToClient',
        predictedSeconds: candidate.prediction.seconds,
        reason,
      });
      return decisionFor(
        vm,
        {
          action: 'MoveToClient',
          reason,
          desiredNode: target.node.name,
          message: `moves to ${target.node.name} (${reason}): ${describePrediction(candidate.prediction)}; ${describeScore(candidate.score)}`,
          score: candidate.score,
          prediction: candidate.prediction,
          ...currentScoreOf(candidates),
        },
        candidates.log,
      );
    }
    if (limited) return decisionFor(vm, waitFields(limited.candidate, limited.why), candidates.log);
    // Every candidate filled up earlier in this plan: look once more, against what is left.
    if (attempt === 0) candidates = moveCandidates(vm, m.moveSource, m.requirement, world.moveContext(policy));
  }
  return stayDecision(vm, candidates, m.moveSource.onClient);
}
