/** The operator's Prometheus metrics, in one registry. Label values come from the reason table. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly migrations: Counter<'direction' | 'result'>;
  readonly predictedDuration: Histogram<'direction'>;
  readonly actualDuration: Histogram<'direction'>;
  readonly predictionRatio: Histogram<'direction'>;
  readonly vms: Gauge<'placement' | 'location'>;
  readonly linkBandwidth: Gauge<'node'>;
  readonly linkAge: Gauge<'node'>;
  readonly linkCorrection: Gauge<'node'>;
  readonly rejectedCandidates: Gauge<'reason'>;
  readonly decisions: Gauge<'placement' | 'action' | 'reason'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly queueDepth: Gauge<'queue'>;
  readonly leader: Gauge;
  readonly planDuration: Histogram;
  readonly reconcileSteps: Histogram<'step'>;
  readonly plansCut: Counter<'step'>;
  readonly inputErrors: Gauge;
  readonly hungMigrations: Gauge<'placement'>;
  readonly watchEvents: Counter<'resource' | 'effect'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'offline_first_' });
    const durations = [5, 15, 30, 60, 120, 300, 600, 1200, 2400, 3600];
    this.migrations = new Counter({ name: 'offline_first_migrations_total', help: 'Migrations created by the operator that ended, by direction (ToClient, Home) and result (Succeeded, Failed, Refused).', labelNames: ['direction', 'result'], registers });
    this.predictedDuration = new Histogram({ name: 'offline_first_migration_predicted_duration_seconds', help: 'Predicted duration of the migrations the operator started.', labelNames: ['direction'], buckets: durations, registers });
    this.actualDuration = new Histogram({ name: 'offline_first_migration_actual_duration_seconds', help: 'Measured duration (Running to end) of the operator\'s finished migrations.', labelNames: ['direction'], buckets: durations, registers });
    this.predictionRatio = new Histogram({ name: 'offline_first_migration_duration_ratio', help: 'Actual over predicted duration of succeeded migrations (1 = exact).', labelNames: ['direction'], buckets: [0.5, 0.8, 0.9, 0.95, 1, 1.05, 1.1, 1.2, 1.5, 2, 3], registers });
    this.vms = new Gauge({ name: 'offline_first_vms', help: 'VMs selected by each placement, by location (client, home, other, offline).', labelNames: ['placement', 'location'], registers });
    this.linkBandwidth = new Gauge({ name: 'offline_first_link_bandwidth_bytes_per_second', help: 'Last measured link bandwidth between a client node and the data centre.', labelNames: ['node'], registers });
    this.linkAge = new Gauge({ name: 'offline_first_link_measurement_age_seconds', help: 'Age of the last link measurement of a client node.', labelNames: ['node'], registers });
    this.linkCorrection = new Gauge({ name: 'offline_first_link_correction', help: 'Learned factor on a client\'s measured link bandwidth (achieved over measured, from its finished migrations; 1 = as measured); absent until learned.', labelNames: ['node'], registers });
    this.rejectedCandidates = new Gauge({ name: 'offline_first_rejected_candidates', help: 'Candidate (VM, node) pairs rejected in the last plan, by reason.', labelNames: ['reason'], registers });
    this.decisions = new Gauge({ name: 'offline_first_decisions', help: 'VM decisions of the last plan, by placement, action and reason.', labelNames: ['placement', 'action', 'reason'], registers });
    this.reconcileDuration = new Histogram({ name: 'offline_first_reconcile_duration_seconds', help: 'Time spent in one reconcile.', labelNames: ['controller'], buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers });
    this.reconcileErrors = new Counter({ name: 'offline_first_reconcile_errors_total', help: 'Reconciles that failed and were retried.', labelNames: ['controller'], registers });
    this.queueDepth = new Gauge({ name: 'offline_first_workqueue_depth', help: 'Keys waiting in a work queue.', labelNames: ['queue'], registers });
    this.leader = new Gauge({ name: 'offline_first_leader', help: '1 while this replica holds the leader Lease.', registers });
    this.planDuration = new Histogram({ name: 'offline_first_plan_duration_seconds', help: 'Time to compute one plan over all placements.', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2], registers });
    this.reconcileSteps = new Histogram({ name: 'offline_first_reconcile_step_duration_seconds', help: 'Time spent in each step of a placement reconcile: gather (caches to planner input), plan, act (policies, migrations, their Events), report (status, Events, metrics).', labelNames: ['step'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2], registers });
    this.plansCut = new Counter({ name: 'offline_first_plans_cut_total', help: 'Plans stopped after a step (gather, plan, act) because a trigger arrived meanwhile; the trigger\'s plan did the rest.', labelNames: ['step'], registers });
    this.inputErrors = new Gauge({ name: 'offline_first_input_errors', help: 'Input values (annotations, node and VM fields) the last plan could not use.', registers });
    this.watchEvents = new Counter({ name: 'offline_first_watch_events_total', help: 'Watch events by resource and effect: plan (something the planner reads changed), deferred (a link refreshed with about the same values; read at the next periodic re-plan), ignored (nothing the planner reads changed).', labelNames: ['resource', 'effect'], registers });
    this.hungMigrations = new Gauge({ name: 'offline_first_migrations_hung', help: 'Open migrations of the operator stuck before Running or running past both their prediction and KubeVirt\'s budget, by placement.', labelNames: ['placement'], registers });
  }
}
