/**
 * The lab's JSON lines (lab/README.md, schema offline-first-lab/v1) reduced to what calibration
 * needs: what the operator would know before the migration, and what the migration measured.
 */
import { readFileSync } from 'node:fs';
import type { DirtyRateReading, LabMeasuredVm } from '../../src/domain/migration/calibration.js';

export interface LabRun {
  readonly id: string;
  readonly grid: string;
  /** When the run started (ISO 8601): the split keys quick-grid runs on it. */
  readonly startedAt: string;
  readonly link: string;
  readonly cpuLoadPercent: number;
  readonly wssBytes: number;
  readonly dirtyRateConfig: number | 'max';
  readonly boundSeconds: number;
  /** Known before the migration. */
  readonly vm: LabMeasuredVm;
  readonly readings: readonly (DirtyRateReading & { samplePages: number })[];
  /** Measured. */
  readonly outcome: 'completed' | 'not-converged-within-bound' | 'failed';
  readonly totalSeconds: number | undefined;
  readonly setupMs: number | undefined;
  readonly downtimeMs: number | undefined;
  readonly guestPauseMs: number | undefined;
  readonly transferredBytes: number | undefined;
  readonly normalBytes: number | undefined;
  readonly firstPassBytes: number | undefined;
  readonly dirtySyncCount: number | undefined;
}

export interface LabFile {
  readonly path: string;
  readonly lines: number;
  /** Lines with an `error` (a broken run, not a migration result): left out. */
  readonly broken: number;
  readonly runs: LabRun[];
}

interface RawRecord {
  id: string;
  grid: string;
  startedAt: string;
  error?: unknown;
  config: {
    memoryMiB: number;
    wssBytes: number;
    dirtyRateBytesPerSecond: number | 'max';
    cpuLoadPercent: number;
    link: { name: string };
    boundSeconds: number;
  };
  linkProbe: { goodputBytesPerSecond: number };
  guest: { usedBytes: number };
  dirtyRate: { calcTimeSeconds: number; samplePages: number; dirtyRateMBps: number }[];
  migration: { outcome: LabRun['outcome'] };
  summary?: {
    totalTimeMs?: number;
    setupTimeMs?: number;
    downtimeMs?: number;
    guestPauseMs?: number;
    transferredBytes?: number;
    normalBytes?: number;
    firstPassBytes?: number;
    dirtySyncCount?: number;
  };
}

function toRun(r: RawRecord): LabRun {
  const memoryBytes = r.config.memoryMiB * 2 ** 20;
  const readings = r.dirtyRate.map((w) => ({ seconds: w.calcTimeSeconds, mibPerSecond: w.dirtyRateMBps, samplePages: w.samplePages }));
  const s = r.summary ?? {};
  const completed = r.migration.outcome === 'completed';
  return {
    id: r.id,
    grid: r.grid,
    startedAt: r.startedAt,
    link: r.config.link.name,
    cpuLoadPercent: r.config.cpuLoadPercent,
    wssBytes: r.config.wssBytes,
    dirtyRateConfig: r.config.dirtyRateBytesPerSecond,
    boundSeconds: r.config.boundSeconds,
    vm: {
      memoryBytes,
      guestUsedBytes: r.guest.usedBytes,
      dirtyRateReadings: readings,
      linkGoodputBytesPerSecond: r.linkProbe.goodputBytesPerSecond,
      // KubeVirt's budget is per started decimal GB; the lab's bound is that budget (or shorter).
      completionTimeoutPerGiB: r.config.boundSeconds / Math.ceil(memoryBytes / 1e9),
    },
    readings,
    outcome: r.migration.outcome,
    totalSeconds: completed && s.totalTimeMs !== undefined ? s.totalTimeMs / 1000 : undefined,
    setupMs: s.setupTimeMs,
    downtimeMs: completed ? s.downtimeMs : undefined,
    guestPauseMs: completed ? s.guestPauseMs : undefined,
    transferredBytes: s.transferredBytes,
    normalBytes: s.normalBytes,
    firstPassBytes: s.firstPassBytes,
    dirtySyncCount: s.dirtySyncCount,
  };
}

export function readLabFile(path: string): LabFile {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const runs: LabRun[] = [];
  let broken = 0;
  for (const line of lines) {
    let record: RawRecord;
    try {
      record = JSON.parse(line) as RawRecord;
    } catch {
      broken++; // a line being appended right now
      continue;
    }
    if (record.error !== undefined || !record.migration || !record.guest || !record.linkProbe) {
      broken++;
      continue;
    }
    runs.push(toRun(record));
  }
  // A grid point run twice (a retry after a broken run, or two files): the last one counts.
  const byId = new Map(runs.map((r) => [r.id, r]));
  return { path, lines: lines.length, broken, runs: [...byId.values()] };
}
