/**
 * A simulated KubeVirt migration controller (virt-controller + virt-handler, as seen through the
 * API). It drives each VirtualMachineInstanceMigration through
 *   Pending -> Scheduling -> Scheduled -> PreparingTarget -> TargetReady -> Running -> Succeeded | Failed
 * honouring spec.addedNodeSelector (never the source node), KubeVirt's concurrency limits
 * (parallelMigrationsPerCluster, parallelOutboundMigrationsPerNode: the KubeVirt resource's, else 5 and 2; a
 * throttled migration waits in Pending), and deletion of an open migration as abort. It keeps
 * vmi.status.nodeName, vmi.status.migrationState and the VMI's node labels current.
 *
 * Unless told otherwise, a migration runs as long as the project's cost model predicts (fed as the
 * operator feeds it: predicted-run.ts), optionally deviated as real migrations were in the lab, and
 * fails where KubeVirt would abort it, with the settings KubeVirt would use (the KubeVirt resource's
 * migration configuration and the matching MigrationPolicy, resolved as the operator resolves
 * them). KubeVirt's target node selector (target-selector.ts) decides where the target pod may go; a VMI deleted or stopped fails its migration at once; finished
 * migrations beyond 5 per VMI are deleted, as virt-controller does.
 * Time is simulated: durations are in simulated seconds, and `realMsPerSimSecond` scales them
 * so that tests stay fast. Each reconcile is level-triggered from the objects' status.
 */
import { randomUUID } from 'node:crypto';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { KubevirtLabels, isMigrationFinal, type KubeVirt, type MigrationPhase, type MigrationPolicy, type MigrationState, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../kube/kubevirt.js';
import { isNodeReady, type Node } from '../../kube/node.js';
import { byCreation, objectKey } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Controller } from '../../runtime/controller.js';
import { Informer } from '../../runtime/informer.js';
import { WorkQueue } from '../../runtime/workqueue.js';
import { clusterMigrationSettings, effectiveSettings, type KubevirtMigrationConfig, type KubevirtMigrationPolicy } from '../../domain/migration/kubevirt-settings.js';
import { servedOptionalResources } from '../../kube/discovery.js';
import type { KubeObject } from '../../kube/objects.js';
import { activeKubevirt, kubevirtMigrationConfig, migrationPolicy } from '../../observation/kubevirt-settings.js';
import { labErrorFor, predictSimulatedRun, simulatedRun, type SimulatedRun, type SimulatedSettings } from './predicted-run.js';
import { migrationTargetSelector, unschedulableHostnamePin } from './target-selector.js';

export interface MigrationContext {
  readonly vmi: VirtualMachineInstance;
  readonly migration: VirtualMachineInstanceMigration;
  readonly sourceNode: Node | undefined;
  readonly targetNode: Node;
  /** The settings KubeVirt migrates this VMI with (its KubeVirt resource, then the matching MigrationPolicy). */
  readonly settings?: SimulatedSettings;
}

export interface SimulatedKubevirtOptions {
  /** Only objects in this namespace (all namespaces when undefined). */
  namespace?: string;
  /** Simulated seconds the Running phase of a migration lasts. */
  durationSeconds?: (ctx: MigrationContext) => number;
  /** A failure reason makes the migration fail at the end of Running; undefined lets it succeed. */
  failureReason?: (ctx: MigrationContext) => string | undefined;
  /** Real milliseconds per simulated second (default 1000: real time). */
  realMsPerSimSecond?: number;
  parallelMigrationsPerCluster?: number;
  parallelOutboundMigrationsPerNode?: number;
  /** Simulated seconds a migration may wait for a schedulable target before it fails. */
  unschedulableTimeoutSeconds?: number;
  /**
   * Let each migration deviate from the model's prediction as real QEMU migrations did in the lab
   * (lab-error.ts, fixed per migration), aborting those pushed past KubeVirt's budget. Off: each
   * runs exactly as predicted.
   */
  labError?: boolean;
  /**
   * Report a migration Succeeded this many real milliseconds before the VMI shows its new node (as
   * when virt-controller's write reaches a watcher before virt-handler's). 0: the VMI first.
   */
  vmiUpdateLagMs?: number;
}

/** Annotation (on the migration or the VMI) that makes the simulated migration fail with its value as reason. */
export const SIM_FAIL_ANNOTATION = 'sim.offline-first.io/fail';
/** Annotation (on the migration or the VMI) overriding the simulated Running duration in seconds. */
export const SIM_DURATION_ANNOTATION = 'sim.offline-first.io/duration-seconds';

/** Finished migrations virt-controller keeps per VMI. */
export const FINISHED_MIGRATIONS_KEPT = 5;

/** Simulated seconds spent in each phase before the next one. */
const PHASE_SECONDS: Partial<Record<MigrationPhase, number>> = {
  Scheduling: 2,
  Scheduled: 1,
  PreparingTarget: 2,
  TargetReady: 0.5,
};
const NEXT_PHASE: Partial<Record<MigrationPhase, MigrationPhase>> = {
  Scheduling: 'Scheduled',
  Scheduled: 'PreparingTarget',
  PreparingTarget: 'TargetReady',
  TargetReady: 'Running',
};
/** Phases that count against KubeVirt's concurrency limits (past Pending, not final). */
const ACTIVE_PHASES = new Set(['Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running']);

/** How the cost model says this migration goes (deviated as in the lab when asked). */
function modelRun(ctx: MigrationContext, labError: boolean): SimulatedRun {
  const p = predictSimulatedRun(ctx.vmi, ctx.sourceNode, ctx.targetNode, ctx.settings);
  return simulatedRun(p, labError ? labErrorFor(ctx.migration.metadata.uid ?? ctx.migration.metadata.name ?? '') : 0);
}

function durationAnnotation(ctx: MigrationContext): number | undefined {
  const text = ctx.migration.metadata.annotations?.[SIM_DURATION_ANNOTATION] ?? ctx.vmi.metadata.annotations?.[SIM_DURATION_ANNOTATION];
  const n = Number(text);
  return text !== undefined && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** An annotation wins; otherwise the cost model says how long the migration runs. */
const defaultDuration = (labError: boolean) => (ctx: MigrationContext): number => durationAnnotation(ctx) ?? modelRun(ctx, labError).seconds;
/** An annotation wins; otherwise KubeVirt aborts what the cost model says it would abort. */
const defaultFailure = (labError: boolean) => (ctx: MigrationContext): string | undefined =>
  ctx.migration.metadata.annotations?.[SIM_FAIL_ANNOTATION] ??
  ctx.vmi.metadata.annotations?.[SIM_FAIL_ANNOTATION] ??
  (durationAnnotation(ctx) !== undefined ? undefined : modelRun(ctx, labError).failure);

export class SimulatedMigrationController {
  readonly migrations: Informer<VirtualMachineInstanceMigration>;
  readonly vmis: Informer<VirtualMachineInstance>;
  readonly nodes: Informer<Node>;
  /** KubeVirt's migration settings, as virt-controller reads them (started only where served). */
  readonly kubevirts: Informer<KubeVirt>;
  readonly migrationPolicies: Informer<MigrationPolicy>;
  readonly namespaces: Informer<KubeObject>;
  private started: Informer<never>[] = [];
  private readonly queue = new WorkQueue('sim-kubevirt-migrations', { initialMs: 20, maxMs: 5000 });
  private readonly controller: Controller;
  private readonly scale: number;
  /** Highest number of migrations seen active at once, for tests of the limits. */
  peakActive = 0;
  /** Migrations this controller moved past Pending whose update the cache has not shown yet (key -> source node). */
  private readonly claimed = new Map<string, string>();
  /** The settings each migration was handed off with (virt-controller fixes them then). */
  private readonly handedOff = new Map<string, SimulatedSettings>();

  constructor(
    private readonly client: KubeClient,
    private readonly opts: SimulatedKubevirtOptions = {},
  ) {
    this.scale = opts.realMsPerSimSecond ?? 1000;
    this.migrations = new Informer(client, Resources.migration, { namespace: opts.namespace });
    this.vmis = new Informer(client, Resources.vmi, { namespace: opts.namespace });
    this.nodes = new Informer(client, Resources.node);
    this.kubevirts = new Informer(client, Resources.kubevirt, { namespace: opts.namespace });
    this.migrationPolicies = new Informer(client, Resources.migrationPolicy);
    this.namespaces = new Informer(client, Resources.namespace);
    this.migrations.addHandler({
      onUpsert: (m) => this.queue.add(objectKey(m)),
      onDelete: (m) => this.queue.add(objectKey(m)),
    });
    // A VMI deleted or stopped fails its open migration at once.
    this.vmis.addHandler({
      onUpsert: (v) => this.requeueMigrationsOf(v),
      onDelete: (v) => this.requeueMigrationsOf(v),
    });
    // A migration waiting for a free slot is re-examined when another one changes.
    this.migrations.addHandler({
      onUpsert: (m) => {
        if (isMigrationFinal(m)) for (const other of this.migrations.list()) if (other.status?.phase === 'Pending') this.queue.add(objectKey(other));
      },
    });
    this.controller = new Controller('sim-kubevirt', this.queue, (key) => this.reconcile(key));
  }

  async start(): Promise<void> {
    const served = await servedOptionalResources(this.client, [Resources.kubevirt, Resources.migrationPolicy]);
    const informers = [this.migrations, this.vmis, this.nodes, this.namespaces] as Informer<never>[];
    if (served.has(Resources.kubevirt.plural)) informers.push(this.kubevirts as Informer<never>);
    if (served.has(Resources.migrationPolicy.plural)) informers.push(this.migrationPolicies as Informer<never>);
    this.started = informers;
    for (const inf of informers) inf.start();
    await Promise.all(informers.map((i) => i.waitForSync()));
    this.controller.start(2);
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await Promise.all(this.started.map((i) => i.stop()));
  }

  /** The oldest KubeVirt resource's migration configuration (unreadable values: KubeVirt's defaults). */
  private clusterConfig(): KubevirtMigrationConfig | undefined {
    const kv = activeKubevirt(this.kubevirts.list());
    return kv ? kubevirtMigrationConfig(kv).value : undefined;
  }

  /** What KubeVirt migrates this VMI with, resolved by the same function the operator predicts with. */
  private settingsFor(vmi: VirtualMachineInstance): SimulatedSettings {
    const policies = this.migrationPolicies
      .list()
      .map((p) => migrationPolicy(p).value)
      .filter((p): p is KubevirtMigrationPolicy => p !== undefined);
    const ns = this.namespaces.get(vmi.metadata.namespace ?? '');
    const config = this.clusterConfig();
    const s = effectiveSettings(config, policies, vmi.metadata.labels, ns?.metadata.labels);
    // virt-controller names the policy only when it changed something (GetMigrationConfByPolicy's isUpdated).
    const { policy: _policy, ...changed } = s;
    const updated = JSON.stringify(changed) !== JSON.stringify(clusterMigrationSettings(config));
    return {
      completionTimeoutPerGiB: s.completionTimeoutPerGiB,
      progressTimeoutSeconds: s.progressTimeoutSeconds,
      allowAutoConverge: s.allowAutoConverge,
      allowPostCopy: s.allowPostCopy,
      ...(s.bandwidthPerMigrationBytesPerSecond > 0 ? { bandwidthLimitBytesPerSecond: s.bandwidthPerMigrationBytesPerSecond } : {}),
      ...(s.maxDowntimeMs !== undefined ? { downtimeLimitMs: s.maxDowntimeMs } : {}),
      ...(s.policy && updated ? { policy: s.policy } : {}),
    };
  }

  /** KubeVirt's limits: the KubeVirt resource's when there is one, else the options', else KubeVirt's defaults. */
  private limits(): { cluster: number; perNode: number } {
    const config = this.clusterConfig();
    if (config) {
      const s = clusterMigrationSettings(config);
      return { cluster: s.parallelMigrationsPerCluster, perNode: s.parallelOutboundMigrationsPerNode };
    }
    return { cluster: this.opts.parallelMigrationsPerCluster ?? 5, perNode: this.opts.parallelOutboundMigrationsPerNode ?? 2 };
  }

  private requeueMigrationsOf(vmi: VirtualMachineInstance): void {
    if (!vmi.metadata.deletionTimestamp && vmi.status?.phase === 'Running' && this.vmis.get(objectKey(vmi))) return;
    for (const m of this.migrations.list()) {
      if (m.metadata.namespace === vmi.metadata.namespace && m.spec.vmiName === vmi.metadata.name && !isMigrationFinal(m)) this.queue.add(objectKey(m));
    }
  }

  private simMs(seconds: number): number {
    return Math.max(0, seconds * this.scale);
  }

  private async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const m = this.migrations.get(key);
    if (!m) return;
    const ns = m.metadata.namespace!;
    const vmi = this.vmis.get(`${ns}/${m.spec.vmiName}`) ?? (await this.liveVmi(ns, m.spec.vmiName));
    const phase: MigrationPhase = m.status?.phase ?? '';

    if (m.metadata.deletionTimestamp) return this.abort(m, vmi);
    if (isMigrationFinal(m)) {
      this.handedOff.delete(m.metadata.uid ?? '');
      return this.removeFinalizer(m);
    }

    if (phase === '') return void (await this.setPhase(m, 'Pending'));
    if (!vmi || vmi.metadata.deletionTimestamp || vmi.status?.phase !== 'Running') return this.fail(m, vmi, 'VMI is gone or no longer running');

    if (phase === 'Pending') return this.schedule(m, vmi);

    const since = Date.now() - Date.parse(lastTransition(m) ?? new Date().toISOString());
    const ctx = this.context(m, vmi);
    if (!ctx) return this.fail(m, vmi, 'target node disappeared');
    if (phase === 'Running') {
      const wait = this.simMs(this.durationOf(ctx)) - since;
      if (wait > 0) return { requeueAfterMs: wait };
      const reason = (this.opts.failureReason ?? defaultFailure(this.opts.labError ?? false))(ctx);
      return reason ? this.fail(m, vmi, reason) : this.succeed(m, vmi);
    }
    const next = NEXT_PHASE[phase];
    if (!next) return;
    const wait = this.simMs(PHASE_SECONDS[phase] ?? 0) - since;
    if (wait > 0) return { requeueAfterMs: wait };
    if (next === 'Running') {
      await this.patchVmiMigrationState(vmi, { ...vmi.status?.migrationState, startTimestamp: new Date().toISOString(), mode: 'PreCopy', targetNodeDomainDetected: true });
    }
    await this.setPhase(m, next, next === 'Running' ? { startTimestamp: new Date().toISOString(), mode: 'PreCopy' } : undefined);
    return { requeueAfterMs: next === 'Running' ? this.simMs(this.durationOf(ctx)) : this.simMs(PHASE_SECONDS[next] ?? 0) };
  }

  private durationOf(ctx: MigrationContext): number {
    return (this.opts.durationSeconds ?? defaultDuration(this.opts.labError ?? false))(ctx);
  }

  private context(m: VirtualMachineInstanceMigration, vmi: VirtualMachineInstance): MigrationContext | undefined {
    const target = this.nodes.get(m.status?.migrationState?.targetNode ?? '');
    if (!target) return undefined;
    return { vmi, migration: m, sourceNode: this.nodes.get(vmi.status?.nodeName ?? ''), targetNode: target, settings: this.handedOff.get(m.metadata.uid ?? '') ?? this.settingsFor(vmi) };
  }

  /** Pending -> Scheduling once a slot is free and a target node matches. */
  private async schedule(m: VirtualMachineInstanceMigration, vmi: VirtualMachineInstance): Promise<{ requeueAfterMs?: number } | void> {
    const source = vmi.status?.nodeName ?? '';
    const active = this.activeMigrations();
    const outbound = [...active.values()].filter((s) => s === source).length;
    const limits = this.limits();
    if (active.size >= limits.cluster || outbound >= limits.perNode) {
      return { requeueAfterMs: this.simMs(3) };
    }
    const target = this.pickTarget(m, vmi);
    if (!target) {
      const neverSchedules = unschedulableHostnamePin(m, this.nodes.list());
      if (neverSchedules) return this.fail(m, vmi, neverSchedules);
      const waited = Date.now() - Date.parse(lastTransition(m) ?? new Date().toISOString());
      if (waited > this.simMs(this.opts.unschedulableTimeoutSeconds ?? 300)) {
        return this.fail(m, vmi, 'target pod could not be scheduled: no node matches addedNodeSelector and the VMI requirements');
      }
      return { requeueAfterMs: this.simMs(5) };
    }
    // Claim the slot before any await, so a concurrent worker counts it.
    this.claimed.set(objectKey(m), source);
    try {
      // Matched on the VMI as it is now (its labels may have changed just before the migration was created).
      const settings = this.settingsFor((await this.liveVmi(vmi.metadata.namespace!, vmi.metadata.name!)) ?? vmi);
      this.handedOff.set(m.metadata.uid ?? '', settings);
      const state: MigrationState = {
        sourceNode: source,
        targetNode: target.metadata.name!,
        migrationUid: m.metadata.uid!,
        targetPod: `virt-launcher-${vmi.metadata.name}-${randomUUID().slice(0, 5)}`,
        // virt-controller records the policy it matched, as it does when it starts the target pod.
        ...(settings.policy ? { migrationPolicyName: settings.policy } : {}),
      };
      await this.patchVmi(vmi, { metadata: { labels: { [KubevirtLabels.migrationTargetNodeName]: target.metadata.name! } } });
      await this.patchVmiMigrationState(vmi, state);
      await this.setPhase(m, 'Scheduling', state);
    } catch (err) {
      this.claimed.delete(objectKey(m));
      this.handedOff.delete(m.metadata.uid ?? '');
      throw err;
    }
    this.peakActive = Math.max(this.peakActive, this.activeMigrations().size);
    return { requeueAfterMs: this.simMs(PHASE_SECONDS.Scheduling ?? 0) };
  }

  /** Migrations holding a slot (key -> source node), including ones the cache does not show yet. */
  private activeMigrations(): Map<string, string> {
    const active = new Map<string, string>();
    for (const x of this.migrations.list()) {
      if (ACTIVE_PHASES.has(x.status?.phase ?? '')) active.set(objectKey(x), x.status?.migrationState?.sourceNode ?? '');
    }
    for (const [key, source] of this.claimed) {
      const phase = this.migrations.get(key)?.status?.phase;
      if (phase === 'Pending' || phase === '') active.set(key, source);
      else this.claimed.delete(key);
    }
    return active;
  }

  private async liveVmi(namespace: string, name: string): Promise<VirtualMachineInstance | undefined> {
    try {
      return await this.client.get<VirtualMachineInstance>(Resources.vmi, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Nodes the target pod could land on: KubeVirt's target selector (target-selector.ts), never the source. */
  private pickTarget(m: VirtualMachineInstanceMigration, vmi: VirtualMachineInstance): Node | undefined {
    const source = this.nodes.get(vmi.status?.nodeName ?? '');
    const selector = migrationTargetSelector(m, vmi, source?.metadata.labels ?? {});
    const candidates = this.nodes.list().filter((n) => {
      const labels = n.metadata.labels ?? {};
      if (n.metadata.name === vmi.status?.nodeName) return false;
      if (!isNodeReady(n) || n.spec?.unschedulable) return false;
      if (n.spec?.taints?.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) return false;
      return Object.entries(selector).every(([k, v]) => labels[k] === v);
    });
    return candidates.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))[0];
  }

  private async succeed(m: VirtualMachineInstanceMigration, vmi: VirtualMachineInstance): Promise<void> {
    const now = new Date().toISOString();
    const target = m.status?.migrationState?.targetNode ?? '';
    const state: MigrationState = { ...vmi.status?.migrationState, ...m.status?.migrationState, completed: true, endTimestamp: now };
    const lag = this.opts.vmiUpdateLagMs ?? 0;
    if (lag > 0) {
      await this.setPhase(m, 'Succeeded', state);
      await new Promise((r) => setTimeout(r, lag));
    }
    await this.patchVmi(vmi, { metadata: { labels: { [KubevirtLabels.nodeName]: target, [KubevirtLabels.migrationTargetNodeName]: null } } });
    // One write, so no reader sees the new node without the completed migration state.
    await this.client.jsonPatch(Resources.vmi, vmi.metadata.namespace, vmi.metadata.name!, [
      { op: 'add', path: '/status/migrationState', value: state },
      { op: 'add', path: '/status/nodeName', value: target },
    ], 'status');
    if (lag <= 0) await this.setPhase(m, 'Succeeded', state);
    await this.collectGarbage(m);
  }

  /**
   * virt-controller keeps the 5 newest finished migrations of a VMI and deletes older ones
   * (garbageCollectFinalizedMigrations, by creation time): a cluster never piles them up.
   */
  private async collectGarbage(just: VirtualMachineInstanceMigration): Promise<void> {
    const finished = this.migrations
      .list()
      .filter((x) => x.metadata.namespace === just.metadata.namespace && x.spec.vmiName === just.spec.vmiName && !x.metadata.deletionTimestamp && (isMigrationFinal(x) || x.metadata.uid === just.metadata.uid))
      .sort((a, b) => byCreation(b, a));
    for (const old of finished.slice(FINISHED_MIGRATIONS_KEPT)) {
      try {
        await this.client.delete(Resources.migration, old.metadata.namespace, old.metadata.name!);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async fail(m: VirtualMachineInstanceMigration, vmi: VirtualMachineInstance | undefined, reason: string): Promise<void> {
    const now = new Date().toISOString();
    const state: MigrationState = { ...m.status?.migrationState, failed: true, completed: false, endTimestamp: now, failureReason: reason };
    if (vmi && vmi.status?.migrationState?.migrationUid === m.metadata.uid) {
      await this.patchVmi(vmi, { metadata: { labels: { [KubevirtLabels.migrationTargetNodeName]: null } } });
      await this.patchVmiMigrationState(vmi, { ...vmi.status?.migrationState, ...state });
    }
    await this.setPhase(m, 'Failed', state);
    await this.collectGarbage(m);
  }

  /** Deleting an open migration cancels it, as `virtctl migrate-cancel` does. */
  private async abort(m: VirtualMachineInstanceMigration, vmi: VirtualMachineInstance | undefined): Promise<{ requeueAfterMs?: number } | void> {
    if (isMigrationFinal(m)) return this.removeFinalizer(m);
    const phase = m.status?.phase ?? '';
    if (phase === 'Running' && vmi && m.status?.migrationState?.abortStatus !== 'Aborting') {
      const state: MigrationState = { ...vmi.status?.migrationState, abortRequested: true, abortStatus: 'Aborting' };
      await this.patchVmiMigrationState(vmi, state);
      await this.client.mergePatch(Resources.migration, m.metadata.namespace, m.metadata.name!, { status: { migrationState: state } }, 'status');
      return { requeueAfterMs: this.simMs(1) };
    }
    if (vmi && vmi.status?.migrationState?.migrationUid === m.metadata.uid) {
      await this.patchVmi(vmi, { metadata: { labels: { [KubevirtLabels.migrationTargetNodeName]: null } } });
      const state: MigrationState = { ...vmi.status?.migrationState, abortStatus: phase === 'Running' ? 'Succeeded' : undefined, failed: true, endTimestamp: new Date().toISOString(), failureReason: 'Migration canceled' };
      await this.patchVmiMigrationState(vmi, state);
    }
    await this.client.mergePatch(Resources.migration, m.metadata.namespace, m.metadata.name!, {
      status: {
        phase: 'Failed',
        conditions: [{ type: 'migrationAbortRequested', status: 'True', reason: 'Canceled', message: 'Migration failed due to being canceled', lastTransitionTime: new Date().toISOString() }],
        phaseTransitionTimestamps: [...(m.status?.phaseTransitionTimestamps ?? []), { phase: 'Failed', phaseTransitionTimestamp: new Date().toISOString() }],
      },
    }, 'status');
    await this.removeFinalizer(m);
  }

  private async removeFinalizer(m: VirtualMachineInstanceMigration): Promise<void> {
    const finalizers = m.metadata.finalizers ?? [];
    if (!finalizers.includes(KubevirtLabels.migrationJobFinalizer)) return;
    try {
      await this.client.jsonPatch(Resources.migration, m.metadata.namespace, m.metadata.name!, [
        { op: 'test', path: '/metadata/resourceVersion', value: m.metadata.resourceVersion },
        { op: 'replace', path: '/metadata/finalizers', value: finalizers.filter((f) => f !== KubevirtLabels.migrationJobFinalizer) },
      ]);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async setPhase(m: VirtualMachineInstanceMigration, phase: MigrationPhase, state?: MigrationState): Promise<void> {
    const status: Record<string, unknown> = {
      phase,
      phaseTransitionTimestamps: [...(m.status?.phaseTransitionTimestamps ?? []), { phase, phaseTransitionTimestamp: new Date().toISOString() }],
    };
    if (state) status.migrationState = { ...m.status?.migrationState, ...state };
    await this.client.mergePatch(Resources.migration, m.metadata.namespace, m.metadata.name!, { status }, 'status');
  }

  private patchVmi(vmi: VirtualMachineInstance, patch: object): Promise<unknown> {
    return this.client.mergePatch(Resources.vmi, vmi.metadata.namespace, vmi.metadata.name!, patch);
  }

  /** Replaces the whole migrationState, so nothing of an earlier migration lingers in it. */
  private patchVmiMigrationState(vmi: VirtualMachineInstance, state: MigrationState): Promise<unknown> {
    return this.client.jsonPatch(Resources.vmi, vmi.metadata.namespace, vmi.metadata.name!, [{ op: 'add', path: '/status/migrationState', value: state }], 'status');
  }
}

function lastTransition(m: VirtualMachineInstanceMigration): string | undefined {
  return m.status?.phaseTransitionTimestamps?.at(-1)?.phaseTransitionTimestamp;
}
