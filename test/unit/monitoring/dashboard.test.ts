import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { projectRoot } from '../../../src/controlplane/tools.js';
import { exportedSeriesNames, metricNames, promtool } from './promql.js';

const dashboardFile = join(projectRoot, 'monitoring', 'dashboard.json');

interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: { expr: string; refId: string }[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; query?: string | { query: string } }[] };
}

const dashboard = (): Dashboard => JSON.parse(readFileSync(dashboardFile, 'utf8')) as Dashboard;
const allPanels = (d: Dashboard): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = (d: Dashboard): Panel[] => allPanels(d).filter((p) => p.type !== 'row');
const exprs = (d: Dashboard): { where: string; expr: string }[] =>
  queryPanels(d).flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" query ${t.refId}`, expr: t.expr })));

/** Grafana's variables replaced by values Prometheus accepts, so promtool can parse the queries. */
const asPromQL = (expr: string): string => expr.replaceAll('$__rate_interval', '5m').replace(/\$\{?[A-Za-z_]+\}?/g, '.*');

describe('Grafana dashboard (monitoring/dashboard.json)', () => {
  it('has a stable uid, unique panel ids and a query in every panel', () => {
    const d = dashboard();
    expect(d.uid).to.equal('offline-first');
    const ids = allPanels(d).map((p) => p.id);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const p of queryPanels(d)) expect(p.targets ?? [], `panel "${p.title}" has no query`).to.not.be.empty;
  });

  it('queries only metrics the operator exports', async () => {
    const exported = await exportedSeriesNames();
    const d = dashboard();
    const queries = [...exprs(d), ...d.templating.list.flatMap((v) => (typeof v.query === 'object' ? [{ where: `variable ${v.name}`, expr: v.query.query.replace(/^label_values\((.*),\s*\w+\)$/, '$1') }] : []))];
    expect(queries.length).to.be.greaterThan(10);
    for (const q of queries) {
      const names = metricNames(q.expr);
      expect(names, `${q.where} reads no metric`).to.not.be.empty;
      for (const n of names) expect(exported.has(n), `${q.where} reads ${n}, which the operator does not export`).to.equal(true);
    }
  });

  it('shows VMs by location, migrations, predicted vs actual duration, link bandwidth, rejections, queue depth and reconcile latency', () => {
    const read = new Set(exprs(dashboard()).flatMap((q) => metricNames(q.expr)));
    for (const n of [
      'offline_first_vms',
      'offline_first_migrations_total',
      'offline_first_migration_predicted_duration_seconds_sum',
      'offline_first_migration_actual_duration_seconds_sum',
      'offline_first_migration_duration_ratio_bucket',
      'offline_first_link_bandwidth_bytes_per_second',
      'offline_first_rejected_candidates',
      'offline_first_workqueue_depth',
      'offline_first_reconcile_duration_seconds_bucket',
    ]) {
      expect(read.has(n), `no panel reads ${n}`).to.equal(true);
    }
  });

  it('has queries that Prometheus parses (promtool check rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'offline-first-dashboard-'));
    try {
      const rules = exprs(dashboard()).map((q, i) => ({ record: `dashboard:query_${i}`, expr: asPromQL(q.expr) }));
      writeFileSync(join(dir, 'queries.yaml'), yaml.dump({ groups: [{ name: 'dashboard', rules }] }));
      const r = promtool(['check', 'rules', 'queries.yaml'], dir);
      expect(r.status, `promtool rejected a dashboard query:\n${r.stdout}${r.stderr}`).to.equal(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is shipped unchanged by the Helm chart (charts/offline-first/files/dashboard.json; scripts/render-manifests.sh copies it)', () => {
    const shipped = readFileSync(join(projectRoot, 'charts', 'offline-first', 'files', 'dashboard.json'), 'utf8');
    expect(shipped === readFileSync(dashboardFile, 'utf8'), 'the chart\'s dashboard differs from monitoring/dashboard.json: run scripts/render-manifests.sh').to.equal(true);
  });
});
