/**
 * Prints a Markdown table of a lab results file, one row per run (the last record of each id),
 * for docs/lab-results.md and for reading a grid at a glance:
 *
 *   node dist/lab/summarize.js lab/results/full-grid.jsonl
 */
import { readFileSync } from 'node:fs';
import type { RunRecord } from './run.js';

const MB = 1e6;
const fixed = (v: number | undefined, digits = 1): string => (v === undefined ? '' : v.toFixed(digits));

function row(r: RunRecord): string[] {
  const s = r.summary;
  const m = r.migration;
  // Readings grouped by window: "1s/512: 2 0 4; 1s/16384: 1 2".
  const byWindow = new Map<string, number[]>();
  for (const d of r.dirtyRate ?? []) {
    const w = `${d.calcTimeSeconds}s/${d.samplePages}`;
    byWindow.set(w, [...(byWindow.get(w) ?? []), d.dirtyRateMBps]);
  }
  const rates = [...byWindow].map(([w, values]) => `${w}: ${values.join(' ')}`).join('; ');
  // QEMU zeroes dirty-pages-rate once done, so take the highest value seen while it ran.
  const dirtyPagesRates = [...(m?.passes ?? []), ...(m?.snapshots ?? [])].map((p) => p.dirtyPagesRate ?? 0);
  return [
    r.id,
    r.error ? `error: ${r.error.slice(0, 60)}` : (s?.outcome ?? ''),
    fixed(s ? (s.totalTimeMs ?? s.wallMs) / 1000 : undefined),
    String(s?.downtimeMs ?? ''),
    String(s?.guestPauseMs ?? ''),
    fixed(s?.transferredBytes !== undefined ? s.transferredBytes / MB : undefined, 0),
    fixed(s?.effectiveBytesPerSecond !== undefined ? s.effectiveBytesPerSecond / MB : undefined, 2),
    fixed(r.linkProbe ? r.linkProbe.goodputBytesPerSecond / MB : undefined, 2),
    fixed(s?.firstPassMs !== undefined ? s.firstPassMs / 1000 : undefined),
    fixed(s?.firstPassBytes !== undefined ? s.firstPassBytes / MB : undefined, 0),
    String(s?.dirtySyncCount ?? m?.passCount ?? ''),
    m ? String(Math.max(0, ...dirtyPagesRates)) : '',
    rates,
    String(r.guest?.writtenPagesPerSecondBefore ?? ''),
    fixed(m?.sourceCpuSeconds['CPU 0/TCG'], 1),
    fixed(m?.sourceCpuSeconds['live_migration'], 2),
    r.guest?.aliveOnDestination === undefined ? '' : r.guest.aliveOnDestination ? 'yes' : 'no',
    fixed(r.host.loadAverage1m, 2),
  ];
}

const HEADER = [
  'id', 'outcome', 'time s', 'downtime ms', 'pause ms', 'sent MB', 'eff MB/s', 'link MB/s', '1st pass s', '1st pass MB',
  'syncs', 'max dirty-pages-rate (QEMU, pages/s)', 'calc-dirty-rate MiB/s (window/samples: readings)', 'guest pages/s', 'TCG cpu s', 'mig thread cpu s',
  'guest alive after', 'load 1m',
];

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: summarize.js RESULTS.jsonl\n');
  process.exitCode = 2;
} else {
  const latest = new Map<string, RunRecord>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as RunRecord;
      latest.set(r.id, r);
    } catch {
      // A line cut short by a hard kill.
    }
  }
  const lines = [HEADER, HEADER.map(() => '---'), ...[...latest.values()].map(row)];
  process.stdout.write(lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n') + '\n');
}
