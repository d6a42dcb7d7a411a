/**
 * Drives one pre-copy migration through QMP the way a management layer does: set the
 * parameters, migrate, poll query-migrate, and cancel at a time bound (KubeVirt's completion
 * timeout) if it has not finished. Records a bounded snapshot series and every pass boundary
 * (MIGRATION_PASS events, each followed at once by a query-migrate).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CpuTracker, type ThreadCpu } from './cpu-time.js';
import type { JsonObject, QmpClient, QmpEvent } from './qmp.js';

export interface MigrationSettings {
  readonly uri: string;
  readonly downtimeLimitMs: number;
  readonly maxBandwidthBytesPerSecond: number;
  readonly boundSeconds: number;
  readonly pollMs: number;
}

export interface Snapshot {
  /** ms since the migrate command. */
  readonly tMs: number;
  readonly status: string;
  readonly transferred?: number;
  readonly remaining?: number;
  readonly total?: number;
  readonly normalBytes?: number;
  readonly duplicate?: number;
  readonly dirtySyncCount?: number;
  readonly mbps?: number;
  readonly dirtyPagesRate?: number;
  readonly expectedDowntimeMs?: number;
}

export interface PassMark extends Snapshot {
  /** QEMU's pass number: dirty-sync-count at the sync that started the pass. */
  readonly pass: number;
  /** When QEMU emitted the event (ms since migrate); tMs is when the query after it returned. */
  readonly eventMs: number;
}

/** A migration-relevant event from either side (MIGRATION status changes, STOP, RESUME). */
export interface SideEvent {
  readonly side: 'source' | 'destination';
  readonly event: string;
  /** ms since migrate, from QEMU's own timestamp. */
  readonly tMs: number;
  readonly status?: string;
}

export type MigrationOutcome = 'completed' | 'failed' | 'not-converged-within-bound';

export interface MigrationRecord {
  readonly outcome: MigrationOutcome;
  /** query-migrate-parameters after our settings were applied. */
  readonly parameters: JsonObject;
  readonly wallMs: number;
  /** ms since migrate when migrate_cancel was sent, if it was. */
  readonly cancelledAtMs?: number;
  /** query-migrate at the end (after a cancel QEMU no longer reports RAM counters here). */
  readonly final: JsonObject;
  /** The last query-migrate while the migration was still active. */
  readonly lastActive?: JsonObject;
  /** Source STOP to destination RESUME: the pause the guest really sees. QEMU's `downtime` is
   * measured on the source only and ends before queued data has reached the destination. */
  readonly guestPauseMs?: number;
  readonly events: SideEvent[];
  readonly passCount: number;
  readonly passes: PassMark[];
  readonly snapshotStrideMs: number;
  readonly snapshots: Snapshot[];
  readonly sourceCpuSeconds: ThreadCpu;
  readonly destinationCpuSeconds: ThreadCpu;
}

/** Bounds on what one JSON line carries; a stuck migration can make thousands of polls and passes. */
const MAX_SNAPSHOTS = 400;
const MAX_PASSES = 300;
const CANCEL_GRACE_MS = 30000;
/** How long the destination may take to drain queued data and resume after the source is done. */
const RESUME_WAIT_MS = 60000;
const SIDE_EVENTS = new Set(['MIGRATION', 'STOP', 'RESUME']);
const FINAL_STATES = new Set(['completed', 'failed', 'cancelled']);
const COMPLETION_SETTLE_TRIES = 50;
const COMPLETION_SETTLE_MS = 100;

function num(o: JsonObject | undefined, key: string): number | undefined {
  const v = o?.[key];
  return typeof v === 'number' ? v : undefined;
}

function snapshotOf(info: JsonObject, tMs: number): Snapshot {
  const ram = info['ram'] as JsonObject | undefined;
  return {
    tMs,
    status: String(info['status']),
    transferred: num(ram, 'transferred'),
    remaining: num(ram, 'remaining'),
    total: num(ram, 'total'),
    normalBytes: num(ram, 'normal-bytes'),
    duplicate: num(ram, 'duplicate'),
    dirtySyncCount: num(ram, 'dirty-sync-count'),
    mbps: num(ram, 'mbps'),
    dirtyPagesRate: num(ram, 'dirty-pages-rate'),
    expectedDowntimeMs: num(info, 'expected-downtime'),
  };
}

/**
 * QEMU 7.2 sets the state to "completed" in migration_completion() and only then, in
 * migration_iteration_finish(), computes total-time, downtime and the final throughput: a
 * query-migrate in between reports total-time 0 (seen once in the quick grid). Re-query until the figures are there.
 */
async function settledCompletion(qmp: QmpClient, info: JsonObject): Promise<JsonObject> {
  const settled = (o: JsonObject): boolean => (num(o, 'total-time') ?? 0) > 0;
  let latest = info;
  for (let i = 0; i < COMPLETION_SETTLE_TRIES && !settled(latest); i++) {
    await sleep(COMPLETION_SETTLE_MS);
    latest = (await qmp.execute('query-migrate')) as JsonObject;
  }
  if (!settled(latest)) throw new Error(`migration completed but query-migrate still reports total-time ${String(latest['total-time'])}`);
  return latest;
}

export async function migrate(
  source: { qmp: QmpClient; pid: number },
  destination: { qmp: QmpClient; pid: number },
  settings: MigrationSettings,
): Promise<MigrationRecord> {
  const qmp = source.qmp;
  await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
  await qmp.execute('migrate-set-parameters', {
    'downtime-limit': settings.downtimeLimitMs,
    'max-bandwidth': settings.maxBandwidthBytesPerSecond,
  });
  const parameters = (await qmp.execute('query-migrate-parameters')) as JsonObject;

  const sourceCpu = new CpuTracker(source.pid);
  const destinationCpu = new CpuTracker(destination.pid);
  await Promise.all([sourceCpu.start(), destinationCpu.start()]);

  const passes: PassMark[] = [];
  let passCount = 0;
  let startMs = Date.now();
  const pending: Promise<void>[] = [];
  const stopListening = qmp.onEvent((e: QmpEvent) => {
    if (e.event !== 'MIGRATION_PASS') return;
    passCount++;
    if (passes.length >= MAX_PASSES) return;
    const eventMs = Math.round(e.atMs - startMs);
    pending.push(
      qmp.execute('query-migrate').then(
        (info) => void passes.push({ ...snapshotOf(info as JsonObject, Date.now() - startMs), pass: Number(e.data['pass']), eventMs }),
        () => undefined,
      ),
    );
  });

  const events: SideEvent[] = [];
  let resumed: () => void = () => undefined;
  const destinationResumed = new Promise<void>((resolve) => (resumed = resolve));
  const sideListener = (side: SideEvent['side']) => (e: QmpEvent) => {
    if (!SIDE_EVENTS.has(e.event)) return;
    const status = typeof e.data['status'] === 'string' ? e.data['status'] : undefined;
    events.push({ side, event: e.event, tMs: Math.round(e.atMs - startMs), ...(status ? { status } : {}) });
    if (side === 'destination' && (e.event === 'RESUME' || status === 'failed')) resumed();
  };
  const stopSource = qmp.onEvent(sideListener('source'));
  const stopDestination = destination.qmp.onEvent(sideListener('destination'));

  const snapshots: Snapshot[] = [];
  let stride = settings.pollMs;
  let nextKeptMs = 0;
  let lastActive: JsonObject | undefined;
  let cancelledAtMs: number | undefined;
  let final: JsonObject;
  let wallMs = 0;
  try {
    startMs = Date.now();
    await qmp.execute('migrate', { uri: settings.uri });
    for (;;) {
      await sleep(settings.pollMs);
      const info = (await qmp.execute('query-migrate')) as JsonObject;
      await Promise.all([sourceCpu.sample(), destinationCpu.sample()]);
      const tMs = Date.now() - startMs;
      const status = String(info['status']);
      if (!FINAL_STATES.has(status)) lastActive = info;
      // Keep one snapshot per stride; when full, drop every other one and double the stride.
      if (tMs >= nextKeptMs || FINAL_STATES.has(status)) {
        snapshots.push(snapshotOf(info, tMs));
        nextKeptMs = tMs + stride;
        if (snapshots.length > MAX_SNAPSHOTS) {
          const kept = snapshots.filter((_, i) => i % 2 === 0 || i === snapshots.length - 1);
          snapshots.splice(0, snapshots.length, ...kept);
          stride *= 2;
        }
      }
      if (FINAL_STATES.has(status)) {
        final = status === 'completed' ? await settledCompletion(qmp, info) : info;
        break;
      }
      if (cancelledAtMs === undefined && tMs > settings.boundSeconds * 1000) {
        cancelledAtMs = tMs;
        await qmp.execute('migrate_cancel');
      }
      if (cancelledAtMs !== undefined && tMs > cancelledAtMs + CANCEL_GRACE_MS) {
        throw new Error(`migration still "${status}" ${CANCEL_GRACE_MS} ms after migrate_cancel`);
      }
    }
    wallMs = Date.now() - startMs;
    await Promise.all(pending);
    if (final['status'] === 'completed') await Promise.race([destinationResumed, sleep(RESUME_WAIT_MS, undefined, { ref: false })]);
  } finally {
    stopListening();
    stopSource();
    stopDestination();
  }
  const stop = events.find((e) => e.side === 'source' && e.event === 'STOP');
  const resume = events.find((e) => e.side === 'destination' && e.event === 'RESUME');
  const status = String(final['status']);
  const outcome: MigrationOutcome =
    status === 'completed' ? 'completed' : status === 'cancelled' && cancelledAtMs !== undefined ? 'not-converged-within-bound' : 'failed';
  return {
    outcome,
    parameters,
    wallMs,
    ...(cancelledAtMs !== undefined ? { cancelledAtMs } : {}),
    final,
    ...(lastActive ? { lastActive } : {}),
    ...(stop && resume ? { guestPauseMs: resume.tMs - stop.tMs } : {}),
    events,
    passCount,
    passes: passes.sort((a, b) => a.pass - b.pass),
    snapshotStrideMs: stride,
    snapshots,
    sourceCpuSeconds: sourceCpu.used(),
    destinationCpuSeconds: destinationCpu.used(),
  };
}
