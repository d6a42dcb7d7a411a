/**
 * A VMI's volumes as KubeVirt treats them in a migration: which kinds they are (network-backed or
 * local, for offline capability), how many bytes block migration copies, and how many of those
 * KubeVirt's completion budget counts. Pure: the VMI in, the facts and any input errors out.
 *
 * - Block migration copies the local, non-shared disks incrementally: the data they hold, not their
 *   capacity. PVCs, DataVolumes and shared hostDisks are left where they are.
 * - The data comes from the offline-first.io/local-disk-used annotation when given. Without it an
 *   emptyDisk (a sparse qcow2) or a non-shared hostDisk counts its capacity, an upper bound on what
 *   can have been written, marked as assumed; a container-disk or ephemeral overlay counts 0.
 * - KubeVirt's budget counts only the files under its ephemeral-disks directory (container-disk
 *   and ephemeral overlays, cloud-init disks), and only as given per volume; emptyDisks and hostDisks
 *   are not counted. A total that cannot be split counts 0 there: a smaller budget can only predict
 *   an abort sooner.
 */
import type { VolumeKind } from '../domain/placement/index.js';
import { parseBytes } from '../domain/units.js';
import { Annotations, localDiskUsedFromAnnotations, type LocalDiskUsed } from './annotations.js';
import type { VirtualMachineInstance, Volume } from '../kube/kubevirt.js';

export interface DiskFacts {
  /** Every volume's kind; a hostDisk with `shared: true` is a `sharedHostDisk`. */
  readonly volumeKinds: VolumeKind[];
  /** Bytes block migration copies before memory; 0 unless the VMI's migration method is BlockMigration. */
  readonly copiedDiskBytes: number;
  /** The disk bytes KubeVirt's completion budget counts. */
  readonly budgetDiskBytes: number;
  /** Some copied bytes are a disk's capacity, not the data it holds. */
  readonly assumed: boolean;
  /** Bad or unusable inputs, each naming the annotation or field. */
  readonly errors: string[];
}

/** The VMI volume fields, in the order a volume's kinds are listed. */
const VOLUME_FIELDS = [
  'containerDisk', 'emptyDisk', 'ephemeral', 'cloudInitNoCloud', 'cloudInitConfigDrive', 'persistentVolumeClaim',
  'dataVolume', 'hostDisk', 'configMap', 'secret', 'serviceAccount', 'downwardAPI',
] as const satisfies readonly VolumeKind[];

/** Block migration copies these (local, not shared). */
const COPIED: ReadonlySet<VolumeKind> = new Set<VolumeKind>(['containerDisk', 'ephemeral', 'emptyDisk', 'hostDisk']);
/** Their files live under /var/run/kubevirt-ephemeral-disks, which KubeVirt's budget counts. */
const IN_BUDGET: ReadonlySet<VolumeKind> = new Set<VolumeKind>(['containerDisk', 'ephemeral', 'cloudInitNoCloud', 'cloudInitConfigDrive']);

function kindsOf(v: Volume): VolumeKind[] {
  return VOLUME_FIELDS.filter((field) => (v as unknown as Record<string, unknown>)[field] !== undefined)
    .map((field): VolumeKind => (field === 'hostDisk' && v.hostDisk?.shared === true ? 'sharedHostDisk' : field));
}

/** A per-volume annotation may only name volumes whose bytes matter: copied or counted in the budget. */
function namingProblem(used: LocalDiskUsed, volumes: readonly Volume[]): string | undefined {
  if (used.kind !== 'perVolume') return undefined;
  for (const name of used.bytes.keys()) {
    const volume = volumes.find((v) => v.name === name);
    if (!volume) return `${Annotations.localDiskUsed}: no volume "${name}" in the VMI (volumes: ${volumes.map((v) => v.name).join(', ') || 'none'})`;
    const kind = kindsOf(volume)[0];
    if (kind === undefined || (!COPIED.has(kind) && !IN_BUDGET.has(kind))) {
      return `${Annotations.localDiskUsed}: volume "${name}" is a ${kind ?? 'volume of unknown kind'}, which block migration does not copy; name only container, empty, ephemeral, non-shared host and cloud-init disks`;
    }
  }
  return undefined;
}

/** An emptyDisk's or hostDisk's capacity: nothing more can have been written to it. */
function capacityBound(v: Volume, kind: VolumeKind, errors: string[]): { bytes: number; assumed: boolean } {
  if (kind !== 'emptyDisk' && kind !== 'hostDisk') return { bytes: 0, assumed: false };
  const capacity = kind === 'emptyDisk' ? v.emptyDisk?.capacity : v.hostDisk?.capacity;
  const field = `volume ${v.name} ${kind}.capacity`;
  if (capacity === undefined) {
    errors.push(`${field}: missing, so the data block migration copies from it is unknown (counted 0); give it in ${Annotations.localDiskUsed}`);
    return { bytes: 0, assumed: false };
  }
  try {
    return { bytes: parseBytes(capacity, field), assumed: true };
  } catch (err) {
    errors.push(`${err instanceof Error ? err.message : String(err)} (counted 0; give the data in ${Annotations.localDiskUsed})`);
    return { bytes: 0, assumed: false };
  }
}

export function diskFacts(vmi: VirtualMachineInstance): DiskFacts {
  const volumes = vmi.spec.volumes ?? [];
  const volumeKinds = volumes.flatMap(kindsOf);
  const errors: string[] = [];
  const parsed = localDiskUsedFromAnnotations(vmi);
  if (parsed.error) errors.push(parsed.error);
  const problem = parsed.value && namingProblem(parsed.value, volumes);
  if (problem) errors.push(problem);
  // A bad annotation is reported and treated as missing, as every other input.
  const used = problem ? undefined : parsed.value;

  const none = { volumeKinds, copiedDiskBytes: 0, budgetDiskBytes: 0, assumed: false, errors };
  if (vmi.status?.migrationMethod !== 'BlockMigration') return none;
  if (used?.kind === 'total') return { ...none, copiedDiskBytes: used.bytes };

  let copiedDiskBytes = 0;
  let budgetDiskBytes = 0;
  let assumed = false;
  for (const v of volumes) {
    const kind = kindsOf(v)[0];
    if (kind === undefined) continue;
    const given = used?.bytes.get(v.name);
    if (COPIED.has(kind)) {
      const bound = given === undefined ? capacityBound(v, kind, errors) : { bytes: given, assumed: false };
      copiedDiskBytes += bound.bytes;
      assumed ||= bound.assumed && bound.bytes > 0;
    }
    if (IN_BUDGET.has(kind)) budgetDiskBytes += given ?? 0;
  }
  return { ...none, copiedDiskBytes, budgetDiskBytes, assumed };
}
