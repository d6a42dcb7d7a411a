/**
 * The placement controller. Every change to a placement, VMI, migration or node enqueues the one
 * key "plan": placements share nodes, capacity and KubeVirt's limits, so they are planned together.
 * reconcile() re-reads the caches, plans with the pure engine, creates migrations for Enforce
 * placements (Recommend ones only report), and writes each placement's status when it changed.
 * Every write goes through the Actuator. Bad input is reported where users look: the placement's
 * InputsValid condition, a rate-limited Warning Event on the Node or VMI at fault, one log line per
 * distinct problem; hung migrations through MigrationsHealthy, an Event and a gauge.
 */
import { planPlacements, type Plan, type PlannedMigration } from '../../domain/placement/index.js';
import type { InvalidInput } from '../../domain/placement/index.js';
import { isMigrationFinal, type KubeVirt, type MigrationPolicy, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../kube/kubevirt.js';
import type { Node } from '../../kube/node.js';
import { objectKey, type KubeObject } from '../../kube/objects.js';
import { PlacementLabels, type OfflineFirstPlacement } from '../../kube/placement.js';
import type { OperatorMetrics } from '../../observability/metrics.js';
import type { Informer } from '../../runtime/informer.js';
import { RecordingActuator, type Actuator } from '../../actuation/actuator.js';
import type { CreateOutcome } from '../../actuation/migration-object.js';
import { asNode, asPlacement, asVmi } from '../../actuation/event-targets.js';
import { migrationHang, type Hang } from '../migration/hang.js';
import { describeInputProblem, gather, type Gathered, type InputProblem, type Observed } from '../../observation/gather.js';
import type { NodeLink } from '../../kube/node-link.js';
import { InputReports } from './input-reports.js';
import { VmMeasurementReader } from '../../observation/vm-measurements.js';
import { placementStatus, statusChanged, type PlacementFacts } from './status.js';
import { ParsedFacts } from '../../observation/parsed-facts.js';
import { syncManagedPolicies } from './managed-policies.js';
import { desiredPolicies, policyUpToDate } from '../../observation/managed-policy.js';

export const PLAN_KEY = 'plan';

export interface PlacementCaches {
  placements: Informer<OfflineFirstPlacement>;
  vmis: Informer<VirtualMachineInstance>;
  migrations: Informer<VirtualMachineInstanceMigration>;
  nodes: Informer<Node>;
  /** KubeVirt's migration settings (a cache of a resource that is not served stays empty). */
  kubevirts?: Informer<KubeVirt>;
  migrationPolicies?: Informer<MigrationPolicy>;
  namespaces?: Informer<KubeObject>;
  /** The link agents' records (empty when the NodeLink CRD is not installed). */
  nodeLinks?: Informer<NodeLink>;
}

export interface PlacementControllerOptions {
  /** Re-plan at least this often, so that link data going stale is noticed (default 30 s). */
  resyncMs?: number;
  now?: () => number;
  /** Real seconds per second the migrations report (1 on a real cluster). */
  timeScale?: number;
  /** Reads each VM's measurements from its sources; kept across plans for its estimate cache. */
  measurements?: VmMeasurementReader;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Whether the cluster serves MigrationPolicies (default: a migrationPolicies cache was given). */
  migrationPoliciesServed?: () => boolean;
  /**
   * Asked between a reconcile's steps: whether a trigger arrived that this reconcile should leave to
   * the plan it queued (the operator says so at most every other reconcile, so that one always ends).
   */
  superseded?: () => boolean;
}

/** The steps of a reconcile, as timed in offline_first_reconcile_step_duration_seconds. */
export type ReconcileStep = 'gather' | 'plan' | 'act' | 'status' | 'report';

/** A reconcile's end: when to plan again, or the step after which a trigger cut it short. */
export type ReconcileOutcome = { requeueAfterMs: number; cutAfter?: undefined } | { cutAfter: Exclude<ReconcileStep, 'report'>; requeueAfterMs?: undefined };

/** Times a reconcile's steps one after the other into the step histogram. */
class StepClock {
  private last = performance.now();
  constructor(private readonly metrics: OperatorMetrics) {}

  /** Ends `step` (started when the one before ended) and returns its seconds. */
  end(step: ReconcileStep): number {
    const now = performance.now();
    const seconds = (now - this.last) / 1000;
    this.last = now;
    this.metrics.reconcileSteps.observe({ step }, seconds);
    return seconds;
  }
}

export class PlacementReconciler {
  /** Migrations created but not yet seen in the cache: counted as open so nothing is planned twice. */
  private readonly created = new Map<string, VirtualMachineInstanceMigration>();
  /** What was parsed of each cached VMI and node, until the cache replaces it. */
  private readonly facts = new ParsedFacts();
  /** Last decision reported per VM (action + target), to emit an event only when it changes. */
  private readonly reported = new Map<string, string>();
  private readonly lastGoodLinks: NonNullable<Observed['lastGoodLinks']> = new Map();
  private readonly inputReports = new InputReports();
  private readonly measurements: VmMeasurementReader;
  lastPlan: Plan | undefined;
  /** What the last plan would have written for its Recommend placements. */
  lastDryRun: RecordingActuator | undefined;

  constructor(
    private readonly caches: PlacementCaches,
    private readonly metrics: OperatorMetrics,
    private readonly actuator: Actuator,
    private readonly opts: PlacementControllerOptions = {},
  ) {
    this.measurements = opts.measurements ?? new VmMeasurementReader();
  }

  /**
   * The cache replaced `old` by `next` with nothing the planner reads changed (a watch event
   * plan-triggers.ts ignores): what gather derived of `old` holds for `next`.
   */
  unchangedVmi(old: VirtualMachineInstance, next: VirtualMachineInstance): void {
    this.facts.carryVmi(old, next);
  }

  /** As unchangedVmi, for a node. */
  unchangedNode(old: Node, next: Node): void {
    this.facts.carryNode(old, next);
  }

  /** Whether KubeVirt's MigrationPolicy API is served (its cache was started and synced). */
  private policiesServed(): boolean {
    return this.opts.migrationPoliciesServed?.() ?? this.caches.migrationPolicies !== undefined;
  }

  private log(msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(msg, fields);
  }

  /**
   * One plan over every placement, in five steps timed in offline_first_reconcile_step_duration_seconds:
   * gather (the caches into the planner's input), plan, act (managed policies, then every move's
   * migration, then their Events), status (input problems, hangs, the placements' statuses) and
   * report (the decisions' Events, the metrics).
   * Between steps it asks `superseded`: a reconcile that a trigger overtook stops there, and the plan
   * the trigger queued does the rest from fresher caches (level-triggered: nothing is lost).
   */
  async reconcile(): Promise<ReconcileOutcome> {
    const now = this.opts.now?.() ?? Date.now();
    const step = new StepClock(this.metrics);
    const cached = this.caches.migrations.list();
    for (const key of this.created.keys()) if (this.caches.migrations.get(key)) this.created.delete(key);
    const migrations = [...cached, ...this.created.values()];
    const vmis = this.caches.vmis.list();
    const g = gather({
      placements: this.caches.placements.list(),
      vmis,
      migrations,
      nodes: this.caches.nodes.list(),
      ...(this.caches.kubevirts ? { kubevirt: this.caches.kubevirts.list() } : {}),
      ...(this.caches.migrationPolicies ? { migrationPolicies: this.caches.migrationPolicies.list() } : {}),
      migrationPoliciesServed: this.policiesServed(),
      ...(this.caches.nodeLinks ? { nodeLinks: this.caches.nodeLinks.list() } : {}),
      ...(this.caches.namespaces ? { namespaces: this.caches.namespaces.list() } : {}),
      nowMs: now,
      lastGoodLinks: this.lastGoodLinks,
      measurements: this.measurements,
      facts: this.facts,
      timeScale: this.opts.timeScale ?? 1,
    });
    step.end('gather');
    if (await this.overtaken()) return { cutAfter: 'gather' };
    const plan = planPlacements(g.input);
    this.metrics.planDuration.observe(step.end('plan'));
    this.lastPlan = plan;
    if (await this.overtaken()) return { cutAfter: 'plan' };

    const vmiByKey = new Map(vmis.map((v) => [objectKey(v), v]));
    const migrationOf = new Map<string, string>();
    for (const m of migrations) {
      if (!isMigrationFinal(m) && m.metadata.labels?.[PlacementLabels.placement]) migrationOf.set(`${m.metadata.namespace}/${m.spec.vmiName}`, m.metadata.name!);
    }
    await this.act(g, plan, vmiByKey, migrationOf);
    step.end('act');
    if (await this.overtaken()) return { cutAfter: 'act' };

    const problems = [...g.inputErrors, ...plan.invalidInputs.map(fromPlanner)];
    this.metrics.inputErrors.set(problems.length);
    await this.reportInputProblems(problems, vmiByKey, now);
    const hangs = await this.reportHangs(migrations, vmiByKey, now);
    await this.writeStatuses(g, plan, migrationOf, vmiByKey, problems, hangs);
    step.end('status');
    if (await this.overtaken()) return { cutAfter: 'status' };
    await this.reportDecisions(g, plan, vmiByKey);
    this.updateMetrics(g, plan);
    step.end('report');
    return { requeueAfterMs: Math.min(plan.requeueAfterMs ?? Infinity, this.opts.resyncMs ?? 30_000) };
  }

  /**
   * Whether a trigger overtook this reconcile. Gather and plan run without a pause, so the watch
   * events that arrived meanwhile are read first: two turns of the event loop (with one, a watch
   * response's bytes that came in during the pause are polled but not yet delivered).
   */
  private async overtaken(): Promise<boolean> {
    if (!this.opts.superseded) return false;
    for (let turn = 0; turn < 2; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    return this.opts.superseded();
  }

  /**
   * The plan's moves: managed MigrationPolicies first, then every Enforce move's migration at once
   * (as many as KubeVirt's limits let the plan start, a handful), then their Events, which no
   * migration waits for. Recommend moves go to a dry run. `migrationOf` gains the migrations created.
   */
  private async act(g: Gathered, plan: Plan, vmiByKey: Map<string, VirtualMachineInstance>, migrationOf: Map<string, string>): Promise<void> {
    // A move to a client starts only once its placement's policy is in the cache as desired, so that
    // KubeVirt (watching the same API) applies it.
    const policies = this.policiesServed() ? (this.caches.migrationPolicies?.list() ?? []) : undefined;
    await syncManagedPolicies({ placements: this.caches.placements.list(), intents: g.managedPolicies, policies }, this.actuator);
    const policyReady = (placementKey: string): boolean =>
      desiredPolicies(g.managedPolicies.get(placementKey)).every((desired) => {
        const current = policies?.find((x) => x.metadata.name === desired.metadata.name);
        return current !== undefined && policyUpToDate(current, desired);
      });

    // Enforce and Recommend differ only in the actuator: a Recommend placement's moves go to a dry run.
    const dryRun = new RecordingActuator();
    const moves: { placement: OfflineFirstPlacement; vmi: VirtualMachineInstance; planned: PlannedMigration }[] = [];
    for (const planned of plan.migrations) {
      const entry = g.placements.get(planned.placementKey);
      const vmi = vmiByKey.get(planned.vmKey);
      if (!entry || !vmi) continue;
      if (entry.policy.mode !== 'Enforce') {
        await dryRun.startMigration(vmi, planned);
        continue;
      }
      // Not yet: the policy's watch event plans again. A return home never waits.
      if (planned.direction === 'ToClient' && !policyReady(planned.placementKey)) continue;
      moves.push({ placement: entry.object, vmi, planned });
    }
    this.lastDryRun = dryRun;
    const settled = await Promise.allSettled(moves.map(async (m) => ({ ...m, outcome: await this.start(m.vmi, m.planned) })));
    const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    for (const { planned, outcome } of started) if (outcome.kind !== 'refused') migrationOf.set(planned.vmKey, outcome.migration.metadata.name!);
    for (const { placement, vmi, planned, outcome } of started) await this.reportStart(placement, vmi, planned, outcome);
    // A write that failed fails the reconcile (retried with backoff) once the others are reported.
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async start(vmi: VirtualMachineInstance, planned: PlannedMigration): Promise<CreateOutcome> {
    const outcome = await this.actuator.startMigration(vmi, planned);
    if (outcome.kind !== 'refused') this.created.set(objectKey(outcome.migration), { ...outcome.migration, status: { phase: 'Pending' } });
    return outcome;
  }

  /** The log line, metrics and Events of one move's start. */
  private async reportStart(p: OfflineFirstPlacement, vmi: VirtualMachineInstance, planned: PlannedMigration, outcome: CreateOutcome): Promise<void> {
    const verb = planned.direction === 'Home' ? 'ReturningHome' : 'MovingToClient';
    if (outcome.kind === 'refused') {
      this.metrics.migrations.inc({ direction: planned.direction, result: 'Refused' });
      this.log('migration refused by KubeVirt', { vm: planned.vmKey, target: planned.targetNode, error: outcome.message });
      await this.actuator.event(asVmi(vmi), 'Warning', 'MigrationRefused', 'Migrate', `KubeVirt refused the migration to ${planned.targetNode}: ${outcome.message}`);
      return;
    }
    if (outcome.kind !== 'created') return;
    const m = outcome.migration;
    this.metrics.predictedDuration.observe({ direction: planned.direction }, planned.predictedSeconds);
    const attempt = planned.failuresBefore > 0 ? `; attempt ${planned.attempt} after ${planned.failuresBefore} failed` : '';
    const note = `${planned.direction === 'Home' ? 'returning home' : 'moving'} from ${planned.sourceNode} to ${planned.targetNode} (${planned.reason}), predicted ${planned.predictedSeconds.toFixed(0)} s; migration ${m.metadata.name}${attempt}`;
    this.log('migration created', { vm: planned.vmKey, migration: m.metadata.name, source: planned.sourceNode, target: planned.targetNode, predictedSeconds: planned.predictedSeconds, attempt: planned.attempt });
    const once = `${objectKey(m)}/created`;
    await this.actuator.event(asPlacement(p), 'Normal', verb, 'Migrate', `${vmi.metadata.name}: ${note}`, `${once}/placement`);
    await this.actuator.event(asVmi(vmi), 'Normal', verb, 'Migrate', note, `${once}/vmi`);
  }

  /** Log lines and Warning Events for bad input, each distinct problem at most once per interval. */
  private async reportInputProblems(problems: readonly InputProblem[], vmiByKey: Map<string, VirtualMachineInstance>, nowMs: number): Promise<void> {
    for (const p of this.inputReports.due(problems, nowMs)) {
      this.log('input error', { object: `${p.kind}/${p.namespace ? `${p.namespace}/` : ''}${p.name}`, error: p.message });
      // A NodeLink's problem is reported on its Node, where people look.
      const node = p.kind === 'Node' || p.kind === 'NodeLink' ? this.caches.nodes.get(p.name) : undefined;
      const vmi = p.kind === 'VirtualMachineInstance' ? vmiByKey.get(`${p.namespace}/${p.name}`) : undefined;
      const target = node ? asNode(node) : vmi ? asVmi(vmi) : undefined;
      if (target) await this.actuator.event(target, 'Warning', 'InvalidInput', 'Plan', p.message);
    }
  }

  /** Hung migrations of ours: a Warning Event once per migration, the gauge, and the list for status. */
  private async reportHangs(migrations: readonly VirtualMachineInstanceMigration[], vmiByKey: Map<string, VirtualMachineInstance>, nowMs: number): Promise<Map<string, Hang[]>> {
    const byPlacement = new Map<string, Hang[]>();
    this.metrics.hungMigrations.reset();
    for (const m of migrations) {
      const hang = migrationHang(m, nowMs, this.opts.timeScale ?? 1);
      if (!hang) continue;
      const key = `${m.metadata.namespace}/${m.metadata.labels![PlacementLabels.placement]}`;
      const list = byPlacement.get(key) ?? [];
      list.push(hang);
      byPlacement.set(key, list);
      this.metrics.hungMigrations.inc({ placement: key });
      const vmi = vmiByKey.get(hang.vmi);
      if (vmi) await this.actuator.event(asVmi(vmi), 'Warning', 'MigrationHung', 'Migrate', hang.message, `${objectKey(m)}/hung`);
    }
    return byPlacement;
  }

  private async writeStatuses(
    g: Gathered,
    plan: Plan,
    migrationOf: Map<string, string>,
    vmiByKey: Map<string, VirtualMachineInstance>,
    problems: readonly InputProblem[],
    hangs: Map<string, Hang[]>,
  ): Promise<void> {
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
      const concerns = (x: InputProblem): boolean => {
        if (x.kind === 'VirtualMachineInstance') return g.owners.get(`${x.namespace}/${x.name}`) === key;
        if (x.kind === 'OfflineFirstPlacement') return `${x.namespace}/${x.name}` === key;
        // KubeVirt's migration settings reach every placement's predictions.
        if (x.kind === 'KubeVirt' || x.kind === 'MigrationPolicy') return true;
        const node = nodeByName.get(x.name);
        return node !== undefined && (node.clientFor.includes(key) || node.homeFor.includes(key));
      };
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
        inputProblems: problems.filter(concerns).map(describeInputProblem),
        hangs: (hangs.get(key) ?? []).map((h) => h.message),
        ...(g.managedPolicies.has(key) ? { managedPolicy: g.managedPolicies.get(key)! } : {}),
        settingsNotApplied: g.settingsNotApplied.get(key) ?? [],
      };
      for (const d of decisions) {
        const node = nodeByName.get(d.currentNode);
        if (node?.clientFor.includes(key)) {
          facts.onClients++;
          if (!node.ready) facts.runningOffline++;
        } else if (node?.homeFor.includes(key)) facts.atHome++;
        const state = vmiByKey.get(d.vmKey)?.status?.migrationState;
        if (migrationOf.has(d.vmKey) || (state?.migrationUid && !state.completed && !state.failed)) facts.migrating++;
      }
      const status = placementStatus(p, facts, nowIso);
      if (!statusChanged(p.status, status)) continue;
      await this.actuator.writeStatus(p, { ...status, lastPlanTime: nowIso });
    }
  }

  /** Events for Recommend placements (their only output besides status) and for blocked VMs. */
  private async reportDecisions(g: Gathered, plan: Plan, vmiByKey: Map<string, VirtualMachineInstance>): Promise<void> {
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
        await this.actuator.event(asPlacement(entry.object), 'Normal', 'Recommended', 'Plan', `${vmi.metadata.name}: ${d.action} ${d.currentNode} -> ${d.desiredNode} (${d.reason}); Recommend mode, no migration created`);
      } else if (d.action === 'Blocked' && d.reason === 'ClientOffline') {
        await this.actuator.event(asVmi(vmi), 'Warning', 'RunningOffline', 'Plan', d.message);
      } else if (d.reason === 'RepeatedFailures' || d.reason === 'NoReturnPath') {
        await this.actuator.event(asVmi(vmi), 'Warning', d.reason, 'Plan', d.message);
      }
    }
    for (const k of this.reported.keys()) if (!seen.has(k)) this.reported.delete(k);
  }

  private updateMetrics(g: Gathered, plan: Plan): void {
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
    this.metrics.linkCorrection.reset();
    for (const n of g.input.nodes) {
      if (!n.link || n.clientFor.length === 0 || !(n.link.bandwidthBytesPerSecond > 0)) continue;
      this.metrics.linkBandwidth.set({ node: n.name }, n.link.measuredBandwidthBytesPerSecond ?? n.link.bandwidthBytesPerSecond);
      if (n.link.correction !== undefined) this.metrics.linkCorrection.set({ node: n.name }, n.link.correction);
      this.metrics.linkAge.set({ node: n.name }, Math.max(0, (g.input.nowMs - n.link.measuredAtMs) / 1000));
    }
  }
}

/** A planner finding about a VM or node, as the gatherer reports problems. */
function fromPlanner(x: InvalidInput): InputProblem {
  if (x.kind === 'Node') return { kind: 'Node', name: x.key, message: x.message };
  const slash = x.key.indexOf('/');
  const namespace = x.key.slice(0, slash);
  const name = x.key.slice(slash + 1);
  return { kind: x.kind === 'VM' ? 'VirtualMachineInstance' : 'OfflineFirstPlacement', namespace, name, message: x.message };
}
