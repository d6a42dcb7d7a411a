/**
 * Helpers for tests that run the CLI as a user would, in its own process group, and check that it
 * leaves nothing behind: processes, listening ports, files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../../src/controlplane/process-alive.js';
import { projectRoot } from '../../src/controlplane/tools.js';

export const cliPath = join(projectRoot, 'dist', 'src', 'cli.js');

/** A fresh directory to be the child's TMPDIR: everything it makes under the temp dir lands there. */
export function freshTmpDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

export interface Spawned {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) when the process exits. */
  readonly exited: Promise<number | string>;
}

/** Runs `node dist/src/cli.js ARGS` in a new process group, as a terminal runs a foreground job. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): Spawned {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: projectRoot, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, output: () => out, exited };
}

/** Resolves once `pattern` shows in the output; fails if the process exits first or after `timeoutMs`. */
export async function waitForOutput(s: Spawned, pattern: RegExp, timeoutMs = 90_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = s.output().match(pattern);
    if (m) return m;
    if (s.child.exitCode !== null || s.child.signalCode !== null) throw new Error(`exited (${s.child.exitCode ?? s.child.signalCode}) before printing ${pattern}:\n${s.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether any process of the group is left. */
export function groupAlive(pgid: number): boolean {
  return processAlive(-pgid);
}

/** Processes whose command line mentions `text` (a temp directory, say): the control plane's components and guardian. */
export function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(text) && Number(pid) !== process.pid) found.push(`${pid} ${cmd.slice(0, 120)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The etcd and kube-apiserver ports a control plane's progress lines name. */
export function controlPlanePorts(output: string): number[] {
  return [...output.matchAll(/starting (?:etcd|kube-apiserver) on https?:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
}
