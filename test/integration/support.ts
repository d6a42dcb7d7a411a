/** Helpers shared by the integration tests: the shared control plane, clients, namespaces, waiting. */
import { randomBytes } from 'node:crypto';
import type { ControlPlane } from '../../src/controlplane/control-plane.js';
import { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { Resources } from '../../src/kube/resources.js';

let shared: ControlPlane | undefined;

export function setSharedControlPlane(p: ControlPlane): void {
  shared = p;
}

export function controlPlane(): ControlPlane {
  if (!shared) throw new Error('the integration fixture did not start a control plane (run with test/mocharc.integration.json)');
  return shared;
}

export function adminClient(): KubeClient {
  return KubeClient.load(controlPlane().kubeconfigPath);
}

/** A fresh namespace for one test; names are unique per run. */
export async function newNamespace(client: KubeClient, prefix = 'test'): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await client.create(Resources.namespace, { metadata: { name } });
  return name;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` saying what it waited for. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** The API server's refusal of a request, or a failure saying the request went through. */
export async function refusal(request: Promise<unknown>): Promise<KubeApiError> {
  const outcome = await request.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof KubeApiError)) throw new Error(`expected the API server to refuse the request, but ${outcome === undefined ? 'it succeeded' : String(outcome)}`);
  return outcome;
}
