/** The baseline: nothing moves, every VM stays in the data centre. */
import type { Strategy, StrategyPlan } from './strategy.js';

export class StayHomeStrategy implements Strategy {
  readonly name = 'none' as const;

  plan(): StrategyPlan {
    return { starts: [] };
  }
}
