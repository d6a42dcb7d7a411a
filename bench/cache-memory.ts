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
 * and environment, e.g. "--max-old-space-size=256" or "MALLOC_ARENA_MAX=2 --max-semi-space-size=4";
 * "+project-vmis" is an experiment: the operator process trims each cached VMI to the fields the
 * operator reads (see cache-child.ts). Without variants the operator runs once, as it ships.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { ControlPlane } from '../src/controlplane/control-plane.js';
import type { KubeClient } from '../src/kube/client.js';
import { isNotFound } from '../src/kube/errors.js';
import type { OfflineFirstPlacement } from '../src/kube/placement.js';
import { Resources } from '../src/kube/resources.js';
import type { ChildMessage, MemoryFigures, ParentMessage } from './cache-child.js';
import { buildCacheWorld, meanCachedVmiBytes, SERVERS, WORKSTATIONS } from './cache-world.js';
import { labPlacementSpec, machineLine, NAMESPACE, startPlane, waitFor } from './operator-world.js';

const RESYNC_MS = 5000;
const IDLE_MS = 30_000;
const MB = 1e6;

const log = (line: string): void => void process.stdout.write(`${line}\n`);

const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;
const figures = (m: MemoryFigures): string =>
  `RSS ${mb(m.rss)} (anonymous ${mb(m.anonymousRss)}; heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, external ${mb(m.external)}, array buffers ${mb(m.arrayBuffers)}); peak RSS so far ${mb(m.peakRss)}`;

interface Variant {
  label: string;
  nodeFlags: string[];
  env: Record<string, string>;
  /** Options of bench/cache-child.ts, such as +project-vmis. */
  childOptions: string[];
}

function parseVariant(text: string): Variant {
  const tokens = text.split(/\s+/).filter(Boolean);
  const env: Record<string, string> = {};
  const nodeFlags: string[] = [];
  const childOptions: string[] = [];
  for (const t of tokens) {
    if (t.startsWith('--')) nodeFlags.push(t);
    else if (t === '+project-vmis') childOptions.push(t);
    else if (/^[A-Z_][A-Z0-9_]*=/.test(t)) env[t.slice(0, t.indexOf('='))] = t.slice(t.indexOf('=') + 1);
    else throw new Error(`variant "${text}": "${t}" is neither a Node flag (--...), NAME=value nor +project-vmis`);
  }
  return { label: tokens.length ? tokens.join(' ') : 'no extra flags', nodeFlags, env, childOptions };
}

/** One operator process against the world: informers only, then acting with a placement. */
async function measure(client: KubeClient, kubeconfigPath: string, vmis: number, variant: Variant): Promise<void> {
  log(`\n== operator process: ${variant.label}`);
  const messages: ChildMessage[] = [];
  let wake: (() => void) | undefined;
  const child = fork(join(import.meta.dirname, 'cache-child.js'), [kubeconfigPath, String(RESYNC_MS), ...variant.childOptions], {
    execArgv: ['--expose-gc', ...variant.nodeFlags],
    env: { ...process.env, ...variant.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'log') log(`  child: ${m.line}`);
      else messages.push(m);
      wake?.();
    });
    const next = async <T extends ChildMessage['type']>(type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = messages.findIndex((m) => m.type === type);
        if (i >= 0) return messages.splice(i, 1)[0] as Extract<ChildMessage, { type: T }>;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the operator process sent no "${type}" (exit code ${child.exitCode})`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 500);
        });
      }
    };
    const tell = (m: ParentMessage): void => void child.send(m);

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
    const code = await exited;
    if (code !== 0) throw new Error(`the operator process exited with ${code}`);
  } finally {
    if (child.exitCode === null) child.kill();
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

async function main(): Promise<void> {
  const vmis = Number(process.argv[2] ?? 10_000);
  if (!Number.isInteger(vmis) || vmis < 1) throw new Error('VMIs: a positive integer');
  const variants = process.argv.slice(3).map(parseVariant);
  if (variants.length === 0) variants.push(parseVariant(''));
  log(`operator memory benchmark: informer caches of ${vmis} VMIs and ${SERVERS + WORKSTATIONS} nodes (DESIGN.md: under 300 MB resident)`);
  log(machineLine());
  let plane: ControlPlane | undefined;
  try {
    const up = await startPlane(log);
    plane = up.plane;
    await buildCacheWorld(up.client, vmis, log);
    log(`a VMI as the informer caches it (managedFields dropped): ${((await meanCachedVmiBytes(up.client)) / 1000).toFixed(1)} kB of JSON on average`);
    for (const v of variants) await measure(up.client, up.plane.kubeconfigPath, vmis, v);
    log(machineLine());
  } finally {
    await plane?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`cache-memory failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
