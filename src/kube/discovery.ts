/** Start-up checks that the API groups the operator needs are served, with errors a user can act on. */
import type { KubeClient } from './client.js';
import { KubeApiError } from './errors.js';
import { Resources, type Resource } from './resources.js';

interface ResourceList {
  resources?: { name: string }[];
}

const REQUIRED: readonly [Resource, string][] = [
  [Resources.vmi, 'KubeVirt is not installed (no virtualmachineinstances.kubevirt.io/v1); install KubeVirt >= 1.6 first'],
  [Resources.migration, 'KubeVirt is not installed (no virtualmachineinstancemigrations.kubevirt.io/v1); install KubeVirt >= 1.6 first'],
  [Resources.placement, 'the OfflineFirstPlacement CRD is not installed; apply crds/ or install the Helm chart'],
];

export async function checkApis(client: KubeClient): Promise<void> {
  const byGroup = new Map<string, ResourceList | undefined>();
  for (const [r, message] of REQUIRED) {
    const path = `/apis/${r.group}/${r.version}`;
    if (!byGroup.has(path)) {
      try {
        byGroup.set(path, await client.request<ResourceList>('GET', path));
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) byGroup.set(path, undefined);
        else throw err;
      }
    }
    if (!byGroup.get(path)?.resources?.some((x) => x.name === r.plural)) throw new Error(message);
  }
}
