/**
 * Follows the migrations the operator created through their phases. Level-triggered per migration:
 * each transition is reported exactly once — across restarts and leader changes too (the rules are
 * the Actuator's) — with Events on the migration's VMI and placement, and, at the end, the outcome
 * and actual-versus-predicted duration as metrics.
 */
import type { Actuator } from '../../actuation/actuator.js';
import { asPlacement, asVmi } from '../../actuation/event-targets.js';
import { isMigrationFinal, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../kube/kubevirt.js';
import { isOurs, PlacementAnnotations, PlacementLabels, type OfflineFirstPlacement } from '../../kube/placement.js';
import type { OperatorMetrics } from '../../observability/metrics.js';
import type { Informer } from '../../runtime/informer.js';
import { runningSeconds } from '../../observation/history.js';

export const OBSERVED_PHASE_ANNOTATION = PlacementAnnotations.observedPhase;
export const ACTUAL_SECONDS_ANNOTATION = PlacementAnnotations.actualSeconds;

export class MigrationFollower {
  constructor(
    private readonly actuator: Actuator,
    private readonly migrations: Informer<VirtualMachineInstanceMigration>,
    private readonly vmis: Informer<VirtualMachineInstance>,
    private readonly placements: Informer<OfflineFirstPlacement>,
    private readonly metrics: OperatorMetrics,
    /** Seconds of real time per second the migration reports (1 on a real cluster). */
    private readonly timeScale = 1,
  ) {}

  async reconcile(key: string): Promise<void> {
    const m = this.migrations.get(key);
    if (!m || !isOurs(m)) return;
    const phase = m.status?.phase;
    if (!phase || phase === m.metadata.annotations?.[OBSERVED_PHASE_ANNOTATION]) return;
    const ns = m.metadata.namespace!;
    const name = m.metadata.name!;
    const vmi = this.vmis.get(`${ns}/${m.spec.vmiName}`);
    const placement = this.placements.get(`${ns}/${m.metadata.labels![PlacementLabels.placement]}`);
    const direction = m.metadata.labels?.[PlacementLabels.direction] ?? 'Other';
    const predicted = Number(m.metadata.annotations?.[PlacementAnnotations.predictedSeconds]);
    const annotations: Record<string, string> = {};
    // Events first, named after the migration and phase (recorded at most once, by anyone), then the
    // claim; only the claimer counts the outcome. A crash in between repeats nothing on restart.
    const once = `${ns}/${name}/${phase}`;
    if (isMigrationFinal(m)) {
      const actual = runningSeconds(m);
      const scaled = actual === undefined ? undefined : actual / this.timeScale;
      let note = `${name} ${phase === 'Succeeded' ? 'succeeded' : 'failed'}`;
      if (scaled !== undefined) {
        annotations[ACTUAL_SECONDS_ANNOTATION] = scaled.toFixed(1);
        note += ` after ${scaled.toFixed(0)} s (predicted ${Number.isFinite(predicted) ? predicted.toFixed(0) : '?'} s)`;
      }
      const failure = m.status?.migrationState?.failureReason;
      if (phase === 'Failed' && failure) note += `: ${failure}`;
      const type = phase === 'Succeeded' ? 'Normal' : 'Warning';
      const reason = phase === 'Succeeded' ? 'MigrationSucceeded' : 'MigrationFailed';
      if (vmi) await this.actuator.event(asVmi(vmi), type, reason, 'Migrate', note, `${once}/vmi`);
      if (placement) await this.actuator.event(asPlacement(placement), type, reason, 'Migrate', `${m.spec.vmiName}: ${note}`, `${once}/placement`);
      if (!(await this.actuator.claimPhase(m, phase, annotations))) return;
      this.metrics.migrations.inc({ direction, result: phase });
      if (scaled !== undefined) {
        this.metrics.actualDuration.observe({ direction }, scaled);
        if (phase === 'Succeeded' && predicted > 0) this.metrics.predictionRatio.observe({ direction }, scaled / predicted);
      }
      return;
    }
    if (vmi) {
      const target = m.status?.migrationState?.targetNode;
      await this.actuator.event(asVmi(vmi), 'Normal', `Migration${phase}`, 'Migrate', `${name} is ${phase}${target ? ` (target ${target})` : ''}`, `${once}/vmi`);
    }
    await this.actuator.claimPhase(m, phase, annotations);
  }
}
