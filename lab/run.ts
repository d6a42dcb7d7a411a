/**
 * One lab run: link up, destination QEMU listening, source QEMU booted with the guest load,
 * dirty rate measured, migration driven to completion or to its bound, everything torn down
 * (also on failure). Returns the JSON-line record.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureDirtyRate, type DirtyRateMeasurement, type DirtyRateWindow } from './dirty-rate.js';
import type { LabImages } from './images.js';
import { migrate, type MigrationRecord } from './migration.js';
import { DESTINATION_ADDRESS, LabNetwork, type LinkProbe, type LinkSpec } from './network.js';
import { onAbort } from './abort.js';
import { labSourceDir } from './paths.js';
import { QemuProcess, type SerialLine } from './qemu.js';
import type { JsonObject } from './qmp.js';

export const RECORD_SCHEMA = 'offline-first-lab/v1' as const;

export interface RunConfig {
  /** Stable name of the grid point; resuming skips ids already recorded. */
  readonly id: string;
  readonly memoryMiB: number;
  readonly wssBytes: number;
  /** Bytes/s of pages dirtied (one byte per 4 KiB page), or "max" for the hammer. */
  readonly dirtyRateBytesPerSecond: number | 'max';
  readonly pattern: 'random' | 'seq';
  readonly cpuLoadPercent: number;
  readonly link: LinkSpec;
  readonly downtimeLimitMs: number;
  readonly maxBandwidthBytesPerSecond: number;
  readonly boundSeconds: number;
  /** Why this bound: KubeVirt's completion budget, or a shorter one for quick runs. */
  readonly boundReason: string;
  readonly dirtyRateWindows: readonly DirtyRateWindow[];
  readonly linkProbeSeconds: number;
  readonly pollMs: number;
}

export interface GuestReport {
  readonly kernelCommandLine: string;
  readonly readyAfterMs: number;
  /** MemTotal - MemFree inside the guest once the working set was filled. */
  readonly usedBytes?: number;
  /** Mean of the guest's own LAB-RATE reports (pages written per second) in each phase. */
  readonly writtenPagesPerSecondBefore?: number;
  readonly writtenPagesPerSecondDuring?: number;
  /** After a completed migration: destination runstate and whether the guest kept reporting there. */
  readonly destinationRunState?: string;
  readonly aliveOnDestination?: boolean;
  /** First oops/panic line the guest printed on the destination, if any. */
  readonly destinationPanic?: string;
}

export interface RunRecord {
  readonly schema: typeof RECORD_SCHEMA;
  readonly id: string;
  readonly grid: string;
  readonly startedAt: string;
  readonly host: {
    readonly qemu: string;
    readonly accel: 'tcg';
    readonly cores: number;
    readonly guestKernel: string;
    /** 1-minute load average before the run: other work on the machine competes with TCG. */
    readonly loadAverage1m: number;
  };
  readonly config: RunConfig;
  readonly linkProbe?: LinkProbe;
  readonly guest?: GuestReport;
  readonly dirtyRate?: DirtyRateMeasurement[];
  readonly migration?: MigrationRecord;
  /** Derived from the record for convenience; the raw fields above stay authoritative. */
  readonly summary?: RunSummary;
  /** Set when the run itself broke (not a migration that failed to converge). */
  readonly error?: string;
}

export interface RunSummary {
  readonly outcome: MigrationRecord['outcome'];
  readonly totalTimeMs?: number;
  readonly downtimeMs?: number;
  /** Source STOP to destination RESUME (see MigrationRecord.guestPauseMs). */
  readonly guestPauseMs?: number;
  readonly setupTimeMs?: number;
  /** migrate to the end of polling (completion, or the cancel taking effect). */
  readonly wallMs: number;
  readonly transferredBytes?: number;
  readonly normalBytes?: number;
  readonly dirtySyncCount?: number;
  /** transferred / (total-time − setup-time): the throughput the migration really reached. */
  readonly effectiveBytesPerSecond?: number;
  /** ms from migrate to the end of the first full pass (the second MIGRATION_PASS event). */
  readonly firstPassMs?: number;
  readonly firstPassBytes?: number;
}

/** Fixed, so a run killed hard leaves namespaces the next run (holding the lab lock) removes. */
export const NETNS_PREFIX = 'ofllab';
const MIGRATION_PORT = 4444;
const PROBE_PORT = 5555;
const SETTLE_MS = 2000;
const DESTINATION_ALIVE_WAIT_MS = 7000;

export function kernelCommandLine(c: RunConfig): string {
  const rate = c.dirtyRateBytesPerSecond === 'max' ? 'max' : String(c.dirtyRateBytesPerSecond);
  return [
    'console=ttyS0 quiet loglevel=1 panic=-1',
    `dirty.wss=${c.wssBytes} dirty.rate=${rate} dirty.pattern=${c.pattern} cpu.load=${c.cpuLoadPercent}`,
  ].join(' ');
}

function meanRate(lines: readonly SerialLine[], fromMs: number, toMs: number): number | undefined {
  const rates = lines
    .filter((l) => l.atMs >= fromMs && l.atMs <= toMs)
    .map((l) => /^LAB-RATE pages_per_s=(\d+)/.exec(l.text)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
  return rates.length ? Math.round(rates.reduce((a, b) => a + b, 0) / rates.length) : undefined;
}

export function summarize(m: MigrationRecord): RunSummary {
  const f = m.final;
  const ram = (f['ram'] ?? m.lastActive?.['ram']) as JsonObject | undefined;
  const n = (o: JsonObject | undefined, k: string): number | undefined => (typeof o?.[k] === 'number' ? (o[k] as number) : undefined);
  const total = n(f, 'total-time');
  const setup = n(f, 'setup-time');
  const transferred = n(ram, 'transferred');
  const firstPass = m.passes.find((p) => p.pass >= 2);
  return {
    outcome: m.outcome,
    totalTimeMs: total,
    downtimeMs: n(f, 'downtime'),
    guestPauseMs: m.guestPauseMs,
    setupTimeMs: setup,
    wallMs: m.wallMs,
    transferredBytes: transferred,
    normalBytes: n(ram, 'normal-bytes'),
    dirtySyncCount: n(ram, 'dirty-sync-count'),
    effectiveBytesPerSecond:
      total !== undefined && transferred !== undefined && total - (setup ?? 0) > 0
        ? Math.round(transferred / ((total - (setup ?? 0)) / 1000))
        : undefined,
    firstPassMs: firstPass?.eventMs,
    firstPassBytes: firstPass?.transferred,
  };
}

export async function runOne(config: RunConfig, grid: string, images: LabImages): Promise<RunRecord> {
  const startedAt = new Date().toISOString();
  const base = {
    schema: RECORD_SCHEMA,
    id: config.id,
    grid,
    startedAt,
    host: {
      qemu: images.qemu,
      accel: 'tcg' as const,
      cores: cpus().length,
      guestKernel: images.kernel.split('/').slice(-2, -1)[0] ?? images.kernel,
      loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    },
    config,
  };
  const dir = await mkdtemp(`${tmpdir()}/offline-first-lab-`);
  const qemus: QemuProcess[] = [];
  const unregister = onAbort(() => {
    for (const q of qemus) q.killNow();
    execFileSync(`${labSourceDir}/netns.sh`, ['down', NETNS_PREFIX]);
    rmSync(dir, { recursive: true, force: true });
  });
  const partial: { linkProbe?: LinkProbe; guest?: GuestReport; dirtyRate?: DirtyRateMeasurement[] } = {};
  try {
    const net = await LabNetwork.up(NETNS_PREFIX, config.link);
    if (config.linkProbeSeconds > 0) partial.linkProbe = await net.probe(PROBE_PORT, config.linkProbeSeconds);

    const append = kernelCommandLine(config);
    const common = { kernel: images.kernel, initrd: images.initrd, memoryMiB: config.memoryMiB, append };
    const destination = await QemuProcess.start({
      ...common,
      netns: net.destination,
      qmpPath: `${dir}/destination.qmp`,
      incoming: `tcp:${DESTINATION_ADDRESS}:${MIGRATION_PORT}`,
    });
    qemus.push(destination);
    const bootMs = Date.now();
    const source = await QemuProcess.start({ ...common, netns: net.source, qmpPath: `${dir}/source.qmp` });
    qemus.push(source);
    const ready = await source.waitForLine(/^LAB-(READY|ERROR)/, 180000);
    if (ready.text.startsWith('LAB-ERROR')) throw new Error(`guest failed: ${ready.text}`);
    const used = /used=(\d+)/.exec(ready.text)?.[1];
    await sleep(SETTLE_MS);

    const dirtyRate: DirtyRateMeasurement[] = [];
    for (const w of config.dirtyRateWindows) dirtyRate.push(await measureDirtyRate(source.qmp, w));
    partial.dirtyRate = dirtyRate;

    const migrateAt = Date.now();
    const migration = await migrate(source, destination, {
      uri: `tcp:${DESTINATION_ADDRESS}:${MIGRATION_PORT}`,
      downtimeLimitMs: config.downtimeLimitMs,
      maxBandwidthBytesPerSecond: config.maxBandwidthBytesPerSecond,
      boundSeconds: config.boundSeconds,
      pollMs: config.pollMs,
    });
    const migratedAt = Date.now();

    let destinationRunState: string | undefined;
    let aliveOnDestination: boolean | undefined;
    let destinationPanic: string | undefined;
    if (migration.outcome === 'completed') {
      // Under TCG the migrated guest sometimes oopses at once (see lab/README.md); the migration's
      // numbers still stand, so this is recorded, not treated as a broken run.
      destinationRunState = await destination.qmp.execute('query-status').then(
        (s) => String((s as JsonObject)['status']),
        () => 'exited',
      );
      aliveOnDestination = await destination
        .waitForLine(/^LAB-RATE/, DESTINATION_ALIVE_WAIT_MS, migratedAt)
        .then(() => true, () => false);
      destinationPanic = destination.lines.find((l) => /Kernel panic|BUG: |Oops/.test(l.text))?.text;
    }
    partial.guest = {
      kernelCommandLine: append,
      readyAfterMs: ready.atMs - bootMs,
      ...(used ? { usedBytes: Number(used) } : {}),
      writtenPagesPerSecondBefore: meanRate(source.lines, ready.atMs, migrateAt),
      writtenPagesPerSecondDuring: meanRate(source.lines, migrateAt, migratedAt),
      ...(destinationRunState !== undefined ? { destinationRunState, aliveOnDestination } : {}),
      ...(destinationPanic !== undefined ? { destinationPanic } : {}),
    };
    return { ...base, ...partial, migration, summary: summarize(migration) };
  } catch (err) {
    const stderr = qemus
      .map((q, i) => `${i === 0 ? 'destination' : 'source'}: ${q.stderr.trim()} serial: ${q.lines.slice(-6).map((l) => l.text).join(' / ')}`)
      .join(' | ');
    return { ...base, ...partial, error: `${err instanceof Error ? err.message : String(err)}${stderr ? ` (QEMU: ${stderr})` : ''}` };
  } finally {
    await Promise.allSettled(qemus.map((q) => q.stop()));
    await LabNetwork.down(NETNS_PREFIX).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    unregister();
  }
}

