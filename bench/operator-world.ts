/**
 * What the operator benchmarks share: the machine line, a real control plane that is always torn
 * down (finally, Ctrl-C, SIGTERM, exit), bulk creation with a few requests in flight, quantiles,
 * and the lab-shaped objects (servers, workstations, VMIs bound to their workstation).
 */
import { ControlPlane } from '../src/controlplane/control-plane.js';
import { installCrds, kubevirtSimCrdDir, projectCrdDir } from '../src/controlplane/crds.js';
import { KubeClient } from '../src/kube/client.js';
import type { OfflineFirstPlacementSpec } from '../src/kube/placement.js';
import { Resources } from '../src/kube/resources.js';

export { machineLine } from './machine.js';

export const NAMESPACE = 'bench';
/** The VMI label that binds a VM to its student's workstation (the placement's clientBinding.labelKey). */
export const WORKSTATION_LABEL = 'lab.offline-first.io/workstation';
const GiB = 2 ** 30;

export function elapsed(startMs: number): string {
  return `${((performance.now() - startMs) / 1000).toFixed(1)} s`;
}

/** Starts etcd + kube-apiserver with the CRDs installed; the plane goes down on any exit path. */
export async function startPlane(log: (line: string) => void): Promise<{ plane: ControlPlane; client: KubeClient }> {
  const started = performance.now();
  const plane = await ControlPlane.start({ onProgress: (line) => log(`  ${line}`) });
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`\n${signal}: stopping the control plane`);
    plane.stopNow();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => plane.stopNow());
  const client = KubeClient.load(plane.kubeconfigPath);
  const crds = await installCrds(client, [projectCrdDir, kubevirtSimCrdDir]);
  await client.create(Resources.namespace, { metadata: { name: NAMESPACE } });
  log(`control plane up with ${crds.length} CRDs in ${elapsed(started)}`);
  return { plane, client };
}

/** Runs `fn` over `items` with `concurrency` calls in flight, printing progress about ten times. */
export async function inParallel<T>(what: string, items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<unknown>, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  const step = Math.max(1, Math.ceil(items.length / 10));
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
      done++;
      if (done % step === 0 || done === items.length) {
        const s = (performance.now() - started) / 1000;
        log(`  ${what}: ${done}/${items.length} in ${s.toFixed(1)} s (${(done / s).toFixed(0)}/s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Nearest-rank quantile of sorted values (with 50 samples, p99 is the largest). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function summary(values: readonly number[]): string {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return 'no samples';
  const f = (x: number) => `${x.toFixed(0)} ms`;
  return `n ${s.length}: p50 ${f(quantile(s, 0.5))}, p90 ${f(quantile(s, 0.9))}, p99 ${f(quantile(s, 0.99))}, max ${f(s[s.length - 1]!)} (min ${f(s[0]!)})`;
}

export function linkAnnotations(bandwidth: string, measuredAt = new Date()): Record<string, string> {
  return {
    'link.offline-first.io/bandwidth': bandwidth,
    'link.offline-first.io/rtt': '5ms',
    'link.offline-first.io/measured-at': measuredAt.toISOString(),
  };
}

export const serverName = (i: number): string => `server-${String(i).padStart(2, '0')}`;
export const workstationName = (i: number): string => `pc-${String(i).padStart(5, '0')}`;
export const vmName = (i: number): string => `vm-${String(i).padStart(5, '0')}`;

/**
 * The lab placement: VMs with `app: <app>` (and `extra` labels) move to their own workstation when it
 * has a usable link, and return to the data-centre servers. Link data stays trusted for a day so a
 * long run does not turn measurements stale halfway.
 */
export function labPlacementSpec(matchLabels: Record<string, string>): OfflineFirstPlacementSpec {
  return {
    mode: 'Enforce',
    vmSelector: { matchLabels },
    clientNodeSelector: { matchLabels: { 'offline-first.io/pool': 'client' } },
    homeNodeSelector: { matchLabels: { 'offline-first.io/pool': 'cloud' } },
    clientBinding: { labelKey: WORKSTATION_LABEL },
    triggers: { offlineCapabilityWanted: true },
    linkMaxAge: '24h',
  };
}

/** Resolves when `probe` returns true, polling every `everyMs`; rejects after `timeoutMs` naming `what`. */
export async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
