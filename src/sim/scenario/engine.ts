/**
 * The discrete-event simulation of one strategy over one scenario. Simulated time only: it jumps
 * from event to event (clients joining, announcing their departure, leaving; migrations ending;
 * the re-plan step; the planner's own wake-ups), and after the events of each instant the strategy
 * plans once, as the operator re-plans on every change. Started migrations last what the cost model
 * says with the guest's true behaviour (migration-run.ts); a VM moves when its migration succeeds.
 * A client that leaves takes the VMs still on it offline ("caught by departure") and fails the
 * migrations it was part of.
 */
import { labErrorFor } from '../kubevirt/predicted-run.js';
import { bytesSentBy, migrationBandwidth, simulatedRun, type MigrationFailure } from './migration-run.js';
import { RunRecorder } from './recorder.js';
import { RefusedMoves } from './refused-moves.js';
import type { SimulationRun } from './results.js';
import type { StartRequest, Strategy } from './strategy.js';
import type { Scenario } from './types.js';
import { SimWorld, type OpenMigration, type VmState } from './world.js';
import { EventQueue } from './event-queue.js';

type Happening =
  | { kind: 'migration-end'; vmKey: string; id: number }
  | { kind: 'leave'; node: string; announced: boolean }
  | { kind: 'announce'; node: string; departureAtMs: number }
  | { kind: 'join'; node: string }
  | { kind: 'step' }
  | { kind: 'wake' };

/** Same instant: migrations end first, then clients leave, announce, join; then the plan. */
const RANK: Record<Happening['kind'], number> = { 'migration-end': 0, leave: 1, announce: 2, join: 3, step: 4, wake: 4 };

export interface SimulateOptions {
  /** Called now and then with the share of simulated time done (0..1). */
  readonly onProgress?: (done: number) => void;
  /**
   * Each migration deviates from the model as real QEMU migrations did in the lab (lab-error.ts;
   * fixed per VM and migration), so "slower than predicted" and aborts near the budget can happen.
   */
  readonly labError?: boolean;
}

export function simulate(scenario: Scenario, strategy: Strategy, opts: SimulateOptions = {}): SimulationRun {
  return new Simulation(scenario, strategy).run(opts);
}

class Simulation {
  private readonly world: SimWorld;
  private readonly queue = new EventQueue<Happening>();
  private readonly recorder: RunRecorder;
  private readonly refused: RefusedMoves;
  private readonly endMs: number;
  private plans = 0;
  /** The earliest wake-up already queued, so that repeated requeues do not pile up. */
  private pendingWakeMs = Infinity;

  constructor(
    private readonly scenario: Scenario,
    private readonly strategy: Strategy,
  ) {
    this.world = new SimWorld(scenario);
    this.recorder = new RunRecorder(this.world);
    this.refused = new RefusedMoves(this.world, new Map(scenario.placements.map((p) => [p.key, p])));
    this.endMs = scenario.startMs + scenario.horizonMs;
  }

  private labError = false;

  run(opts: SimulateOptions): SimulationRun {
    this.labError = opts.labError ?? false;
    const { startMs, stepMs, horizonMs } = this.scenario;
    this.scheduleSessions();
    for (let t = startMs; t <= this.endMs; t += stepMs) this.queue.push(t, RANK.step, { kind: 'step' });
    let reported = startMs;
    while (this.queue.size > 0 && this.queue.peekTime()! <= this.endMs) {
      const atMs = this.queue.peekTime()!;
      this.recorder.advance(atMs);
      let step = false;
      while (this.queue.peekTime() === atMs) {
        const h = this.queue.pop()!.event;
        if (h.kind === 'step') step = true;
        if (h.kind === 'wake') this.pendingWakeMs = Infinity;
        this.apply(h, atMs);
      }
      this.plan(atMs);
      this.recorder.snapshot(atMs);
      if (step) this.recorder.sample(atMs);
      if (opts.onProgress && atMs - reported >= horizonMs / 100) {
        reported = atMs;
        opts.onProgress((atMs - startMs) / horizonMs);
      }
    }
    this.finishOpenMigrations();
    this.recorder.finish(this.endMs);
    opts.onProgress?.(1);
    return {
      strategy: this.strategy.name,
      events: this.recorder.events,
      samples: this.recorder.samples,
      migrations: [...this.recorder.migrations.values()],
      tracks: this.recorder.tracks,
      summary: this.recorder.summary(this.refused.counts()),
      warnings: [...this.recorder.warnings],
      plans: this.plans,
    };
  }

  /** Joins, announcements and departures of every client session. */
  private scheduleSessions(): void {
    const { startMs } = this.scenario;
    for (const node of this.scenario.nodes) {
      // Sessions over before the start do not matter; one under way at the start means connected.
      const relevant = node.sessions.filter((s) => s.untilMs === undefined || s.untilMs > startMs);
      relevant.forEach((s) => {
        if (s.fromMs <= startMs) this.world.node(node.name).online = true;
        else this.queue.push(s.fromMs, RANK.join, { kind: 'join', node: node.name });
        if (s.untilMs === undefined) return;
        if (s.noticeMs !== undefined) {
          const announceAt = Math.max(s.fromMs, s.untilMs - s.noticeMs, startMs);
          this.queue.push(announceAt, RANK.announce, { kind: 'announce', node: node.name, departureAtMs: s.untilMs });
        }
        this.queue.push(s.untilMs, RANK.leave, { kind: 'leave', node: node.name, announced: s.noticeMs !== undefined });
      });
      const n = this.world.node(node.name);
      if (n.online && node.link) n.linkMeasuredAtMs = startMs;
    }
  }

  private apply(h: Happening, atMs: number): void {
    switch (h.kind) {
      case 'migration-end': {
        const vm = this.world.vmByKey.get(h.vmKey)!;
        if (vm.migration?.id === h.id) this.endMigration(vm, atMs);
        return;
      }
      case 'join': {
        const node = this.world.node(h.node);
        node.online = true;
        delete node.departureAtMs;
        const back = this.world.vms.filter((vm) => vm.node === h.node).map((vm) => vm.spec.key);
        this.recorder.event({ atMs, kind: 'client-joined', node: h.node, vmsBackOnline: back });
        return;
      }
      case 'announce':
        this.world.node(h.node).departureAtMs = h.departureAtMs;
        this.recorder.event({ atMs, kind: 'departure-announced', node: h.node, departureAtMs: h.departureAtMs });
        return;
      case 'leave':
        this.leave(h.node, h.announced, atMs);
        return;
      case 'step':
      case 'wake':
        return;
    }
  }

  private leave(name: string, announced: boolean, atMs: number): void {
    const node = this.world.node(name);
    // Migrations to or from the client break off with its link.
    for (const vm of this.world.vms) {
      const m = vm.migration;
      if (!m || (m.source !== name && m.target !== name)) continue;
      this.endMigration(vm, atMs, m.target === name ? 'TargetLeft' : 'SourceLeft');
    }
    node.online = false;
    delete node.departureAtMs;
    const caught = this.world.vms.filter((vm) => vm.node === name).map((vm) => vm.spec.key);
    this.recorder.event({ atMs, kind: 'client-left', node: name, announced, vmsCaught: caught });
  }

  private plan(atMs: number): void {
    for (const node of this.world.nodes.values()) if (node.online && node.spec.link) node.linkMeasuredAtMs = atMs;
    const p = this.strategy.plan(this.world, atMs);
    this.plans++;
    for (const w of p.warnings ?? []) this.recorder.warnings.add(w);
    if (p.decisions) {
      this.recorder.decisions(atMs, p.decisions);
      this.refused.note(p.decisions);
    }
    for (const start of p.starts) this.start(start, atMs);
    if (p.wakeAtMs !== undefined && p.wakeAtMs <= this.endMs && p.wakeAtMs < this.pendingWakeMs) {
      this.pendingWakeMs = p.wakeAtMs;
      this.queue.push(p.wakeAtMs, RANK.wake, { kind: 'wake' });
    }
  }

  private start(req: StartRequest, atMs: number): void {
    const vm = this.world.vmByKey.get(req.vmKey);
    if (!vm || vm.migration) throw new Error(`strategy ${this.strategy.name} started a migration of ${req.vmKey}, which is unknown or already migrating`);
    const source = this.world.node(vm.node).spec;
    const target = this.world.node(req.target).spec;
    const id = this.world.newMigrationId();
    const error = this.labError ? labErrorFor(`${req.vmKey}#${id}`) : 0;
    const run = simulatedRun(vm.spec, migrationBandwidth(source, target, req.options), req.options, error);
    const endMs = Number.isFinite(run.seconds) ? atMs + run.seconds * 1000 : undefined;
    const m: OpenMigration = {
      id,
      vmKey: req.vmKey,
      ...(req.placementKey !== undefined ? { placementKey: req.placementKey } : {}),
      source: vm.node,
      target: req.target,
      direction: req.direction,
      startMs: atMs,
      ...(endMs !== undefined ? { endMs } : {}),
      ...(req.predictedSeconds !== undefined ? { predictedSeconds: req.predictedSeconds } : {}),
      reason: req.reason,
      run,
      ...(req.object ? { object: req.object } : {}),
    };
    vm.migration = m;
    if (endMs !== undefined) this.queue.push(endMs, RANK['migration-end'], { kind: 'migration-end', vmKey: vm.spec.key, id });
    const overWan = [source, target].some((n) => n.link?.network === 'wan');
    this.recorder.migrations.set(id, {
      id,
      vm: req.vmKey,
      ...(req.placementKey !== undefined ? { placement: req.placementKey } : {}),
      from: m.source,
      to: m.target,
      direction: m.direction,
      reason: m.reason,
      startMs: atMs,
      ...(m.predictedSeconds !== undefined ? { predictedSeconds: m.predictedSeconds } : {}),
      outcome: 'Running',
      seconds: 0,
      bytes: 0,
      overWan,
    });
    this.recorder.event({
      atMs,
      kind: 'migration-started',
      id,
      vm: req.vmKey,
      from: m.source,
      to: m.target,
      direction: m.direction,
      ...(m.predictedSeconds !== undefined ? { predictedSeconds: m.predictedSeconds } : {}),
      reason: m.reason,
    });
  }

  /** Ends the VM's open migration at `atMs`: as the model says, or broken off by a departure. */
  private endMigration(vm: VmState, atMs: number, brokenBy?: 'TargetLeft' | 'SourceLeft'): void {
    const m = vm.migration!;
    delete vm.migration;
    // The model's own duration when it ran its course: epoch milliseconds would round it.
    const seconds = brokenBy === undefined ? m.run.seconds : (atMs - m.startMs) / 1000;
    const succeeded = brokenBy === undefined && m.run.succeeds;
    const failure: MigrationFailure | undefined = brokenBy ?? m.run.failure;
    const bytes = bytesSentBy(m.run, seconds);
    const ended = { vmKey: m.vmKey, ...(m.placementKey !== undefined ? { placementKey: m.placementKey } : {}), endMs: atMs, id: m.id, target: m.target, ...(m.object ? { object: m.object } : {}) };
    if (succeeded) {
      vm.node = m.target;
      this.world.succeeded.push(ended);
    } else if (m.placementKey !== undefined) {
      this.world.failed.push({ ...ended, failed: true });
    }
    const record = this.recorder.migrations.get(m.id)!;
    Object.assign(record, { endMs: atMs, outcome: succeeded ? 'Succeeded' : 'Failed', seconds, bytes, ...(failure && !succeeded ? { failure } : {}) });
    this.recorder.event({
      atMs,
      kind: 'migration-ended',
      id: m.id,
      vm: m.vmKey,
      from: m.source,
      to: m.target,
      direction: m.direction,
      succeeded,
      ...(failure && !succeeded ? { failure } : {}),
      seconds,
      ...(m.predictedSeconds !== undefined ? { predictedSeconds: m.predictedSeconds } : {}),
      bytes,
    });
  }

  /** Migrations still open at the end stay open: their time and bytes so far are counted. */
  private finishOpenMigrations(): void {
    for (const m of this.world.openMigrations()) {
      const record = this.recorder.migrations.get(m.id)!;
      const seconds = (this.endMs - m.startMs) / 1000;
      Object.assign(record, { seconds, bytes: bytesSentBy(m.run, seconds) });
    }
  }
}
