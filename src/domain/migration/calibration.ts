/**
 * Turning what the operator can measure about a VM into a model input, with the few constants the
 * QEMU lab calibrated (docs/lab-calibration.md; `node dist/lab/calibration/report.js` refits them).
 *
 * What the operator knows: the VM's memory size, the guest's used memory (MemTotal − MemFree, what
 * a guest-used-memory metric reports), `calc-dirty-rate` readings (QEMU's MB/s: MiB/s, truncated to
 * an integer by dirtyrate.c), and the goodput of a plain TCP stream over the path. From those:
 *
 * - non-zero memory = used + memmap + hidden: MemTotal leaves out the kernel's `struct page`
 *   array (64 bytes per 4 KiB page, written at boot) and the kernel image, initramfs, firmware and
 *   option ROMs, all non-zero and all sent in full by the first pass. The memmap share is physics,
 *   not fitted. hidden = a constant + a share per GiB of RAM, both fitted, never below 0: the lab
 *   sees more hidden memory in a 512 MiB guest (50 MB) than in a 2 GiB one (42 MB) while "used"
 *   grows with RAM, so part of "used" is zero-filled kernel memory that grows with RAM; the floor
 *   keeps large VMs at used + memmap instead of extrapolating the per-GiB share.
 * - bandwidth = goodputFactor × TCP goodput (fitted; near 1).
 * - dirtying: writes spread over a hot set W = the guest's used memory. Writes land in used
 *   memory; spreading them uniformly over all of it is the worst case for a given write rate
 *   (U(t) grows with W), and windows of 1–5 s cannot show a hot set of hundreds of MiB saturating,
 *   so W cannot be fitted from them. The write rate d is the one that makes all the readings most
 *   likely, QEMU's sampling and truncation taken into account (page-sampling.ts), times
 *   dirtyRateScale (fitted; near 1 when the readings are read right). A memory hammer saturates W
 *   and gives a very high d. The older reductions (median or mean over the windows of the d each
 *   reading implies on its own) stay for comparison in the calibration report.
 * - QEMU's default downtime limit, 300 ms.
 */
import type { DirtyRateInput } from './input.js';
import { estimateWriteRate, type PageSamplingReading } from './page-sampling.js';
import { DEFAULT_DOWNTIME_LIMIT_MS, PAGE_BYTES } from './qemu.js';

const MiB = 2 ** 20;

export interface Calibration {
  /** Non-zero memory neither "used" nor memmap shows (kernel image, initramfs, firmware, ROMs), bytes. Fitted. */
  readonly hiddenNonZeroBytes: number;
  /** How the hidden part changes per GiB of RAM, bytes (may be negative). Fitted. */
  readonly hiddenNonZeroBytesPerGiB: number;
  /** Non-zero share of RAM for the kernel's struct page array: 64 / 4096. Not fitted. */
  readonly memmapFraction: number;
  /** Migration throughput over the TCP probe's goodput. Fitted. */
  readonly goodputFactor: number;
  /** True raw write rate over the mean calc-dirty-rate reading. Fitted. */
  readonly dirtyRateScale: number;
  /** QEMU's downtime-limit the migration runs with. */
  readonly downtimeLimitMs: number;
  /** How the readings become one write rate. Chosen on the training runs, not fitted. */
  readonly aggregate: 'likelihood' | 'median' | 'mean';
}

/**
 * Fitted on the training split of the lab's runs (full grid at CPU load 0/50/100 %, and the first
 * quick grid); see docs/lab-calibration.md for the data, the split and the held-out accuracy.
 */
export const LAB_CALIBRATION: Calibration = {
  hiddenNonZeroBytes: 46e6,
  hiddenNonZeroBytesPerGiB: -5e6,
  memmapFraction: 64 / PAGE_BYTES,
  goodputFactor: 0.9875,
  dirtyRateScale: 0.9,
  downtimeLimitMs: DEFAULT_DOWNTIME_LIMIT_MS,
  aggregate: 'likelihood',
};

/** One `query-dirty-rate` result: calc-time, whole MiB/s as QEMU reports it, sample-pages per GiB. */
export type DirtyRateReading = PageSamplingReading;

/** A lab run's VM as the lab measured it (calibratedInput in model-input.ts turns it into a model input). */
export interface LabMeasuredVm {
  readonly memoryBytes: number;
  /** MemTotal − MemFree in the guest. */
  readonly guestUsedBytes: number;
  /** At least one reading; an empty list counts as a guest that dirties nothing. */
  readonly dirtyRateReadings: readonly DirtyRateReading[];
  /** A plain TCP stream's goodput over the migration path. */
  readonly linkGoodputBytesPerSecond: number;
  /** KubeVirt's completion timeout per started GB; default 150. */
  readonly completionTimeoutPerGiB?: number;
}

/** A window that saw at least this share of the hot set dirty counts as this saturated (d = 6.9·W/t). */
const MAX_SATURATION = 0.999;

/** The raw write rate d behind one reading, for a hot set of `hotSetBytes`: U(t) = W·(1 − e^(−d·t/W)). */
export function writeRateOfReading(reading: DirtyRateReading, hotSetBytes: number, scale = 1): number {
  const rate = Math.max(0, scale * reading.mibPerSecond * MiB);
  if (!(hotSetBytes > 0)) return rate;
  const share = Math.min(MAX_SATURATION, (rate * reading.seconds) / hotSetBytes);
  return (-hotSetBytes / reading.seconds) * Math.log1p(-share);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Estimates by readings list (a few ms each; calibration asks for the same runs thousands of times). */
const estimates = new WeakMap<readonly DirtyRateReading[], Map<string, number>>();

function likelyWriteRate(readings: readonly DirtyRateReading[], hotSetBytes: number, memoryBytes: number): number {
  let byShape = estimates.get(readings);
  if (!byShape) estimates.set(readings, (byShape = new Map()));
  const key = `${hotSetBytes}/${memoryBytes}`;
  let rate = byShape.get(key);
  if (rate === undefined) byShape.set(key, (rate = estimateWriteRate(readings, hotSetBytes, memoryBytes).bytesPerSecond));
  return rate;
}

/** The write rate into the hot set the readings imply (0 with no readings). */
export function writeRateOfReadings(
  readings: readonly DirtyRateReading[],
  hotSetBytes: number,
  memoryBytes: number,
  cal: Pick<Calibration, 'dirtyRateScale' | 'aggregate'> = LAB_CALIBRATION,
): number {
  if (readings.length === 0) return 0;
  if (cal.aggregate === 'likelihood') return cal.dirtyRateScale * likelyWriteRate(readings, hotSetBytes, memoryBytes);
  const rates = readings.map((r) => writeRateOfReading(r, hotSetBytes, cal.dirtyRateScale));
  return cal.aggregate === 'median' ? median(rates) : rates.reduce((a, b) => a + b, 0) / rates.length;
}

/** Non-zero memory the first pass sends in full: used + memmap + hidden (never below 0), at most RAM. */
export function calibratedNonZeroBytes(vm: Pick<LabMeasuredVm, 'memoryBytes' | 'guestUsedBytes'>, cal: Calibration = LAB_CALIBRATION): number {
  const hidden = Math.max(0, cal.hiddenNonZeroBytes + (cal.hiddenNonZeroBytesPerGiB * vm.memoryBytes) / 2 ** 30);
  return Math.min(vm.memoryBytes, vm.guestUsedBytes + vm.memoryBytes * cal.memmapFraction + hidden);
}

/**
 * The model's dirty-rate input from page-sampling readings: the write rate they imply into a hot
 * set of the guest's used memory, or of all its memory when that is unknown (the worst case).
 */
export function dirtyRateOfReadings(
  readings: readonly DirtyRateReading[],
  memoryBytes: number,
  guestUsedBytes: number | undefined,
  cal: Calibration = LAB_CALIBRATION,
): DirtyRateInput {
  const hotSet = Math.min(memoryBytes, guestUsedBytes ?? memoryBytes);
  const writeRate = writeRateOfReadings(readings, hotSet, memoryBytes, cal);
  return writeRate > 0 && hotSet > 0
    ? { kind: 'curve', curve: { hotSetBytes: hotSet, hotWriteBytesPerSecond: writeRate, coldBytesPerSecond: 0 } }
    : { kind: 'constant', bytesPerSecond: writeRate };
}
