/**
 * The one way from what is measured to the cost model's input. The planner, `predict`, the
 * simulator, the simulated KubeVirt and the lab calibration all call migrationInput, so what runs
 * is what the lab validated. The calibration enters as data (LAB_CALIBRATION by default), so a
 * learned correction can replace it.
 *
 * - memory the first pass sends: the guest's used memory (MemTotal − MemFree) plus what "used"
 *   leaves out (memmap, kernel, firmware), calibrated; all of RAM when unknown;
 * - dirtying: page-sampling readings become the most likely write rate into the used memory
 *   (page-sampling.ts, scaled by the calibration); rates and windows given in the model's terms
 *   pass through;
 * - bandwidth: the measured link (a TCP stream's goodput) capped by any migration bandwidth limit,
 *   times the calibrated goodput factor (migration streams carry a little less than a plain TCP
 *   stream);
 * - KubeVirt's and QEMU's settings as given, QEMU's default downtime limit otherwise.
 */
import { calibratedNonZeroBytes, dirtyRateOfReadings, LAB_CALIBRATION, type Calibration, type LabMeasuredVm } from './calibration.js';
import type { DirtyRateInput, MigrationInput } from './input.js';
import type { PageSamplingReading } from './page-sampling.js';

/** QEMU page-sampling readings as measured, or a rate already in the model's terms. */
export type MeasuredDirtyRate = DirtyRateInput | { readonly kind: 'readings'; readonly readings: readonly PageSamplingReading[] };

/** What is known of a VM, raw (nothing calibrated yet). */
export interface MeasuredVm {
  readonly memoryBytes: number;
  /** MemTotal − MemFree in the guest; undefined when unknown (all of RAM is assumed non-zero). */
  readonly guestUsedBytes?: number;
  readonly dirtyRate: MeasuredDirtyRate;
  /** Data a block migration copies from local disks before RAM. */
  readonly copiedDiskBytes?: number;
  /** Of those, what KubeVirt's completion budget counts. */
  readonly budgetDiskBytes?: number;
}

/** The path a migration crosses, as a plain TCP stream measured it. */
export interface MeasuredLink {
  readonly goodputBytesPerSecond: number;
}

/** How KubeVirt and QEMU will run the migration. */
export interface MigrationSettings {
  readonly bandwidthLimitBytesPerSecond?: number;
  readonly downtimeLimitMs?: number;
  readonly completionTimeoutPerGiB?: number;
  readonly progressTimeoutSeconds?: number;
  readonly allowAutoConverge?: boolean;
  readonly allowPostCopy?: boolean;
}

/** The dirty rate in the model's terms (readings estimated; a few ms, so callers that plan often cache it). */
export function modelDirtyRate(vm: Pick<MeasuredVm, 'memoryBytes' | 'guestUsedBytes' | 'dirtyRate'>, cal: Calibration = LAB_CALIBRATION): DirtyRateInput {
  return vm.dirtyRate.kind === 'readings' ? dirtyRateOfReadings(vm.dirtyRate.readings, vm.memoryBytes, vm.guestUsedBytes, cal) : vm.dirtyRate;
}

/** The bandwidth the model runs at: the link, capped by the limit, times the goodput factor. */
export function modelBandwidth(link: MeasuredLink, settings: Pick<MigrationSettings, 'bandwidthLimitBytesPerSecond'> = {}, cal: Calibration = LAB_CALIBRATION): number {
  const limit = settings.bandwidthLimitBytesPerSecond;
  const path = limit === undefined ? link.goodputBytesPerSecond : Math.min(link.goodputBytesPerSecond, limit);
  return cal.goodputFactor * path;
}

export function migrationInput(vm: MeasuredVm, link: MeasuredLink, settings: MigrationSettings = {}, cal: Calibration = LAB_CALIBRATION): MigrationInput {
  return {
    memoryBytes: vm.memoryBytes,
    ...(vm.guestUsedBytes !== undefined ? { guestUsedBytes: calibratedNonZeroBytes({ memoryBytes: vm.memoryBytes, guestUsedBytes: vm.guestUsedBytes }, cal) } : {}),
    dirtyRate: modelDirtyRate(vm, cal),
    bandwidthBytesPerSecond: modelBandwidth(link, settings, cal),
    downtimeLimitMs: settings.downtimeLimitMs ?? cal.downtimeLimitMs,
    ...(settings.completionTimeoutPerGiB !== undefined ? { completionTimeoutPerGiB: settings.completionTimeoutPerGiB } : {}),
    ...(settings.progressTimeoutSeconds !== undefined ? { progressTimeoutSeconds: settings.progressTimeoutSeconds } : {}),
    ...(vm.copiedDiskBytes !== undefined ? { blockMigrationDiskBytes: vm.copiedDiskBytes } : {}),
    ...(vm.budgetDiskBytes !== undefined ? { budgetDiskBytes: vm.budgetDiskBytes } : {}),
    ...(settings.allowAutoConverge !== undefined ? { allowAutoConverge: settings.allowAutoConverge } : {}),
    ...(settings.allowPostCopy !== undefined ? { allowPostCopy: settings.allowPostCopy } : {}),
  };
}

/** A lab run through the same function: how the calibration is fitted and checked. */
export function calibratedInput(vm: LabMeasuredVm, cal: Calibration = LAB_CALIBRATION): MigrationInput {
  return migrationInput(
    { memoryBytes: vm.memoryBytes, guestUsedBytes: vm.guestUsedBytes, dirtyRate: { kind: 'readings', readings: vm.dirtyRateReadings } },
    { goodputBytesPerSecond: vm.linkGoodputBytesPerSecond },
    { downtimeLimitMs: cal.downtimeLimitMs, ...(vm.completionTimeoutPerGiB === undefined ? {} : { completionTimeoutPerGiB: vm.completionTimeoutPerGiB }) },
    cal,
  );
}
