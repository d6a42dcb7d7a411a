/**
 * Debian's real Prometheus server between KubeVirt-shaped series and the operator: it scrapes a
 * test exporter and the operator's own /metrics every second and evaluates the shipped alert
 * rules (monitoring/alerts.rules.yaml) on them.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/controlplane/ports.js';
import { projectRoot } from '../../src/controlplane/tools.js';
import { planPlacements, type Decision, type VmView } from '../../src/domain/placement/index.js';
import type { KubeClient } from '../../src/kube/client.js';
import { toMicroTime } from '../../src/kube/lease.js';
import type { OfflineFirstPlacement } from '../../src/kube/placement.js';
import { Resources } from '../../src/kube/resources.js';
import { Annotations } from '../../src/observation/annotations.js';
import { gather } from '../../src/observation/gather.js';
import { PrometheusClient } from '../../src/observation/prometheus/client.js';
import { PrometheusSource } from '../../src/observation/prometheus/source.js';
import type { ExternalVmiSource } from '../../src/observation/sources.js';
import { VmMeasurementReader } from '../../src/observation/vm-measurements.js';
import { clientWorkstation, cloudServer } from '../../src/sim/fixtures/nodes.js';
import { vmiFromFixture } from '../../src/sim/fixtures/vmis.js';
import { OperatorWorld } from './operator-support.js';
import { KubevirtExporter, prometheusAvailable, PrometheusServer, ruleStatuses, type RuleStatus } from './prometheus-support.js';
import { adminClient, controlPlane, eventually, newNamespace } from './support.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const cli = join(projectRoot, 'dist', 'src', 'cli.js');

/**
 * What the operator's planner decides for one VM, through the gatherer and planner the operator
 * runs, with the source behind its measurement reader as in `run --prometheus-url`: a 2 GiB VM on
 * home-1, a client on the campus LAN, and a dirty-rate annotation of 1 MB/s as the next source in line.
 */
function decide(external: ExternalVmiSource): { decision: Decision; vm: VmView } {
  const nowMs = Date.now();
  const annotations: Record<string, string> = { [Annotations.dirtyRate]: '1MB/s' };
  const world = new OperatorWorld(adminClient(), 'lab');
  const placement: OfflineFirstPlacement = {
    apiVersion: 'placement.offline-first.io/v1alpha1',
    kind: 'OfflineFirstPlacement',
    metadata: { name: 'room', namespace: 'lab', creationTimestamp: '2026-01-01T00:00:00Z', generation: 1, uid: 'uid-room' },
    spec: world.placementSpec(),
  };
  const link = { 'link.offline-first.io/bandwidth': '1Gbit/s', 'link.offline-first.io/rtt': '0.4ms', 'link.offline-first.io/measured-at': new Date(nowMs).toISOString() };
  const g = gather({
    placements: [placement],
    vmis: [vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'home-1', memory: '2Gi', labels: { app: 'lab' }, annotations })],
    migrations: [],
    nodes: [cloudServer('home-1', { labels: world.pool }), clientWorkstation('pc-1', { annotations: link, labels: world.pool })],
    nowMs,
    measurements: new VmMeasurementReader(external),
  });
  return { decision: planPlacements(g.input).decisions[0]!, vm: g.input.vms[0]! };
}

describe('Prometheus as a source, and the shipped alerts on live series (Debian prometheus)', function () {
  this.timeout(90_000);
  let dir: string;
  let prometheus: PrometheusServer | undefined;
  let exporter: KubevirtExporter | undefined;
  let source: PrometheusSource | undefined;
  let operator: { child: ChildProcess; out: () => string } | undefined;
  let metricsPort: number;
  let client: KubeClient;
  let ns: string;

  before(async function () {
    if (!prometheusAvailable()) {
      throw new Error('the prometheus server binary is missing: apt-get install prometheus (scripts/ensure-test-deps.sh)');
    }
    client = adminClient();
    ns = await newNamespace(client, 'prom');
    dir = mkdtempSync(join(tmpdir(), 'offline-first-prometheus-'));
    exporter = await KubevirtExporter.start();
    metricsPort = await freePort();
    copyFileSync(join(projectRoot, 'monitoring', 'alerts.rules.yaml'), join(dir, 'alerts.rules.yaml'));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}',
        'rule_files: [alerts.rules.yaml]',
        'scrape_configs:',
        '  - job_name: kubevirt',
        `    static_configs: [{targets: ["127.0.0.1:${exporter.port}"]}]`,
        '  - job_name: offline-first',
        `    static_configs: [{targets: ["127.0.0.1:${metricsPort}"], labels: {namespace: ${ns}}}]`,
        '',
      ].join('\n'),
    );
    prometheus = new PrometheusServer(dir, await freePort(), config);
    await prometheus.start();
  });

  after(async () => {
    await source?.stop();
    if (operator && operator.child.exitCode === null) {
      const exited = new Promise((r) => operator!.child.once('exit', r));
      operator.child.kill('SIGTERM');
      await exited;
    }
    await prometheus?.stop();
    await exporter?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (ns) await client.delete(Resources.namespace, '', ns).catch(() => undefined);
  });

  const refusals: [string[], RegExp][] = [
    [['--prometheus-url', 'prometheus:9090'], /--prometheus-url: not an http\(s\) URL/],
    [['--prometheus-url', 'http://p:9090', '--prometheus-window', '600'], /--prometheus-window: expected a duration/],
    [['--prometheus-url', 'http://p:9090', '--prometheus-interval', '100ms'], /--prometheus-interval must be between 1s and 3600s/],
    [['--prometheus-url', 'http://p:9090', '--prometheus-ca-file', '/nonexistent/ca.crt'], /--prometheus-ca-file: cannot read \/nonexistent\/ca.crt \(no such file\)/],
    [['--prometheus-timeout', '2s'], /--prometheus-timeout needs --prometheus-url/],
  ];
  for (const [flags, message] of refusals) {
    it(`refuses run ${flags.join(' ')} with exit code 2, naming the flag`, () => {
      const r = spawnSync(process.execPath, [cli, 'run', ...flags], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.match(message);
    });
  }

  const rule = async (name: string): Promise<RuleStatus> => (await ruleStatuses(prometheus!)).find((r) => r.name === name)!;
  const ruleState = (name: string, state: RuleStatus['state']) =>
    eventually(`${name} ${state}`, async () => ((await rule(name))?.state === state ? true : undefined), 20_000);

  it('loads and evaluates every shipped rule on the operator\'s live /metrics, and OperatorDown and NoLeader follow the operator', async () => {
    // Nothing serves the operator's port yet: up == 0.
    await ruleState('OfflineFirstOperatorDown', 'pending');
    // Another replica holds the Lease, so this one stays a warm standby: offline_first_leader 0.
    await client.create(Resources.lease, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'offline-first-operator', namespace: ns },
      spec: { holderIdentity: 'another-replica', leaseDurationSeconds: 3600, acquireTime: toMicroTime(Date.now()), renewTime: toMicroTime(Date.now()) },
    });
    const args = [cli, 'run', '--kubeconfig', controlPlane().kubeconfigPath, '--metrics-port', String(metricsPort), '--health-port', String(await freePort()),
      '--leader-elect', '--leader-election-namespace', ns,
      '--prometheus-url', prometheus!.url, '--prometheus-interval', '1s', '--prometheus-window', '10s', '--prometheus-timeout', '1s'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    operator = { child, out: () => out };

    await ruleState('OfflineFirstOperatorDown', 'inactive');
    await ruleState('OfflineFirstNoLeader', 'pending');
    await client.delete(Resources.lease, ns, 'offline-first-operator');
    await ruleState('OfflineFirstNoLeader', 'inactive');

    const rules = await ruleStatuses(prometheus!);
    const shipped = readFileSync(join(projectRoot, 'monitoring', 'alerts.rules.yaml'), 'utf8').match(/^\s+- alert: /gm)!.length;
    expect(rules.filter((r) => r.type === 'alerting')).to.have.length(shipped);
    expect(rules.filter((r) => r.health !== 'ok' || r.lastError).map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).to.deep.equal([]);
    // The operator's own Prometheus source started from its flags (no VMIs exported yet: NoSeries).
    expect(out).to.contain('"msg":"reading Prometheus"');
  });

  it("follows KubeVirt's exported dirty rate into the plan, falls back to the next source while Prometheus is down, and recovers", async () => {
    exporter!.vmis.set('lab/vm-1', { dirtyRateBytesPerSecond: 2 * MiB, availableBytes: 2 * GiB, unusedBytes: 1400 * MiB, node: 'home-1' });
    let changes = 0;
    source = new PrometheusSource(new PrometheusClient({ url: prometheus!.url, timeoutMs: 1000 }), {
      windowMs: 10_000,
      intervalMs: 500,
      staleAfterMs: 4000,
      onChange: () => changes++,
    });
    source.start();

    const quiet = await eventually('readings of 2 MiB/s', () => {
      const s = source!.samples('lab/vm-1');
      return s?.dirtyRateReadings && s.dirtyRateReadings.length >= 2 ? s : undefined;
    });
    expect(quiet.dirtyRateReadings!.every((r) => r.mibPerSecond === 2 && r.seconds === 1)).to.equal(true);
    // Scraped every second, a constant gauge repeats: repeats closer than 3.5 s count once.
    expect(quiet.dirtyRateReadings!.length).to.be.at.most(4);
    expect(quiet.guestUsedBytes).to.equal(2 * GiB - 1400 * MiB);
    const calm = decide(source);
    expect(calm.vm.dirtyRate).to.include({ confidence: 'measured', source: 'prometheus' });
    expect(calm.vm.guestUsedBytes).to.equal(2 * GiB - 1400 * MiB);
    expect(calm.decision.action, calm.decision.message).to.equal('MoveToClient');

    // The guest starts dirtying 200 MiB/s, more than the 1 Gbit/s link carries.
    exporter!.vmis.get('lab/vm-1')!.dirtyRateBytesPerSecond = 200 * MiB;
    const changesBefore = changes;
    const busy = await eventually('only readings of 200 MiB/s in the window', () => {
      const s = source!.samples('lab/vm-1');
      return s?.dirtyRateReadings?.length && s.dirtyRateReadings.every((r) => r.mibPerSecond === 200) ? s : undefined;
    }, 30_000);
    expect(changes).to.be.greaterThan(changesBefore);
    expect(busy.dirtyRateReadings!.length).to.be.greaterThan(0);
    const stormy = decide(source);
    expect(stormy.vm.dirtyRate.source).to.equal('prometheus');
    expect(stormy.decision.action, stormy.decision.message).to.equal('Stay');
    expect(stormy.decision.reason).to.be.oneOf(['DirtyRateTooHigh', 'WouldNotConverge']);
    expect(source.health()).to.include({ ok: true, reason: 'Ok' });

    // Prometheus goes away: health says so at once, the samples age out, and the plan uses the next source.
    await prometheus!.stop();
    await eventually('health not ok', () => (source!.health().ok ? undefined : source!.health()));
    expect(source.health().reason).to.equal('Unreachable');
    await eventually('samples stale', () => (source!.samples('lab/vm-1') === undefined ? true : undefined), 10_000);
    const fallback = decide(source);
    expect(fallback.vm.dirtyRate).to.deep.include({ input: { kind: 'constant', bytesPerSecond: 1e6 }, source: 'rate-annotation' });
    expect(fallback.decision.action, fallback.decision.message).to.equal('MoveToClient');
    // The operator's own source (started from its --prometheus-* flags) says so in its log.
    if (operator) await eventually('the operator to log the unreachable Prometheus', () => (operator!.out().includes('"reason":"Unreachable"') ? true : undefined));

    // It comes back on the same port and storage: fresh samples, and the plan follows them again.
    await prometheus!.start();
    const back = await eventually('fresh samples after the restart', () => source!.samples('lab/vm-1'), 30_000);
    expect(source.health()).to.include({ ok: true });
    expect(back.dirtyRateReadings!.every((r) => r.mibPerSecond === 200)).to.equal(true);
    expect(back.dirtyRateReadings!.length).to.be.greaterThan(0);
    expect(decide(source).decision.action).to.equal('Stay');
    if (operator) {
      await eventually('the operator to log its source healthy again', () => {
        const out = operator!.out();
        return out.lastIndexOf('Prometheus source healthy') > out.indexOf('"reason":"Unreachable"') ? true : undefined;
      });
    }
  });
});
