/**
 * The operator, in the simulator: the simulated cluster is dressed as Kubernetes objects, the
 * operator's gatherer builds the plan input from them, and planPlacements decides, exactly as in
 * the placement controller. Every planned migration starts (Enforce); a Recommend placement is
 * simulated as if it were switched to Enforce, since the question is what it would do.
 */
import { describeInputProblem, gather } from '../../observation/gather.js';
import { planPlacements } from '../../domain/placement/index.js';
import { objectKey } from '../../kube/objects.js';
import { KubeView } from './kube-objects.js';
import { SimulatedActuator } from './simulated-actuator.js';
import type { StartRequest, Strategy, StrategyPlan } from './strategy.js';
import type { SimWorld } from './world.js';

/** The operator never re-plans sooner than this after asking to (a requeue of 0 would spin). */
const MIN_REQUEUE_MS = 1000;

export class OfflineFirstStrategy implements Strategy {
  readonly name = 'offline-first' as const;
  private view: KubeView | undefined;

  plan(world: SimWorld, nowMs: number): StrategyPlan {
    this.view ??= new KubeView(world);
    const observed = this.view.observed(nowMs);
    const g = gather(observed);
    const plan = planPlacements(g.input);
    // Through the operator's write seam, as the simulated actuator carries it out.
    const actuator = new SimulatedActuator((key) => g.placements.get(key)!.policy.migration);
    const vmis = new Map(observed.vmis.map((v) => [objectKey(v), v]));
    for (const m of plan.migrations) actuator.start(vmis.get(m.vmKey)!, m);
    const starts: StartRequest[] = actuator.starts;
    const warnings = [...g.problems.map((p) => `${p.placementKey}: ${p.reason}: ${p.message}`), ...g.inputErrors.map(describeInputProblem), ...plan.invalidInputs.map((x) => `${x.kind} ${x.key}: ${x.message}`)];
    return {
      starts,
      decisions: plan.decisions,
      plan,
      ...(plan.requeueAfterMs !== undefined ? { wakeAtMs: nowMs + Math.max(MIN_REQUEUE_MS, plan.requeueAfterMs) } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }
}
