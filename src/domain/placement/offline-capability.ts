/**
 * A VM keeps running on a disconnected client only if none of its volumes lives on network storage:
 * the seed's "shared storage at all times" is exactly what breaks offline. PVCs and DataVolumes
 * (shared RWX storage, or the VMI would not be live-migratable), a hostDisk marked `shared` (an
 * image on an export every node mounts) and an `ephemeral` volume (a local overlay on a PVC it
 * still reads from) are network-backed. Container and empty disks, a non-shared hostDisk,
 * cloud-init and the projected kinds (configMap, secret, serviceAccount, downwardAPI) are local.
 */
import type { VolumeKind } from './types.js';

export const NETWORK_VOLUME_KINDS: ReadonlySet<VolumeKind> = new Set<VolumeKind>([
  'persistentVolumeClaim', 'dataVolume', 'sharedHostDisk', 'ephemeral',
]);

export function isOfflineCapable(volumeKinds: readonly VolumeKind[]): boolean {
  return !volumeKinds.some((kind) => NETWORK_VOLUME_KINDS.has(kind));
}

/** The volume kinds that keep a VM from running offline, for messages. */
export function networkVolumeKinds(volumeKinds: readonly VolumeKind[]): VolumeKind[] {
  return [...new Set(volumeKinds.filter((kind) => NETWORK_VOLUME_KINDS.has(kind)))];
}
