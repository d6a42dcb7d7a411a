/**
 * The operator's credentials in its pod: the mounted ServiceAccount token and CA, read without
 * @kubernetes/client-node, against the real API server; the token is read again after the kubelet
 * rotates it.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { InClusterCredentials } from '../../src/kube/in-cluster.js';
import { adminClient, controlPlane, newNamespace } from './support.js';

async function whoami(client: KubeClient): Promise<string> {
  const r = await client.request<{ status: { userInfo: { username: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  return r.status.userInfo.username;
}

describe('in-cluster credentials', function () {
  this.timeout(30_000);
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('authenticate as the pod ServiceAccount with the mounted token and CA, and follow a rotated token', async () => {
    const admin = adminClient();
    const ns = await newNamespace(admin, 'in-cluster');
    await admin.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'operator' } } });
    const token = async () =>
      (await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/operator/token`, {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
      })).status.token;
    dir = mkdtempSync(join(tmpdir(), 'offline-first-sa-'));
    writeFileSync(join(dir, 'token'), `${await token()}\n`);
    writeFileSync(join(dir, 'ca.crt'), controlPlane().ca.certPem);
    const server = new URL(admin.server);
    const client = new KubeClient(new InClusterCredentials({ host: server.hostname, port: server.port, dir, rereadMs: 100 }));

    expect(await whoami(client)).to.equal(`system:serviceaccount:${ns}:operator`);
    // The kubelet writes a token the server does not accept: the next read uses it and is refused...
    writeFileSync(join(dir, 'token'), 'not-a-token');
    await new Promise((r) => setTimeout(r, 150));
    const refused = await whoami(client).then(() => undefined, (err: unknown) => err);
    expect(refused).to.be.instanceOf(KubeApiError);
    expect((refused as KubeApiError).status).to.equal(401);
    // ...and a fresh one works again, without a new client.
    writeFileSync(join(dir, 'token'), await token());
    await new Promise((r) => setTimeout(r, 150));
    expect(await whoami(client)).to.equal(`system:serviceaccount:${ns}:operator`);
  });
});
