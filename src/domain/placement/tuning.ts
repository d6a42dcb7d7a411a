/** The planner's own knobs (PlannerTuning), with the defaults the operator runs with. */
import type { PlannerTuning } from './types.js';

export const DEFAULT_TUNING: PlannerTuning = {
  // A handful of scored candidates per VM is enough to pick well among nodes sorted by bandwidth,
  // and leaves spares when the best ones fill up within the plan.
  candidatesScoredPerVm: 5,
  predictionsPerVm: 20,
  // Predictions were within ~10 % of real QEMU; 1.5 leaves room for a busier guest or a slower link.
  returnSafetyFactor: 1.5,
  returnMarginSeconds: 120,
  // The CRD's status lists at most 5 rejected candidates per VM.
  rejectedListed: 5,
};

export function resolveTuning(tuning: Partial<PlannerTuning> | undefined): PlannerTuning {
  return { ...DEFAULT_TUNING, ...tuning };
}
