/**
 * The measured process of bench/churn.ts: the operator as it runs in its pod (leader election, the
 * default periodic re-plan and pacing), reporting its own CPU time, memory, plans and watch events.
 * Run by the parent with an IPC channel; not meant to be started by hand.
 *
 *   argv: <credentials (operator-credentials.ts: in-cluster, or a kubeconfig path)> <namespace for the leader Lease> <time scale>
 *   -> { type: 'synced' }   caches synced, acting
 *   -> { type: 'sample' }   every second
 *   <- { type: 'stop' }
 */
import { clientFor } from './operator-credentials.js';
import { Operator } from '../src/operator/operator.js';
import { durationStats } from './operator-stats.js';

export interface ChurnSample {
  type: 'sample';
  /** Date.now() when taken (the parent's clock too). */
  atMs: number;
  /** process.cpuUsage(), microseconds since the start. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Resident set and V8 heap used (not /proc's smaps, whose reading costs CPU every second). */
  memory: { rss: number; heapUsed: number };
  plans: number;
  planSeconds: number;
  reconciles: number;
  reconcileSeconds: number;
  /** Watch events by effect (plan, deferred, ignored). */
  events: Record<string, number>;
  /** Watch events by resource and effect ("nodes plan"). */
  eventsByResource: Record<string, number>;
  /** Seconds spent in each reconcile step so far (gather, plan, act, report) and how often. */
  steps: Record<string, { count: number; sumSeconds: number }>;
  /** Plans cut short by a trigger, by the step after which they stopped. */
  cut: Record<string, number>;
  /** VMs decided in the last plan. */
  decided: number;
}

export type ChurnChildMessage = { type: 'synced'; syncMs: number } | ChurnSample;
export type ChurnParentMessage = { type: 'stop' };

function send(m: ChurnChildMessage | { type: 'log'; line: string }): void {
  process.send?.(m);
}

async function sample(op: Operator): Promise<ChurnSample> {
  const cpu = process.cpuUsage();
  const plans = await durationStats(op, 'plan');
  const reconciles = await durationStats(op, 'placement reconcile');
  const events: Record<string, number> = {};
  const eventsByResource: Record<string, number> = {};
  for (const v of (await op.metrics.watchEvents.get()).values) {
    const effect = String(v.labels.effect);
    events[effect] = (events[effect] ?? 0) + v.value;
    eventsByResource[`${v.labels.resource} ${effect}`] = v.value;
  }
  const steps: ChurnSample['steps'] = {};
  for (const v of (await op.metrics.reconcileSteps.get()).values) {
    const step = String(v.labels.step);
    const entry = (steps[step] ??= { count: 0, sumSeconds: 0 });
    if (v.metricName?.endsWith('_count')) entry.count = v.value;
    else if (v.metricName?.endsWith('_sum')) entry.sumSeconds = v.value;
  }
  const cut: Record<string, number> = {};
  for (const v of (await op.metrics.plansCut.get()).values) cut[String(v.labels.step)] = v.value;
  return {
    type: 'sample',
    atMs: Date.now(),
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    memory: (({ rss, heapUsed }) => ({ rss, heapUsed }))(process.memoryUsage()),
    plans: plans.count,
    planSeconds: plans.sumSeconds,
    reconciles: reconciles.count,
    reconcileSeconds: reconciles.sumSeconds,
    events,
    eventsByResource,
    steps,
    cut,
    decided: op.reconciler.lastPlan?.decisions.length ?? 0,
  };
}

async function main(): Promise<void> {
  const [kubeconfig, namespace, timeScale] = process.argv.slice(2);
  if (!kubeconfig || !namespace || !process.send) throw new Error('started by bench/churn.js only');
  let finished = false;
  process.once('disconnect', () => {
    if (!finished) process.exit(1);
  });
  const op = new Operator(clientFor(kubeconfig), {
    identity: 'bench-churn',
    leaderElection: { namespace },
    timeScale: Number(timeScale ?? 1),
    log: (msg, fields) => {
      if (/error|fail|refused/i.test(msg)) send({ type: 'log', line: `operator: ${msg} ${JSON.stringify(fields ?? {})}` });
    },
  });
  const started = performance.now();
  await op.start();
  send({ type: 'synced', syncMs: performance.now() - started });
  const timer = setInterval(() => void sample(op).then(send), 1000);
  await new Promise<void>((resolve) => process.on('message', (m: ChurnParentMessage) => m.type === 'stop' && resolve()));
  clearInterval(timer);
  await op.stop();
  finished = true;
  process.disconnect();
}

main().catch((err: unknown) => {
  send({ type: 'log', line: `churn-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` });
  process.exitCode = 1;
  process.disconnect?.();
});
