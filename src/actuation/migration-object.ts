/**
 * Builds and creates the VirtualMachineInstanceMigration for a planned move,
 * pinned with spec.addedNodeSelector, labelled to its placement, with a deterministic name so a
 * restarted (or duplicated) operator adopts an existing migration instead of creating a second one.
 */
import { createHash } from 'node:crypto';
import type { PlannedMigration } from '../domain/placement/index.js';
import type { KubeClient } from '../kube/client.js';
import { isAlreadyExists, KubeApiError } from '../kube/errors.js';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../kube/kubevirt.js';
import { MANAGED_BY, PlacementAnnotations, PlacementLabels } from '../kube/placement.js';
import { Resources } from '../kube/resources.js';

/**
 * Same VMI, same attempt number, same target: same name. Every migration of ours carries its
 * attempt number and the next one takes the highest plus one, so a later move always gets a new
 * name (also after KubeVirt garbage-collected older ones); until then a second attempt to create the
 * same move finds the first (AlreadyExists) and adopts it.
 */
export function migrationName(vmi: VirtualMachineInstance, targetNode: string, attempt: number): string {
  const history = vmi.status?.migrationState?.migrationUid ?? 'none';
  const hash = createHash('sha256').update(`${vmi.metadata.uid}:${history}:${attempt}:${targetNode}`).digest('hex').slice(0, 10);
  const base = vmi.metadata.name!.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40).replace(/-+$/, '');
  return `ofp-${base}-${hash}`;
}

export function migrationFor(vmi: VirtualMachineInstance, planned: PlannedMigration): VirtualMachineInstanceMigration {
  const placementName = planned.placementKey.slice(planned.placementKey.indexOf('/') + 1);
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: {
      name: migrationName(vmi, planned.targetNode, planned.attempt),
      namespace: vmi.metadata.namespace!,
      labels: {
        [PlacementLabels.placement]: placementName,
        [PlacementLabels.direction]: planned.direction,
        [PlacementLabels.managedBy]: MANAGED_BY,
      },
      annotations: {
        [PlacementAnnotations.predictedSeconds]: planned.predictedSeconds.toFixed(1),
        [PlacementAnnotations.budgetSeconds]: Number.isFinite(planned.budgetSeconds) ? planned.budgetSeconds.toFixed(0) : 'Infinity',
        [PlacementAnnotations.reason]: planned.reason,
        [PlacementAnnotations.attempt]: String(planned.attempt),
        [PlacementAnnotations.failuresBefore]: String(planned.failuresBefore),
        [PlacementAnnotations.targetFailuresBefore]: String(planned.targetFailuresBefore),
        [PlacementAnnotations.inputs]: planned.inputs,
        [PlacementAnnotations.predictedBytes]: planned.predictedBytes.toFixed(0),
        [PlacementAnnotations.predictedBandwidth]: planned.predictedBandwidthBytesPerSecond.toFixed(0),
        ...(planned.link
          ? {
              [PlacementAnnotations.linkNode]: planned.link.node,
              [PlacementAnnotations.linkBandwidth]: planned.link.measuredBandwidthBytesPerSecond.toFixed(0),
              [PlacementAnnotations.linkCorrection]: planned.link.correction.toFixed(3),
            }
          : {}),
      },
    },
    spec: { vmiName: vmi.metadata.name!, addedNodeSelector: { 'kubernetes.io/hostname': planned.targetNode } },
  };
}

export type CreateOutcome =
  | { kind: 'created'; migration: VirtualMachineInstanceMigration }
  | { kind: 'adopted'; migration: VirtualMachineInstanceMigration }
  | { kind: 'refused'; message: string };

export async function createMigration(client: KubeClient, vmi: VirtualMachineInstance, planned: PlannedMigration): Promise<CreateOutcome> {
  const m = migrationFor(vmi, planned);
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
