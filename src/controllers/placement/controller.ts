/**
 * The placement controller. Every change to a placement, VMI, migration or node enqueues the one
 * key "plan": placements share nodes, capacity and KubeVirt's limits, so they are planned together.
 * reconcile() re-reads the caches, plans with the pure engine, creates migrations for Enforce
 * placements (Recommend ones only report), and writes each placement's status when it changed.
 */
import { planPlacements, type Plan, type PlannedMigration } from '../../domain/placement/index.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { EventRecorder } from '../../kube/events.js';
import { isMigrationFinal, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../kube/kubevirt.js';
import type { Node } from '../../kube/node.js';
import { objectKey } from '../../kube/objects.js';
import { PlacementLabels, type OfflineFirstPlacement } from '../../kube/placement.js';
import { Resources } from '../../kube/resources.js';
import type { OperatorMetrics } from '../../observability/metrics.js';
import type { Informer } from '../../runtime/informer.js';
import { createMigration } from './act.js';
import { gather } from './gather.js';
import { placementStatus, statusChanged, type PlacementFacts } from './status.js';

export const PLAN_KEY = 'plan';

export interface PlacementCaches {
  placements: Informer<OfflineFirstPlacement>;
  vmis: Informer<VirtualMachineInstance>;
  migrations: Informer<VirtualMachineInstanceMigration>;
  nodes: Informer<Node>;
}

export interface PlacementControllerOptions {
  /** Re-plan at least this often, so that link data going stale is noticed (default 30 s). */
  resyncMs?: number;
  now?: () => number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export class PlacementReconciler {
  /** Migrations created but not yet seen in the cache: counted as open so nothing is planned twice. */
  private readonly created = new Map<string, VirtualMachineInstanceMigration>();
  /** Last decision reported per VM (action + target), to emit an event only when it changes. */
  private readonly reported = new Map<string, string>();
  lastPlan: Plan | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly caches: PlacementCaches,
    private readonly metrics: OperatorMetrics,
    private readonly events: EventRecorder,
    private readonly opts: PlacementControllerOptions = {},
  ) {}

  private log(msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(msg, fields);
  }

  async reconcile(): Promise<{ requeueAfterMs: number }> {
    const now = this.opts.now?.() ?? Date.now();
    const cached = this.caches.migrations.list();
    for (const key of this.created.keys()) if (this.caches.migrations.get(key)) this.created.delete(key);
    const migrations = [...cached, ...this.created.values()];
    const vmis = this.caches.vmis.list();
    const g = gather({
      placements: this.caches.placements.list(),
      vmis,
      migrations,
      nodes: this.caches.nodes.list(),
      nowMs: now,
    });
    const started = performance.now();
    const plan = planPlacements(g.input);
    this.metrics.planDuration.observe((performance.now() - started) / 1000);
    this.lastPlan = plan;
    for (const e of g.inputErrors.slice(0, 20)) this.log('input error', { error: e });
    this.metrics.inputErrors.set(g.inputErrors.length);

    const vmiByKey = new Map(vmis.map((v) => [objectKey(v), v]));
    const migrationOf = new Map<string, string>();
    for (const m of migrations) {
      if (!isMigrationFinal(m) && m.metadata.labels?.[PlacementLabels.placement]) migrationOf.set(`${m.metadata.namespace}/${m.spec.vmiName}`, m.metadata.name!);
    }

    for (const planned of plan.migrations) {
      const entry = g.placements.get(planned.placementKey);
      const vmi = vmiByKey.get(planned.vmKey);
      if (!entry || !vmi || entry.policy.mode !== 'Enforce') continue;
      const name = await this.start(entry.object, vmi, planned, migrations);
      if (name) migrationOf.set(planned.vmKey, name);
    }

    await this.writeStatuses(g, plan, migrationOf, vmiByKey);
    await this.reportDecisions(g, plan, vmiByKey);
    this.updateMetrics(g, plan);
    return { requeueAfterMs: Math.min(plan.requeueAfterMs ?? Infinity, this.opts.resyncMs ?? 30_000) };
  }

  private async start(p: OfflineFirstPlacement, vmi: VirtualMachineInstance, planned: PlannedMigration, migrations: readonly VirtualMachineInstanceMigration[]): Promise<string | undefined> {
    const ended = migrations.filter((m) => m.metadata.namespace === vmi.metadata.namespace && m.spec.vmiName === vmi.metadata.name && m.metadata.labels?.[PlacementLabels.placement] && isMigrationFinal(m)).length;
    const outcome = await createMigration(this.client, vmi, planned, ended);
    const verb = planned.direction === 'Home' ? 'ReturningHome' : 'MovingToClient';
    if (outcome.kind === 'refused') {
      this.metrics.migrations.inc({ direction: planned.direction, result: 'Refused' });
      this.log('migration refused by KubeVirt', { vm: planned.vmKey, target: planned.targetNode, error: outcome.message });
      await this.events.record(vmi, 'Warning', 'MigrationRefused', 'Migrate', `KubeVirt refused the migration to ${planned.targetNode}: ${outcome.message}`);
      return undefined;
    }
    const m = outcome.migration;
    this.created.set(objectKey(m), { ...m, status: { phase: 'Pending' } });
    if (outcome.kind === 'created') {
      this.metrics.predictedDuration.observe({ direction: planned.direction }, planned.predictedSeconds);
      const note = `${planned.direction === 'Home' ? 'returning home' : 'moving'} from ${planned.sourceNode} to ${planned.targetNode} (${planned.reason}), predicted ${planned.predictedSeconds.toFixed(0)} s; migration ${m.metadata.name}`;
      this.log('migration created', { vm: planned.vmKey, migration: m.metadata.name, source: planned.sourceNode, target: planned.targetNode, predictedSeconds: planned.predictedSeconds });
      await this.events.record(p, 'Normal', verb, 'Migrate', `${vmi.metadata.name}: ${note}`);
      await this.events.record(vmi, 'Normal', verb, 'Migrate', note);
    }
    return m.metadata.name;
  }

  private async writeStatuses(g: ReturnType<typeof gather>, plan: Plan, migrationOf: Map<string, string>, vmiByKey: Map<string, VirtualMachineInstance>): Promise<void> {
    const nowIso = new Date(this.opts.now?.() ?? Date.now()).toISOString();
    const nodeByName = new Map(g.input.nodes.map((n) => [n.name, n]));
    const byPlacement = new Map<string, typeof plan.decisions[number][]>();
    for (const d of plan.decisions) {
      const list = byPlacement.get(d.placementKey);
      if (list) list.push(d);
      else byPlacement.set(d.placementKey, [d]);
    }
    const all = this.caches.placements.list();
    for (const p of all) {
      const key = objectKey(p);
      const decisions = byPlacement.get(key) ?? [];
      const facts: PlacementFacts = {
        decisions,
        migrationOf,
        onClients: 0,
        atHome: 0,
        migrating: 0,
        runningOffline: 0,
        clientNodes: g.input.nodes.filter((n) => n.clientFor.includes(key)).length,
        homeNodes: g.input.nodes.filter((n) => n.homeFor.includes(key)).length,
        problems: g.problems.filter((x) => x.placementKey === key),
      };
      for (const d of decisions) {
        const node = nodeByName.get(d.currentNode);
        if (node?.clientFor.includes(key)) {
          facts.onClients++;
          if (!node.ready) facts.runningOffline++;
        } else if (node?.homeFor.includes(key)) facts.atHome++;
        if (migrationOf.has(d.vmKey) || vmiByKey.get(d.vmKey)?.status?.migrationState?.migrationUid && !vmiByKey.get(d.vmKey)?.status?.migrationState?.completed && !vmiByKey.get(d.vmKey)?.status?.migrationState?.failed) facts.migrating++;
      }
      const status = placementStatus(p, facts, nowIso);
      if (!statusChanged(p.status, status)) continue;
      try {
        await this.client.mergePatch(Resources.placement, p.metadata.namespace, p.metadata.name!, { status: { ...status, lastPlanTime: nowIso } }, 'status');
      } catch (err) {
        // Deleted meanwhile: nothing to report. A conflict cannot happen with a merge patch.
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  }

  /** Events for Recommend placements (their only output besides status) and for blocked VMs. */
  private async reportDecisions(g: ReturnType<typeof gather>, plan: Plan, vmiByKey: Map<string, VirtualMachineInstance>): Promise<void> {
    const seen = new Set<string>();
    for (const d of plan.decisions) {
      seen.add(d.vmKey);
      const signature = `${d.action}:${d.desiredNode ?? ''}:${d.reason}`;
      if (this.reported.get(d.vmKey) === signature) continue;
      this.reported.set(d.vmKey, signature);
      const entry = g.placements.get(d.placementKey);
      const vmi = vmiByKey.get(d.vmKey);
      if (!entry || !vmi) continue;
      if (entry.policy.mode === 'Recommend' && (d.action === 'MoveToClient' || d.action === 'ReturnHome')) {
        await this.events.record(entry.object, 'Normal', 'Recommended', 'Plan', `${vmi.metadata.name}: ${d.action} ${d.currentNode} -> ${d.desiredNode} (${d.reason}); Recommend mode, no migration created`);
      } else if (d.action === 'Blocked' && d.reason === 'ClientOffline') {
        await this.events.record(vmi, 'Warning', 'RunningOffline', 'Plan', d.message);
      }
    }
    for (const k of this.reported.keys()) if (!seen.has(k)) this.reported.delete(k);
  }

  private updateMetrics(g: ReturnType<typeof gather>, plan: Plan): void {
    this.metrics.vms.reset();
    this.metrics.decisions.reset();
    const nodeByName = new Map(g.input.nodes.map((n) => [n.name, n]));
    for (const d of plan.decisions) {
      const node = nodeByName.get(d.currentNode);
      const location = !node ? 'other' : node.clientFor.includes(d.placementKey) ? (node.ready ? 'client' : 'offline') : node.homeFor.includes(d.placementKey) ? 'home' : 'other';
      this.metrics.vms.inc({ placement: d.placementKey, location });
      this.metrics.decisions.inc({ placement: d.placementKey, action: d.action, reason: d.reason });
    }
    this.metrics.rejectedCandidates.reset();
    // NotBoundClient is every other client of a bound VM: counting it would drown the real reasons.
    for (const [reason, n] of Object.entries(plan.rejectionsByReason)) if (reason !== 'NotBoundClient') this.metrics.rejectedCandidates.set({ reason }, n ?? 0);
    this.metrics.linkBandwidth.reset();
    this.metrics.linkAge.reset();
    for (const n of g.input.nodes) {
      if (!n.link || n.clientFor.length === 0) continue;
      this.metrics.linkBandwidth.set({ node: n.name }, n.link.bandwidthBytesPerSecond);
      this.metrics.linkAge.set({ node: n.name }, Math.max(0, (g.input.nowMs - n.link.measuredAtMs) / 1000));
    }
  }
}
