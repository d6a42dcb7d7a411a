/**
 * Hand-written SVG charts of simulation runs (no library): VMs on clients over time per strategy,
 * where each VM was over time (one lane per VM), and bars that compare the strategies. Each chart
 * is a fragment with its size, so the HTML report can inline them and the SVG report stack them.
 */
import { formatBytes } from '../../domain/units.js';
import { formatClock } from './clock.js';
import type { SimulationRun, VmLocation } from './results.js';
import type { StrategyName } from './strategy.js';
import type { Scenario } from './types.js';
import { shortName } from './timeline.js';

export interface Chart {
  readonly width: number;
  readonly height: number;
  /** SVG elements, in the chart's own coordinates. */
  readonly body: string;
}

export const STRATEGY_COLOURS: Record<StrategyName, string> = { none: '#8a8f98', naive: '#d9822b', 'offline-first': '#2b6fd9' };
export const LOCATION_COLOURS: Record<VmLocation, string> = { home: '#d5d9df', client: '#3a9d5d', migrating: '#e0b020', offline: '#c0392b' };
const FONT = 'font-family="system-ui, sans-serif"';

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n = (x: number): string => (Math.round(x * 10) / 10).toString();

function text(x: number, y: number, content: string, attrs = '', size = 11): string {
  return `<text x="${n(x)}" y="${n(y)}" ${FONT} font-size="${size}" ${attrs}>${esc(content)}</text>`;
}

/** Hour ticks along a time axis from x0 to x1. */
function timeAxis(scenario: Scenario, x0: number, x1: number, y: number, gridTop?: number): string {
  const { startMs, horizonMs } = scenario;
  const x = (t: number): number => x0 + ((t - startMs) / horizonMs) * (x1 - x0);
  const stepMs = horizonMs > 12 * 3_600_000 ? 2 * 3_600_000 : horizonMs > 2 * 3_600_000 ? 3_600_000 : 15 * 60_000;
  const first = Math.ceil(startMs / stepMs) * stepMs;
  const parts = [`<line x1="${n(x0)}" y1="${n(y)}" x2="${n(x1)}" y2="${n(y)}" stroke="#444"/>`];
  for (let t = first; t <= startMs + horizonMs; t += stepMs) {
    const xt = x(t);
    // Ticks land on whole hours (or quarters) of the scenario's own zone only when its offset is whole; close enough for reading.
    if (gridTop !== undefined) parts.push(`<line x1="${n(xt)}" y1="${n(gridTop)}" x2="${n(xt)}" y2="${n(y)}" stroke="#eee"/>`);
    parts.push(`<line x1="${n(xt)}" y1="${n(y)}" x2="${n(xt)}" y2="${n(y + 4)}" stroke="#444"/>`);
    parts.push(text(xt, y + 16, formatClock(t, scenario, false), 'text-anchor="middle" fill="#333"'));
  }
  return parts.join('');
}

function legend(x: number, y: number, items: readonly { label: string; colour: string }[]): string {
  let at = x;
  return items
    .map(({ label, colour }) => {
      const part = `<rect x="${n(at)}" y="${n(y - 9)}" width="10" height="10" fill="${colour}"/>${text(at + 14, y, label, 'fill="#333"')}`;
      at += 24 + label.length * 6.5;
      return part;
    })
    .join('');
}

/** VMs on connected clients over time, one line per strategy. */
export function onClientsChart(scenario: Scenario, runs: readonly SimulationRun[]): Chart {
  const width = 900;
  const height = 260;
  const [left, right, top, bottom] = [48, width - 16, 34, height - 40];
  const max = Math.max(1, scenario.vms.length);
  const x = (t: number): number => left + ((t - scenario.startMs) / scenario.horizonMs) * (right - left);
  const y = (v: number): number => bottom - (v / max) * (bottom - top);
  const parts = [text(left, 16, 'VMs on clients over time', 'font-weight="600" fill="#111"')];
  for (let v = 0; v <= max; v += Math.max(1, Math.ceil(max / 6))) {
    parts.push(`<line x1="${left}" y1="${n(y(v))}" x2="${right}" y2="${n(y(v))}" stroke="#eee"/>`);
    parts.push(text(left - 6, y(v) + 4, String(v), 'text-anchor="end" fill="#333"'));
  }
  parts.push(timeAxis(scenario, left, right, bottom));
  for (const run of runs) {
    // A step line: the count holds until the next sample.
    let d = '';
    run.samples.forEach((s, i) => {
      d += i === 0 ? `M${n(x(s.atMs))},${n(y(s.onClients))}` : `H${n(x(s.atMs))}V${n(y(s.onClients))}`;
    });
    parts.push(`<path d="${d}" fill="none" stroke="${STRATEGY_COLOURS[run.strategy]}" stroke-width="2"/>`);
  }
  parts.push(legend(left + 200, 16, runs.map((r) => ({ label: r.strategy, colour: STRATEGY_COLOURS[r.strategy] }))));
  return { width, height, body: parts.join('') };
}

/** Where each VM was, one lane per VM; a red tick where a migration of it failed. */
export function lanesChart(scenario: Scenario, run: SimulationRun): Chart {
  const lane = 11;
  const labelWidth = 110;
  const width = 900;
  const top = 34;
  const keys = scenario.vms.map((vm) => vm.key);
  const height = top + keys.length * lane + 34;
  const right = width - 16;
  const x = (t: number): number => labelWidth + ((t - scenario.startMs) / scenario.horizonMs) * (right - labelWidth);
  const parts = [text(8, 16, `Where each VM ran: ${run.strategy}`, 'font-weight="600" fill="#111"')];
  parts.push(legend(labelWidth + 200, 16, (Object.keys(LOCATION_COLOURS) as VmLocation[]).map((l) => ({ label: l, colour: LOCATION_COLOURS[l] }))));
  parts.push(legend(labelWidth + 560, 16, [{ label: 'failed migration', colour: '#8b0000' }]));
  keys.forEach((key, i) => {
    const yy = top + i * lane;
    parts.push(text(labelWidth - 6, yy + lane - 2, shortName(key), 'text-anchor="end" fill="#333"', 9));
    for (const seg of run.tracks[key] ?? []) {
      if (seg.toMs <= seg.fromMs) continue;
      const w = Math.max(0.5, x(seg.toMs) - x(seg.fromMs));
      parts.push(`<rect x="${n(x(seg.fromMs))}" y="${yy + 1}" width="${n(w)}" height="${lane - 2}" fill="${LOCATION_COLOURS[seg.state]}"><title>${esc(`${shortName(key)}: ${seg.state} on ${seg.node}, ${formatClock(seg.fromMs, scenario)}-${formatClock(seg.toMs, scenario)}`)}</title></rect>`);
    }
  });
  const row = new Map(keys.map((k, i) => [k, i]));
  for (const m of run.migrations) {
    if (m.outcome !== 'Failed' || m.endMs === undefined) continue;
    const yy = top + row.get(m.vm)! * lane;
    parts.push(`<rect x="${n(x(m.endMs) - 1)}" y="${yy}" width="2" height="${lane}" fill="#8b0000"><title>${esc(`${shortName(m.vm)} -> ${m.to} failed at ${formatClock(m.endMs, scenario)}: ${m.failure ?? ''}`)}</title></rect>`);
  }
  parts.push(timeAxis(scenario, labelWidth, right, top + keys.length * lane + 4));
  return { width, height, body: parts.join('') };
}

/** One bar per strategy, with stacked parts. */
export function barsChart(title: string, runs: readonly SimulationRun[], parts: readonly { label: string; colour: string; value: (r: SimulationRun) => number }[], format: (v: number) => string): Chart {
  const width = 440;
  const bar = 20;
  const top = 40;
  const labelWidth = 96;
  const height = top + runs.length * (bar + 10) + 8;
  const totals = runs.map((r) => parts.reduce((sum, p) => sum + p.value(r), 0));
  const max = Math.max(...totals, 1e-9);
  const scale = (v: number): number => (v / max) * (width - labelWidth - 90);
  const out = [text(8, 16, title, 'font-weight="600" fill="#111"')];
  if (parts.length > 1) out.push(legend(8, 32, parts.map((p) => ({ label: p.label, colour: p.colour }))));
  runs.forEach((r, i) => {
    const yy = top + i * (bar + 10);
    out.push(text(labelWidth - 6, yy + 14, r.strategy, 'text-anchor="end" fill="#333"'));
    let at = labelWidth;
    for (const p of parts) {
      const w = scale(p.value(r));
      if (w > 0) out.push(`<rect x="${n(at)}" y="${yy}" width="${n(w)}" height="${bar}" fill="${parts.length > 1 ? p.colour : STRATEGY_COLOURS[r.strategy]}"/>`);
      at += w;
    }
    out.push(text(at + 6, yy + 14, format(totals[i]!), 'fill="#333"'));
  });
  return { width, height, body: out.join('') };
}

export function comparisonBars(runs: readonly SimulationRun[]): Chart[] {
  return [
    barsChart(
      'Migrations',
      runs,
      [
        { label: 'succeeded', colour: '#3a9d5d', value: (r) => r.summary.migrations.succeeded },
        { label: 'failed', colour: '#c0392b', value: (r) => r.summary.migrations.failed },
      ],
      (v) => String(v),
    ),
    barsChart('Bytes sent over client links', runs, [{ label: 'bytes', colour: '', value: (r) => r.summary.bytesOverClientLinks }], (v) => formatBytes(v)),
    barsChart('VM-hours on clients', runs, [{ label: 'VM-hours', colour: '', value: (r) => r.summary.vmHoursOnClients }], (v) => v.toFixed(1)),
    barsChart('VMs caught by departure', runs, [{ label: 'VMs', colour: '', value: (r) => r.summary.caughtByDeparture }], (v) => String(v)),
  ];
}

export function svgDocument(chart: Chart): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${chart.width}" height="${chart.height}" viewBox="0 0 ${chart.width} ${chart.height}">${chart.body}</svg>`;
}

/** Charts one under the other (two small ones side by side) in one SVG. */
export function stackCharts(charts: readonly Chart[], background = '#fff'): Chart {
  const width = Math.max(...charts.map((c) => c.width));
  let y = 0;
  let x = 0;
  let rowHeight = 0;
  const body: string[] = [];
  for (const c of charts) {
    if (x > 0 && x + c.width > width) {
      y += rowHeight + 16;
      x = 0;
      rowHeight = 0;
    }
    body.push(`<g transform="translate(${x},${y})">${c.body}</g>`);
    rowHeight = Math.max(rowHeight, c.height);
    x += c.width + 16;
    if (x >= width) {
      y += rowHeight + 16;
      x = 0;
      rowHeight = 0;
    }
  }
  const height = y + rowHeight;
  return { width, height, body: `<rect width="${width}" height="${height}" fill="${background}"/>${body.join('')}` };
}
