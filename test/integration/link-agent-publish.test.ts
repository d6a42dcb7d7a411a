/**
 * The link agent as shipped, end to end on loopback: `offline-first reflector` serves, `offline-first
 * agent --once` probes it and publishes to the node's NodeLink on the real API server, and the
 * record's status is what the operator reads. (Accuracy on shaped links is the lab layer's:
 * test/lab/link-agent.test.ts; the own-node rule is node-link-policy.test.ts.)
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../src/controlplane/ports.js';
import { projectRoot } from '../../src/controlplane/tools.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { NodeLink } from '../../src/kube/node-link.js';
import { Resources } from '../../src/kube/resources.js';
import { linkFromNodeLink } from '../../src/observation/node-link.js';
import { adminClient, controlPlane, eventually } from './support.js';

const cli = join(projectRoot, 'dist', 'src', 'cli.js');

describe('offline-first agent against the API server', function () {
  this.timeout(60_000);
  let client: KubeClient;
  let reflector: ChildProcess | undefined;
  const node = `ws-agent-${process.pid}`;
  before(() => {
    client = adminClient();
  });
  after(async () => {
    reflector?.kill('SIGTERM');
    await client.delete(Resources.nodeLink, undefined, node).catch(() => undefined);
  });

  it('prints its version', () => {
    const r = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/^offline-first \d+\.\d+\.\d+\n$/);
  });

  it('probes a reflector once and publishes the measurement to its node\'s NodeLink, which the operator can read', async () => {
    const port = await freePort();
    reflector = spawn(process.execPath, [cli, 'reflector', '--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let reflectorLog = '';
    reflector.stderr!.on('data', (d: Buffer) => (reflectorLog += d.toString()));
    reflector.stdout!.on('data', (d: Buffer) => (reflectorLog += d.toString()));
    const args = [cli, 'agent', '--once', '--node-name', node, '--reflector', `127.0.0.1:${port}`, '--probe-bytes', '1Mi', '--probe-seconds', '1s', '--kubeconfig', controlPlane().kubeconfigPath];
    // The reflector may need a moment to listen: --once exits 1 when it could not measure.
    const run = await eventually('the agent to measure and publish', async () => {
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });
      return r.status === 0 ? r : undefined;
    }, 20_000);
    expect(run.status, `${run.stderr}\n${reflectorLog}`).to.equal(0);
    const record = await client.get<NodeLink>(Resources.nodeLink, undefined, node);
    expect(record.status?.probes).to.equal(1);
    expect(record.status?.reflector).to.equal(`127.0.0.1:${port}`);
    expect(record.status?.lastProbe?.bytes).to.be.at.most(1024 * 1024);
    expect(Date.now() - Date.parse(record.status!.measuredAt!)).to.be.within(0, 60_000);
    const link = linkFromNodeLink(record);
    expect(link.error).to.equal(undefined);
    expect(link.value?.bandwidthBytesPerSecond).to.be.greaterThan(0);
  });
});
