/**
 * `offline-first cluster up|down|status`: a local control plane (real kube-apiserver + etcd,
 * the project's CRDs, KubeVirt test CRDs and the simulated KubeVirt) in the background, for
 * trying things with kubectl.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from '../controlplane/tools.js';
import type { ClusterState } from '../devcluster/daemon.js';
import { integerFlag, parseCommandFlags, UsageError, type FlagSpecs } from './flags.js';

const flags: FlagSpecs = {
  'state-dir': { kind: 'string', value: 'DIR', help: 'where the kubeconfig, state and log live (default: .cluster in the project)' },
  'ms-per-sim-second': { kind: 'string', value: 'N', help: 'real milliseconds per simulated second for simulated migrations (default 1000)' },
  help: { kind: 'boolean', help: 'show this help' },
};
const usage = 'Usage: offline-first cluster up|down|status [flags]';

function readState(dir: string): ClusterState | undefined {
  try {
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ClusterState;
    process.kill(state.pid, 0);
    return state;
  } catch {
    return undefined;
  }
}

function printState(state: ClusterState): void {
  process.stdout.write(
    `local control plane running (pid ${state.pid}) at ${state.server}\n` +
      `kubeconfig: ${resolve(state.kubeconfig)}\n\n` +
      `  export KUBECONFIG=${resolve(state.kubeconfig)}\n  kubectl get nodes,vmis,vmims,ofp -A\n`,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(args: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(args, flags, usage, { positionals: true });
  if (!parsed) return 0;
  const [action] = parsed.positionals;
  const dir = resolve(parsed.strings.get('state-dir') ?? join(projectRoot, '.cluster'));
  const logPath = join(dir, 'daemon.log');
  switch (action) {
    case 'up': {
      const scale = integerFlag(parsed, 'ms-per-sim-second', 1000, 1, 60_000);
      const running = readState(dir);
      if (running) {
        printState(running);
        return 0;
      }
      mkdirSync(dir, { recursive: true });
      const out = openSync(logPath, 'a');
      const daemon = spawn(process.execPath, [join(import.meta.dirname, '..', 'devcluster', 'daemon.js'), dir, String(scale)], {
        detached: true,
        stdio: ['ignore', out, out],
      });
      closeSync(out);
      daemon.unref();
      process.stderr.write(`starting a local control plane (the first run builds kube-apiserver and etcd; progress in ${logPath})\n`);
      let exited: number | null = null;
      daemon.once('exit', (code) => (exited = code ?? 1));
      for (let waited = 0; ; waited += 250) {
        const state = readState(dir);
        if (state) {
          printState(state);
          return 0;
        }
        if (exited !== null) {
          const tail = existsSync(logPath) ? readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-15).join('\n') : '';
          throw new Error(`the control plane did not start:\n${tail}`);
        }
        if (waited > 0 && waited % 15_000 === 0) process.stderr.write(`  still starting (${waited / 1000} s)...\n`);
        await sleep(250);
      }
    }
    case 'down': {
      const state = readState(dir);
      if (!state) {
        process.stdout.write('no local control plane is running\n');
        return 0;
      }
      process.kill(state.pid, 'SIGTERM');
      for (let i = 0; i < 120 && readState(dir); i++) await sleep(250);
      for (let i = 0; i < 120; i++) {
        try {
          process.kill(state.pid, 0);
          await sleep(250);
        } catch {
          process.stdout.write('local control plane stopped\n');
          return 0;
        }
      }
      throw new Error(`the control plane (pid ${state.pid}) did not stop within 60 s`);
    }
    case 'status': {
      const state = readState(dir);
      if (state) printState(state);
      else process.stdout.write('no local control plane is running\n');
      return state ? 0 : 3;
    }
    default:
      throw new UsageError(`expected up, down or status, got ${action === undefined ? 'nothing' : `"${action}"`}`);
  }
}
