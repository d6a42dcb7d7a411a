/** Start-up checks that the API groups the operator needs are served, with errors a user can act on. */
import type { KubeClient } from './client.js';
import { KubeApiError } from './errors.js';
import { Resources, type Resource } from './resources.js';

interface ResourceList {
  resources?: { name: string }[];
}

const REQUIRED: readonly [Resource, string][] = [
  [Resources.vmi, 'KubeVirt is not installed (no virtualmachineinstances.kubevirt.io/v1); install KubeVirt >= 1.6 first, or try the local cluster: npm run cluster -- up'],
  [Resources.migration, 'KubeVirt is not installed (no virtualmachineinstancemigrations.kubevirt.io/v1); install KubeVirt >= 1.6 first, or try the local cluster: npm run cluster -- up'],
  [Resources.placement, 'the OfflineFirstPlacement CRD is not installed; apply crds/ or install the Helm chart'],
];

/** Whether the API server serves a resource; a group it does not know (404) serves nothing. */
async function serves(client: KubeClient, r: Resource, byGroup: Map<string, ResourceList | undefined>): Promise<boolean> {
  const path = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  if (!byGroup.has(path)) {
    try {
      byGroup.set(path, await client.request<ResourceList>('GET', path));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) byGroup.set(path, undefined);
      else throw err;
    }
  }
  return byGroup.get(path)?.resources?.some((x) => x.name === r.plural) ?? false;
}

export async function checkApis(client: KubeClient): Promise<void> {
  const byGroup = new Map<string, ResourceList | undefined>();
  for (const [r, message] of REQUIRED) if (!(await serves(client, r, byGroup))) throw new Error(message);
}

/**
 * Of the resources the operator can do without (the KubeVirt resource, MigrationPolicies), those
 * served: an informer on a resource that is not served would retry forever and never sync.
 */
export async function servedOptionalResources(client: KubeClient, resources: readonly Resource[]): Promise<Set<string>> {
  const byGroup = new Map<string, ResourceList | undefined>();
  const served = new Set<string>();
  for (const r of resources) if (await serves(client, r, byGroup)) served.add(r.plural);
  return served;
}

