/**
 * Score = benefit − cost, every part shown. Cost parts are normalised by the placement's own
 * thresholds, so a candidate that passed them costs at most 0.95 and a fully met trigger (1) always
 * outweighs it; a just-met interaction trigger (0.5) does not outweigh an expensive move
 * (CostExceedsBenefit), which is DRS's cost-benefit filter in one line.
 *
 * Weights: time dominates (it is what users feel and what bandwidth decides, DESIGN.md); the dirty
 * rate ratio measures how near the move is to the boundary where time explodes; downtime stayed at
 * a few ms in the lab, so it weighs little; node load spreads VMs over clients; a fallback dirty rate
 * adds a little for the uncertainty.
 */
import { sumParts, type BenefitParts } from './benefit.js';
import type { CostPart, PlacementPolicy, ScoreExplanation } from './types.js';

export const COST_WEIGHTS: Readonly<Record<CostPart, number>> = {
  predictedTime: 0.4,
  downtime: 0.1,
  dirtyRate: 0.2,
  nodeLoad: 0.2,
  uncertainty: 0.05,
};

export interface CostInputs {
  readonly predictedSeconds: number;
  readonly downtimeMs: number;
  readonly dirtyRateRatio: number;
  /** max(cpu, memory) share of the target's allocatable in use once the VM is there, 0..1. */
  readonly targetLoad: number;
  readonly dirtyRateConfidence: 'measured' | 'fallback';
}

const clamp01 = (x: number): number => (x > 1 ? 1 : x > 0 ? x : 0);
// Parts are shown in status; 4 decimals keep them readable and the plan free of float noise.
const round = (x: number): number => Math.round(x * 1e4) / 1e4;

export function costParts(c: CostInputs, thresholds: PlacementPolicy['thresholds']): Record<CostPart, number> {
  return {
    predictedTime: round(COST_WEIGHTS.predictedTime * clamp01(c.predictedSeconds / thresholds.maxPredictedSeconds)),
    downtime: round(COST_WEIGHTS.downtime * clamp01(c.downtimeMs / thresholds.maxDowntimeMs)),
    dirtyRate: round(COST_WEIGHTS.dirtyRate * clamp01(c.dirtyRateRatio / thresholds.maxDirtyRateRatio)),
    nodeLoad: round(COST_WEIGHTS.nodeLoad * clamp01(c.targetLoad)),
    uncertainty: c.dirtyRateConfidence === 'fallback' ? COST_WEIGHTS.uncertainty : 0,
  };
}

export function explainScore(benefitParts: BenefitParts, cost: Record<CostPart, number>): ScoreExplanation {
  const benefit = round(sumParts(benefitParts));
  const costTotal = round(sumParts(cost));
  return { total: round(benefit - costTotal), benefit, cost: costTotal, benefitParts, costParts: cost };
}

/** The score of staying on the current client: its benefit, less its load; no migration to pay. */
export function stayScore(benefitParts: BenefitParts, currentLoad: number): number {
  return round(sumParts(benefitParts) - COST_WEIGHTS.nodeLoad * clamp01(currentLoad));
}
