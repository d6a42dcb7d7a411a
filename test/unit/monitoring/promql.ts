/**
 * What the monitoring tests need from PromQL: the metric names an expression reads, and the names
 * the operator really exports. Not a parser: it drops what cannot hold a metric name (strings,
 * label matchers, ranges, grouping clauses, Grafana variables) and keeps the identifiers that are
 * not functions, keywords or numbers.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { OperatorMetrics } from '../../../src/observability/metrics.js';

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // grouping label lists
    .replace(/\boffset\s+-?[0-9a-z]+/g, ' ')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, ' '); // Grafana variables
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const rest = stripped.slice(m.index + word.length);
    if (/^\s*\(/.test(rest)) continue; // a function call
    if (KEYWORDS.has(word.toLowerCase())) continue;
    if (/^\d/.test(word)) continue;
    names.add(word);
  }
  return [...names].sort();
}

/** Every series name /metrics serves: counters and gauges as named, histograms as _bucket, _sum and _count. */
export async function exportedSeriesNames(): Promise<Set<string>> {
  const metrics = await new OperatorMetrics().registry.getMetricsAsJSON();
  const names = new Set<string>();
  for (const m of metrics) {
    // prom-client's types say MetricType (a numeric enum); at run time the JSON holds 'counter', 'histogram', ...
    const type = String(m.type as unknown);
    if (type === 'histogram' || type === 'summary') {
      for (const suffix of type === 'histogram' ? ['_bucket', '_sum', '_count'] : ['', '_sum', '_count']) names.add(`${m.name}${suffix}`);
    } else {
      names.add(m.name);
    }
  }
  return names;
}

/** Runs promtool, failing with an install hint when it is missing: these checks never skip. */
export function promtool(args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync('promtool', [...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('promtool is not installed, so the alert rules cannot be checked: install it (Debian: apt-get install prometheus, which provides /usr/bin/promtool)');
  }
  if (r.error) throw r.error;
  return r;
}
