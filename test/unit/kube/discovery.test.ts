import { expect } from 'chai';
import type { KubeClient } from '../../../src/kube/client.js';
import { checkApis, servedOptionalResources } from '../../../src/kube/discovery.js';
import { KubeApiError } from '../../../src/kube/errors.js';
import { Resources } from '../../../src/kube/resources.js';

/** An API server that serves these groups (path → resource names); any other group is a 404. */
function apiServer(groups: Record<string, string[]>): KubeClient {
  return {
    request: async (method: string, path: string) => {
      const names = groups[path];
      if (!names) throw new KubeApiError(method, path, 404, 'NotFound', 'the server could not find the requested resource');
      return { resources: names.map((name) => ({ name })) };
    },
  } as unknown as KubeClient;
}

const withKubevirt = { '/apis/kubevirt.io/v1': ['virtualmachineinstances', 'virtualmachineinstancemigrations'], '/apis/placement.offline-first.io/v1alpha1': ['offlinefirstplacements'] };

describe('API discovery', () => {
  it('passes without the KubeVirt resource and MigrationPolicies, which are optional', async () => {
    await checkApis(apiServer(withKubevirt));
  });

  it('finds the KubeVirt resource and MigrationPolicies only where they are served', async () => {
    const optional = [Resources.kubevirt, Resources.migrationPolicy];
    expect([...(await servedOptionalResources(apiServer(withKubevirt), optional))]).to.deep.equal([]);
    const full = apiServer({ ...withKubevirt, '/apis/kubevirt.io/v1': [...withKubevirt['/apis/kubevirt.io/v1'], 'kubevirts'], '/apis/migrations.kubevirt.io/v1alpha1': ['migrationpolicies'] });
    expect([...(await servedOptionalResources(full, optional))]).to.deep.equal(['kubevirts', 'migrationpolicies']);
  });

  it('still refuses to start without VirtualMachineInstances', async () => {
    const err = await checkApis(apiServer({ '/apis/placement.offline-first.io/v1alpha1': ['offlinefirstplacements'] })).catch((e: unknown) => e);
    expect(String(err)).to.contain('KubeVirt is not installed');
  });
});
