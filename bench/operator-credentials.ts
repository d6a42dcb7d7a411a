/**
 * The measured operator process authenticates as it does in its pod: with a ServiceAccount token
 * and the cluster's CA in a directory, read by src/kube/in-cluster.ts without loading
 * @kubernetes/client-node (whose import alone is about 50 MB of the process's memory).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../src/kube/client.js';
import { isAlreadyExists } from '../src/kube/errors.js';
import { InClusterCredentials } from '../src/kube/in-cluster.js';
import { NAMESPACE } from './operator-world.js';

const ACCOUNT = 'offline-first-bench-operator';
const PREFIX = 'in-cluster:';

async function ensure(request: () => Promise<unknown>): Promise<void> {
  try {
    await request();
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** A ServiceAccount bound to cluster-admin, its token and the CA in a new directory: the argument for `clientFor`. */
export async function podCredentials(admin: KubeClient, caPem: string): Promise<string> {
  await ensure(() => admin.request('POST', `/api/v1/namespaces/${NAMESPACE}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: ACCOUNT } } }));
  await ensure(() => admin.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: ACCOUNT },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: ACCOUNT, namespace: NAMESPACE }],
    },
  }));
  const token = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/${ACCOUNT}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 86_400 } },
  });
  const dir = mkdtempSync(join(tmpdir(), 'offline-first-bench-sa-'));
  writeFileSync(join(dir, 'token'), token.status.token);
  writeFileSync(join(dir, 'ca.crt'), caPem);
  const server = new URL(admin.server);
  return `${PREFIX}${JSON.stringify({ dir, host: server.hostname, port: server.port })}`;
}

/** In the measured process: in-cluster credentials from `podCredentials`, or a kubeconfig path. */
export function clientFor(arg: string): KubeClient {
  if (!arg.startsWith(PREFIX)) return KubeClient.load(arg);
  const { dir, host, port } = JSON.parse(arg.slice(PREFIX.length)) as { dir: string; host: string; port: string };
  return new KubeClient(new InClusterCredentials({ host, port, dir }));
}
