/**
 * What decides the moves in a simulation run. Each strategy looks at the same simulated cluster
 * and says which migrations to start now; the engine carries them out with the same cost model.
 * - offline-first: the operator's own gatherer and planner (every placement acts as Enforce);
 * - naive: every eligible VM to its client at once, no cost model, no thresholds;
 * - none: everything stays in the data centre (the baseline).
 */
import type { Decision, MigrationDirection, Plan } from '../../domain/placement/index.js';
import type { MigrationOptions } from './migration-run.js';
import type { MigrationObject, SimWorld } from './world.js';

export const STRATEGIES = ['none', 'naive', 'offline-first'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export interface StartRequest {
  readonly vmKey: string;
  readonly placementKey?: string;
  readonly target: string;
  readonly direction: MigrationDirection;
  /** The planner's prediction; naive has none. */
  readonly predictedSeconds?: number;
  readonly reason: string;
  readonly options: MigrationOptions;
  /** The migration object the operator's actuator built (offline-first only). */
  readonly object?: MigrationObject;
}

export interface StrategyPlan {
  readonly starts: readonly StartRequest[];
  /** offline-first: the planner's decisions, for the timeline and the avoided-moves count. */
  readonly decisions?: readonly Decision[];
  readonly plan?: Plan;
  /** When the strategy wants to look again, if sooner than the next step. */
  readonly wakeAtMs?: number;
  /** Problems with the scenario the operator would report (a VM claimed twice, …). */
  readonly warnings?: readonly string[];
}

export interface Strategy {
  readonly name: StrategyName;
  plan(world: SimWorld, nowMs: number): StrategyPlan;
}
