/**
 * A memory cgroup for the measured operator process, so that it runs under a limit as in a pod: Node
 * sizes V8's heap from the cgroup's limit (`process.constrainedMemory()`), which a run on a large
 * machine would not see, and percentages such as --max-old-space-size-percentage apply to it.
 * Needs root (cgroup v2, or v1's memory hierarchy).
 */
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryCgroup {
  /** Write a pid here to move that process into the cgroup. */
  readonly procsFile: string;
  remove(): void;
}

export function parseLimitBytes(text: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(text);
  if (!m) throw new Error(`memory limit "${text}": a number of Mi or Gi, as in a pod's resources`);
  return Number(m[1]) * 2 ** (m[2] === 'Gi' ? 30 : 20);
}

export function createMemoryCgroup(limitBytes: number): MemoryCgroup {
  const name = `offline-first-bench-${process.pid}-${limitBytes}`;
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const dir = v2 ? join('/sys/fs/cgroup', name) : join('/sys/fs/cgroup/memory', name);
  try {
    mkdirSync(dir);
    writeFileSync(join(dir, v2 ? 'memory.max' : 'memory.limit_in_bytes'), String(limitBytes));
  } catch (err) {
    throw new Error(`cannot create the memory cgroup ${dir} (run as root, with the memory controller): ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    procsFile: join(dir, 'cgroup.procs'),
    remove: () => {
      try {
        rmdirSync(dir);
      } catch {
        // Still holding a process that has not been reaped yet: the next run uses another name.
      }
    },
  };
}
