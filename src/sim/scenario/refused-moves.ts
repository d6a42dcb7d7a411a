/**
 * What the cost model spared: for each move the operator refused on cost (it would not converge,
 * KubeVirt would abort it, it is too slow, the dirty rate is too close to the bandwidth …), how the
 * move would really have gone, run once per VM and client with the guest's true behaviour. Moves
 * that would have failed are the non-converging moves avoided; those that would have worked are the
 * price of caution, shown too.
 */
import { COST_REASONS, type Decision, type Reason } from '../../domain/placement/index.js';
import { migrationBandwidth, simulatedRun } from './migration-run.js';
import type { ScenarioPlacement } from './types.js';
import type { SimWorld } from './world.js';

const COST: ReadonlySet<Reason> = new Set(COST_REASONS);

export class RefusedMoves {
  /** VM key → whether some refused move of it would have failed. */
  private readonly byVm = new Map<string, boolean>();
  private readonly checked = new Set<string>();

  constructor(
    private readonly world: SimWorld,
    private readonly placements: ReadonlyMap<string, ScenarioPlacement>,
  ) {}

  note(decisions: readonly Decision[]): void {
    for (const d of decisions) {
      if (d.action !== 'Stay' && d.action !== 'Blocked') continue;
      for (const r of d.rejected) {
        if (!COST.has(r.reason)) continue;
        const key = `${d.vmKey}\u0000${d.currentNode}\u0000${r.node}`;
        if (this.checked.has(key)) continue;
        this.checked.add(key);
        const vm = this.world.vmByKey.get(d.vmKey);
        const placement = this.placements.get(d.placementKey);
        if (!vm || !placement) continue;
        const options = placement.policy.migration;
        const bandwidth = migrationBandwidth(this.world.node(d.currentNode).spec, this.world.node(r.node).spec, options);
        const fails = !simulatedRun(vm.spec, bandwidth, options).succeeds;
        this.byVm.set(d.vmKey, (this.byVm.get(d.vmKey) ?? false) || fails);
      }
    }
  }

  counts(): { vms: number; wouldHaveFailed: number; wouldHaveSucceeded: number } {
    const failed = [...this.byVm.values()].filter(Boolean).length;
    return { vms: this.byVm.size, wouldHaveFailed: failed, wouldHaveSucceeded: this.byVm.size - failed };
  }
}
