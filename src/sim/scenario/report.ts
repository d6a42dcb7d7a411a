/**
 * The reports for people: one self-contained HTML page (inline CSS and SVG, nothing fetched) or one
 * SVG image with the charts. Both are pure functions of the runs, so the same runs give the same
 * file.
 */
import { formatBandwidth, formatDuration } from '../../domain/units.js';
import { comparisonBars, esc, lanesChart, onClientsChart, stackCharts, svgDocument, type Chart } from './charts.js';
import { formatClock } from './clock.js';
import type { SimulationRun } from './results.js';
import { summaryRows } from './summary-table.js';
import { timelineLines } from './timeline.js';
import type { Scenario } from './types.js';

/** Offline-first first: it is what the report is about. */
function byInterest(runs: readonly SimulationRun[]): SimulationRun[] {
  const order = { 'offline-first': 0, naive: 1, none: 2 } as const;
  return [...runs].sort((a, b) => order[a.strategy] - order[b.strategy]);
}

function chartsOf(scenario: Scenario, runs: readonly SimulationRun[]): { main: Chart[]; bars: Chart[]; lanes: Chart[] } {
  return {
    main: [onClientsChart(scenario, runs)],
    bars: runs.length > 1 ? comparisonBars(runs) : [],
    lanes: byInterest(runs)
      .filter((r) => r.strategy !== 'none')
      .map((r) => lanesChart(scenario, r)),
  };
}

export function svgReport(scenario: Scenario, runs: readonly SimulationRun[]): string {
  const c = chartsOf(scenario, runs);
  return svgDocument(stackCharts([...c.main, ...c.bars, ...c.lanes])) + '\n';
}

function facts(scenario: Scenario): string {
  const clients = scenario.nodes.filter((n) => n.role === 'client');
  const links = [...new Set(clients.flatMap((n) => (n.link ? [`${formatBandwidth(n.link.bandwidthBytesPerSecond)} ${n.link.network.toUpperCase()}`] : [])))];
  const rows: [string, string][] = [
    ['simulated', `${formatClock(scenario.startMs, scenario, false)} to ${formatClock(scenario.startMs + scenario.horizonMs, scenario, false)} (${formatDuration(scenario.horizonMs)}), re-planning every ${formatDuration(scenario.stepMs)}`],
    ['nodes', `${scenario.nodes.length - clients.length} in the data centre, ${clients.length} clients (${links.join(', ') || 'no link data'})`],
    ['VMs', String(scenario.vms.length)],
    ['placements', scenario.placements.map((p) => p.key).join(', ')],
    ['KubeVirt limits', `${scenario.kubevirt.parallelMigrationsPerCluster} migrations per cluster, ${scenario.kubevirt.parallelOutboundMigrationsPerNode} outbound per node`],
  ];
  return `<table class="facts">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function summaryHtml(runs: readonly SimulationRun[]): string {
  const head = `<tr><th></th>${runs.map((r) => `<th class="${r.strategy}">${esc(r.strategy)}</th>`).join('')}</tr>`;
  const body = summaryRows(runs)
    .map((row) => `<tr${row.detail ? ' class="detail"' : ''}><th>${esc(row.label)}</th>${row.cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('');
  return `<table class="summary">${head}${body}</table>`;
}

function refusalsHtml(run: SimulationRun): string {
  const entries = Object.entries(run.summary.refusedBy);
  if (entries.length === 0) return '<p>offline-first refused no move.</p>';
  const rows = entries.map(([reason, vms]) => `<tr><th>${esc(reason)}</th><td>${vms.length}</td><td>${esc(vms.map((v) => v.slice(v.indexOf('/') + 1)).join(', '))}</td></tr>`);
  return `<table class="summary"><tr><th>reason</th><th>VMs</th><th></th></tr>${rows.join('')}</table>`;
}

const inline = (c: Chart): string => `<svg xmlns="http://www.w3.org/2000/svg" width="${c.width}" height="${c.height}" viewBox="0 0 ${c.width} ${c.height}">${c.body}</svg>`;

export function htmlReport(scenario: Scenario, runs: readonly SimulationRun[]): string {
  const c = chartsOf(scenario, runs);
  const offlineFirst = runs.find((r) => r.strategy === 'offline-first');
  const warnings = [...new Set(runs.flatMap((r) => r.warnings))];
  const timelines = byInterest(runs)
    .filter((r) => r.strategy !== 'none')
    .map((r) => `<details><summary>Timeline: ${esc(r.strategy)}</summary><pre>${esc(timelineLines(r, scenario, { maxLines: 2000 }).join('\n'))}</pre></details>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>offline-first simulation: ${esc(scenario.name)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 940px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 3px 10px; text-align: left; } td { text-align: right; font-variant-numeric: tabular-nums; }
table.facts td { text-align: left; } table.summary tr:nth-child(even) { background: #f4f6f8; }
tr.detail th { padding-left: 2em; font-weight: normal; }
th.offline-first { color: #2b6fd9; } th.naive { color: #d9822b; } th.none { color: #8a8f98; }
.bars { display: flex; flex-wrap: wrap; gap: 16px; }
pre { font-size: 12px; background: #f7f7f7; padding: 1em; overflow-x: auto; }
.warning { color: #a04000; }
</style>
</head>
<body>
<h1>offline-first simulation: ${esc(scenario.name)}</h1>
${scenario.description ? `<p>${esc(scenario.description)}</p>` : ''}
${facts(scenario)}
<h2>Summary</h2>
${summaryHtml(runs)}
<p>Every strategy runs against the same cluster and the same cost model (QEMU 7.2 pre-copy under KubeVirt's timeouts) with the guests' true behaviour; <em>offline-first</em> plans with the operator's own gatherer and planner, <em>naive</em> moves every eligible VM at once without a cost model, <em>none</em> leaves everything in the data centre.</p>
<h2>Over time</h2>
${c.main.map(inline).join('\n')}
${c.bars.length > 0 ? `<div class="bars">${c.bars.map(inline).join('\n')}</div>` : ''}
${c.lanes.map(inline).join('\n')}
${offlineFirst ? `<h2>Moves offline-first refused, by reason</h2>${refusalsHtml(offlineFirst)}` : ''}
<h2>Timelines</h2>
${timelines || '<p>Nothing moves without a strategy.</p>'}
${warnings.length > 0 ? `<h2>Warnings</h2><ul>${warnings.map((w) => `<li class="warning">${esc(w)}</li>`).join('')}</ul>` : ''}
<p><small>Generated by <code>offline-first simulate</code>.</small></p>
</body>
</html>
`;
}
