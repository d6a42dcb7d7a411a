/**
 * Keeps the books of one run: the event log, every migration, where each VM was over time, counts
 * at every step, and the time integrals behind the summary (VM-hours on clients, memory off the
 * servers, round-trip time saved). The state is piecewise constant between events, so integrating
 * from one event to the next is exact.
 */
import { Reasons, type Decision, type Reason } from '../../domain/placement/index.js';
import type { MigrationRecord, RunSummary, Sample, SimEvent, TrackSegment, VmLocation } from './results.js';
import type { SimWorld, VmState } from './world.js';

const HOUR_MS = 3_600_000;

/** Reasons a VM stays that only say "not now" (its client is away, a limit, a cooldown), not "no". */
const PASSING_REASONS: ReadonlySet<Reason> = new Set([
  Reasons.Placed, Reasons.Migrating, Reasons.Cooldown, Reasons.ConcurrencyLimit, Reasons.HysteresisHold, Reasons.NodeNotReady,
  Reasons.ClientLeaving, Reasons.ClientOffline, Reasons.NotBoundClient, Reasons.OfflineCapabilityWanted, Reasons.CloudLatencyHigh,
  Reasons.CloudBandwidthLow, Reasons.BetterClient, Reasons.InsufficientMemory, Reasons.InsufficientCPU,
]);
const GIB = 1024 ** 3;

export class RunRecorder {
  readonly events: SimEvent[] = [];
  readonly samples: Sample[] = [];
  readonly migrations = new Map<number, MigrationRecord>();
  readonly tracks: Record<string, TrackSegment[]> = {};
  readonly warnings = new Set<string>();
  private lastMs: number;
  private onClientMs = 0;
  private offlineMs = 0;
  private freedByteMs = 0;
  private rttSavedMsTimesMs = 0;
  private peakOnClients = 0;
  private caught = 0;
  private readonly lastDecision = new Map<string, Decision>();
  private readonly refusedBy = new Map<string, Set<string>>();

  constructor(private readonly world: SimWorld) {
    this.lastMs = world.scenario.startMs;
  }

  private location(vm: VmState): { state: VmLocation; node: string } {
    const node = this.world.node(vm.node);
    if (vm.migration) return { state: 'migrating', node: vm.node };
    if (node.spec.role === 'cloud') return { state: 'home', node: vm.node };
    return { state: node.online ? 'client' : 'offline', node: vm.node };
  }

  /** Accounts for the time from the last instant to `atMs`, in the state that held over it. */
  advance(atMs: number): void {
    const dt = atMs - this.lastMs;
    if (dt <= 0) return;
    for (const vm of this.world.vms) {
      const node = this.world.node(vm.node);
      if (node.spec.role !== 'client') continue;
      this.freedByteMs += vm.spec.memoryBytes * dt;
      if (node.online) {
        this.onClientMs += dt;
        this.rttSavedMsTimesMs += (node.spec.link?.rttMs ?? 0) * dt;
      } else {
        this.offlineMs += dt;
      }
    }
    this.lastMs = atMs;
  }

  /** Notes where every VM is now; call after the events and plan of an instant. */
  snapshot(atMs: number): void {
    let onClients = 0;
    for (const vm of this.world.vms) {
      const { state, node } = this.location(vm);
      const track = (this.tracks[vm.spec.key] ??= []);
      const last = track.at(-1);
      if (!last || last.state !== state || last.node !== node) {
        if (last) last.toMs = atMs;
        track.push({ fromMs: atMs, toMs: atMs, state, node });
      }
      const n = this.world.node(vm.node);
      if (n.spec.role === 'client' && n.online) onClients++;
    }
    this.peakOnClients = Math.max(this.peakOnClients, onClients);
  }

  sample(atMs: number): void {
    const counts = { onClients: 0, offline: 0, atHome: 0, migrating: 0 };
    for (const vm of this.world.vms) {
      if (vm.migration) counts.migrating++;
      const node = this.world.node(vm.node);
      if (node.spec.role === 'cloud') counts.atHome++;
      else if (node.online) counts.onClients++;
      else counts.offline++;
    }
    let clientsOnline = 0;
    for (const n of this.world.nodes.values()) if (n.spec.role === 'client' && n.online) clientsOnline++;
    this.samples.push({ atMs, ...counts, clientsOnline });
  }

  event(e: SimEvent): void {
    this.events.push(e);
    if (e.kind === 'client-left') this.caught += e.vmsCaught.length;
  }

  /** Logs the decisions that changed since the last plan. */
  decisions(atMs: number, decisions: readonly Decision[]): void {
    for (const d of decisions) {
      if ((d.action === 'Stay' || d.action === 'Blocked') && !PASSING_REASONS.has(d.reason)) {
        const vms = this.refusedBy.get(d.reason) ?? new Set<string>();
        this.refusedBy.set(d.reason, vms.add(d.vmKey));
      }
      const before = this.lastDecision.get(d.vmKey);
      this.lastDecision.set(d.vmKey, d);
      if (before && before.action === d.action && before.reason === d.reason && before.desiredNode === d.desiredNode) continue;
      this.events.push({
        atMs,
        kind: 'decision',
        vm: d.vmKey,
        action: d.action,
        reason: d.reason,
        ...(d.desiredNode !== undefined ? { desiredNode: d.desiredNode } : {}),
        message: d.message,
      });
    }
  }

  finish(endMs: number): void {
    this.advance(endMs);
    for (const track of Object.values(this.tracks)) {
      const last = track.at(-1);
      if (last) last.toMs = endMs;
    }
  }

  summary(refused: RunSummary['refusedMoves']): RunSummary {
    const s = this.world.scenario;
    const records = [...this.migrations.values()];
    const ended = records.filter((m) => m.outcome !== 'Running');
    const failedBy: Record<string, number> = {};
    for (const m of ended) if (m.failure) failedBy[m.failure] = (failedBy[m.failure] ?? 0) + 1;
    const longest = records.reduce<MigrationRecord | undefined>((a, m) => (!a || m.seconds > a.seconds ? m : a), undefined);
    const refusedBy: Record<string, string[]> = {};
    for (const [reason, vms] of [...this.refusedBy].sort((a, b) => b[1].size - a[1].size)) refusedBy[reason] = [...vms].sort();
    const onClientsAtEnd = this.world.vms.filter((vm) => {
      const n = this.world.node(vm.node);
      return n.spec.role === 'client' && n.online;
    }).length;
    return {
      vms: this.world.vms.length,
      onClientsAtEnd,
      peakOnClients: this.peakOnClients,
      meanOnClients: this.onClientMs / s.horizonMs,
      vmHoursOnClients: this.onClientMs / HOUR_MS,
      vmHoursOffline: this.offlineMs / HOUR_MS,
      serverGiBHoursFreed: this.freedByteMs / GIB / HOUR_MS,
      migrations: {
        started: records.length,
        succeeded: ended.filter((m) => m.outcome === 'Succeeded').length,
        failed: ended.filter((m) => m.outcome === 'Failed').length,
        failedBy,
        stillRunning: records.length - ended.length,
        toClient: records.filter((m) => m.direction === 'ToClient').length,
        home: records.filter((m) => m.direction === 'Home').length,
        totalSeconds: records.reduce((sum, m) => sum + m.seconds, 0),
        longestSeconds: longest?.seconds ?? 0,
        ...(longest ? { longestVm: longest.vm } : {}),
      },
      bytesOverClientLinks: records.reduce((sum, m) => sum + m.bytes, 0),
      bytesOverWan: records.reduce((sum, m) => sum + (m.overWan ? m.bytes : 0), 0),
      caughtByDeparture: this.caught,
      refusedMoves: refused,
      meanRttSavedMs: this.onClientMs > 0 ? this.rttSavedMsTimesMs / this.onClientMs : 0,
      slowerThanPredicted: ended.filter((m) => m.predictedSeconds !== undefined && m.outcome === 'Succeeded' && m.seconds > m.predictedSeconds + 1e-6).length,
      refusedBy,
    };
  }
}
