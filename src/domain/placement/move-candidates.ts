/**
 * The client nodes one VM could move to, scored, best first: the VM walks its screened list (sorted
 * by usable bandwidth) and, for each node, checks capacity, the dirty-rate cut and the cost model,
 * until it has enough accepted candidates. Cheap cuts come first and whole tails are cut at once:
 * below the dirty-rate cut (or the bandwidth threshold) every later node is too, and a prediction
 * that is too slow is slower still on every later node.
 */
import type { CapacityLedger } from './capacity.js';
import { costRejection, dirtyRateBytesPerSecond, holdsForLowerBandwidth, predictionSummary, type PredictionCache } from './cost.js';
import { cpuRejection, type CpuRequirement } from './cpu-compatibility.js';
import { isLinkFresh, usableBandwidth } from './link.js';
import { Reasons, type Reason, type RejectionReason } from './reasons.js';
import { RejectionLog } from './rejections.js';
import { repeatedlyFailed } from './failures.js';
import { costParts, explainScore, stayScore } from './score.js';
import { benefitParts, sumParts } from './benefit.js';
import type { ClientTarget, ClientTargets } from './targets.js';
import type { NodeView, PlacementPolicy, PlannerTuning, PredictionSummary, ScoreExplanation, VmView } from './types.js';

export interface ScoredCandidate {
  readonly target: ClientTarget;
  readonly score: ScoreExplanation;
  readonly prediction: PredictionSummary;
}

export interface MoveCandidates {
  /** Accepted candidates, best score first. */
  readonly accepted: readonly ScoredCandidate[];
  readonly log: RejectionLog;
  /** For a VM already on a client: the score of staying there. */
  readonly currentScore?: number;
  /** The best candidate that beats staying, but not by the hysteresis margin. */
  readonly held?: ScoredCandidate;
  /** Why nothing was looked at, when that is not a rejection (e.g. the current client's link is stale). */
  readonly note?: string;
}

export interface MoveContext {
  readonly nowMs: number;
  readonly policy: PlacementPolicy;
  readonly tuning: PlannerTuning;
  readonly ledger: CapacityLedger;
  readonly costs: PredictionCache;
  readonly clients: ClientTargets;
}

export interface MoveSource {
  readonly index: number;
  readonly node: NodeView;
  /** The VM runs on a client of its placement (and on its bound client, if bound). */
  readonly onClient: boolean;
}

const byScore = (a: ScoredCandidate, b: ScoredCandidate): number =>
  b.score.total - a.score.total ||
  b.target.usableBandwidthBytesPerSecond - a.target.usableBandwidthBytesPerSecond ||
  (a.target.node.name < b.target.node.name ? -1 : 1);

export function moveCandidates(vm: VmView, source: MoveSource, requirement: CpuRequirement, ctx: MoveContext): MoveCandidates {
  const { policy, tuning, ledger, clients } = ctx;
  const log = new RejectionLog(tuning.rejectedListed);

  let currentScore: number | undefined;
  // A client-to-client move crosses the current client's link too.
  let sourceCap = Infinity;
  if (source.onClient) {
    currentScore = stayScore(benefitParts(policy.triggers, source.node), ledger.loadWith(source.index, undefined));
    const link = source.node.link;
    if (!link || !isLinkFresh(link, ctx.nowMs, policy.linkMaxAgeSeconds)) {
      const note = `the link of ${source.node.name} is unknown or stale, so moving on to another client is not considered`;
      return { accepted: [], log, currentScore, note };
    }
    sourceCap = usableBandwidth(link.bandwidthBytesPerSecond, policy);
  }

  // The list to walk: the bound client alone, or every screened client that can run this CPU.
  let list: readonly ClientTarget[];
  let maxBenefit: number;
  let sourcePosition: number | undefined;
  let examples: readonly { node: string; reason: RejectionReason }[] = [];
  const nothing = (): MoveCandidates => ({ accepted: [], log, ...(currentScore !== undefined ? { currentScore } : {}) });
  if (vm.boundClient !== undefined) {
    // On its own client already: there is nowhere else it may go.
    if (vm.boundClient === source.node.name) return nothing();
    const bound = clients.lookup(vm.boundClient);
    log.count(Reasons.NotBoundClient, clients.clientCount - (bound === undefined ? 0 : 1));
    if (bound === undefined || typeof bound === 'string') {
      log.add(vm.boundClient, bound ?? Reasons.NotBoundClient);
      return nothing();
    }
    const cpu = cpuRejection(requirement, bound.node.labels);
    if (cpu) {
      log.add(vm.boundClient, cpu);
      return nothing();
    }
    list = [bound];
    maxBenefit = sumParts(bound.benefitParts);
  } else {
    const screened = clients.forRequirement(requirement);
    log.addCounts(screened.counts);
    examples = screened.examples;
    // The VM's own client is no candidate, so it is no rejected one either.
    const own = clients.screenedOutFor(source.node.name, requirement);
    if (own) {
      log.count(own, -1);
      examples = examples.filter((e) => e.node !== source.node.name);
    }
    list = screened.targets;
    maxBenefit = screened.maxBenefit;
    sourcePosition = screened.position.get(source.index);
  }

  const { thresholds } = policy;
  const dirtyRate = dirtyRateBytesPerSecond(vm.dirtyRate.input);
  const dirtyRateCut = dirtyRate / thresholds.maxDirtyRateRatio;
  const floor = currentScore === undefined ? 0 : currentScore + policy.hysteresisMargin;
  // Costs are never negative, so when no benefit on offer beats staying by the margin, no candidate
  // can: the usual case for a placed VM, and it keeps re-plans of placed VMs cheap.
  if (currentScore !== undefined && maxBenefit <= floor) {
    log.fill(examples);
    return nothing();
  }
  const shared = ctx.costs.forVm(vm, policy);
  const accepted: ScoredCandidate[] = [];
  let held: ScoredCandidate | undefined;
  let predictions = 0;

  /** Rejects list[i] and everything after it (the current node aside) for one reason. */
  const rejectTail = (i: number, reason: RejectionReason): void => {
    log.add(list[i]!.node.name, reason);
    log.count(reason, list.length - i - 1 - (sourcePosition !== undefined && sourcePosition > i ? 1 : 0));
  };

  for (let i = 0; i < list.length; i++) {
    const target = list[i]!;
    if (target.index === source.index) continue;
    const usable = Math.min(target.usableBandwidthBytesPerSecond, sourceCap);
    // A client-to-client move is paced by the slower of the two links.
    const linkNode = sourceCap < target.usableBandwidthBytesPerSecond ? source.node : target.node;
    if (usable < thresholds.minBandwidthBytesPerSecond) {
      rejectTail(i, Reasons.BandwidthBelowThreshold);
      break;
    }
    if (usable < dirtyRateCut) {
      rejectTail(i, Reasons.DirtyRateTooHigh);
      break;
    }
    const room = ledger.rejection(target.index, vm.requests);
    if (room) {
      log.add(target.node.name, room);
      continue;
    }
    if (repeatedlyFailed(vm, policy, target.node)) {
      log.add(target.node.name, Reasons.RepeatedFailures);
      continue;
    }
    if (predictions >= tuning.predictionsPerVm) break;
    predictions++;
    // Link classes: each client's class may bring its own MigrationPolicy (a cap, no post-copy).
    const cost = vm.classSettings ? ctx.costs.forVm(vm, policy, target.node.linkClasses?.[policy.key]) : shared;
    const p = cost.predict(usable);
    const refused = costRejection(p, thresholds);
    if (refused) {
      if (holdsForLowerBandwidth(refused, policy, vm)) {
        rejectTail(i, refused);
        break;
      }
      log.add(target.node.name, refused);
      continue;
    }
    const score = explainScore(
      target.benefitParts,
      costParts(
        {
          predictedSeconds: p.totalSeconds,
          downtimeMs: p.downtimeMs,
          dirtyRateRatio: dirtyRate / usable,
          targetLoad: ledger.loadWith(target.index, vm.requests),
          dirtyRateConfidence: vm.dirtyRate.confidence,
        },
        thresholds,
      ),
    );
    const candidate: ScoredCandidate = { target, score, prediction: predictionSummary(p, vm, 'fresh', linkNode) };
    if (score.total > floor) {
      accepted.push(candidate);
      if (accepted.length >= tuning.candidatesScoredPerVm) break;
    } else if (currentScore === undefined) {
      log.add(target.node.name, Reasons.CostExceedsBenefit);
    } else if (score.total > currentScore && (!held || byScore(candidate, held) < 0)) {
      held = candidate;
    }
  }
  log.fill(examples);
  accepted.sort(byScore);
  return { ...nothing(), accepted, ...(held ? { held } : {}) };
}

/** The benefit parts that triggered a move, named as a reason: the largest one. */
export function moveReason(score: ScoreExplanation): Reason {
  const { offlineCapability = 0, cloudLatency = 0, cloudBandwidth = 0 } = score.benefitParts;
  if (offlineCapability >= cloudLatency && offlineCapability >= cloudBandwidth && offlineCapability > 0) return Reasons.OfflineCapabilityWanted;
  return cloudLatency >= cloudBandwidth ? Reasons.CloudLatencyHigh : Reasons.CloudBandwidthLow;
}
