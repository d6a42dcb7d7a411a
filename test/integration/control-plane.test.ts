import { expect } from 'chai';
import type { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { VirtualMachineInstanceMigration } from '../../src/kube/kubevirt.js';
import { Resources } from '../../src/kube/resources.js';
import { adminClient, newNamespace } from './support.js';

async function refusal(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  throw new Error('the API server accepted an invalid object');
}

describe('the real control plane', () => {
  let client: KubeClient;
  before(() => {
    client = adminClient();
  });

  it('is a kube-apiserver 1.37', async () => {
    const v = await client.serverVersion();
    expect(v.major).to.equal('1');
    expect(v.minor).to.equal('37');
    expect(v.gitVersion).to.match(/^v1\.37\./);
  });

  it('refuses a custom resource that breaks the schema with HTTP 422', async () => {
    const ns = await newNamespace(client);
    const err = await refusal(
      client.create(Resources.migration, { metadata: { name: 'bad', namespace: ns }, spec: { vmiName: 'x', priority: 'urgent' } }),
    );
    expect(err.status).to.equal(422);
    expect(err.reason).to.equal('Invalid');
    expect(err.message).to.contain('spec.priority');
  });

  it('refuses an update that breaks a CEL rule with HTTP 422', async () => {
    const ns = await newNamespace(client);
    // Without the simulated KubeVirt's webhook nothing refuses this create; the CEL rule guards updates.
    const m = await client.create<VirtualMachineInstanceMigration>(Resources.migration, {
      metadata: { name: 'm', namespace: ns },
      spec: { vmiName: 'vm-a' },
    });
    const err = await refusal(client.update(Resources.migration, { ...m, spec: { vmiName: 'vm-b' } }));
    expect(err.status).to.equal(422);
    expect(err.message).to.contain("update of Migration object's spec is restricted");
  });

  it('enforces RBAC: an unknown service account may not list nodes', async () => {
    const review = await client.create<{ metadata: object; spec: object; status?: { allowed: boolean } }>(Resources.subjectAccessReview, {
      metadata: {},
      spec: { user: 'system:serviceaccount:default:nobody', resourceAttributes: { verb: 'list', resource: 'nodes' } },
    });
    expect(review.status?.allowed).to.equal(false);
  });
});
