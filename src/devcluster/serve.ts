/**
 * A local cluster for people, from start to teardown: a real control plane, the project's CRDs,
 * the KubeVirt test CRDs, the simulated KubeVirt, a seeded world, the agents that keep its nodes'
 * times fresh and (unless told otherwise) the operator. Runs until `stopRequested` resolves —
 * in the background daemon of `cluster up` or in the foreground — and then removes everything it
 * made: the control plane's directory, the webhook's keys, the state files and its log.
 */
import { copyFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ControlPlane } from '../controlplane/control-plane.js';
import { installCrds, kubevirtSimCrdDir, projectCrdDir } from '../controlplane/crds.js';
import { KubeClient } from '../kube/client.js';
import { Operator } from '../operator/operator.js';
import { SimulatedKubevirt } from '../sim/kubevirt/simulated-kubevirt.js';
import { applyWorld, refreshNodeTimes, WORLDS } from './world.js';

export interface ClusterState {
  pid: number;
  kubeconfig: string;
  server: string;
  startedAt: string;
  world: string;
  /** Whether the operator runs inside this cluster's process. */
  operator: boolean;
  /** Where kubectl (of the same release as the API server) is. */
  toolsDir?: string;
}

export interface LocalClusterOptions {
  readonly stateDir: string;
  readonly world: string;
  readonly operator: boolean;
  readonly realMsPerSimSecond: number;
  readonly toolsDir?: string;
  /** The files this process owns besides state.json and kubeconfig (the daemon's log), removed at the end. */
  readonly ownedFiles?: readonly string[];
  readonly onReady?: (state: ClusterState) => void;
}

/** How often the nodes' link measurement and heartbeat times are stamped (linkMaxAge is 10 minutes by default). */
const NODE_TIMES_REFRESH_MS = 60_000;

/** Serves a local cluster until `stopRequested` resolves; resolves once everything is removed. */
export async function serveLocalCluster(opts: LocalClusterOptions, stopRequested: Promise<unknown>, log: (line: string) => void): Promise<void> {
  const world = WORLDS[opts.world];
  if (!world) throw new Error(`no world "${opts.world}" (there are ${Object.keys(WORLDS).join(', ')})`);
  let stopping = false;
  const stopped = stopRequested.then(() => {
    stopping = true;
    log('stopping');
  });
  const statePath = join(opts.stateDir, 'state.json');
  const kubeconfig = join(opts.stateDir, 'kubeconfig');
  const plane = await ControlPlane.start({ onProgress: log });
  let kubevirt: SimulatedKubevirt | undefined;
  let operator: Operator | undefined;
  let refresher: NodeJS.Timeout | undefined;
  let failed = false;
  try {
    if (stopping) return;
    const client = KubeClient.load(plane.kubeconfigPath);
    log(`installed CRDs: ${(await installCrds(client, [projectCrdDir, kubevirtSimCrdDir])).join(', ')}`);
    if (stopping) return;
    kubevirt = await SimulatedKubevirt.start(client, { ca: plane.ca, realMsPerSimSecond: opts.realMsPerSimSecond });
    log('simulated KubeVirt running (admission webhooks and migration controller)');
    if (stopping) return;
    const counts = await applyWorld(client, world, Date.now());
    log(`world ${opts.world}: ${counts.nodes} nodes, ${counts.vmis} VMIs`);
    refresher = setInterval(() => {
      refreshNodeTimes(client, Date.now()).catch((err: unknown) => log(`refreshing node times failed: ${String(err)}`));
    }, NODE_TIMES_REFRESH_MS);
    if (stopping) return;
    if (opts.operator) {
      // Leader-elected, so an operator started by hand against this cluster (with --leader-elect) stands by instead of competing.
      operator = new Operator(client, {
        identity: `cluster-up-${process.pid}`,
        leaderElection: { namespace: 'default' },
        resyncMs: 5000,
        timeScale: opts.realMsPerSimSecond / 1000,
        log: (msg, fields) => log(`operator: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}`),
      });
      await operator.start();
      log('operator running');
    }
    if (stopping) return;
    copyFileSync(plane.kubeconfigPath, kubeconfig);
    const state: ClusterState = {
      pid: process.pid,
      kubeconfig: resolve(kubeconfig),
      server: plane.server,
      startedAt: new Date().toISOString(),
      world: opts.world,
      operator: opts.operator,
      ...(opts.toolsDir ? { toolsDir: opts.toolsDir } : {}),
    };
    writeFileSync(statePath, JSON.stringify(state, null, 2));
    log(`ready: ${plane.server}`);
    opts.onReady?.(state);
    await stopped;
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    rmSync(statePath, { force: true });
    clearInterval(refresher);
    await operator?.stop().catch((err: unknown) => log(`stopping the operator: ${String(err)}`));
    await kubevirt?.stop().catch((err: unknown) => log(`stopping the simulated KubeVirt: ${String(err)}`));
    await plane.stop();
    rmSync(kubeconfig, { force: true });
    // After a failure the log stays, for `up` to show; `down` removes it.
    if (!failed) {
      log('stopped; everything removed');
      for (const f of opts.ownedFiles ?? []) rmSync(f, { force: true });
      removeIfEmpty(opts.stateDir);
    }
  }
}

/** The state directory goes too when nothing else is in it. */
export function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty, or already gone
  }
}
