/**
 * The invariants of "never make things worse", checked against the API server's state:
 *
 * - sampled throughout a run (InvariantMonitor, every ~150 ms): at most one open migration per VMI;
 *   KubeVirt's limits (5 active per cluster, 2 outbound per node); each placement's concurrency
 *   limits (open moves to clients per placement and per client node, not counting one being
 *   aborted); no open migration of ours
 *   naming a placement that does not exist;
 * - from the migrations' own timestamps (checkHistory): no move to a client inside the VM's
 *   cooldown, and no migration of ours inside its failure backoff;
 * - from the Events (checkOutcomes): each finished migration's outcome recorded at most once on its
 *   VMI and once on its placement, and its observed-phase annotation equal to its final phase.
 */
import type { KubeClient } from '../../src/kube/client.js';
import { isMigrationFinal, type VirtualMachineInstanceMigration } from '../../src/kube/kubevirt.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { PlacementLabels, type OfflineFirstPlacement } from '../../src/kube/placement.js';
import { Resources } from '../../src/kube/resources.js';
import { parseDuration } from '../../src/domain/units.js';
import { countBy } from './fault-support.js';

/** KubeVirt's defaults: parallelMigrationsPerCluster, parallelOutboundMigrationsPerNode. */
export const KUBEVIRT_LIMITS = { perCluster: 5, outboundPerNode: 2 };
/** Phases that hold one of KubeVirt's slots (past Pending, not final). */
const ACTIVE_PHASES = new Set(['Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running']);
const OBSERVED_PHASE = 'placement.offline-first.io/observed-phase';
/** creationTimestamp has whole seconds: a migration stamped t was created in [t, t + 1 s). */
const CREATION_RESOLUTION_MS = 1000;
const CLOCK_SLACK_MS = 50;

export const isOurs = (m: VirtualMachineInstanceMigration): boolean => m.metadata.labels?.[PlacementLabels.placement] !== undefined;
export const directionOf = (m: VirtualMachineInstanceMigration): string => m.metadata.labels?.[PlacementLabels.direction] ?? 'Other';
export const targetOf = (m: VirtualMachineInstanceMigration): string | undefined => m.spec.addedNodeSelector?.['kubernetes.io/hostname'];

/** When a migration ended, as the operator reads it: KubeVirt's endTimestamp, else its last phase transition. */
export function endedAtMs(m: VirtualMachineInstanceMigration): number | undefined {
  if (!isMigrationFinal(m)) return undefined;
  const t = Date.parse(m.status?.migrationState?.endTimestamp ?? m.status?.phaseTransitionTimestamps?.at(-1)?.phaseTransitionTimestamp ?? '');
  return Number.isNaN(t) ? undefined : t;
}

const seconds = (d: string | undefined, fallback: string) => parseDuration(d ?? fallback, 'duration') / 1000;

/** The placement's limits and waits, with the CRD's defaults. */
export function placementLimits(p: OfflineFirstPlacement) {
  const s = p.spec as OfflineFirstPlacement['spec'] & { failureBackoff?: { base?: string; max?: string; maxFailuresPerTarget?: number } };
  return {
    maxPerPlacement: s.concurrency?.maxPerPlacement ?? 3,
    maxPerClientNode: s.concurrency?.maxPerClientNode ?? 1,
    cooldown: { baseSeconds: seconds(s.cooldown?.base, '10m'), maxSeconds: seconds(s.cooldown?.max, '4h') },
    backoff: { baseSeconds: seconds(s.failureBackoff?.base, '1m'), maxSeconds: seconds(s.failureBackoff?.max, '1h'), maxFailuresPerTarget: s.failureBackoff?.maxFailuresPerTarget ?? 3 },
  };
}

/** The wait after the n-th of a series (moves for cooldown, failures for backoff): min(max, base × 2^(n−1)). */
export function doublingWaitSeconds(w: { baseSeconds: number; maxSeconds: number }, n: number): number {
  return n < 1 ? 0 : Math.min(w.maxSeconds, w.baseSeconds * 2 ** (n - 1));
}

/**
 * The most events (moves, attempts) a doubling wait allows within `windowSeconds` from the first:
 * the n-th comes at least sum_{k<n} wait(k) after the first, so n is the largest with that sum
 * within the window.
 */
export function maxEventsWithin(w: { baseSeconds: number; maxSeconds: number }, windowSeconds: number): number {
  let n = 1;
  let elapsed = 0;
  for (;;) {
    elapsed += doublingWaitSeconds(w, n);
    if (elapsed > windowSeconds || w.baseSeconds <= 0) return n;
    n++;
  }
}

/** Samples the API throughout a run and records every state that breaks an invariant. */
export class InvariantMonitor {
  readonly violations: string[] = [];
  private readonly reported = new Set<string>();
  samples = 0;
  failedSamples = 0;
  peak = { active: 0, open: 0 };
  /** Every migration sampled, as last seen (by uid): an aborted one is deleted once KubeVirt ends it. */
  private readonly seen = new Map<string, VirtualMachineInstanceMigration>();
  private present = new Set<string>();
  private timer: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly client: KubeClient,
    private readonly ns: string,
    private readonly intervalMs = 150,
  ) {}

  start(): void {
    this.timer = (async () => {
      while (!this.stopping) {
        const started = Date.now();
        try {
          await this.sample();
          this.samples++;
        } catch {
          // The API server may be down on purpose: a missed sample is not a violation.
          this.failedSamples++;
        }
        await new Promise((r) => setTimeout(r, Math.max(10, this.intervalMs - (Date.now() - started))));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.timer;
  }

  private violation(key: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    if (this.violations.length < 50) this.violations.push(`${new Date().toISOString()} ${message}`);
  }

  async sample(): Promise<void> {
    const [migrations, placements] = await Promise.all([
      this.client.list<VirtualMachineInstanceMigration>(Resources.migration, this.ns),
      this.client.list<OfflineFirstPlacement>(Resources.placement, this.ns),
    ]);
    for (const m of migrations.items) this.seen.set(m.metadata.uid!, m);
    this.present = new Set(migrations.items.map((m) => m.metadata.uid!));
    checkSnapshot(migrations.items, placements.items, (key, message) => this.violation(key, message), this.peak);
  }

  /** Migrations of ours sampled once and gone since: aborted (deleted while open), or garbage-collected (KubeVirt keeps 5 finished per VMI). */
  vanished(): VirtualMachineInstanceMigration[] {
    return [...this.seen.values()].filter((m) => isOurs(m) && !this.present.has(m.metadata.uid!));
  }

  /** `current` plus the finished migrations that were garbage-collected since they were sampled: the whole history. */
  withCollected(current: readonly VirtualMachineInstanceMigration[]): VirtualMachineInstanceMigration[] {
    const present = new Set(current.map((m) => m.metadata.uid));
    return [...current, ...this.vanished().filter((m) => isMigrationFinal(m) && !present.has(m.metadata.uid))];
  }
}

/** The invariants that hold at every instant, on one consistent snapshot. */
export function checkSnapshot(
  migrations: readonly VirtualMachineInstanceMigration[],
  placements: readonly OfflineFirstPlacement[],
  violation: (key: string, message: string) => void,
  peak = { active: 0, open: 0 },
): void {
  const open = migrations.filter((m) => !isMigrationFinal(m));
  peak.open = Math.max(peak.open, open.length);
  for (const [vmi, n] of countBy(open, (m) => m.spec.vmiName)) {
    if (n > 1) {
      const names = open.filter((m) => m.spec.vmiName === vmi).map((m) => m.metadata.name).sort();
      violation(`open:${names.join(',')}`, `${n} open migrations of VMI ${vmi}: ${names.join(', ')}`);
    }
  }

  const active = migrations.filter((m) => ACTIVE_PHASES.has(m.status?.phase ?? ''));
  peak.active = Math.max(peak.active, active.length);
  if (active.length > KUBEVIRT_LIMITS.perCluster) {
    violation(`cluster:${active.map((m) => m.metadata.name).sort().join(',')}`, `${active.length} active migrations (KubeVirt allows ${KUBEVIRT_LIMITS.perCluster})`);
  }
  for (const [node, n] of countBy(active, (m) => m.status?.migrationState?.sourceNode ?? '?')) {
    if (n > KUBEVIRT_LIMITS.outboundPerNode) violation(`outbound:${node}:${n}`, `${n} active migrations out of ${node} (KubeVirt allows ${KUBEVIRT_LIMITS.outboundPerNode})`);
  }

  const byName = new Map(placements.map((p) => [p.metadata.name!, p]));
  const ours = open.filter(isOurs);
  for (const m of ours) {
    const p = m.metadata.labels![PlacementLabels.placement]!;
    if (!byName.has(p)) violation(`orphan:${m.metadata.name}`, `open migration ${m.metadata.name} names placement ${p}, which does not exist`);
  }
  // A migration being deleted is being aborted and still holds its slot until it ends: it counts.
  const counted = ours;
  for (const p of placements) {
    const limits = placementLimits(p);
    const moves = counted.filter((m) => m.metadata.labels![PlacementLabels.placement] === p.metadata.name && directionOf(m) === 'ToClient');
    if (moves.length > limits.maxPerPlacement) {
      const names = moves.map((m) => m.metadata.name).sort();
      violation(`placement:${names.join(',')}`, `${moves.length} open moves of placement ${p.metadata.name} (maxPerPlacement ${limits.maxPerPlacement}): ${names.join(', ')}`);
    }
    for (const [node, n] of countBy(moves, (m) => targetOf(m) ?? '?')) {
      if (n > limits.maxPerClientNode) violation(`client:${p.metadata.name}:${node}:${n}`, `${n} open moves of placement ${p.metadata.name} to client ${node} (maxPerClientNode ${limits.maxPerClientNode})`);
    }
  }
}

/**
 * Cooldown and backoff, from the migrations' timestamps. For each migration of ours, the VM's
 * earlier migrations of ours give the moves it made (succeeded) and the failures since its last
 * success; its creation must come after the end of the last of them plus the wait they impose.
 * Returns home are exempt from cooldown, and back off by at most `base`.
 */
export function checkHistory(migrations: readonly VirtualMachineInstanceMigration[], placements: readonly OfflineFirstPlacement[]): string[] {
  const out: string[] = [];
  const limitsByName = new Map(placements.map((p) => [p.metadata.name!, placementLimits(p)]));
  const ours = migrations.filter(isOurs);
  for (const vmi of new Set(ours.map((m) => m.spec.vmiName))) {
    // At most one is open at a time, so creation order is end order; within a second, end decides.
    const history = ours
      .filter((m) => m.spec.vmiName === vmi)
      .sort((a, b) => Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!) || (endedAtMs(a) ?? Infinity) - (endedAtMs(b) ?? Infinity));
    for (let i = 0; i < history.length; i++) {
      const m = history[i]!;
      const limits = limitsByName.get(m.metadata.labels![PlacementLabels.placement]!);
      if (!limits) continue;
      const latestCreation = Date.parse(m.metadata.creationTimestamp!) + CREATION_RESOLUTION_MS + CLOCK_SLACK_MS;
      const before = history.slice(0, i);
      const moves = before.filter((x) => x.status?.phase === 'Succeeded');
      if (directionOf(m) === 'ToClient' && moves.length > 0) {
        const lastMove = Math.max(...moves.map((x) => endedAtMs(x) ?? 0));
        const wait = doublingWaitSeconds(limits.cooldown, moves.length);
        if (latestCreation < lastMove + wait * 1000) {
          out.push(`${m.metadata.name} (VMI ${vmi}) created ${m.metadata.creationTimestamp}, inside the ${wait} s cooldown after move ${moves.length} ended ${new Date(lastMove).toISOString()}`);
        }
      }
      let failures = 0;
      for (let k = before.length - 1; k >= 0 && before[k]!.status?.phase === 'Failed'; k--) failures++;
      if (failures > 0) {
        const lastFailure = endedAtMs(before.at(-1)!) ?? 0;
        const wait = directionOf(m) === 'Home' ? Math.min(limits.backoff.maxSeconds, limits.backoff.baseSeconds) : doublingWaitSeconds(limits.backoff, failures);
        if (latestCreation < lastFailure + wait * 1000) {
          out.push(`${m.metadata.name} (VMI ${vmi}) created ${m.metadata.creationTimestamp}, inside the ${wait} s backoff after failure ${failures} ended ${new Date(lastFailure).toISOString()}`);
        }
      }
    }
  }
  return out;
}

interface EventObject extends KubeObject {
  reason?: string;
  regarding?: { kind?: string; name?: string };
  series?: { count?: number };
}

export interface OutcomeReport {
  /** Outcome events beyond one per finished migration per object (must be 0). */
  duplicates: string[];
  /** Finished migrations of ours whose outcome event is not (yet) there. */
  missing: number;
  /** Finished migrations of ours whose observed-phase annotation does not (yet) equal the phase. */
  unobserved: string[];
  events: number;
}

/**
 * Each outcome counted once: per VMI and per placement, the MigrationSucceeded / MigrationFailed
 * events (a series counts as its count) number at most the finished migrations of ours there
 * (those `vanished` since they were sampled open count as aborted, hence failed).
 */
export async function checkOutcomes(
  client: KubeClient,
  ns: string,
  migrations: readonly VirtualMachineInstanceMigration[],
  vanished: readonly VirtualMachineInstanceMigration[] = [],
): Promise<OutcomeReport> {
  const events = (await client.list<EventObject>(Resources.event, ns)).items.filter((e) => e.reason === 'MigrationSucceeded' || e.reason === 'MigrationFailed');
  const recorded = new Map<string, number>();
  for (const e of events) {
    const key = `${e.regarding?.kind}/${e.regarding?.name}/${e.reason}`;
    recorded.set(key, (recorded.get(key) ?? 0) + Math.max(1, e.series?.count ?? 1));
  }
  const finished = migrations.filter((m) => isOurs(m) && isMigrationFinal(m));
  // A migration deleted while open was aborted, which KubeVirt ends as Failed.
  const outcomes = [...finished.map((m) => ({ m, phase: m.status!.phase })), ...vanished.map((m) => ({ m, phase: isMigrationFinal(m) ? m.status!.phase : 'Failed' }))];
  const expected = new Map<string, number>();
  for (const { m, phase } of outcomes) {
    const reason = phase === 'Succeeded' ? 'MigrationSucceeded' : 'MigrationFailed';
    for (const key of [`VirtualMachineInstance/${m.spec.vmiName}/${reason}`, `OfflineFirstPlacement/${m.metadata.labels![PlacementLabels.placement]}/${reason}`]) {
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
  }
  const duplicates: string[] = [];
  let missing = 0;
  for (const [key, n] of recorded) if (n > (expected.get(key) ?? 0)) duplicates.push(`${key}: ${n} events for ${expected.get(key) ?? 0} outcomes`);
  for (const [key, n] of expected) missing += Math.max(0, n - (recorded.get(key) ?? 0));
  const unobserved = finished.filter((m) => m.metadata.annotations?.[OBSERVED_PHASE] !== m.status?.phase).map((m) => `${m.metadata.name}: ${m.metadata.annotations?.[OBSERVED_PHASE] ?? 'none'} != ${m.status?.phase}`);
  return { duplicates, missing, unobserved, events: events.length };
}

/** Counts for the run's summary line. */
export function migrationCounts(migrations: readonly VirtualMachineInstanceMigration[]) {
  const ours = migrations.filter(isOurs);
  return {
    total: ours.length,
    toClient: ours.filter((m) => directionOf(m) === 'ToClient').length,
    home: ours.filter((m) => directionOf(m) === 'Home').length,
    succeeded: ours.filter((m) => m.status?.phase === 'Succeeded').length,
    failed: ours.filter((m) => m.status?.phase === 'Failed').length,
    open: ours.filter((m) => !isMigrationFinal(m)).length,
  };
}
