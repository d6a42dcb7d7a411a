/**
 * The background process behind `offline-first cluster up`: owns a local control plane with the
 * project's CRDs, the KubeVirt test CRDs and the simulated KubeVirt, until SIGTERM or SIGINT.
 *   node daemon.js <stateDir> <realMsPerSimSecond>
 * Writes <stateDir>/state.json when ready; removes it when stopped.
 */
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlPlane } from '../controlplane/control-plane.js';
import { installCrds, kubevirtSimCrdDir, projectCrdDir } from '../controlplane/crds.js';
import { KubeClient } from '../kube/client.js';
import { SimulatedKubevirt } from '../sim/kubevirt/simulated-kubevirt.js';

export interface ClusterState {
  pid: number;
  kubeconfig: string;
  server: string;
  startedAt: string;
}

const [stateDir = '.cluster', scaleArg = '1000'] = process.argv.slice(2);
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

async function main(): Promise<void> {
  const plane = await ControlPlane.start({ onProgress: log });
  let kubevirt: SimulatedKubevirt | undefined;
  const stop = async () => {
    log('stopping');
    rmSync(join(stateDir, 'state.json'), { force: true });
    await kubevirt?.stop().catch(() => undefined);
    await plane.stop();
    rmSync(join(stateDir, 'kubeconfig'), { force: true });
    log('stopped');
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  try {
    const client = KubeClient.load(plane.kubeconfigPath);
    const crds = await installCrds(client, [projectCrdDir, kubevirtSimCrdDir]);
    log(`installed CRDs: ${crds.join(', ')}`);
    kubevirt = await SimulatedKubevirt.start(client, { ca: plane.ca, realMsPerSimSecond: Number(scaleArg) });
    log('simulated KubeVirt running (admission webhooks and migration controller)');
  } catch (err) {
    await stop();
    throw err;
  }
  const kubeconfig = join(stateDir, 'kubeconfig');
  copyFileSync(plane.kubeconfigPath, kubeconfig);
  const state: ClusterState = { pid: process.pid, kubeconfig, server: plane.server, startedAt: new Date().toISOString() };
  writeFileSync(join(stateDir, 'state.json'), JSON.stringify(state, null, 2));
  log(`ready: ${plane.server}`);
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
