/**
 * The clock KubeVirt's virt-launcher holds a migration to (live-migration-source.go, migration
 * monitor): `acceptableCompletionTime = completionTimeoutPerGiB × getVMIMigrationDataSize(vmi)`.
 *
 * Despite the name, the data size is in decimal GB, rounded up (`Quantity.ScaledValue(resource.Giga)`
 * is a ceiling): memory (request or `memory.guest`) plus, for block migration only, the apparent
 * size of the files under virt-launcher's ephemeral-disks directory (/var/run/kubevirt-ephemeral-disks:
 * container-disk overlays, cloud-init and config-drive disks). emptyDisks (/var/run/libvirt/empty-disks)
 * and hostDisks live elsewhere: block migration copies them, but the budget does not count them.
 * A 2 GiB VM counts as 3 GB, so the default budget is 450 s, whatever its emptyDisk holds. A budget of 0 (per-GiB value 0)
 * disables the check: `shouldTriggerTimeout` returns false.
 *
 * The progress timeout aborts when `DataRemaining` has not fallen between two polls (every 400 ms)
 * for longer than the timeout. QEMU's remaining count falls throughout every pass and only jumps at
 * the dirty-bitmap sync, and the disk copy falls too, so in this model it never fires: it catches
 * stalled networks, which a cost model does not predict. The field is accepted and validated so
 * that callers can pass the configuration through unchanged.
 */

/** KubeVirt ≥ 1.4 default (800 before). */
export const DEFAULT_COMPLETION_TIMEOUT_PER_GIB = 150;

export const DEFAULT_PROGRESS_TIMEOUT_SECONDS = 150;

/** Decimal GB, each started one counted whole; budgetDiskBytes: the ephemeral-disks files only. */
export function migrationDataSizeGB(memoryBytes: number, budgetDiskBytes = 0): number {
  return Math.ceil((memoryBytes + budgetDiskBytes) / 1e9);
}

/** Seconds after the start of the migration at which KubeVirt aborts it (or starts post-copy). */
export function completionBudgetSeconds(
  memoryBytes: number,
  budgetDiskBytes = 0,
  completionTimeoutPerGiB = DEFAULT_COMPLETION_TIMEOUT_PER_GIB,
): number {
  const budget = completionTimeoutPerGiB * migrationDataSizeGB(memoryBytes, budgetDiskBytes);
  return budget > 0 ? budget : Infinity;
}
