/** Objects the observation tests read. */
import type { OfflineFirstPlacement, OfflineFirstPlacementSpec } from '../../../src/kube/placement.js';

/** An Enforce placement of VMs labelled app=lab onto the client pool, home to the cloud pool. */
export function placement(name: string, created: string, spec: Partial<OfflineFirstPlacementSpec> = {}, namespace = 'lab'): OfflineFirstPlacement {
  return {
    apiVersion: 'placement.offline-first.io/v1alpha1',
    kind: 'OfflineFirstPlacement',
    metadata: { name, namespace, creationTimestamp: created, generation: 1, uid: `uid-${namespace}-${name}` },
    spec: {
      mode: 'Enforce',
      vmSelector: { matchLabels: { app: 'lab' } },
      clientNodeSelector: { matchLabels: { 'offline-first.io/pool': 'client' } },
      homeNodeSelector: { matchLabels: { 'offline-first.io/pool': 'cloud' } },
      triggers: { offlineCapabilityWanted: true },
      ...spec,
    },
  };
}
