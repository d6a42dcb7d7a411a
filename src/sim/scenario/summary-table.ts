/**
 * The strategies side by side: one row per measure, one column per strategy, the same rows the
 * HTML report shows. Values are formatted here; the numbers themselves are in RunSummary.
 */
import { formatBytes, formatDuration } from '../../domain/units.js';
import type { RunSummary, SimulationRun } from './results.js';

export interface SummaryRow {
  readonly label: string;
  /** One cell per run, in the runs' order. */
  readonly cells: readonly string[];
  /** A sub-row (indented). */
  readonly detail?: boolean;
}

const NA = '-';
const fixed = (x: number, digits = 1): string => (Number.isInteger(x) ? String(x) : x.toFixed(digits));
const seconds = (s: number): string => (s === 0 ? '0' : formatDuration(s * 1000));

type Cell = (s: RunSummary, run: SimulationRun) => string;

const ROWS: readonly { label: string; cell: Cell; detail?: boolean }[] = [
  { label: 'VMs on clients: peak', cell: (s) => `${s.peakOnClients}/${s.vms}` },
  { label: 'VMs on clients: mean over the run', cell: (s) => fixed(s.meanOnClients) },
  { label: 'VM-hours on clients', cell: (s) => fixed(s.vmHoursOnClients) },
  { label: 'VM-hours running offline (client gone)', cell: (s) => fixed(s.vmHoursOffline) },
  { label: 'server memory freed (GiB-hours)', cell: (s) => fixed(s.serverGiBHoursFreed, 0) },
  { label: 'RTT to the cloud saved, mean per VM-hour on a client', cell: (s) => (s.vmHoursOnClients > 0 ? formatDuration(s.meanRttSavedMs) : NA) },
  { label: 'migrations started', cell: (s) => String(s.migrations.started) },
  { label: 'to clients / home', cell: (s) => `${s.migrations.toClient} / ${s.migrations.home}`, detail: true },
  { label: 'succeeded', cell: (s) => String(s.migrations.succeeded), detail: true },
  { label: 'failed: aborted by KubeVirt', cell: (s) => String(s.migrations.failedBy.AbortedByKubevirt ?? 0), detail: true },
  { label: 'failed: never converges', cell: (s) => String(s.migrations.failedBy.NeverConverges ?? 0), detail: true },
  { label: 'failed: a client left during it', cell: (s) => String((s.migrations.failedBy.TargetLeft ?? 0) + (s.migrations.failedBy.SourceLeft ?? 0)), detail: true },
  { label: 'still running at the end', cell: (s) => String(s.migrations.stillRunning), detail: true },
  { label: 'migration time, total', cell: (s) => seconds(s.migrations.totalSeconds) },
  { label: 'migration time, longest', cell: (s) => (s.migrations.started > 0 ? seconds(s.migrations.longestSeconds) : NA) },
  { label: 'bytes sent over client links', cell: (s) => formatBytes(s.bytesOverClientLinks) },
  { label: 'of which over WAN links', cell: (s) => formatBytes(s.bytesOverWan), detail: true },
  { label: 'VMs caught by departure', cell: (s) => String(s.caughtByDeparture) },
  {
    label: 'moves refused on cost (VMs)',
    cell: (s, run) => (run.strategy === 'offline-first' ? String(s.refusedMoves.vms) : NA),
  },
  {
    label: 'that would have failed: non-converging moves avoided',
    cell: (s, run) => (run.strategy === 'offline-first' ? String(s.refusedMoves.wouldHaveFailed) : NA),
    detail: true,
  },
  {
    label: 'that would have worked (caution)',
    cell: (s, run) => (run.strategy === 'offline-first' ? String(s.refusedMoves.wouldHaveSucceeded) : NA),
    detail: true,
  },
  {
    label: 'migrations slower than predicted',
    cell: (s, run) => (run.strategy === 'offline-first' ? String(s.slowerThanPredicted) : NA),
  },
];

export function summaryRows(runs: readonly SimulationRun[]): SummaryRow[] {
  return ROWS.map((r) => ({ label: r.label, cells: runs.map((run) => r.cell(run.summary, run)), ...(r.detail ? { detail: true } : {}) }));
}

export function summaryTable(runs: readonly SimulationRun[]): string {
  const rows = summaryRows(runs);
  const labels = rows.map((r) => (r.detail ? `  ${r.label}` : r.label));
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const widths = runs.map((run, i) => Math.max(run.strategy.length, ...rows.map((r) => r.cells[i]!.length)));
  const line = (label: string, cells: readonly string[]): string =>
    `${label.padEnd(labelWidth)}  ${cells.map((c, i) => c.padStart(widths[i]!)).join('  ')}`.trimEnd();
  return [line('', runs.map((r) => r.strategy)), ...rows.map((r, i) => line(labels[i]!, r.cells))].join('\n');
}

/** offline-first's refusals by reason: "DirtyRateTooHigh  2  student-07, student-18". */
export function refusalLines(run: SimulationRun): string[] {
  return Object.entries(run.summary.refusedBy).map(([reason, vms]) => `  ${reason.padEnd(24)} ${String(vms.length).padStart(3)}  ${vms.map((v) => v.slice(v.indexOf('/') + 1)).join(', ')}`);
}
