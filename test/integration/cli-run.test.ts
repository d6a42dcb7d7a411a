import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane } from '../../src/controlplane/control-plane.js';
import { freePort } from '../../src/controlplane/ports.js';
import { projectRoot } from '../../src/controlplane/tools.js';
import type { KubeClient } from '../../src/kube/client.js';
import { Resources } from '../../src/kube/resources.js';
import { adminClient, controlPlane, eventually, newNamespace } from './support.js';

const cli = join(projectRoot, 'dist', 'src', 'cli.js');

describe('offline-first run', function () {
  this.timeout(60_000);
  let client: KubeClient;
  before(() => {
    client = adminClient();
  });

  it('serves readiness and metrics, leads through a Lease, and stops cleanly on SIGTERM', async () => {
    const ns = await newNamespace(client, 'run');
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [cli, 'run', '--kubeconfig', controlPlane().kubeconfigPath, '--metrics-port', String(metricsPort), '--health-port', String(healthPort), '--leader-elect', '--leader-election-namespace', ns], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await eventually('readyz 200', async () => ((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200 ? true : undefined));
      expect((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status).to.equal(200);
      const metrics = await eventually('leader metric', async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return /^offline_first_leader 1$/m.test(text) ? text : undefined;
      });
      expect(metrics).to.contain('offline_first_reconcile_duration_seconds');
      const lease = await client.get<{ metadata: object; spec: { holderIdentity?: string } }>(Resources.lease, ns, 'offline-first-operator');
      expect(lease.spec.holderIdentity).to.match(/-\d+$/);
      // Logs are JSON lines.
      for (const line of out.trim().split('\n')) expect(() => JSON.parse(line), line).to.not.throw();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
    expect(out).to.contain('"msg":"stopped"');
    const released = await client.get<{ metadata: object; spec: { holderIdentity?: string } }>(Resources.lease, ns, 'offline-first-operator');
    expect(released.spec.holderIdentity ?? '').to.equal('');
  });

  it('says in one line that the cluster cannot be reached, and exits non-zero', () => {
    const dir = mkdtempSync(join(tmpdir(), 'offline-first-kubeconfig-'));
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: x\ncurrent-context: c\n');
      const r = spawnSync(process.execPath, [cli, 'run', '--kubeconfig', kubeconfig], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).to.equal(1);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.contain('cannot reach the cluster');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says that KubeVirt is missing when its CRDs are not installed, for run and for plan, and how to try it without', async () => {
    const bare = await ControlPlane.start();
    try {
      for (const command of ['run', 'plan']) {
        const r = spawnSync(process.execPath, [cli, command, '--kubeconfig', bare.kubeconfigPath], { encoding: 'utf8', timeout: 30_000 });
        expect(r.status, command).to.equal(1);
        expect(r.stderr.trim().split('\n'), command).to.have.length(1);
        expect(r.stderr, command).to.contain('KubeVirt is not installed').and.to.contain('npm run cluster -- up');
      }
    } finally {
      await bare.stop();
    }
  });

  it('says what to do without a kubeconfig, for run and for plan', () => {
    const home = mkdtempSync(join(tmpdir(), 'offline-first-nohome-'));
    try {
      const { KUBECONFIG: _k, KUBERNETES_SERVICE_HOST: _h, KUBERNETES_SERVICE_PORT: _p, ...rest } = process.env;
      const env = { ...rest, HOME: home };
      for (const command of ['run', 'plan']) {
        const r = spawnSync(process.execPath, [cli, command], { encoding: 'utf8', timeout: 30_000, env });
        expect(r.status, command).to.equal(1);
        expect(r.stderr.trim(), command).to.equal(`offline-first ${command}: no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, put one at ~/.kube/config, or run in a pod. To try it locally: npm run cluster -- up, then --kubeconfig .cluster/kubeconfig`);
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('names the flag when its port is taken', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    const port = await freePort();
    await new Promise<void>((r) => taken.listen(port, '0.0.0.0', () => r()));
    try {
      const r = spawnSync(process.execPath, [cli, 'run', '--kubeconfig', controlPlane().kubeconfigPath, '--metrics-port', String(port), '--health-port', String(await freePort())], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).to.equal(1);
      expect(r.stderr).to.contain(`port ${port} is already in use: choose another with --metrics-port`);
    } finally {
      taken.close();
    }
  });

  it('refuses bad flags with exit code 2, naming the flag', () => {
    const r = spawnSync(process.execPath, [cli, 'run', '--metrics-port', 'eighty'], { encoding: 'utf8' });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('--metrics-port');
    const u = spawnSync(process.execPath, [cli, 'run', '--leader'], { encoding: 'utf8' });
    expect(u.status).to.equal(2);
    expect(u.stderr).to.contain('unknown flag --leader');
  });
});
