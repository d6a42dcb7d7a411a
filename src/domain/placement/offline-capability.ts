/**
 * A VM keeps running on a disconnected client only if none of its volumes lives on network storage:
 * the seed's "shared storage at all times" is exactly what breaks offline. Container and empty disks,
 * ephemeral overlays, cloud-init and the projected kinds (configMap, secret, serviceAccount,
 * downwardAPI) are local copies; a hostDisk is local too, and block migration copies it.
 */
import type { VolumeKind } from './types.js';

export const NETWORK_VOLUME_KINDS: ReadonlySet<VolumeKind> = new Set<VolumeKind>(['persistentVolumeClaim', 'dataVolume']);

export function isOfflineCapable(volumeKinds: readonly VolumeKind[]): boolean {
  return !volumeKinds.some((kind) => NETWORK_VOLUME_KINDS.has(kind));
}

/** The volume kinds that keep a VM from running offline, for messages. */
export function networkVolumeKinds(volumeKinds: readonly VolumeKind[]): VolumeKind[] {
  return [...new Set(volumeKinds.filter((kind) => NETWORK_VOLUME_KINDS.has(kind)))];
}
