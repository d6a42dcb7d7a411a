/**
 * The one write seam for migrations: creates the VirtualMachineInstanceMigration for a planned move,
 * pinned with spec.addedNodeSelector, labelled to its placement, with a deterministic name so a
 * restarted (or duplicated) operator adopts an existing migration instead of creating a second one.
 */
import { createHash } from 'node:crypto';
import type { PlannedMigration } from '../../domain/placement/index.js';
import type { KubeClient } from '../../kube/client.js';
import { isAlreadyExists, KubeApiError } from '../../kube/errors.js';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../kube/kubevirt.js';
import { MANAGED_BY, PlacementAnnotations, PlacementLabels } from '../../kube/placement.js';
import { Resources } from '../../kube/resources.js';

/**
 * Same VMI, same place in its history (the last migration it went through and how many of ours
 * ended), same target: same name. Once a migration ends, either changes, so a later move gets a
 * new name; until then a second attempt finds the first (AlreadyExists) and adopts it.
 */
export function migrationName(vmi: VirtualMachineInstance, targetNode: string, endedAttempts: number): string {
  const history = vmi.status?.migrationState?.migrationUid ?? 'none';
  const hash = createHash('sha256').update(`${vmi.metadata.uid}:${history}:${endedAttempts}:${targetNode}`).digest('hex').slice(0, 10);
  const base = vmi.metadata.name!.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40).replace(/-+$/, '');
  return `ofp-${base}-${hash}`;
}

export function migrationFor(vmi: VirtualMachineInstance, planned: PlannedMigration, endedAttempts: number): VirtualMachineInstanceMigration {
  const placementName = planned.placementKey.slice(planned.placementKey.indexOf('/') + 1);
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: {
      name: migrationName(vmi, planned.targetNode, endedAttempts),
      namespace: vmi.metadata.namespace!,
      labels: {
        [PlacementLabels.placement]: placementName,
        [PlacementLabels.direction]: planned.direction,
        [PlacementLabels.managedBy]: MANAGED_BY,
      },
      annotations: {
        [PlacementAnnotations.predictedSeconds]: planned.predictedSeconds.toFixed(1),
        [PlacementAnnotations.reason]: planned.reason,
      },
    },
    spec: { vmiName: vmi.metadata.name!, addedNodeSelector: { 'kubernetes.io/hostname': planned.targetNode } },
  };
}

export type CreateOutcome =
  | { kind: 'created'; migration: VirtualMachineInstanceMigration }
  | { kind: 'adopted'; migration: VirtualMachineInstanceMigration }
  | { kind: 'refused'; message: string };

export async function createMigration(client: KubeClient, vmi: VirtualMachineInstance, planned: PlannedMigration, endedAttempts: number): Promise<CreateOutcome> {
  const m = migrationFor(vmi, planned, endedAttempts);
  try {
    return { kind: 'created', migration: await client.create(Resources.migration, m) };
  } catch (err) {
    if (isAlreadyExists(err)) return { kind: 'adopted', migration: m };
    // KubeVirt's admission refuses it (another migration open, VMI not migratable): not retried now;
    // the next plan sees the new state.
    // A 403 is a missing permission, not KubeVirt's verdict: it stays an error and is retried.
    if (err instanceof KubeApiError && (err.status === 400 || err.status === 422)) return { kind: 'refused', message: err.message };
    throw err;
  }
}
