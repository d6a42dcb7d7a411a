/**
 * Step 3 of a plan: giving VMs their targets one at a time, most urgent first. Each assignment takes
 * room on its target (CapacityLedger) and a slot under every concurrency limit (ConcurrencyLedger),
 * so the next VM sees what is left. A VM over a limit waits; a VM whose candidates filled up earlier
 * in the plan looks once more, against what is left.
 */
import { formatBandwidth, formatDuration } from '../units.js';
import { dirtyRateBytesPerSecond } from './cost.js';
import type { CpuRequirement } from './cpu-compatibility.js';
import { decisionFor, describePrediction, describeRejections, describeScore, type DecisionFields } from './decisions.js';
import { moveCandidates, moveReason, type MoveCandidates, type MoveSource, type ScoredCandidate } from './move-candidates.js';
import type { PlanningWorld } from './planning-world.js';
import { COST_REASONS, furthestRejection, Reasons } from './reasons.js';
import { RejectionLog } from './rejections.js';
import type { ReturnPrediction } from './return-home.js';
import type { HomeTargets } from './targets.js';
import type { Decision, NodeView, PlacementPolicy, PlannedMigration, PredictionSummary, VmView } from './types.js';
import { attemptRecord, repeatedlyFailed } from './failures.js';

export interface PlannedVm {
  readonly order: number;
  readonly vm: VmView;
  readonly policy: PlacementPolicy;
  readonly sourceIndex: number;
  readonly source: NodeView;
}

export interface DueReturn extends PlannedVm {
  readonly deadlineMs: number;
  readonly prediction: ReturnPrediction;
  readonly homes: HomeTargets;
  readonly requirement: CpuRequirement;
}

export interface PendingMove extends PlannedVm {
  readonly moveSource: MoveSource;
  readonly requirement: CpuRequirement;
  readonly candidates: MoveCandidates;
  /** The home node that could take the VM back (no-stranding rule). */
  readonly returnNode: string;
}

export function currentScoreOf(c: MoveCandidates): { currentScore?: number } {
  return c.currentScore !== undefined ? { currentScore: c.currentScore } : {};
}

export function stayDecision(vm: VmView, c: MoveCandidates, onClient: boolean): Decision {
  if (!onClient) {
    const reason = furthestRejection(c.log.counts) ?? Reasons.NoClientNodes;
    // A verdict reached on the fallback rate says so: measuring the VM may well change it.
    const unmeasured =
      vm.dirtyRate.confidence === 'fallback' && (COST_REASONS as readonly string[]).includes(reason)
        ? `; its dirty rate is not measured, so a conservative ${formatBandwidth(dirtyRateBytesPerSecond(vm.dirtyRate.input))} was assumed (give page-sampling readings or a Prometheus source)`
        : '';
    const message = `stays on ${vm.nodeName}: no client qualifies (${describeRejections(c.log.counts)})${unmeasured}`;
    return decisionFor(vm, { action: 'Stay', reason, message }, c.log);
  }
  const where = `placed on client ${vm.nodeName} (staying scores ${c.currentScore})`;
  if (!c.held) {
    return decisionFor(vm, { action: 'Stay', reason: Reasons.Placed, message: c.note ? `${where}; ${c.note}` : where, ...currentScoreOf(c) }, c.log);
  }
  const held = c.held;
  const message = `${where}; ${held.target.node.name} would score ${held.score.total}, not better by the hysteresis margin`;
  return decisionFor(
    vm,
    { action: 'Stay', reason: Reasons.HysteresisHold, message, score: held.score, prediction: held.prediction, ...currentScoreOf(c) },
    c.log,
  );
}

/** The least loaded home node with room for the VM, so that returns spread out; rejections logged. */
function homeFor(world: PlanningWorld, r: DueReturn, log: RejectionLog): { index: number; name: string } | undefined {
  const screened = r.homes.forRequirement(r.requirement);
  log.addCounts(screened.counts);
  let chosen: { index: number; name: string; load: number } | undefined;
  for (const home of screened.targets) {
    if (repeatedlyFailed(r.vm, r.policy, home.node)) {
      log.add(home.node.name, Reasons.RepeatedFailures);
      continue;
    }
    const room = world.ledger.rejection(home.index, r.vm.requests);
    if (room) {
      log.add(home.node.name, room);
      continue;
    }
    const load = world.ledger.loadWith(home.index, r.vm.requests);
    if (!chosen || load < chosen.load || (load === chosen.load && home.node.name < chosen.name)) {
      chosen = { index: home.index, name: home.node.name, load };
    }
  }
  log.fill(screened.examples);
  return chosen;
}

export function assignReturn(world: PlanningWorld, r: DueReturn, migrations: PlannedMigration[]): Decision {
  const { vm, policy, source } = r;
  const prediction = r.prediction.summary;
  const departureAtMs = source.leaving?.departureAtMs;
  const when = departureAtMs === undefined ? 'is leaving' : `leaves in ${formatDuration(departureAtMs - world.input.nowMs)}`;
  const leaves = `client ${source.name} ${when}`;
  const limit = world.concurrency.sourceLimit(source.name, 'Home', policy);
  if (limit) {
    return decisionFor(vm, { action: 'Wait', reason: Reasons.ConcurrencyLimit, message: `${leaves}; the return home waits: ${limit}`, prediction });
  }
  const log = new RejectionLog(world.tuning.rejectedListed);
  const home = homeFor(world, r, log);
  if (!home) {
    const reason = furthestRejection(log.counts) ?? Reasons.NoHomeNodes;
    const message = `${leaves}, and no home node can take the VM (${describeRejections(log.counts)})`;
    return decisionFor(vm, { action: 'Blocked', reason, message, prediction }, log);
  }
  world.ledger.reserve(home.index, vm.requests);
  world.concurrency.add({ placementKey: policy.key, sourceNode: source.name, targetNode: home.name, direction: 'Home' });
  const reason = Reasons.ClientLeaving;
  migrations.push({
    vmKey: vm.key,
    placementKey: policy.key,
    sourceNode: source.name,
    targetNode: home.name,
    direction: 'Home',
    predictedSeconds: prediction.seconds,
    budgetSeconds: prediction.budgetSeconds,
    reason,
    ...attemptRecord(vm, world.input.nodes[home.index]!),
    ...predictionRecord(prediction),
    ...linkClassOf(policy, source),
  });
  const message = `${leaves}: returning to ${home.name}, ${describePrediction(prediction)}`;
  return decisionFor(vm, { action: 'ReturnHome', reason, desiredNode: home.name, message, prediction }, log);
}

export function assignMove(world: PlanningWorld, m: PendingMove, migrations: PlannedMigration[]): Decision {
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
        budgetSeconds: candidate.prediction.budgetSeconds,
        reason,
        ...attemptRecord(vm, target.node),
        ...predictionRecord(candidate.prediction),
        ...linkClassOf(policy, target.node),
      });
      return decisionFor(
        vm,
        {
          action: 'MoveToClient',
          reason,
          desiredNode: target.node.name,
          message: `moves to ${target.node.name} (${reason}): ${describePrediction(candidate.prediction)}; ${describeScore(candidate.score)}; ${m.returnNode} could take it back`,
          returnNode: m.returnNode,
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

/** The client's link class for the VMI's label, when the placement has link classes. */
function linkClassOf(policy: PlacementPolicy, client: NodeView): { linkClass?: string | null } {
  return policy.linkClasses?.length ? { linkClass: client.linkClasses?.[policy.key] ?? null } : {};
}

/** What a migration records of its prediction, to be compared with how it went (link-correction.ts). */
function predictionRecord(p: PredictionSummary): Pick<PlannedMigration, 'predictedBytes' | 'predictedBandwidthBytesPerSecond' | 'link'> {
  return { predictedBytes: p.bytes, predictedBandwidthBytesPerSecond: p.bandwidthBytesPerSecond, ...(p.link ? { link: p.link } : {}) };
}
