/**
 * Which input problems to report now. The same bad annotation is seen on every plan (every few
 * seconds): it is logged and turned into a Warning Event when first seen and then at most once per
 * interval while it lasts, and forgotten once fixed, so fixing and breaking it again reports again.
 */
import type { InputProblem } from '../../observation/gather.js';

/** Kubernetes' own event de-duplication works on a similar scale. */
export const REPORT_INTERVAL_MS = 10 * 60_000;

export class InputReports {
  private readonly lastReported = new Map<string, number>();

  constructor(private readonly intervalMs = REPORT_INTERVAL_MS) {}

  /** The problems due for a report at nowMs; remembers them as reported. */
  due(problems: readonly InputProblem[], nowMs: number): InputProblem[] {
    const current = new Set<string>();
    const out: InputProblem[] = [];
    for (const p of problems) {
      const key = `${p.kind}/${p.namespace ?? ''}/${p.name}\n${p.message}`;
      if (current.has(key)) continue;
      current.add(key);
      const last = this.lastReported.get(key);
      if (last !== undefined && nowMs - last < this.intervalMs) continue;
      this.lastReported.set(key, nowMs);
      out.push(p);
    }
    for (const key of this.lastReported.keys()) if (!current.has(key)) this.lastReported.delete(key);
    return out;
  }
}
