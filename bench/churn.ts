/**
 * The operator in a live cluster (issue 14): 10,000 VMIs and 1,000 nodes whose kubelets, virt-handlers
 * and link agents keep writing (churn-world.ts), other migrations coming and going, and one Enforce
 * placement over every VM. Two phases, after a minute of warm-up:
 * 1. steady churn (10 minutes by default): the operator's CPU time as a share of one core and its
 *    resident memory (targets: under 10 % of one core; the memory targets of cache-memory.ts);
 * 2. triggers under the same churn (30 pairs by default): the time from each trigger to its
 *    migration (target: p99 under 2 s), and the CPU and memory meanwhile.
 *
 *   npm run build && node_modules/.bin/node dist/bench/churn.js [VMIs, default 10000] [--minutes M] [--triggers N] [--warmup S] [--variant "..."] [--json PATH]
 *
 * The operator runs in a child process as shipped (the chart's nodeOptions and, as root, its memory
 * limit: see operator-process.ts), with leader election and the default 30 s periodic re-plan. The
 * simulated KubeVirt (admission webhook, migration controller) runs here and completes every
 * migration, the operator's and the others, 10 times faster than real time.
 *
 * A trigger pair works on a workstation whose VMs all run at home on a 5 Mbit/s link: "better link"
 * (it reports 900 Mbit/s, freshly measured; timed to the first migration of one of its VMs to it),
 * then, 5-8 s later, "leaving client" (offline-first.io/leaving; timed to the first migration
 * home), then the workstation is reset to its slow link. Each trigger waits until none of the
 * operator's migrations is open (the other migrations go on), as in operator-latency.ts.
 */
import type { ControlPlane } from '../src/controlplane/control-plane.js';
import type { KubeClient } from '../src/kube/client.js';
import type { VirtualMachineInstanceMigration } from '../src/kube/kubevirt.js';
import { PlacementLabels, type OfflineFirstPlacement } from '../src/kube/placement.js';
import { Resources } from '../src/kube/resources.js';
import { SimulatedKubevirt } from '../src/sim/kubevirt/simulated-kubevirt.js';
import { buildCacheWorld, SERVERS, WORKSTATIONS } from './cache-world.js';
import type { ChurnChildMessage, ChurnParentMessage, ChurnSample } from './churn-child.js';
import { Churn, createNodeLeases } from './churn-world.js';
import { MigrationWatch, type Sample } from './migration-watch.js';
import { OperatorProcess, parseVariant, shippedVariant } from './operator-process.js';
import { podCredentials } from './operator-credentials.js';
import { labPlacementSpec, linkAnnotations, machineLine, NAMESPACE, startPlane, summary, waitFor, workstationName } from './operator-world.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Real milliseconds per simulated second: a 2 GiB move at 900 Mbit/s (~20 s) takes ~2 s. */
const MS_PER_SIM_SECOND = 100;
const TRIGGER_TIMEOUT_MS = 30_000;
const MB = 1e6;
/** Trigger workstations: those whose VMs all run at home (VM i is bound to workstation i mod 980 and runs there when i mod 10 < 3). */
const TRIGGER_DIGIT = 3;

const log = (line: string): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uniform = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);
const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;
const vmIndex = (name: string): number => Number(/^vm-(\d+)$/.exec(name)?.[1] ?? -1);

interface Args {
  vmis: number;
  minutes: number;
  triggers: number;
  warmupSeconds: number;
  variant: string | undefined;
  json: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { vmis: 10_000, minutes: 10, triggers: 30, warmupSeconds: 60, variant: undefined, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (what: string) => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a}: needs ${what}`);
      return v;
    };
    const positive = (text: string, name: string) => {
      const n = Number(text);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: expected a positive number, got "${text}"`);
      return n;
    };
    if (a === '--minutes') args.minutes = positive(value('a number of minutes'), '--minutes');
    else if (a === '--triggers') args.triggers = Math.round(positive(value('a number of trigger pairs'), '--triggers'));
    else if (a === '--warmup') args.warmupSeconds = positive(value('a number of seconds'), '--warmup');
    else if (a === '--variant') args.variant = value('Node flags, NAME=value or limit=SIZE');
    else if (a === '--json') args.json = value('a path');
    else if (/^\d+$/.test(a)) args.vmis = Number(a);
    else throw new Error(`unknown argument "${a}" (expected [VMIs] [--minutes M] [--triggers N] [--warmup S] [--variant "..."] [--json PATH])`);
  }
  if (args.vmis < 1000) throw new Error('VMIs: at least 1000 (ten per workstation, for the triggers)');
  return args;
}

/** What one window of samples says: CPU share of one core, memory, plans, events. */
function windowFigures(first: ChurnSample, last: ChurnSample, samples: readonly ChurnSample[]) {
  const seconds = (last.atMs - first.atMs) / 1000;
  const cpuSeconds = (last.cpuUserUs + last.cpuSystemUs - first.cpuUserUs - first.cpuSystemUs) / 1e6;
  const rss = samples.map((s) => s.memory.rss);
  const plans = last.plans - first.plans;
  const delta = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]));
  const events = delta(first.events, last.events);
  const eventsByResource = delta(first.eventsByResource, last.eventsByResource);
  return {
    seconds,
    cpuShare: cpuSeconds / seconds,
    maxRss: Math.max(...rss),
    meanRss: rss.reduce((s, x) => s + x, 0) / Math.max(1, rss.length),
    plans,
    meanPlanMs: ((last.planSeconds - first.planSeconds) / Math.max(1, plans)) * 1000,
    reconciles: last.reconciles - first.reconciles,
    meanReconcileMs: ((last.reconcileSeconds - first.reconcileSeconds) / Math.max(1, last.reconciles - first.reconciles)) * 1000,
    reconcileWallShare: (last.reconcileSeconds - first.reconcileSeconds) / seconds,
    events,
    eventsByResource,
    stepMeanMs: Object.fromEntries(Object.entries(last.steps).map(([k, b]) => {
      const a = first.steps[k] ?? { count: 0, sumSeconds: 0 };
      return [k, ((b.sumSeconds - a.sumSeconds) / Math.max(1, b.count - a.count)) * 1000];
    })),
    cut: delta(first.cut, last.cut),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  log(`operator under churn: ${args.vmis} VMIs, ${SERVERS + WORKSTATIONS} nodes, ${args.minutes} min measured after ${args.warmupSeconds} s of warm-up (targets: under 10 % of one core; reaction p99 under 2 s)`);
  log(machineLine());
  let plane: ControlPlane | undefined;
  let kubevirt: SimulatedKubevirt | undefined;
  let watch: MigrationWatch | undefined;
  let child: OperatorProcess<ChurnChildMessage, ChurnParentMessage> | undefined;
  let churn: Churn | undefined;
  try {
    const up = await startPlane(log);
    plane = up.plane;
    const client: KubeClient = up.client;
    await buildCacheWorld(client, args.vmis, log);
    await createNodeLeases(client, log);
    kubevirt = await SimulatedKubevirt.start(client, { namespace: NAMESPACE, ca: plane.ca, realMsPerSimSecond: MS_PER_SIM_SECOND });
    watch = new MigrationWatch(client);
    watch.informer.start();
    await watch.informer.waitForSync();

    const variant = parseVariant(args.variant ?? shippedVariant(log));
    log(`operator process: ${variant.label}`);
    // As in its pod: the ServiceAccount's token and CA, read without client-node.
    const credentials = await podCredentials(client, plane.ca.certPem);
    const op = new OperatorProcess<ChurnChildMessage, ChurnParentMessage>('churn-child.js', [credentials, NAMESPACE, String(MS_PER_SIM_SECOND / 1000)], variant, (line) => log(`  child: ${line}`));
    child = op;
    const synced = await op.next('synced', 600_000);
    log(`operator caches synced and leading in ${(synced.syncMs / 1000).toFixed(1)} s`);
    const samples: ChurnSample[] = [];
    const latest = async (): Promise<ChurnSample> => {
      samples.push(...op.take('sample'));
      if (samples.length === 0) samples.push(await op.next('sample', 10_000));
      return samples[samples.length - 1]!;
    };

    // The chart's default link freshness (10 minutes): the link agents' refreshes keep the links fresh.
    const { linkMaxAge: _dayLong, ...spec } = labPlacementSpec({ app: 'lab' });
    await client.create<OfflineFirstPlacement>(Resources.placement, { metadata: { name: 'lab', namespace: NAMESPACE }, spec });
    await waitFor(`a plan of all ${args.vmis} VMs`, async () => (await latest()).decided >= args.vmis, 300_000, 1000);
    log('placement "lab" planned: every VM decided');

    const links = new Map<number, string>();
    churn = new Churn(client, { vmis: args.vmis, linkOf: (w) => links.get(w) ?? '5Mbit/s', movable: (vm) => vm % 10 > TRIGGER_DIGIT });
    churn.start();
    const churnStarted = Date.now();
    const progress = setInterval(() => {
      void latest().then((now) => {
        const minuteAgo = samples.find((s) => s.atMs >= now.atMs - 60_000) ?? now;
        const f = windowFigures(minuteAgo, now, samples.filter((s) => s.atMs >= minuteAgo.atMs));
        const writes = churn!.rates().reduce((s, r) => s + r.donePerSecond, 0);
        log(`  ${((Date.now() - churnStarted) / 60_000).toFixed(1)} min of churn: last minute ${(100 * f.cpuShare).toFixed(1)} % of a core, RSS ${mb(now.memory.rss)}, ${f.plans} plans (${f.meanPlanMs.toFixed(0)} ms), events ${JSON.stringify(f.events)}; ${writes.toFixed(0)} writes/s`);
      });
    }, 60_000);
    log(`churn started; warming up for ${args.warmupSeconds} s, then ${args.minutes} min of steady churn`);
    await sleep(args.warmupSeconds * 1000);

    // Phase 1: steady churn, nothing asked of the operator but what the cluster changes by itself.
    const first = await latest();
    await sleep(args.minutes * 60_000);
    const steadyEnd = await latest();
    const steadyRates = churn.rates();

    // Phase 2: triggers under the same churn, each timed to its migration.
    const reaction: Record<'better link' | 'leaving client', Sample[]> = { 'better link': [], 'leaving client': [] };
    let missed = 0;
    const w = watch;
    const boundTo = (ws: number) => (m: VirtualMachineInstanceMigration) => vmIndex(m.spec.vmiName) % WORKSTATIONS === ws;
    log(`${args.triggers} trigger pairs under churn`);
    // Each trigger waits until the operator's own migrations have ended: a trigger met by all of
    // KubeVirt's slots taken (parallelMigrationsPerCluster) would time the slots, not the operator.
    const ownOpen = () => w.open().filter((m) => m.metadata.labels?.[PlacementLabels.placement] !== undefined).length;
    for (let k = 0; k < args.triggers; k++) {
      const ws = TRIGGER_DIGIT + 10 * (k % Math.floor(WORKSTATIONS / 10));
      await waitFor("the operator's migrations to end", () => ownOpen() === 0, 120_000, 200);
      await sleep(uniform(1000, 3000));
      links.set(ws, '900Mbit/s');
      const better = await w.time((m) => boundTo(ws)(m) && m.metadata.labels?.[PlacementLabels.direction] === 'ToClient', () =>
        client.mergePatch(Resources.node, undefined, workstationName(ws), { metadata: { annotations: linkAnnotations('900Mbit/s') } }), TRIGGER_TIMEOUT_MS);
      if (better) reaction['better link'].push(better);
      else missed++;
      // A 2 GiB move at 900 Mbit/s takes about 2 s here: some VMs are on the client by then.
      await sleep(uniform(5000, 8000));
      const leaving = await w.time((m) => boundTo(ws)(m) && m.metadata.labels?.[PlacementLabels.direction] === 'Home', () =>
        client.mergePatch(Resources.node, undefined, workstationName(ws), { metadata: { annotations: { 'offline-first.io/leaving': 'true' } } }), TRIGGER_TIMEOUT_MS);
      if (leaving) reaction['leaving client'].push(leaving);
      else if (better) missed++;
      log(`  trigger pair ${k + 1} on ${workstationName(ws)}: better link ${better ? `${better.totalMs.toFixed(0)} ms` : 'no migration'}, leaving client ${leaving ? `${leaving.totalMs.toFixed(0)} ms` : 'no migration'}`);
      // Back to a slow link, no longer leaving: the VMs that came home stay home.
      await sleep(5000);
      links.delete(ws);
      await client.mergePatch(Resources.node, undefined, workstationName(ws), { metadata: { annotations: { ...linkAnnotations('5Mbit/s'), 'offline-first.io/leaving': null } } });
    }
    const last = await latest();
    clearInterval(progress);
    await churn.stop();
    churn = undefined;

    const inWindow = (a: ChurnSample, b: ChurnSample) => windowFigures(a, b, samples.filter((s) => s.atMs >= a.atMs && s.atMs <= b.atMs));
    const steady = inWindow(first, steadyEnd);
    const acting = inWindow(steadyEnd, last);
    const perMinute: number[] = [];
    for (let t = first.atMs; t + 60_000 <= steadyEnd.atMs + 500; t += 60_000) {
      const a = samples.find((s) => s.atMs >= t)!;
      const b = [...samples].reverse().find((s) => s.atMs <= t + 60_000)!;
      perMinute.push(windowFigures(a, b, [a, b]).cpuShare);
    }
    const all = [...reaction['better link'], ...reaction['leaving client']].map((s) => s.totalMs);
    const report = (name: string, f: ReturnType<typeof windowFigures>) => {
      log(`  ${name}, ${(f.seconds / 60).toFixed(1)} min:`);
      log(`    operator CPU ${(100 * f.cpuShare).toFixed(1)} % of one core; RSS highest ${mb(f.maxRss)}, mean ${mb(f.meanRss)}`);
      log(`    ${f.plans} plans, mean ${f.meanPlanMs.toFixed(0)} ms; ${f.reconciles} placement reconciles, mean ${f.meanReconcileMs.toFixed(0)} ms (wall time, API writes included: ${(100 * f.reconcileWallShare).toFixed(1)} % of the time)`);
      log(`    reconcile steps, mean: ${Object.entries(f.stepMeanMs).map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`).join(', ')}; plans cut short by a trigger: ${Object.values(f.cut).reduce((x, y) => x + y, 0)} (${Object.entries(f.cut).filter(([, n]) => n > 0).map(([k, n]) => `after ${k} ${n}`).join(', ') || 'none'})`);
      log(`    watch events: ${Object.entries(f.events).map(([k, n]) => `${k} ${n} (${(n / f.seconds).toFixed(1)}/s)`).join(', ')}`);
      log(`      by resource: ${Object.entries(f.eventsByResource).filter(([, n]) => n > 0).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${(n / f.seconds).toFixed(2)}/s`).join(', ')}`);
    };
    log(`\nresults (${args.vmis} VMIs, ${SERVERS + WORKSTATIONS} nodes):`);
    log('  writes per second during the steady churn (planned / done, failed):');
    for (const r of steadyRates) log(`    ${r.kind.padEnd(24)} ${r.duePerSecond.toFixed(1)} / ${r.donePerSecond.toFixed(1)}${r.failed ? `, ${r.failed} failed` : ''}`);
    report('steady churn', steady);
    log(`    CPU per minute: ${perMinute.map((x) => (100 * x).toFixed(1)).join(', ')} %`);
    report('triggers under churn (the operator acting)', acting);
    for (const [kind, s] of Object.entries(reaction)) log(`  reaction, ${kind.padEnd(15)} ${summary(s.map((x) => x.totalMs))}; write acknowledged ${summary(s.map((x) => x.ackMs))}`);
    log(`  reaction, all             ${summary(all)}${missed ? `; ${missed} triggers without a migration` : ''}`);
    log(machineLine());
    if (args.json) {
      mkdirSync(dirname(args.json), { recursive: true });
      const reactionMs = Object.fromEntries(Object.entries(reaction).map(([k, s]) => [k, s.map((x) => x.totalMs)]));
      writeFileSync(args.json, `${JSON.stringify({ benchmark: 'churn', vmis: args.vmis, nodes: SERVERS + WORKSTATIONS, variant: variant.label, machine: machineLine().replace(/^machine: /, ''), date: new Date().toISOString(), rates: steadyRates, steady, perMinuteCpuShare: perMinute, acting, reactionMs, missed }, null, 2)}\n`);
      log(`figures written to ${args.json}`);
    }
    op.tell({ type: 'stop' });
    const code = await op.exited;
    if (code !== 0) throw new Error(`the operator process exited with ${code}`);
  } finally {
    await churn?.stop();
    watch?.cancelAll();
    await child?.close();
    await watch?.informer.stop();
    await kubevirt?.stop();
    await plane?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`churn failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
