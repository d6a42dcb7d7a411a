/**
 * The measured process of bench/cache-memory.ts: an Operator whose memory is read from inside.
 * Run by the parent with `--expose-gc` and an IPC channel; not meant to be started by hand.
 *
 *   argv: <credentials (operator-credentials.ts: in-cluster, or a kubeconfig path)> <resync ms>
 *   -> { type: 'baseline' }  after imports, before any cache
 *   -> { type: 'synced' }    the operator's four informers started and synced (no worker running)
 *   <- { type: 'act', vmis, idleMs }  a placement exists: start the operator, plan, stay idle for idleMs
 *   -> { type: 'acting' }
 *   <- { type: 'stop' }
 */
import { clientFor } from './operator-credentials.js';
import { Operator } from '../src/operator/operator.js';
import { durationStats, meanMs } from './operator-stats.js';
import { afterGc, memory, type MemoryFigures } from './process-memory.js';

export type { MemoryFigures };

export type ChildMessage =
  | { type: 'baseline'; afterGc: MemoryFigures }
  | { type: 'synced'; syncMs: number; counts: Record<string, number>; memory: MemoryFigures; afterGc: MemoryFigures }
  | {
      type: 'acting';
      firstPlanMs: number;
      plans: number;
      meanPlanMs: number;
      reconciles: number;
      meanReconcileMs: number;
      decisions: Record<string, number>;
      migrations: number;
      peakRssWhileActing: number;
      memory: MemoryFigures;
      afterGc: MemoryFigures;
    }
  | { type: 'log'; line: string };

export type ParentMessage = { type: 'act'; vmis: number; idleMs: number } | { type: 'stop' };

function send(m: ChildMessage): void {
  process.send?.(m);
}

function nextMessage<T extends ParentMessage['type']>(type: T): Promise<Extract<ParentMessage, { type: T }>> {
  return new Promise((resolve) => {
    const on = (m: ParentMessage): void => {
      if (m.type !== type) return;
      process.off('message', on);
      resolve(m as Extract<ParentMessage, { type: T }>);
    };
    process.on('message', on);
  });
}

async function until(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  const [kubeconfig, resync] = process.argv.slice(2);
  if (!kubeconfig || !process.send) throw new Error('started by bench/cache-memory.js only');
  // A parent that went away (Ctrl-C, a crash) took the control plane with it: nothing left to measure.
  let finished = false;
  process.once('disconnect', () => {
    if (!finished) process.exit(1);
  });
  send({ type: 'baseline', afterGc: await afterGc() });

  const client = clientFor(kubeconfig);
  const op = new Operator(client, {
    identity: 'bench-cache',
    resyncMs: Number(resync ?? 5000),
    log: (msg, fields) => {
      if (/error|fail|refused/i.test(msg)) send({ type: 'log', line: `operator: ${msg} ${JSON.stringify(fields ?? {})}` });
    },
  });
  const informers = [op.placements, op.vmis, op.migrations, op.nodes];
  const started = performance.now();
  for (const inf of informers) inf.start();
  await Promise.all(informers.map((i) => i.waitForSync()));
  const syncMs = performance.now() - started;
  const counts = { placements: op.placements.size, vmis: op.vmis.size, migrations: op.migrations.size, nodes: op.nodes.size };
  const synced = memory();
  send({ type: 'synced', syncMs, counts, memory: synced, afterGc: await afterGc() });

  const act = await nextMessage('act');
  await until(() => op.placements.size > 0, 30_000, 'the placement in the cache');
  const actStarted = performance.now();
  await op.start();
  await until(() => (op.reconciler.lastPlan?.decisions.length ?? 0) >= act.vmis, 120_000, `a plan of ${act.vmis} VMs`);
  const firstPlanMs = performance.now() - actStarted;
  let peak = 0;
  const idleUntil = performance.now() + act.idleMs;
  while (performance.now() < idleUntil) {
    peak = Math.max(peak, process.memoryUsage().rss);
    await new Promise((r) => setTimeout(r, 100));
  }
  const acting = memory();
  const plans = await durationStats(op, 'plan');
  const reconciles = await durationStats(op, 'placement reconcile');
  const decisions: Record<string, number> = {};
  for (const d of op.reconciler.lastPlan?.decisions ?? []) decisions[`${d.action}/${d.reason}`] = (decisions[`${d.action}/${d.reason}`] ?? 0) + 1;
  send({
    type: 'acting',
    firstPlanMs,
    plans: plans.count,
    meanPlanMs: meanMs(plans),
    reconciles: reconciles.count,
    meanReconcileMs: meanMs(reconciles),
    decisions,
    migrations: op.migrations.size,
    peakRssWhileActing: peak,
    memory: acting,
    afterGc: await afterGc(),
  });

  await nextMessage('stop');
  await op.stop();
  finished = true;
  process.disconnect();
}

main().catch((err: unknown) => {
  send({ type: 'log', line: `cache-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` });
  process.exitCode = 1;
  process.disconnect?.();
});
