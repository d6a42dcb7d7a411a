/**
 * Turning what the operator can measure about a VM into a model input, with the few constants the
 * QEMU lab calibrated (docs/lab-calibration.md; `node dist/lab/calibration/report.js` refits them).
 *
 * What the operator knows: the VM's memory size, the guest's used memory (MemTotal − MemFree, what
 * a guest-used-memory metric reports), `calc-dirty-rate` readings (QEMU's MB/s: MiB/s, truncated to
 * an integer by dirtyrate.c), and the goodput of a plain TCP stream over the path. From those:
 *
 * - non-zero memory = used + memmap + a constant: MemTotal leaves out the kernel's `struct page`
 *   array (64 bytes per 4 KiB page, written at boot) and the kernel image, initramfs, firmware and
 *   option ROMs, all non-zero and all sent in full by the first pass. The memmap share is physics,
 *   not fitted; the constant is fitted.
 * - bandwidth = goodputFactor × TCP goodput (fitted; near 1).
 * - dirtying: writes spread over a hot set W = the guest's used memory. Writes land in used
 *   memory; spreading them uniformly over all of it is the worst case for a given write rate
 *   (U(t) grows with W), and windows of 1–5 s cannot show a hot set of hundreds of MiB saturating,
 *   so W cannot be fitted from them. Each reading (× dirtyRateScale, fitted: it corrects the
 *   readings' bias from integer truncation and sampling) is read through that curve,
 *   U(t) = rate·t = W·(1 − e^(−d·t/W)), giving a raw write rate d per window; a reading that
 *   saturates W (a memory hammer) gives a very high d. The write rate is the median of the windows'
 *   d: robust to the single-sample jumps of the 512-samples/GiB windows, where one dirty sample
 *   reads as 2 MiB/s for a 2 GiB guest.
 * - QEMU's default downtime limit, 300 ms.
 */
import type { MigrationInput } from './input.js';
import { DEFAULT_DOWNTIME_LIMIT_MS, PAGE_BYTES } from './qemu.js';

const MiB = 2 ** 20;

export interface Calibration {
  /** Non-zero memory neither "used" nor memmap shows (kernel image, initramfs, firmware, ROMs), bytes. Fitted. */
  readonly hiddenNonZeroBytes: number;
  /** Non-zero share of RAM for the kernel's struct page array: 64 / 4096. Not fitted. */
  readonly memmapFraction: number;
  /** Migration throughput over the TCP probe's goodput. Fitted. */
  readonly goodputFactor: number;
  /** True raw write rate over the mean calc-dirty-rate reading. Fitted. */
  readonly dirtyRateScale: number;
  /** QEMU's downtime-limit the migration runs with. */
  readonly downtimeLimitMs: number;
  /** How the windows' write rates are combined. Chosen on the training runs, not fitted. */
  readonly aggregate: 'median' | 'mean';
}

/**
 * Fitted on the training split of the lab's runs (full grid, CPU load 0/50/100 %); see
 * docs/lab-calibration.md for the data, the split and the held-out accuracy.
 */
export const LAB_CALIBRATION: Calibration = {
  hiddenNonZeroBytes: 39e6,
  memmapFraction: 64 / PAGE_BYTES,
  goodputFactor: 0.995,
  dirtyRateScale: 0.95,
  downtimeLimitMs: DEFAULT_DOWNTIME_LIMIT_MS,
  aggregate: 'median',
};

/** One `query-dirty-rate` result. */
export interface DirtyRateReading {
  /** calc-time, seconds. */
  readonly seconds: number;
  /** `dirty-rate` as QEMU reports it: MiB/s (QEMU's "MB"), an integer. */
  readonly mibPerSecond: number;
}

export interface MeasuredVm {
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

/** The write rate into the hot set the readings imply (0 with no readings). */
export function writeRateOfReadings(
  readings: readonly DirtyRateReading[],
  hotSetBytes: number,
  cal: Pick<Calibration, 'dirtyRateScale' | 'aggregate'> = LAB_CALIBRATION,
): number {
  if (readings.length === 0) return 0;
  const rates = readings.map((r) => writeRateOfReading(r, hotSetBytes, cal.dirtyRateScale));
  return cal.aggregate === 'median' ? median(rates) : rates.reduce((a, b) => a + b, 0) / rates.length;
}

/** Non-zero memory the first pass sends in full: used + memmap + the hidden constant, at most RAM. */
export function calibratedNonZeroBytes(vm: Pick<MeasuredVm, 'memoryBytes' | 'guestUsedBytes'>, cal: Calibration = LAB_CALIBRATION): number {
  return Math.min(vm.memoryBytes, vm.guestUsedBytes + vm.memoryBytes * cal.memmapFraction + cal.hiddenNonZeroBytes);
}

export function calibratedInput(vm: MeasuredVm, cal: Calibration = LAB_CALIBRATION): MigrationInput {
  const hotSet = Math.min(vm.memoryBytes, vm.guestUsedBytes);
  const writeRate = writeRateOfReadings(vm.dirtyRateReadings, hotSet, cal);
  return {
    memoryBytes: vm.memoryBytes,
    guestUsedBytes: calibratedNonZeroBytes(vm, cal),
    dirtyRate:
      writeRate > 0 && hotSet > 0
        ? { kind: 'curve', curve: { hotSetBytes: hotSet, hotWriteBytesPerSecond: writeRate, coldBytesPerSecond: 0 } }
        : { kind: 'constant', bytesPerSecond: writeRate },
    bandwidthBytesPerSecond: cal.goodputFactor * vm.linkGoodputBytesPerSecond,
    downtimeLimitMs: cal.downtimeLimitMs,
    ...(vm.completionTimeoutPerGiB === undefined ? {} : { completionTimeoutPerGiB: vm.completionTimeoutPerGiB }),
  };
}
