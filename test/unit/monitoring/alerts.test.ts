import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { projectRoot } from '../../../src/controlplane/tools.js';
import { exportedSeriesNames, metricNames, promtool } from './promql.js';

const monitoring = join(projectRoot, 'monitoring');
const rulesFile = join(monitoring, 'alerts.rules.yaml');

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}
interface RuleTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; eval_time: string; exp_alerts?: unknown[] }[] }[];
}

const rules = () => (yaml.load(readFileSync(rulesFile, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);

describe('alerts (monitoring/alerts.rules.yaml)', () => {
  it('pass every promtool unit test in monitoring/alerts.test.yaml', () => {
    const r = promtool(['test', 'rules', 'alerts.test.yaml'], monitoring);
    expect(r.status, `promtool test rules failed:\n${r.stdout}${r.stderr}`).to.equal(0);
    expect(r.stdout).to.contain('SUCCESS');
  });

  it('each have at least one test where they fire and one where they stay quiet', () => {
    const tests = yaml.load(readFileSync(join(monitoring, 'alerts.test.yaml'), 'utf8')) as RuleTests;
    expect(tests.rule_files).to.deep.equal(['alerts.rules.yaml']);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    const alerts = rules().flatMap((r) => (r.alert ? [r.alert] : []));
    expect(alerts).to.have.length.greaterThanOrEqual(9);
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${alert} has no positive test`).to.equal(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${alert} has no negative test`).to.equal(true);
    }
    for (const c of cases) expect(alerts, `a test names an alert that does not exist`).to.include(c.alertname);
  });

  it('read only metrics the operator exports (and up)', async () => {
    const exported = await exportedSeriesNames();
    exported.add('up');
    for (const r of rules()) {
      const names = metricNames(r.expr);
      expect(names, `${r.alert ?? r.record} reads no metric`).to.not.be.empty;
      for (const n of names) expect(exported.has(n), `${r.alert ?? r.record} reads ${n}, which the operator does not export`).to.equal(true);
    }
  });

  it('cover failing migrations, overruns, prediction drift, stale links, non-converging VMs, reconcile errors and a missing leader', () => {
    const read = new Set(rules().flatMap((r) => metricNames(r.expr)));
    for (const n of [
      'offline_first_migrations_total',
      'offline_first_migration_duration_ratio_bucket',
      'offline_first_link_measurement_age_seconds',
      'offline_first_decisions',
      'offline_first_reconcile_errors_total',
      'offline_first_leader',
      'up',
    ]) {
      expect(read.has(n), `no alert reads ${n}`).to.equal(true);
    }
  });

  it('are shipped unchanged by the Helm chart (charts/offline-first/files/alerts.yaml; scripts/render-manifests.sh copies them)', () => {
    const shipped = readFileSync(join(projectRoot, 'charts', 'offline-first', 'files', 'alerts.yaml'), 'utf8');
    expect(shipped === readFileSync(rulesFile, 'utf8'), 'the chart\'s alerts differ from monitoring/alerts.rules.yaml: run scripts/render-manifests.sh').to.equal(true);
  });
});

describe('metricNames', () => {
  const cases: [string, string[]][] = [
    ['up{job="offline-first"} == 0', ['up']],
    ['absent(up{job="a b"} == 1)', ['up']],
    ['sum by (job, le) (rate(x_bucket{a=~"b|c"}[5m])) / on (job) group_left(foo) y_total', ['x_bucket', 'y_total']],
    ['histogram_quantile(0.5, sum by (le) (rate(h_bucket[$__rate_interval]))) > 1.5', ['h_bucket']],
    ['g{namespace=~"$namespace"} and on (job, instance) (leader == 1) offset 5m', ['g', 'leader']],
    ['sort_desc(max without (pod) (m))', ['m']],
  ];
  for (const [expr, names] of cases) {
    it(`finds ${names.join(', ')} in ${expr}`, () => {
      expect(metricNames(expr)).to.deep.equal(names);
    });
  }
});
