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
import { assignMove, assignReturn, currentScoreOf, stayDecision, type DueReturn, type PendingMove, type PlannedVm } from './assignment.js';
import { cooldownEndsAtMs } from './cooldown.js';
import type { CpuRequirementResult } from './cpu-compatibility.js';
import { decisionFor, describePrediction, type DecisionFields } from './decisions.js';
import { moveCandidates, type MoveSource } from './move-candidates.js';
import { PlanningWorld } from './planning-world.js';
import { Reasons } from './reasons.js';
import { mergeCounts, RejectionLog, type RejectionCounts } from './rejections.js';
import { predictReturn, returnStartsAtMs, type ReturnPrediction } from './return-home.js';
import type { Decision, PlanInput, PlannedMigration, Plan, VmView } from './types.js';
import { cooldownGate, firstGate, offlineCapability, settingsApplied, unknownNode, VM_GATES } from './vm-gates.js';
import { backoffEndsAtMs, backoffMessage } from './failures.js';
import { checkPlanInput, type InvalidInput } from './input-checks.js';
import { returnPath } from './return-path.js';

/** What evaluating each VM on its own leaves for the later steps. */
interface Evaluation {
  readonly decisions: (Decision | undefined)[];
  /** Times at which something changes by itself. */
  readonly wakeUps: number[];
  readonly leaving: LeavingVm[];
  readonly moves: PendingMove[];
}

interface LeavingVm extends PlannedVm {
  readonly requirement: CpuRequirementResult;
  readonly prediction: ReturnPrediction;
}

export function planPlacements(raw: PlanInput): Plan {
  const checked = checkPlanInput(raw);
  const input = checked.input;
  const invalid: InvalidInput[] = [...checked.invalid];
  const world = new PlanningWorld(input);
  const out: Evaluation = { decisions: new Array<Decision | undefined>(input.vms.length), wakeUps: [], leaving: [], moves: [] };
  /** A VM whose evaluation failed anyway is left out with the error; the others go on. */
  const leaveOut = (vm: VmView, order: number, message: string): void => {
    out.decisions[order] = decisionFor(vm, { action: 'Blocked', reason: Reasons.InvalidInput, message: `left out of the plan: ${message}` });
  };
  input.vms.forEach((vm, order) => {
    const problem = checked.vmProblems.get(order);
    if (problem !== undefined) return leaveOut(vm, order, problem);
    try {
      evaluateVm(world, vm, order, out);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      invalid.push({ kind: 'VM', key: vm.key, message });
      leaveOut(vm, order, message);
    }
  });
  const dueReturns = dueReturnsOf(world, out);

  // Assign, most urgent first: returns by departure, then moves by score.
  const migrations: PlannedMigration[] = [];
  dueReturns.sort(
    (a, b) => a.deadlineMs - b.deadlineMs || a.prediction.summary.seconds - b.prediction.summary.seconds || compareKeys(a.vm.key, b.vm.key),
  );
  const assign = <T extends PlannedVm>(p: T, fn: (p: T) => Decision): void => {
    try {
      out.decisions[p.order] = fn(p);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      invalid.push({ kind: 'VM', key: p.vm.key, message });
      leaveOut(p.vm, p.order, message);
    }
  };
  for (const r of dueReturns) assign(r, (x) => assignReturn(world, x, migrations));
  out.moves.sort((a, b) => b.candidates.accepted[0]!.score.total - a.candidates.accepted[0]!.score.total || compareKeys(a.vm.key, b.vm.key));
  for (const m of out.moves) assign(m, (x) => assignMove(world, x, migrations));

  const decisions = out.decisions as Decision[];
  const rejectionsByReason: RejectionCounts = {};
  for (const d of decisions) mergeCounts(rejectionsByReason, d.rejectedCounts);
  const nextWakeUp = out.wakeUps.reduce((min, t) => Math.min(min, t), Infinity);
  return {
    decisions,
    migrations,
    ...(Number.isFinite(nextWakeUp) ? { requeueAfterMs: Math.max(0, Math.ceil(nextWakeUp - input.nowMs)) } : {}),
    rejectionsByReason,
    invalidInputs: invalid,
  };
}

/** Gates, then either a return home to schedule, a final decision, or a move to assign. */
function evaluateVm(world: PlanningWorld, vm: VmView, order: number, out: Evaluation): void {
  const { nowMs } = world.input;
  const policy = world.policy(vm.placementKey);
  const sourceIndex = world.nodeIndex.get(vm.nodeName);
  const source = sourceIndex === undefined ? undefined : world.input.nodes[sourceIndex];
  const sourceIsHome = sourceIndex !== undefined && world.isHome(policy, sourceIndex);
  const situation = { vm, policy, source, sourceIsHome, openMigration: world.openMigrations.get(vm.key) };
  const decide = (fields: DecisionFields, log?: RejectionLog): void => {
    out.decisions[order] = decisionFor(vm, fields, log);
  };

  const gate = firstGate(VM_GATES, situation);
  if (gate || sourceIndex === undefined || !source) return decide(gate ?? unknownNode(vm));
  const planned: PlannedVm = { order, vm, policy, sourceIndex, source };
  const requirement = world.requirement(vm, sourceIndex);
  if (source.leaving && !sourceIsHome) {
    const backoff = backoffEndsAtMs(vm, policy, 'Home', nowMs);
    if (backoff !== undefined) {
      out.wakeUps.push(backoff);
      return decide({ action: 'Wait', reason: Reasons.FailureBackoff, message: `client ${source.name} is leaving, but ${backoffMessage(vm, backoff, nowMs, formatDuration)}` });
    }
    out.leaving.push({ ...planned, requirement, prediction: predictReturn(vm, source, policy, nowMs, world.costs) });
    return;
  }
  const toClientGate = offlineCapability(situation) ?? settingsApplied(situation);
  if (toClientGate) return decide(toClientGate);
  const clients = world.clients(policy);
  if (clients.clientCount === 0) {
    return decide({ action: 'Stay', reason: Reasons.NoClientNodes, message: `clientNodeSelector of ${policy.key} selects no node` });
  }
  if (!requirement.ok) {
    const log = new RejectionLog(world.tuning.rejectedListed);
    log.count(requirement.reason, clients.clientCount);
    return decide({ action: 'Stay', reason: requirement.reason, message: requirement.message }, log);
  }

  const onClient = world.isClient(policy, sourceIndex) && (vm.boundClient === undefined || vm.boundClient === source.name);
  const moveSource: MoveSource = { index: sourceIndex, node: source, onClient };
  const candidates = moveCandidates(vm, moveSource, requirement.requirement, world.moveContext(policy));
  const best = candidates.accepted[0];
  if (!best) {
    out.decisions[order] = stayDecision(vm, candidates, onClient);
    return;
  }
  const cooldownEnd = cooldownEndsAtMs(vm, policy, nowMs);
  if (cooldownEnd !== undefined) {
    out.wakeUps.push(cooldownEnd);
    const wait = cooldownGate(cooldownEnd, nowMs, best.target.node.name);
    return decide({ ...wait, score: best.score, prediction: best.prediction, ...currentScoreOf(candidates) }, candidates.log);
  }
  const backoff = backoffEndsAtMs(vm, policy, 'ToClient', nowMs);
  if (backoff !== undefined) {
    out.wakeUps.push(backoff);
    const message = `it would move to ${best.target.node.name}, but ${backoffMessage(vm, backoff, nowMs, formatDuration)}`;
    return decide({ action: 'Wait', reason: Reasons.FailureBackoff, message, desiredNode: best.target.node.name, score: best.score, prediction: best.prediction, ...currentScoreOf(candidates) }, candidates.log);
  }
  // No stranding: a VM goes to a client only if a home node could take it back now.
  const back = returnPath(world, vm, policy, sourceIndex, requirement.requirement);
  if (!back.node) {
    const message = `it would move to ${best.target.node.name}, but no home node could take it back from there (${back.why})`;
    return decide({ action: 'Stay', reason: Reasons.NoReturnPath, message, score: best.score, prediction: best.prediction, ...currentScoreOf(candidates) }, candidates.log);
  }
  out.moves.push({ ...planned, moveSource, requirement: requirement.requirement, candidates, returnNode: back.node });
}

/**
 * The returns that must start now. A client's VMs share its link, so evacuating it takes the sum
 * of their return times; the others get a decision saying when theirs will start.
 */
function dueReturnsOf(world: PlanningWorld, out: Evaluation): DueReturn[] {
  const { nowMs } = world.input;
  const evacuationSeconds = new Map<number, number>();
  for (const r of out.leaving) {
    if (!r.prediction.infeasible) evacuationSeconds.set(r.sourceIndex, (evacuationSeconds.get(r.sourceIndex) ?? 0) + r.prediction.summary.seconds);
  }
  const due: DueReturn[] = [];
  for (const r of out.leaving) {
    const { vm, policy, source, prediction } = r;
    const decide = (fields: DecisionFields): void => {
      out.decisions[r.order] = decisionFor(vm, fields);
    };
    const departureAtMs = source.leaving?.departureAtMs;
    const leaves = `client ${source.name} leaves ${departureAtMs === undefined ? 'now' : `in ${formatDuration(departureAtMs - nowMs)}`}`;
    if (!r.requirement.ok) {
      decide({ action: 'Blocked', reason: r.requirement.reason, message: `${leaves}, but ${r.requirement.message}` });
      continue;
    }
    // A prediction from a measured link may rule a return out; one from a stale or missing link (the
    // placement's minimum bandwidth stands in) may not: the return is tried at once, since a VM left
    // on a client that leaves runs offline until it is back.
    const trusted = prediction.summary.linkConfidence === 'fresh';
    if (prediction.infeasible && trusted) {
      const why = `${prediction.infeasible}; ${describePrediction(prediction.summary)}`;
      const message = `${leaves}, but a return home would fail (${why})`;
      decide({ action: 'Blocked', reason: prediction.infeasible, message, prediction: prediction.summary });
      continue;
    }
    const homes = world.homes(policy);
    if (homes.homeCount === 0) {
      decide({ action: 'Blocked', reason: Reasons.NoHomeNodes, message: `${leaves}, and homeNodeSelector of ${policy.key} selects no node` });
      continue;
    }
    const startsAtMs = prediction.infeasible ? nowMs : returnStartsAtMs(departureAtMs, evacuationSeconds.get(r.sourceIndex) ?? 0, nowMs, world.tuning);
    if (startsAtMs > nowMs) {
      out.wakeUps.push(startsAtMs);
      const message = `${leaves}; the return home starts in ${formatDuration(startsAtMs - nowMs)} (${describePrediction(prediction.summary)})`;
      decide({ action: 'Stay', reason: Reasons.ClientLeaving, message, prediction: prediction.summary });
      continue;
    }
    due.push({ ...r, deadlineMs: departureAtMs ?? nowMs, homes, requirement: r.requirement.requirement });
  }
  return due;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
