/**
 * Mocha global fixture for the integration suite: one real control plane per run, shared by
 * every test file, always torn down (also on failure, Ctrl-C or SIGTERM; a detached guardian
 * covers SIGKILL).
 */
import { ControlPlane } from '../../src/controlplane/control-plane.js';
import { installCrds, kubevirtSimCrdDir, projectCrdDir } from '../../src/controlplane/crds.js';
import { KubeClient } from '../../src/kube/client.js';
import { setSharedControlPlane } from './support.js';

let plane: ControlPlane | undefined;

function onSignal(signal: NodeJS.Signals): void {
  plane?.stopNow();
  process.kill(process.pid, signal);
}

export async function mochaGlobalSetup(): Promise<void> {
  const started = Date.now();
  plane = await ControlPlane.start({ onProgress: (line) => process.stderr.write(`  ${line}\n`) });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => plane?.stopNow());
  const client = KubeClient.load(plane.kubeconfigPath);
  const crds = await installCrds(client, [projectCrdDir, kubevirtSimCrdDir]);
  process.stderr.write(`  control plane up in ${((Date.now() - started) / 1000).toFixed(1)} s with ${crds.length} CRDs\n`);
  setSharedControlPlane(plane);
}

export async function mochaGlobalTeardown(): Promise<void> {
  await plane?.stop();
}
