/**
 * Wires the operator together: informers (always running, so a standby replica is warm), and —
 * only while this replica leads — the placement controller and the migration follower. Readiness
 * follows the caches; leadership gates the workers, not the caches.
 */
import type { KubeClient } from '../kube/client.js';
import { EventRecorder } from '../kube/events.js';
import { servedOptionalResources } from '../kube/discovery.js';
import type { KubeVirt, MigrationPolicy, VirtualMachineInstance, VirtualMachineInstanceMigration } from '../kube/kubevirt.js';
import type { Node } from '../kube/node.js';
import type { NodeLink } from '../kube/node-link.js';
import { objectKey, type KubeObject } from '../kube/objects.js';
import { isOurs, PlacementLabels, type OfflineFirstPlacement } from '../kube/placement.js';
import { Resources } from '../kube/resources.js';
import { OperatorMetrics } from '../observability/metrics.js';
import { Controller } from '../runtime/controller.js';
import { Informer } from '../runtime/informer.js';
import { LeaderElector } from '../runtime/leader-election.js';
import { WorkQueue } from '../runtime/workqueue.js';
import { KubeActuator, type Actuator } from '../actuation/actuator.js';
import { MigrationFollower } from '../controllers/migration/follower.js';
import { cachedNode, cachedVmi } from '../observation/cached-fields.js';
import type { ExternalVmiSource } from '../observation/sources.js';
import { VmMeasurementReader } from '../observation/vm-measurements.js';
import { PLAN_KEY, PlacementReconciler } from '../controllers/placement/controller.js';
import { linkFreshForMs, migrationDeleteTrigger, migrationTrigger, nodeLinkTrigger, nodeTrigger, objectTrigger, placementTrigger, vmiTrigger, type PlanTrigger, type TriggerContext } from '../observation/plan-triggers.js';
import { planDelayMs, type LastPlan, type PacingOptions } from '../runtime/plan-pacing.js';
import { PlanSupersession } from '../runtime/plan-supersession.js';

/** Whose changes are triggers: a client's link or departure, a node's readiness, a placement's spec. */
const TRIGGER_RESOURCES: ReadonlySet<string> = new Set([Resources.node.plural, Resources.nodeLink.plural, Resources.placement.plural]);

export interface OperatorOptions {
  /** Unique per replica; the Lease holder identity and the Events' reportingInstance. */
  identity: string;
  /** Lease-based leader election; without it this replica always acts. */
  leaderElection?: { namespace: string; name?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /** Re-plan at least this often (default 30 s). */
  resyncMs?: number;
  /** How events are coalesced into plans (plan-pacing.ts; default DEFAULT_PACING). */
  pacing?: PacingOptions;
  /** Real seconds per second reported by migrations (for a simulated KubeVirt with scaled time). */
  timeScale?: number;
  metrics?: OperatorMetrics;
  /** Where writes go (default: the API server). A RecordingActuator makes the whole operator a dry run. */
  actuator?: Actuator;
  /** Per-VMI measurements from outside the cluster objects (Prometheus), polled by their owner. */
  externalSource?: ExternalVmiSource;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export class Operator {
  readonly metrics: OperatorMetrics;
  readonly placements: Informer<OfflineFirstPlacement>;
  readonly vmis: Informer<VirtualMachineInstance>;
  readonly migrations: Informer<VirtualMachineInstanceMigration>;
  readonly nodes: Informer<Node>;
  /** KubeVirt's migration settings: started only when their resources are served (no KubeVirt CRD, no policies: defaults). */
  readonly kubevirts: Informer<KubeVirt>;
  readonly migrationPolicies: Informer<MigrationPolicy>;
  /** The link agents' records: started only when the NodeLink CRD is installed. */
  readonly nodeLinks: Informer<NodeLink>;
  readonly namespaces: Informer<KubeObject>;
  private started: Informer<never>[] = [];
  readonly reconciler: PlacementReconciler;
  private readonly follower: MigrationFollower;
  private readonly elector: LeaderElector | undefined;
  private term: { planner: Controller; follower: Controller } | undefined;
  private lastPlan: LastPlan | undefined;
  private readonly supersession = new PlanSupersession();
  private leading: Promise<unknown> | undefined;
  private synced = false;
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: OperatorOptions,
  ) {
    this.metrics = opts.metrics ?? new OperatorMetrics();
    const onError = (what: string) => (err: unknown) => this.log(`${what} watch error, retrying`, { error: String(err) });
    this.placements = new Informer(client, Resources.placement, { onError: onError('placements') });
    // VMIs and nodes are most of the cache: keep only the fields the operator reads (cached-fields.ts).
    this.vmis = new Informer(client, Resources.vmi, { onError: onError('vmis'), transform: cachedVmi });
    this.migrations = new Informer(client, Resources.migration, { onError: onError('migrations') });
    this.nodes = new Informer(client, Resources.node, { onError: onError('nodes'), transform: cachedNode });
    this.kubevirts = new Informer(client, Resources.kubevirt, { onError: onError('kubevirts') });
    this.migrationPolicies = new Informer(client, Resources.migrationPolicy, { onError: onError('migrationpolicies') });
    this.namespaces = new Informer(client, Resources.namespace, { onError: onError('namespaces') });
    this.nodeLinks = new Informer(client, Resources.nodeLink, { onError: onError('nodelinks') });
    const events = new EventRecorder(client, opts.identity, (m) => this.log(m));
    // The one write seam: the planner and the follower write only through it.
    const actuator = opts.actuator ?? new KubeActuator(client, events);
    this.reconciler = new PlacementReconciler(
      {
        placements: this.placements,
        vmis: this.vmis,
        migrations: this.migrations,
        nodes: this.nodes,
        kubevirts: this.kubevirts,
        migrationPolicies: this.migrationPolicies,
        namespaces: this.namespaces,
        nodeLinks: this.nodeLinks,
      },
      this.metrics, actuator, {
      resyncMs: opts.resyncMs,
      timeScale: opts.timeScale ?? 1,
      measurements: new VmMeasurementReader(opts.externalSource),
      log: (m, f) => this.log(m, f),
      migrationPoliciesServed: () => this.migrationPolicies.hasSynced(),
      superseded: () => this.supersession.superseded,
    });
    this.follower = new MigrationFollower(actuator, this.migrations, this.vmis, this.placements, this.metrics, opts.timeScale ?? 1);
    // Each event is weighed (plan-triggers.ts): most of a live cluster's churn changes nothing the
    // planner reads, and what does is coalesced into paced plans (plan-pacing.ts).
    const context = (): TriggerContext => ({ nowMs: Date.now(), linkFreshForMs: linkFreshForMs(this.placements.list()) });
    const weigh = <T extends KubeObject>(inf: Informer<T>, trigger: (old: T | undefined, next: T) => PlanTrigger, also?: (obj: T) => void, deleted: (obj: T) => PlanTrigger = () => 'plan') =>
      inf.addHandler({
        onUpsert: (obj, old) => {
          this.observed(inf.resource.plural, trigger(old, obj));
          also?.(obj);
        },
        onDelete: (obj) => this.observed(inf.resource.plural, deleted(obj)),
      });
    const ownMigration = (uid: string): boolean => this.migrations.list().some((m) => m.metadata.uid === uid && isOurs(m));
    weigh(this.placements, placementTrigger);
    // An object replaced with nothing read changed keeps what the planner derived of it (parsed-facts.ts).
    const carried = <T>(trigger: (old: T | undefined, next: T) => PlanTrigger, carry: (old: T, next: T) => void) => (old: T | undefined, next: T): PlanTrigger => {
      const effect = trigger(old, next);
      if (effect === 'ignored' && old) carry(old, next);
      return effect;
    };
    weigh(this.vmis, carried((old, next) => vmiTrigger(old, next, ownMigration), (old, next) => this.reconciler.unchangedVmi(old, next)));
    weigh(this.nodes, carried((old, next) => nodeTrigger(old, next, context), (old, next) => this.reconciler.unchangedNode(old, next)));
    weigh(this.nodeLinks, (old, next) => nodeLinkTrigger(old, next, context));
    for (const inf of [this.kubevirts, this.migrationPolicies, this.namespaces] as Informer<KubeObject>[]) weigh(inf, objectTrigger);
    weigh(this.migrations, migrationTrigger, (m) => {
      if (isOurs(m)) this.term?.follower.queue.add(objectKey(m));
    }, migrationDeleteTrigger);
    if (opts.leaderElection) {
      this.elector = new LeaderElector(client, {
        namespace: opts.leaderElection.namespace,
        name: opts.leaderElection.name ?? 'offline-first-operator',
        identity: opts.identity,
        leaseDurationMs: opts.leaderElection.leaseDurationMs,
        renewDeadlineMs: opts.leaderElection.renewDeadlineMs,
        retryPeriodMs: opts.leaderElection.retryPeriodMs,
        onError: (err, phase) => this.log(`leader election ${phase} error`, { error: String(err) }),
      });
    }
  }

  /** Counts a watch event by what it does, and asks for a plan when it should start one. */
  private observed(resource: string, effect: PlanTrigger): void {
    this.metrics.watchEvents.inc({ resource, effect });
    if (effect === 'plan') this.requestPlan(TRIGGER_RESOURCES.has(resource));
  }

  /**
   * `trigger`: a change to a client, a node or a placement, planned for without pacing
   * (plan-pacing.ts); a plan in progress stops at its next step (plan-supersession.ts).
   */
  private requestPlan(trigger = false): void {
    if (!this.term) return;
    if (trigger) this.supersession.trigger();
    this.term.planner.queue.addAfter(PLAN_KEY, planDelayMs(performance.now(), this.lastPlan, this.opts.pacing, trigger));
  }

  /**
   * One plan over all placements, timed for the pacing of the next. A plan cut short by a trigger
   * asks for no requeue (the trigger queued the next plan) and keeps the last full plan's duration.
   */
  private async plan(): Promise<{ requeueAfterMs?: number }> {
    const startedMs = performance.now();
    const previousMs = this.lastPlan?.durationMs ?? 0;
    this.lastPlan = { startedMs, durationMs: previousMs };
    this.supersession.begin();
    let cut = false;
    try {
      const outcome = await this.reconciler.reconcile();
      if (outcome.cutAfter) {
        cut = true;
        this.metrics.plansCut.inc({ step: outcome.cutAfter });
        return {};
      }
      return { requeueAfterMs: outcome.requeueAfterMs };
    } finally {
      this.supersession.end(cut);
      this.lastPlan = { startedMs, durationMs: cut ? previousMs : performance.now() - startedMs };
    }
  }

  private log(msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(msg, fields);
  }

  /** Starts the caches, waits until they are synced, then campaigns (or acts at once). */
  async start(): Promise<void> {
    const optional = [Resources.kubevirt, Resources.migrationPolicy, Resources.nodeLink];
    const served = await servedOptionalResources(this.client, optional);
    for (const r of optional) if (!served.has(r.plural)) this.log(`${r.plural}.${r.group} is not served: none is assumed (${r === Resources.nodeLink ? 'links come from node annotations only' : "KubeVirt's defaults, no policies"})`);
    const informers = [this.placements, this.vmis, this.migrations, this.nodes, this.namespaces] as Informer<never>[];
    if (served.has(Resources.kubevirt.plural)) informers.push(this.kubevirts as Informer<never>);
    if (served.has(Resources.migrationPolicy.plural)) informers.push(this.migrationPolicies as Informer<never>);
    if (served.has(Resources.nodeLink.plural)) informers.push(this.nodeLinks as Informer<never>);
    this.started = informers;
    for (const inf of informers) inf.start();
    await Promise.all(informers.map((i) => i.waitForSync()));
    this.synced = true;
    this.log('caches synced', { placements: this.placements.size, vmis: this.vmis.size, migrations: this.migrations.size, nodes: this.nodes.size, kubevirts: this.kubevirts.size, migrationPolicies: this.migrationPolicies.size });
    if (this.stopped) return;
    if (!this.elector) {
      this.startTerm();
      return;
    }
    const elector = this.elector;
    const callbacks = {
      onStartedLeading: (signal: AbortSignal) => {
        this.log('leading', { identity: this.opts.identity });
        this.startTerm();
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => void this.stopTerm().then(resolve), { once: true }));
      },
      onStoppedLeading: () => this.log('stopped leading', { identity: this.opts.identity }),
      onNewLeader: (id: string) => this.log('leader is', { identity: id }),
    };
    // A Lease lost (renewals failed past the deadline, e.g. the API server was away) ends the term;
    // the replica then campaigns again, or a cluster-wide outage would leave every replica idle.
    this.leading = (async () => {
      while (!this.stopped) {
        const end = await elector.run(callbacks);
        if (end === 'stopped' || this.stopped) return;
        this.log('lost the Lease; campaigning again', { identity: this.opts.identity });
      }
    })();
  }

  private startTerm(): void {
    this.metrics.leader.set(1);
    const hooks = (controller: string) => ({
      onReconciled: (_key: string, ms: number, error: unknown) => {
        this.metrics.reconcileDuration.observe({ controller }, ms / 1000);
        if (error) {
          this.metrics.reconcileErrors.inc({ controller });
          this.log('reconcile failed, will retry', { controller, error: String(error) });
        }
      },
    });
    const planQueue = new WorkQueue('placement', { initialMs: 100, maxMs: 60_000 }, (d) => this.metrics.queueDepth.set({ queue: 'placement' }, d));
    const followQueue = new WorkQueue('migration', { initialMs: 100, maxMs: 60_000 }, (d) => this.metrics.queueDepth.set({ queue: 'migration' }, d));
    const planner = new Controller('placement', planQueue, () => this.plan(), hooks('placement'));
    const follower = new Controller('migration', followQueue, (key) => this.follower.reconcile(key), hooks('migration'));
    this.term = { planner, follower };
    planner.start(1);
    follower.start(2);
    planQueue.add(PLAN_KEY);
    for (const m of this.migrations.list()) if (m.metadata.labels?.[PlacementLabels.placement]) followQueue.add(objectKey(m));
  }

  private async stopTerm(): Promise<void> {
    const term = this.term;
    this.term = undefined;
    this.metrics.leader.set(0);
    if (term) await Promise.all([term.planner.stop(), term.follower.stop()]);
    // A standby must not keep exporting the last plan it made as if it were current.
    for (const g of [this.metrics.vms, this.metrics.decisions, this.metrics.rejectedCandidates, this.metrics.linkBandwidth, this.metrics.linkAge, this.metrics.linkCorrection, this.metrics.queueDepth]) g.reset();
    this.metrics.inputErrors.set(0);
  }

  /** Re-plan soon: something the planner reads outside the caches (an external source) changed. */
  replan(): void {
    this.requestPlan();
  }

  isReady(): boolean {
    return this.synced && !this.stopped;
  }

  isActing(): boolean {
    return this.term !== undefined;
  }

  /** Graceful: finish the reconcile in flight, release the Lease, stop the caches. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.elector) await this.elector.stop();
    await this.leading;
    await this.stopTerm();
    await Promise.all(this.started.map((i) => i.stop()));
  }
}
