/**
 * Ctrl-C in a terminal sends SIGINT to the whole foreground process group. `demo` and `cluster up`
 * (in the foreground, its background process, or while it starts) stop on it, without a second
 * Ctrl-C, and remove everything they made: no process left, the control plane's ports closed,
 * nothing left in the temp directory (each run gets its own TMPDIR) or the cluster's state directory.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './support.js';
import { controlPlanePorts, freshTmpDir, groupAlive, listening, processesMentioning, spawnCli, waitForOutput, type Spawned } from './process-support.js';

/** Longer than a clean stop takes; a process still running then waits for a second Ctrl-C. */
const STOP_BOUND_MS = 20_000;

describe('Ctrl-C stops and removes everything', function () {
  this.timeout(120_000);
  let dir: string;
  let tmp: string;
  let running: Spawned | undefined;

  beforeEach(() => {
    dir = freshTmpDir('clean-exit');
    tmp = join(dir, 'tmp');
    mkdirSync(tmp);
  });
  afterEach(() => {
    if (running && running.child.exitCode === null) process.kill(-running.child.pid!, 'SIGKILL');
    running = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** SIGINT to the group of `pgid`; `exited` resolves once its leader is gone; then nothing of it may be left. */
  async function interruptAndExpectNothingLeft(pgid: number, ports: readonly number[], exited: Promise<unknown>): Promise<void> {
    expect(ports, 'the control plane named its ports').to.have.length(2);
    process.kill(-pgid, 'SIGINT');
    const outcome = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), STOP_BOUND_MS))]);
    expect(outcome, 'exits on the first Ctrl-C').not.to.equal('still running');
    expect(groupAlive(pgid), 'no process of the group is left').to.equal(false);
    // The control plane's components run in their own groups; the guardian ends within its poll.
    await eventually('no process using the temp dir', () => (processesMentioning(dir).length === 0 ? true : undefined), 5000);
    for (const port of ports) expect(await listening(port), `port ${port} closed`).to.equal(false);
    expect(readdirSync(tmp), 'nothing left in the temp dir').to.deep.equal([]);
  }

  it('stops the demo', async () => {
    running = spawnCli(['demo', '--leave-after', 'never'], { TMPDIR: tmp });
    await waitForOutput(running, /^kubeconfig: /m);
    // In the middle of things: migrations under way.
    await new Promise((r) => setTimeout(r, 2000));
    await interruptAndExpectNothingLeft(running.child.pid!, controlPlanePorts(running.output()), running.exited);
    expect(await running.exited).to.equal(0);
    expect(running.output()).to.contain('stopped; everything removed');
  });

  it('stops cluster up --foreground', async () => {
    const state = join(dir, 'cluster');
    running = spawnCli(['cluster', 'up', '--foreground', '--state-dir', state], { TMPDIR: tmp });
    await waitForOutput(running, /export PATH=/);
    expect(existsSync(join(state, 'kubeconfig'))).to.equal(true);
    await interruptAndExpectNothingLeft(running.child.pid!, controlPlanePorts(running.output()), running.exited);
    expect(await running.exited).to.equal(0);
    expect(existsSync(state), 'its state directory is removed').to.equal(false);
  });

  it('stops the background cluster, which removes its log and state directory too', async () => {
    const state = join(dir, 'cluster');
    const up = spawnCli(['cluster', 'up', '--state-dir', state], { TMPDIR: tmp });
    expect(await up.exited, up.output()).to.equal(0);
    const daemon = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { pid: number };
    const ports = controlPlanePorts(readFileSync(join(state, 'daemon.log'), 'utf8'));
    const gone = eventually('the background process to exit', () => (groupAlive(daemon.pid) ? undefined : true), STOP_BOUND_MS);
    await interruptAndExpectNothingLeft(daemon.pid, ports, gone);
    expect(existsSync(state), 'its state directory is removed').to.equal(false);
  });

  it('stops cluster up while it starts, and the background process it started', async () => {
    const state = join(dir, 'cluster');
    running = spawnCli(['cluster', 'up', '--state-dir', state], { TMPDIR: tmp });
    await waitForOutput(running, /starting a local control plane/);
    await eventually('the control plane to be starting', () => (/starting kube-apiserver on/.test(readFileSync(join(state, 'daemon.log'), 'utf8')) ? true : undefined), 60_000);
    const ports = controlPlanePorts(readFileSync(join(state, 'daemon.log'), 'utf8'));
    await interruptAndExpectNothingLeft(running.child.pid!, ports, running.exited);
    expect(await running.exited).to.equal(130);
    expect(existsSync(state), 'its state directory is removed').to.equal(false);
  });
});
