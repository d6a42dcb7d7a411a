/**
 * The one write seam: everything the operator writes — migrations, placement status, events and the
 * metrics of outcomes — goes through an Actuator (the descheduler's PodEvictor is the model). The
 * controllers decide; the actuator carries it out, and holds the rules that make writes safe:
 *
 * - a migration's name is deterministic, so creating it twice adopts the first;
 * - an outcome (a migration reaching a phase) is reported exactly once, across restarts and leader
 *   changes: its Events have names derived from the migration and phase (a second create is
 *   AlreadyExists), and the outcome is then claimed by writing the phase into the migration's
 *   observed-phase annotation with the resourceVersion it was read at. Only the writer whose claim
 *   succeeds counts the outcome in the metrics; a reconcile working from a stale cache gets a
 *   Conflict and counts nothing;
 * - warnings about bad input are rate-limited per object and message.
 *
 * KubeActuator writes to the API server. RecordingActuator keeps the writes in memory: what a dry
 * run would have done, and what unit tests assert on.
 */
import type { PlannedMigration } from '../domain/placement/index.js';
import type { KubeClient } from '../kube/client.js';
import { isConflict, isNotFound, KubeApiError } from '../kube/errors.js';
import type { EventRecorder, EventTarget } from '../kube/events.js';
import type { MigrationPolicy, VirtualMachineInstance, VirtualMachineInstanceMigration } from '../kube/kubevirt.js';
import { objectKey } from '../kube/objects.js';
import { PlacementAnnotations, PlacementLabels, type OfflineFirstPlacement, type OfflineFirstPlacementStatus } from '../kube/placement.js';
import { Resources } from '../kube/resources.js';
import { createMigration, migrationFor, type CreateOutcome } from './migration-object.js';

export type EventType = 'Normal' | 'Warning';

export interface Actuator {
  /** Creates the migration of a planned move (AlreadyExists adopts it). */
  startMigration(vmi: VirtualMachineInstance, planned: PlannedMigration): Promise<CreateOutcome>;
  /**
   * Claims the report of `phase` for migration `m` (as read from the cache): true for exactly one
   * caller per (migration, phase); false when it was claimed already or `m` is stale or gone.
   */
  claimPhase(m: VirtualMachineInstanceMigration, phase: string, annotations: Record<string, string>): Promise<boolean>;
  writeStatus(p: OfflineFirstPlacement, status: OfflineFirstPlacementStatus): Promise<void>;
  /** Creates or updates a managed MigrationPolicy to say exactly `desired` (server-side apply). */
  applyMigrationPolicy(desired: MigrationPolicy): Promise<void>;
  /** Deletes a managed MigrationPolicy (gone already is fine). */
  deleteMigrationPolicy(policy: MigrationPolicy): Promise<void>;
  /**
   * Adds or removes a finalizer on a placement, as read at its resourceVersion: false when the
   * placement moved on or is gone (the next reconcile sees it anew).
   */
  setFinalizer(p: OfflineFirstPlacement, finalizer: string, present: boolean): Promise<boolean>;
  /** `once` names the report: with it, the event is recorded at most once, by anyone. */
  event(regarding: EventTarget, type: EventType, reason: string, action: string, note: string, once?: string): Promise<void>;
}

export class KubeActuator implements Actuator {
  constructor(
    private readonly client: KubeClient,
    private readonly events: EventRecorder,
  ) {}

  async startMigration(vmi: VirtualMachineInstance, planned: PlannedMigration): Promise<CreateOutcome> {
    try {
      await this.labelLinkClass(vmi, planned);
    } catch (err) {
      // Without the label KubeVirt would apply the wrong policy: no migration, and the others go on.
      if (err instanceof KubeApiError && (err.status === 403 || err.status === 404)) return { kind: 'refused', message: `the VMI's link-class label could not be set (${err.message}), so the migration was not created` };
      throw err;
    }
    return createMigration(this.client, vmi, planned);
  }

  /**
   * The VMI's link-class label, set (or removed) before its migration exists, so that KubeVirt
   * matches the class's MigrationPolicy when it hands the migration to the target.
   */
  private async labelLinkClass(vmi: VirtualMachineInstance, planned: PlannedMigration): Promise<void> {
    if (planned.linkClass === undefined || (vmi.metadata.labels?.[PlacementLabels.linkClass] ?? null) === planned.linkClass) return;
    await this.client.mergePatch(Resources.vmi, vmi.metadata.namespace, vmi.metadata.name!, { metadata: { labels: { [PlacementLabels.linkClass]: planned.linkClass } } });
  }

  async claimPhase(m: VirtualMachineInstanceMigration, phase: string, annotations: Record<string, string>): Promise<boolean> {
    if (m.metadata.annotations?.[PlacementAnnotations.observedPhase] === phase) return false;
    try {
      // A merge patch carrying metadata.resourceVersion is a compare-and-swap: 409 if it moved on.
      await this.client.mergePatch(Resources.migration, m.metadata.namespace, m.metadata.name!, {
        metadata: { resourceVersion: m.metadata.resourceVersion, annotations: { ...annotations, [PlacementAnnotations.observedPhase]: phase } },
      });
      return true;
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return false;
      throw err;
    }
  }

  async writeStatus(p: OfflineFirstPlacement, status: OfflineFirstPlacementStatus): Promise<void> {
    try {
      await this.client.mergePatch(Resources.placement, p.metadata.namespace, p.metadata.name!, { status }, 'status');
    } catch (err) {
      // Deleted meanwhile: nothing to report. A conflict cannot happen with a merge patch.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  async applyMigrationPolicy(desired: MigrationPolicy): Promise<void> {
    await this.client.apply(Resources.migrationPolicy, desired, { force: true });
  }

  async deleteMigrationPolicy(policy: MigrationPolicy): Promise<void> {
    try {
      await this.client.delete(Resources.migrationPolicy, undefined, policy.metadata.name!, policy.metadata.uid ? { uid: policy.metadata.uid } : {});
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  async setFinalizer(p: OfflineFirstPlacement, finalizer: string, present: boolean): Promise<boolean> {
    const finalizers = withFinalizer(p.metadata.finalizers, finalizer, present);
    if (finalizers === undefined) return true;
    try {
      // The resourceVersion makes the merge patch (which replaces the whole list) a compare-and-swap.
      await this.client.mergePatch(Resources.placement, p.metadata.namespace, p.metadata.name!, { metadata: { resourceVersion: p.metadata.resourceVersion, finalizers } });
      return true;
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return false;
      throw err;
    }
  }

  async event(regarding: EventTarget, type: EventType, reason: string, action: string, note: string, once?: string): Promise<void> {
    await this.events.record(regarding, type, reason, action, note, once);
  }
}

/** The finalizer list with `finalizer` added or removed; undefined when it is already so. */
export function withFinalizer(current: readonly string[] | undefined, finalizer: string, present: boolean): string[] | undefined {
  const list = current ?? [];
  if (list.includes(finalizer) === present) return undefined;
  return present ? [...list, finalizer] : list.filter((f) => f !== finalizer);
}

export interface RecordedWrite {
  kind: 'migration' | 'claim' | 'status' | 'event' | 'policy' | 'finalizer';
  key: string;
  detail: Record<string, unknown>;
}

/** Writes nothing; remembers what it was asked to write, with the same exactly-once rules. */
export class RecordingActuator implements Actuator {
  readonly writes: RecordedWrite[] = [];
  private readonly claimed = new Set<string>();
  private readonly named = new Set<string>();

  async startMigration(vmi: VirtualMachineInstance, planned: PlannedMigration): Promise<CreateOutcome> {
    const m = migrationFor(vmi, planned);
    const key = objectKey(m);
    const existed = this.writes.some((w) => w.kind === 'migration' && w.key === key);
    if (!existed) this.writes.push({ kind: 'migration', key, detail: { target: planned.targetNode, direction: planned.direction } });
    return existed ? { kind: 'adopted', migration: m } : { kind: 'created', migration: m };
  }

  async claimPhase(m: VirtualMachineInstanceMigration, phase: string, annotations: Record<string, string>): Promise<boolean> {
    const key = `${objectKey(m)}@${phase}`;
    if (m.metadata.annotations?.[PlacementAnnotations.observedPhase] === phase || this.claimed.has(key)) return false;
    this.claimed.add(key);
    this.writes.push({ kind: 'claim', key, detail: annotations });
    return true;
  }

  async writeStatus(p: OfflineFirstPlacement, status: OfflineFirstPlacementStatus): Promise<void> {
    this.writes.push({ kind: 'status', key: objectKey(p), detail: status as Record<string, unknown> });
  }

  async applyMigrationPolicy(desired: MigrationPolicy): Promise<void> {
    this.writes.push({ kind: 'policy', key: desired.metadata.name!, detail: { apply: desired.spec } });
  }

  async deleteMigrationPolicy(policy: MigrationPolicy): Promise<void> {
    this.writes.push({ kind: 'policy', key: policy.metadata.name!, detail: { delete: true } });
  }

  async setFinalizer(p: OfflineFirstPlacement, finalizer: string, present: boolean): Promise<boolean> {
    if (withFinalizer(p.metadata.finalizers, finalizer, present)) this.writes.push({ kind: 'finalizer', key: objectKey(p), detail: { finalizer, present } });
    return true;
  }

  async event(regarding: EventTarget, type: EventType, reason: string, action: string, note: string, once?: string): Promise<void> {
    if (once !== undefined) {
      if (this.named.has(`${regarding.kind}/${once}`)) return;
      this.named.add(`${regarding.kind}/${once}`);
    }
    this.writes.push({ kind: 'event', key: `${regarding.kind ?? ''}/${objectKey(regarding)}`, detail: { type, reason, action, note } });
  }
}
