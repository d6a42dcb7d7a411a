/**
 * The measured operator process of the benchmarks that read its memory or CPU: a child process (so
 * nothing of the benchmark's own is counted) talking over IPC, started with a variant's Node flags
 * and environment, and optionally in a memory cgroup as in a pod (memory-limit.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { projectRoot } from '../src/controlplane/tools.js';
import { createMemoryCgroup, parseLimitBytes, type MemoryCgroup } from './memory-limit.js';

export interface Variant {
  label: string;
  nodeFlags: string[];
  env: Record<string, string>;
  /** limit=512Mi: the operator process runs in a memory cgroup with this limit, as in a pod. */
  limitBytes?: number;
}

export function parseVariant(text: string): Variant {
  const tokens = text.split(/\s+/).filter(Boolean);
  const env: Record<string, string> = {};
  const nodeFlags: string[] = [];
  let limitBytes: number | undefined;
  for (const t of tokens) {
    if (t.startsWith('--')) nodeFlags.push(t);
    else if (t.startsWith('limit=')) limitBytes = parseLimitBytes(t.slice('limit='.length));
    else if (/^[A-Z_][A-Z0-9_]*=/.test(t)) env[t.slice(0, t.indexOf('='))] = t.slice(t.indexOf('=') + 1);
    else throw new Error(`variant "${text}": "${t}" is neither a Node flag (--...), limit=SIZE nor NAME=value`);
  }
  return { label: tokens.length ? tokens.join(' ') : 'no extra flags', nodeFlags, env, ...(limitBytes ? { limitBytes } : {}) };
}

/**
 * The operator as shipped: the chart's default nodeOptions (the image sets the same heap flags) and,
 * when this runs as root and can make a memory cgroup, the chart's default memory limit — Node sizes
 * its heap from the limit, as in a pod.
 */
export function shippedVariant(log: (line: string) => void): string {
  const values = yaml.load(readFileSync(join(projectRoot, 'charts', 'offline-first', 'values.yaml'), 'utf8')) as { nodeOptions?: string; resources?: { limits?: { memory?: string } } };
  const limit = values.resources?.limits?.memory;
  const inPod = limit && process.getuid?.() === 0 ? `limit=${limit} ` : '';
  if (!inPod) log('not root: the operator runs without the chart\'s memory limit (its heap then sizes from the machine)');
  return `${inPod}${values.nodeOptions ?? ''}`;
}

/** A child process running `script` (a compiled bench file) with the variant, and its messages in order of arrival. */
export class OperatorProcess<In extends { type: string }, Out> {
  private readonly messages: In[] = [];
  private wake: (() => void) | undefined;
  private readonly child: ChildProcess;
  private readonly cgroup: MemoryCgroup | undefined;
  readonly exited: Promise<number | null>;

  constructor(script: string, args: string[], variant: Variant, onLog: (line: string) => void) {
    this.cgroup = variant.limitBytes ? createMemoryCgroup(variant.limitBytes) : undefined;
    const nodeArgs = ['--expose-gc', ...variant.nodeFlags];
    // In a cgroup: a shell moves itself in, then becomes Node (keeping the IPC channel), so V8 starts under the limit.
    this.child = fork(join(import.meta.dirname, script), args, {
      ...(this.cgroup ? { execPath: '/bin/sh', execArgv: ['-c', 'echo $$ > "$OFFLINE_FIRST_BENCH_CGROUP" && exec "$0" "$@"', process.execPath, ...nodeArgs] } : { execArgv: nodeArgs }),
      env: { ...process.env, ...variant.env, ...(this.cgroup ? { OFFLINE_FIRST_BENCH_CGROUP: this.cgroup.procsFile } : {}) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
    this.child.on('message', (m: In | { type: 'log'; line: string }) => {
      if (m.type === 'log' && 'line' in m) onLog(m.line);
      else this.messages.push(m as In);
      this.wake?.();
    });
  }

  get inCgroup(): boolean {
    return this.cgroup !== undefined;
  }

  /** The next message of this type (earlier ones of other types stay queued). */
  async next<T extends In['type']>(type: T, timeoutMs: number): Promise<Extract<In, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex((m) => m.type === type);
      if (i >= 0) return this.messages.splice(i, 1)[0] as Extract<In, { type: T }>;
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`the operator process sent no "${type}" (exit code ${this.child.exitCode})`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 500);
      });
    }
  }

  /** Every message of this type received and not yet taken, oldest first. */
  take<T extends In['type']>(type: T): Extract<In, { type: T }>[] {
    const taken: Extract<In, { type: T }>[] = [];
    for (let i = this.messages.length - 1; i >= 0; i--) if (this.messages[i]!.type === type) taken.unshift(this.messages.splice(i, 1)[0] as Extract<In, { type: T }>);
    return taken;
  }

  tell(m: Out): void {
    this.child.send(m as object);
  }

  /** Kills the process if it still runs, waits for it, removes its cgroup. */
  async close(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill();
    await this.exited;
    this.cgroup?.remove();
  }
}
