/** A benchmark child process's own memory, read from inside (Node's figures and /proc). */
import { readFileSync } from 'node:fs';

export interface MemoryFigures {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /**
   * Peak resident set of this process so far (VmHWM; getrusage's maxRSS would include the parent's
   * resident set at fork time, which survives exec on Linux). 0 where /proc is missing.
   */
  peakRss: number;
  /** Anonymous (not file-backed) part of the resident set: heap and malloc, not mapped code. 0 where /proc is missing. */
  anonymousRss: number;
}

export function memory(): MemoryFigures {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, peakRss: procKb('status', 'VmHWM'), anonymousRss: procKb('smaps_rollup', 'Anonymous') };
}

function procKb(file: 'status' | 'smaps_rollup', field: string): number {
  try {
    const kB = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/self/${file}`, 'utf8'))?.[1];
    return kB ? Number(kB) * 1024 : 0;
  } catch {
    return 0;
  }
}

export async function afterGc(): Promise<MemoryFigures> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  // Twice, with a turn of the event loop between, so weakly held and finalised objects go too; then
  // a second for V8's background unmapper to hand freed pages back to the system.
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  await new Promise((r) => setTimeout(r, 1000));
  return memory();
}

