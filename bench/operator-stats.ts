/** Count and sum of the operator's own duration histograms, read from its metrics registry. */
import type { Operator } from '../src/operator/operator.js';

export interface HistogramStats {
  count: number;
  sumSeconds: number;
}

/** Plans (offline_first_plan_duration_seconds) or placement reconciles (offline_first_reconcile_duration_seconds). */
export async function durationStats(op: Operator, which: 'plan' | 'placement reconcile'): Promise<HistogramStats> {
  const values = which === 'plan'
    ? (await op.metrics.planDuration.get()).values
    : (await op.metrics.reconcileDuration.get()).values.filter((v) => v.labels.controller === 'placement');
  return {
    count: values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0,
    sumSeconds: values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0,
  };
}

/** Mean duration in ms of the observations between two readings of one histogram (by default: since the start). */
export function meanMs(after: HistogramStats, before: HistogramStats = { count: 0, sumSeconds: 0 }): number {
  return ((after.sumSeconds - before.sumSeconds) / Math.max(1, after.count - before.count)) * 1000;
}
