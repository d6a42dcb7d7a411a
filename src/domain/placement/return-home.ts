/**
 * Bringing VMs home before their client leaves (DESIGN.md item 6).
 *
 * The clock: a client's VMs share its one link, so evacuating it takes about the sum of their
 * predicted return times, however many run at once. The returns start when the time left before
 * the departure is at most that sum × safety factor + margin; with no departure time, at once.
 *
 * The link: the client's measurement, even when stale (returning must not wait for a probe); with
 * none at all, the placement's minimum bandwidth. Either way the prediction is flagged low-confidence.
 *
 * What blocks a return: only a prediction that cannot succeed (it would not converge, or KubeVirt
 * would abort it). The placement's thresholds (time, downtime, dirty-rate ratio, minimum bandwidth)
 * are for discretionary moves; a slow return is better than none.
 */
import type { MigrationPrediction } from '../migration/predict.js';
import { infeasibility, predictionSummary, type PredictionCache } from './cost.js';
import { isLinkFresh, usableBandwidth } from './link.js';
import type { RejectionReason } from './reasons.js';
import type { NodeView, PlacementPolicy, PlannerTuning, PredictionSummary, VmView } from './types.js';

export interface ReturnPrediction {
  readonly summary: PredictionSummary;
  /** Set when the return cannot succeed. */
  readonly infeasible?: RejectionReason;
}

export function predictReturn(vm: VmView, client: NodeView, policy: PlacementPolicy, nowMs: number, costs: PredictionCache): ReturnPrediction {
  const link = client.link;
  const fresh = link !== undefined && isLinkFresh(link, nowMs, policy.linkMaxAgeSeconds);
  const bandwidth = usableBandwidth(link?.bandwidthBytesPerSecond ?? policy.thresholds.minBandwidthBytesPerSecond, policy);
  const p: MigrationPrediction & { bandwidthBytesPerSecond: number } = costs.forVm(vm, policy, client.linkClasses?.[policy.key]).predict(bandwidth);
  const infeasible = infeasibility(p);
  return { summary: predictionSummary(p, vm, fresh ? 'fresh' : 'low', client), ...(infeasible ? { infeasible } : {}) };
}

/** When the returns from a client must start: now when it gave no departure time. */
export function returnStartsAtMs(departureAtMs: number | undefined, evacuationSeconds: number, nowMs: number, tuning: PlannerTuning): number {
  if (departureAtMs === undefined) return nowMs;
  return departureAtMs - (evacuationSeconds * tuning.returnSafetyFactor + tuning.returnMarginSeconds) * 1000;
}
