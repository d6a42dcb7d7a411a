/**
 * Follows the migrations the operator created through their phases. Level-triggered per migration:
 * the last phase it reported is kept in an annotation on the migration, so each transition is
 * reported once — across restarts too — with Events on the migration's VMI and placement, and, at
 * the end, the outcome and actual-versus-predicted duration as metrics.
 */
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import type { EventRecorder } from '../../kube/events.js';
import { isMigrationFinal, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../kube/kubevirt.js';
import { PlacementAnnotations, PlacementLabels, type OfflineFirstPlacement } from '../../kube/placement.js';
import { Resources } from '../../kube/resources.js';
import type { OperatorMetrics } from '../../observability/metrics.js';
import type { Informer } from '../../runtime/informer.js';

export const OBSERVED_PHASE_ANNOTATION = 'placement.offline-first.io/observed-phase';
export const ACTUAL_SECONDS_ANNOTATION = 'placement.offline-first.io/actual-seconds';

/** Seconds from entering Running to the end, from the migration's own phase timestamps. */
export function runningSeconds(m: VirtualMachineInstanceMigration): number | undefined {
  const t = m.status?.phaseTransitionTimestamps ?? [];
  const running = t.find((p) => p.phase === 'Running');
  const end = t.find((p) => p.phase === 'Succeeded' || p.phase === 'Failed');
  if (!running || !end) return undefined;
  return (Date.parse(end.phaseTransitionTimestamp) - Date.parse(running.phaseTransitionTimestamp)) / 1000;
}

export class MigrationFollower {
  constructor(
    private readonly client: KubeClient,
    private readonly migrations: Informer<VirtualMachineInstanceMigration>,
    private readonly vmis: Informer<VirtualMachineInstance>,
    private readonly placements: Informer<OfflineFirstPlacement>,
    private readonly metrics: OperatorMetrics,
    private readonly events: EventRecorder,
    /** Seconds of real time per second the migration reports (1 on a real cluster). */
    private readonly timeScale = 1,
  ) {}

  async reconcile(key: string): Promise<void> {
    const m = this.migrations.get(key);
    if (!m) return;
    const placementName = m.metadata.labels?.[PlacementLabels.placement];
    if (!placementName) return;
    const phase = m.status?.phase;
    const reported = m.metadata.annotations?.[OBSERVED_PHASE_ANNOTATION];
    if (!phase || phase === reported) return;
    const ns = m.metadata.namespace!;
    const vmi = this.vmis.get(`${ns}/${m.spec.vmiName}`);
    const placement = this.placements.get(`${ns}/${placementName}`);
    const direction = m.metadata.labels?.[PlacementLabels.direction] ?? 'Other';
    const predicted = Number(m.metadata.annotations?.[PlacementAnnotations.predictedSeconds]);
    const annotations: Record<string, string> = { [OBSERVED_PHASE_ANNOTATION]: phase };

    if (isMigrationFinal(m)) {
      const actual = runningSeconds(m);
      const scaled = actual === undefined ? undefined : actual / this.timeScale;
      this.metrics.migrations.inc({ direction, result: phase });
      let note = `${m.metadata.name} ${phase === 'Succeeded' ? 'succeeded' : 'failed'}`;
      if (scaled !== undefined) {
        this.metrics.actualDuration.observe({ direction }, scaled);
        if (phase === 'Succeeded' && predicted > 0) this.metrics.predictionRatio.observe({ direction }, scaled / predicted);
        annotations[ACTUAL_SECONDS_ANNOTATION] = scaled.toFixed(1);
        note += ` after ${scaled.toFixed(0)} s (predicted ${Number.isFinite(predicted) ? predicted.toFixed(0) : '?'} s)`;
      }
      const failure = m.status?.migrationState?.failureReason;
      if (phase === 'Failed' && failure) note += `: ${failure}`;
      const type = phase === 'Succeeded' ? 'Normal' : 'Warning';
      const reason = phase === 'Succeeded' ? 'MigrationSucceeded' : 'MigrationFailed';
      if (vmi) await this.events.record(vmi, type, reason, 'Migrate', note);
      if (placement) await this.events.record(placement, type, reason, 'Migrate', `${m.spec.vmiName}: ${note}`);
    } else if (vmi) {
      await this.events.record(vmi, 'Normal', `Migration${phase}`, 'Migrate', `${m.metadata.name} is ${phase}${m.status?.migrationState?.targetNode ? ` (target ${m.status.migrationState.targetNode})` : ''}`);
    }
    try {
      await this.client.mergePatch(Resources.migration, ns, m.metadata.name!, { metadata: { annotations } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
