/**
 * What QEMU 7.2 puts on the wire for guest RAM, and the defaults it starts from
 * (migration/ram.c, migration/migration.c; see reference/migration-model.md §2).
 */

/** x86 target page. */
export const PAGE_BYTES = 4096;

/**
 * save_page_header(): a big-endian u64 of offset | flags before every page. The RAMBlock name that
 * follows when the block changes is ignored: a VM has few blocks and the sender stays in one a long time.
 */
export const PAGE_HEADER_BYTES = 8;

/** save_zero_page(): the header plus one byte, instead of 4 KiB. */
export const ZERO_PAGE_WIRE_BYTES = PAGE_HEADER_BYTES + 1;

/** Wire bytes per byte of a normal (non-zero) page: 4104 / 4096. */
export const NORMAL_PAGE_WIRE_FACTOR = (PAGE_BYTES + PAGE_HEADER_BYTES) / PAGE_BYTES;

/** DEFAULT_MIGRATE_SET_DOWNTIME. */
export const DEFAULT_DOWNTIME_LIMIT_MS = 300;

/** MAX_MIGRATE_DOWNTIME_SECONDS: QEMU refuses a larger downtime-limit. */
export const MAX_DOWNTIME_LIMIT_MS = 2_000_000;

/**
 * Time from the last byte of the stop-and-copy to the guest running on the destination (device
 * state load, vCPU start). An assumption to calibrate in the lab: QEMU's own `downtime` figure for
 * idle 2 GB guests over 37 Mbit/s was 2-4 ms, and it leaves out the destination's load.
 */
export const SWITCHOVER_RESUME_MS = 10;

/**
 * Bytes the first pass puts on the wire: non-zero pages in full, zero pages as a header each.
 * Pages of unknown content count as non-zero.
 */
export function firstPassWireBytes(memoryBytes: number, guestUsedBytes: number): number {
  const zeroBytes = memoryBytes - guestUsedBytes;
  return guestUsedBytes * NORMAL_PAGE_WIRE_FACTOR + (zeroBytes / PAGE_BYTES) * ZERO_PAGE_WIRE_BYTES;
}
