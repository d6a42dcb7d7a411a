/**
 * `offline-first cluster up|down|status|env`: a local control plane (real kube-apiserver + etcd,
 * the project's CRDs, KubeVirt test CRDs, the simulated KubeVirt, a seeded world and the operator)
 * for trying things with kubectl, in the background or in the foreground.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { processAlive } from '../controlplane/process-alive.js';
import { buildTools, projectRoot } from '../controlplane/tools.js';
import type { DaemonOptions } from '../devcluster/daemon.js';
import { removeIfEmpty, serveLocalCluster, type ClusterState } from '../devcluster/serve.js';
import { WORLDS } from '../devcluster/world.js';
import { integerFlag, parseCommandFlags, UsageError, type FlagSpecs } from './flags.js';
import { stopSignal } from './log.js';

const flags: FlagSpecs = {
  world: { kind: 'string', value: 'NAME', help: `what to seed the cluster with (default lab-room; ${Object.entries(WORLDS).map(([k, w]) => `${k}: ${w.summary}`).join('; ')})` },
  'no-operator': { kind: 'boolean', help: 'do not run the operator in the cluster process (to run your own with `offline-first run`)' },
  foreground: { kind: 'boolean', help: 'run in this terminal until Ctrl-C instead of in the background' },
  'state-dir': { kind: 'string', value: 'DIR', help: 'where the kubeconfig, state and log live (default: $OFFLINE_FIRST_CLUSTER_DIR, else .cluster in the project)' },
  'ms-per-sim-second': { kind: 'string', value: 'N', help: 'real milliseconds per simulated second for simulated migrations (default 1000)' },
  help: { kind: 'boolean', help: 'show this help' },
};
const usage = 'Usage: offline-first cluster up|down|status|env [flags]';

/** The files a cluster keeps in its state directory. */
const stateFiles = (dir: string) => ({ state: join(dir, 'state.json'), kubeconfig: join(dir, 'kubeconfig'), log: join(dir, 'daemon.log') });

/** The running cluster's state; undefined when there is none (or its process is gone). */
function readState(dir: string): ClusterState | undefined {
  try {
    const state = JSON.parse(readFileSync(stateFiles(dir).state, 'utf8')) as ClusterState;
    return processAlive(state.pid) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The line that puts the cluster's kubectl first on PATH and points it at the cluster. */
function envLine(state: ClusterState): string {
  return `export ${state.toolsDir ? `PATH=${state.toolsDir}:$PATH ` : ''}KUBECONFIG=${state.kubeconfig}`;
}

function printState(state: ClusterState): void {
  process.stdout.write(
    `local control plane running (pid ${state.pid}) at ${state.server}\n` +
      `world: ${state.world}; operator: ${state.operator ? 'running in the cluster process' : 'not running (start one with `offline-first run`)'}\n` +
      `kubeconfig: ${state.kubeconfig}\n\n` +
      `kubectl of the API server's release, for this shell:\n  ${envLine(state)}\n  kubectl get nodes,vmis,vmims,ofp -A\n` +
      `or without changing the shell: npm run kubectl -- get nodes,vmis -A\n`,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the process is gone; false after `timeoutMs`. */
async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += 100) {
    if (!processAlive(pid)) return true;
    await sleep(100);
  }
  return !processAlive(pid);
}

/** The directory of kubectl built from the same Kubernetes release as kube-apiserver; without it any kubectl will do. */
async function kubectlDir(): Promise<string | undefined> {
  try {
    return await buildTools(['kubectl'], (line) => {
      if (!line.endsWith(': cached')) process.stderr.write(`${line}\n`);
    });
  } catch (err) {
    process.stderr.write(`kubectl could not be built, use one of your own (${err instanceof Error ? err.message : String(err)})\n`);
    return undefined;
  }
}

async function up(dir: string, options: DaemonOptions, foreground: boolean): Promise<number> {
  const running = readState(dir);
  if (running) {
    printState(running);
    return 0;
  }
  const files = stateFiles(dir);
  const toolsDir = await kubectlDir();
  mkdirSync(dir, { recursive: true });
  if (foreground) {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    await serveLocalCluster({ ...options, ...(toolsDir ? { toolsDir } : {}), stateDir: dir, onReady: (state) => printState(state) }, stopSignal(), log);
    return 0;
  }
  const out = openSync(files.log, 'a');
  const daemon = spawn(process.execPath, [join(import.meta.dirname, '..', 'devcluster', 'daemon.js'), dir, JSON.stringify({ ...options, ...(toolsDir ? { toolsDir } : {}) })], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  daemon.unref();
  process.stderr.write(`starting a local control plane (the first run builds kube-apiserver and etcd; progress in ${files.log})\n`);
  let exitCode: number | null = null;
  daemon.once('exit', (code) => (exitCode = code ?? 1));
  // Ctrl-C while it starts: the daemon is in its own process group, so stop it here.
  let interrupted = false;
  void stopSignal().then(() => (interrupted = true));
  for (let waited = 0; ; waited += 250) {
    if (interrupted) {
      process.stderr.write('interrupted: stopping the control plane\n');
      daemon.kill('SIGTERM');
      if (!(await exited(daemon.pid!, 30_000))) daemon.kill('SIGKILL');
      removeLeftovers(dir);
      return 130;
    }
    const state = readState(dir);
    if (state) {
      printState(state);
      return 0;
    }
    if (exitCode !== null) {
      const tail = existsSync(files.log) ? readFileSync(files.log, 'utf8').trimEnd().split('\n').slice(-15).join('\n') : '';
      throw new Error(`the control plane did not start (its log: ${files.log}):\n${tail}`);
    }
    if (waited > 0 && waited % 15_000 === 0) process.stderr.write(`  still starting (${waited / 1000} s)...\n`);
    await sleep(250);
  }
}

/** What a stopped (or killed) cluster may have left in its state directory. */
function removeLeftovers(dir: string): void {
  for (const f of Object.values(stateFiles(dir))) rmSync(f, { force: true });
  removeIfEmpty(dir);
}

async function down(dir: string): Promise<number> {
  const state = readState(dir);
  if (!state) {
    removeLeftovers(dir);
    process.stdout.write('no local control plane is running\n');
    return 0;
  }
  process.kill(state.pid, 'SIGTERM');
  if (!(await exited(state.pid, 60_000))) throw new Error(`the control plane (pid ${state.pid}) did not stop within 60 s`);
  removeLeftovers(dir);
  process.stdout.write('local control plane stopped; its files are removed\n');
  return 0;
}

export async function run(args: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(args, flags, usage, { positionals: true });
  if (!parsed) return 0;
  const [action] = parsed.positionals;
  const dir = resolve(parsed.strings.get('state-dir') ?? process.env.OFFLINE_FIRST_CLUSTER_DIR ?? join(projectRoot, '.cluster'));
  switch (action) {
    case 'up': {
      const world = parsed.strings.get('world') ?? 'lab-room';
      if (!WORLDS[world]) throw new UsageError(`--world: no world "${world}" (there are ${Object.keys(WORLDS).join(', ')})`);
      const options: DaemonOptions = {
        world,
        operator: !parsed.booleans.has('no-operator'),
        realMsPerSimSecond: integerFlag(parsed, 'ms-per-sim-second', 1000, 1, 60_000),
      };
      return up(dir, options, parsed.booleans.has('foreground'));
    }
    case 'down':
      return down(dir);
    case 'status': {
      const state = readState(dir);
      if (state) printState(state);
      else process.stdout.write('no local control plane is running\n');
      return state ? 0 : 3;
    }
    case 'env': {
      const state = readState(dir);
      if (!state) {
        process.stderr.write('no local control plane is running (npm run cluster -- up)\n');
        return 3;
      }
      process.stdout.write(`${envLine(state)}\n`);
      return 0;
    }
    default:
      throw new UsageError(`expected up, down, status or env, got ${action === undefined ? 'nothing' : `"${action}"`}`);
  }
}
