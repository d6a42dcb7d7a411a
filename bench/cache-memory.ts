/**
 * Resident memory of the operator with informer caches of 10,000 VMIs and 1,000 nodes (DESIGN.md
 * target: under 300 MB), then while it acts: one Enforce placement selecting all 10,000 VMIs (each
 * bound to its workstation), re-planned every 5 s, nothing moving. The operator runs in a child
 * process (bench/cache-child.ts) so that nothing of this script's own is counted; the child reads
 * its own memory. The world is described in bench/cache-world.ts.
 *
 *   npm run build && node_modules/.bin/node dist/bench/cache-memory.js [VMIs, default 10000] [variant ...]
 *
 * A variant is one more run of the operator process against the same world, with extra Node flags
 * and environment, e.g. "--max-old-space-size=256" or "MALLOC_ARENA_MAX=2 --max-semi-space-size=4".
 * Without variants the operator runs once as shipped: the chart's nodeOptions and, as root, its
 * memory limit (a memory cgroup, as in a pod).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ControlPlane } from '../src/controlplane/control-plane.js';
import type { KubeClient } from '../src/kube/client.js';
import { isNotFound } from '../src/kube/errors.js';
import type { OfflineFirstPlacement } from '../src/kube/placement.js';
import { Resources } from '../src/kube/resources.js';
import type { ChildMessage, MemoryFigures, ParentMessage } from './cache-child.js';
import { OperatorProcess, parseVariant, shippedVariant, type Variant } from './operator-process.js';
import { podCredentials } from './operator-credentials.js';
import { buildCacheWorld, meanCachedVmiBytes, SERVERS, WORKSTATIONS } from './cache-world.js';
import { labPlacementSpec, machineLine, NAMESPACE, startPlane, waitFor } from './operator-world.js';

const RESYNC_MS = 5000;
const IDLE_MS = 30_000;
const MB = 1e6;

const log = (line: string): void => void process.stdout.write(`${line}\n`);

const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;
const figures = (m: MemoryFigures): string =>
  `RSS ${mb(m.rss)} (anonymous ${mb(m.anonymousRss)}; heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, external ${mb(m.external)}, array buffers ${mb(m.arrayBuffers)}); peak RSS so far ${mb(m.peakRss)}`;

/** What `--json` writes per variant, and what `--check` compares (bytes, milliseconds). */
export interface VariantFigures {
  variant: string;
  beforeCacheRss: number;
  syncMs: number;
  syncedRss: number;
  syncedHeapUsed: number;
  actingPeakRss: number;
  actingRss: number;
  meanPlanMs: number;
}

/** One operator process against the world: informers only, then acting with a placement. */
async function measure(client: KubeClient, credentials: string, vmis: number, variant: Variant): Promise<VariantFigures> {
  log(`\n== operator process: ${variant.label}`);
  const child = new OperatorProcess<ChildMessage, ParentMessage>('cache-child.js', [credentials, String(RESYNC_MS)], variant, (line) => log(`  child: ${line}`));
  try {
    const next = <T extends ChildMessage['type']>(type: T, timeoutMs: number) => child.next(type, timeoutMs);
    const tell = (m: ParentMessage): void => child.tell(m);

    const baseline = await next('baseline', 60_000);
    log(`before any cache (after GC): ${figures(baseline.afterGc)}`);
    const synced = await next('synced', 600_000);
    const c = synced.counts;
    log(`informers synced in ${(synced.syncMs / 1000).toFixed(2)} s: ${c.vmis} VMIs, ${c.nodes} nodes, ${c.migrations} migrations, ${c.placements} placements`);
    log(`  right after sync:  ${figures(synced.memory)}`);
    log(`  after forced GC:   ${figures(synced.afterGc)}`);

    await client.create<OfflineFirstPlacement>(Resources.placement, { metadata: { name: 'lab', namespace: NAMESPACE }, spec: labPlacementSpec({ app: 'lab' }) });
    tell({ type: 'act', vmis, idleMs: IDLE_MS });
    const acting = await next('acting', 300_000);
    log(`acting: placement "lab" (Enforce, bound, all ${vmis} VMIs); first plan done ${(acting.firstPlanMs / 1000).toFixed(2)} s after start, then ${IDLE_MS / 1000} s with a re-plan every ${RESYNC_MS / 1000} s`);
    log(`  plans ${acting.plans}, mean plan ${acting.meanPlanMs.toFixed(0)} ms; placement reconciles ${acting.reconciles}, mean ${acting.meanReconcileMs.toFixed(0)} ms (gather + plan + status)`);
    log(`  decisions: ${Object.entries(acting.decisions).map(([k, n]) => `${k} ${n}`).join(', ')}; migrations in the cache: ${acting.migrations}`);
    log(`  while acting:      ${figures(acting.memory)}; highest RSS sampled while acting ${mb(acting.peakRssWhileActing)}`);
    log(`  after forced GC:   ${figures(acting.afterGc)}`);
    tell({ type: 'stop' });
    const code = await child.exited;
    if (code !== 0) throw new Error(`the operator process exited with ${code}${child.inCgroup ? ' (killed at its memory limit?)' : ''}`);
    return {
      variant: variant.label,
      beforeCacheRss: baseline.afterGc.rss,
      syncMs: synced.syncMs,
      syncedRss: synced.afterGc.rss,
      syncedHeapUsed: synced.afterGc.heapUsed,
      actingPeakRss: Math.max(acting.peakRssWhileActing, acting.memory.rss),
      actingRss: acting.afterGc.rss,
      meanPlanMs: acting.meanPlanMs,
    };
  } finally {
    await child.close();
    await deletePlacement(client);
  }
}

async function deletePlacement(client: KubeClient): Promise<void> {
  try {
    await client.delete(Resources.placement, NAMESPACE, 'lab');
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return;
  }
  await waitFor('the placement to be deleted', async () => {
    try {
      await client.get(Resources.placement, NAMESPACE, 'lab');
      return false;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  });
}

/**
 * The regression guard (`npm run bench`, a step of `npm test`): fails only on a gross regression
 * against the figures recorded in bench/recorded/. Memory may grow by half: with the heap capped as in
 * a pod, two runs of the same code differed by 4 % (157 and 163 MB synced, 180 and 182 MB acting;
 * without the cap, by a quarter), and resident memory hardly depends on the CPU. A plan may take
 * five times as long: at 2,000 VMIs the same plan took 23 ms on a quiet 2-core machine and 96 ms on
 * the same machine with a load average of 5.5, so time catches only a plan gone quadratic (100 times
 * slower at this size), not a busy or slower machine. The regressions worth stopping (a cache that
 * keeps whole objects again, a plan that allocates per VM-node pair) cost far more than either margin.
 */
function regressions(got: VariantFigures, recorded: VariantFigures): string[] {
  const found: string[] = [];
  const memory = (k: 'syncedRss' | 'actingPeakRss') => got[k] > recorded[k] * 1.5 && found.push(`${k} ${mb(got[k])} > 1.5 x recorded ${mb(recorded[k])}`);
  memory('syncedRss');
  memory('actingPeakRss');
  if (got.meanPlanMs > recorded.meanPlanMs * 5) found.push(`meanPlanMs ${got.meanPlanMs.toFixed(0)} > 5 x recorded ${recorded.meanPlanMs.toFixed(0)}`);
  return found;
}

function takeFlag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  if (!value) throw new Error(`${name} needs a path`);
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const jsonPath = takeFlag(args, '--json');
  const checkPath = takeFlag(args, '--check');
  const vmis = Number(args[0] ?? 10_000);
  if (!Number.isInteger(vmis) || vmis < 1) throw new Error('VMIs: a positive integer');
  const variants = args.slice(1).map(parseVariant);
  if (variants.length === 0) variants.push(parseVariant(shippedVariant(log)));
  log(`operator memory benchmark: informer caches of ${vmis} VMIs and ${SERVERS + WORKSTATIONS} nodes (DESIGN.md: under 300 MB resident)`);
  log(machineLine());
  let plane: ControlPlane | undefined;
  try {
    const up = await startPlane(log);
    plane = up.plane;
    await buildCacheWorld(up.client, vmis, log);
    log(`a VMI as the informer caches it (managedFields dropped): ${((await meanCachedVmiBytes(up.client)) / 1000).toFixed(1)} kB of JSON on average`);
    // As in its pod: the ServiceAccount's token and CA, read without client-node.
    const credentials = await podCredentials(up.client, up.plane.ca.certPem);
    const results: VariantFigures[] = [];
    for (const v of variants) results.push(await measure(up.client, credentials, vmis, v));
    log(machineLine());
    if (jsonPath) {
      mkdirSync(dirname(jsonPath), { recursive: true });
      writeFileSync(jsonPath, `${JSON.stringify({ benchmark: 'cache-memory', vmis, nodes: SERVERS + WORKSTATIONS, machine: machineLine().replace(/^machine: /, ''), date: new Date().toISOString(), results }, null, 2)}\n`);
      log(`figures written to ${jsonPath}`);
    }
    if (checkPath) {
      const recorded = JSON.parse(readFileSync(checkPath, 'utf8')) as { vmis: number; results: VariantFigures[] };
      if (recorded.vmis !== vmis) throw new Error(`${checkPath} records ${recorded.vmis} VMIs, this run had ${vmis}`);
      const found = results.flatMap((r) => {
        const ref = recorded.results.find((x) => x.variant === r.variant);
        return ref ? regressions(r, ref).map((f) => `${r.variant}: ${f}`) : [];
      });
      if (found.length) throw new Error(`gross regression against ${checkPath}:\n  ${found.join('\n  ')}`);
      log(`no gross regression against ${checkPath} (memory within 1.5x, plans within 5x of the recorded figures)`);
    }
  } finally {
    await plane?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`cache-memory failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
