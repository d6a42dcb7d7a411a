/**
 * CPU seconds used by each thread of a process over an interval, grouped by thread name
 * ("CPU 0/TCG", "live_migration", ...). They show whether TCG or the migration thread, rather
 * than the link, was the bottleneck. Sample often: a thread's time vanishes from /proc when it
 * exits (the migration thread does, right at completion), so the last sample seen is kept.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream build. */
const TICKS_PER_SECOND = 100;

export type ThreadCpu = Record<string, number>;

interface ThreadSample {
  readonly comm: string;
  readonly seconds: number;
}

async function readThreads(pid: number): Promise<Map<string, ThreadSample>> {
  const out = new Map<string, ThreadSample>();
  let tids: string[];
  try {
    tids = await readdir(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // comm may contain spaces and parentheses: the fields after it start at the last ')'.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { comm, seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND });
    } catch {
      // The thread ended between readdir and readFile.
    }
  }
  return out;
}

export class CpuTracker {
  private baseline = new Map<string, ThreadSample>();
  private latest = new Map<string, ThreadSample>();

  constructor(private readonly pid: number) {}

  /** Starts the interval now. */
  async start(): Promise<void> {
    this.baseline = await readThreads(this.pid);
    this.latest = new Map(this.baseline);
  }

  async sample(): Promise<void> {
    for (const [tid, s] of await readThreads(this.pid)) this.latest.set(tid, s);
  }

  /** CPU seconds per thread name since start(), up to the last sample. */
  used(): ThreadCpu {
    const out: ThreadCpu = {};
    for (const [tid, s] of this.latest) {
      const used = s.seconds - (this.baseline.get(tid)?.seconds ?? 0);
      out[s.comm] = Math.round(((out[s.comm] ?? 0) + used) * 100) / 100;
    }
    return out;
  }
}
