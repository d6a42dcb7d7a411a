/**
 * The plain input of a migration prediction, checked once: every number finite and in range, with
 * a RangeError naming the field otherwise; defaults filled in; the dirty rate turned into a curve.
 */
import { constantDirtying, type DirtyingCurve } from './dirtying.js';
import { fitDirtyingCurve } from './dirtying-fit.js';
import { DEFAULT_COMPLETION_TIMEOUT_PER_GIB, DEFAULT_PROGRESS_TIMEOUT_SECONDS } from './kubevirt-budget.js';
import { DEFAULT_DOWNTIME_LIMIT_MS, MAX_DOWNTIME_LIMIT_MS } from './qemu.js';

export interface MigrationInput {
  /** Guest RAM size. */
  memoryBytes: number;
  /** Non-zero memory if known: the first pass sends only this in full (zero pages cost 9 bytes each). Clamped to memoryBytes. */
  guestUsedBytes?: number;
  dirtyRate: DirtyRateInput;
  /** Usable migration throughput (the link, already capped by any bandwidth limit). */
  bandwidthBytesPerSecond: number;
  /** QEMU downtime-limit; default 300. At most 2,000,000 (QEMU's maximum). */
  downtimeLimitMs?: number;
  /** KubeVirt completion timeout, seconds per started decimal GB; default 150; 0 disables it. */
  completionTimeoutPerGiB?: number;
  /** KubeVirt progress timeout; default 150; validated, but never fires in this model (kubevirt-budget.ts). */
  progressTimeoutSeconds?: number;
  /** Data block migration copies from local disks before RAM (allocated bytes, not capacity); default 0. */
  blockMigrationDiskBytes?: number;
  /**
   * The disk bytes KubeVirt's completion budget counts (block migration only): the files under its
   * ephemeral-disks directory, such as container-disk overlays, not emptyDisks or hostDisks; default 0.
   */
  budgetDiskBytes?: number;
  allowAutoConverge?: boolean;
  allowPostCopy?: boolean;
}

/**
 * A measured rate, several `calc-dirty-rate` windows to fit a curve to (one window is a constant
 * rate), or a curve fitted earlier (fitDirtyingCurve), to avoid refitting for every candidate.
 * Windows arrays are treated as immutable: the fit is cached per array.
 */
export type DirtyRateInput =
  | { kind: 'constant'; bytesPerSecond: number }
  | { kind: 'windows'; windows: readonly { seconds: number; bytesPerSecond: number }[] }
  | { kind: 'curve'; curve: DirtyingCurve };

export interface ResolvedMigrationInput {
  readonly memoryBytes: number;
  readonly guestUsedBytes: number;
  readonly dirtying: DirtyingCurve;
  readonly bandwidthBytesPerSecond: number;
  readonly downtimeLimitMs: number;
  readonly completionTimeoutPerGiB: number;
  readonly progressTimeoutSeconds: number;
  readonly blockMigrationDiskBytes: number;
  readonly budgetDiskBytes: number;
  readonly allowAutoConverge: boolean;
  readonly allowPostCopy: boolean;
}

interface Range {
  readonly min?: number;
  /** The value must be strictly greater than min. */
  readonly aboveMin?: boolean;
  readonly max?: number;
}

function checked(value: unknown, field: string, { min = 0, aboveMin = false, max = Infinity }: Range = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${field} must be a finite number, got ${String(value)}`);
  }
  if (aboveMin ? value <= min : value < min) {
    throw new RangeError(`${field} must be ${aboveMin ? 'greater than' : 'at least'} ${min}, got ${value}`);
  }
  if (value > max) throw new RangeError(`${field} must be at most ${max}, got ${value}`);
  return value;
}

function optional(value: number | undefined, field: string, fallback: number, range?: Range): number {
  return value === undefined ? fallback : checked(value, field, range);
}

function dirtyingOf(input: DirtyRateInput): DirtyingCurve {
  switch (input?.kind) {
    case 'constant':
      return constantDirtying(checked(input.bytesPerSecond, 'dirtyRate.bytesPerSecond'));
    case 'windows': {
      if (!Array.isArray(input.windows) || input.windows.length === 0) {
        throw new RangeError('dirtyRate.windows must hold at least one measurement window');
      }
      input.windows.forEach((w, i) => {
        checked(w.seconds, `dirtyRate.windows[${i}].seconds`, { aboveMin: true });
        checked(w.bytesPerSecond, `dirtyRate.windows[${i}].bytesPerSecond`);
      });
      return fitDirtyingCurve(input.windows);
    }
    case 'curve':
      return {
        hotSetBytes: checked(input.curve.hotSetBytes, 'dirtyRate.curve.hotSetBytes'),
        hotWriteBytesPerSecond: checked(input.curve.hotWriteBytesPerSecond, 'dirtyRate.curve.hotWriteBytesPerSecond'),
        coldBytesPerSecond: checked(input.curve.coldBytesPerSecond, 'dirtyRate.curve.coldBytesPerSecond'),
      };
    default:
      throw new RangeError(`dirtyRate.kind must be 'constant', 'windows' or 'curve', got ${String((input as { kind?: unknown } | undefined)?.kind)}`);
  }
}

export function resolveMigrationInput(input: MigrationInput): ResolvedMigrationInput {
  const memoryBytes = checked(input.memoryBytes, 'memoryBytes', { aboveMin: true });
  const guestUsedBytes = Math.min(memoryBytes, optional(input.guestUsedBytes, 'guestUsedBytes', memoryBytes));
  return {
    memoryBytes,
    guestUsedBytes,
    dirtying: dirtyingOf(input.dirtyRate),
    bandwidthBytesPerSecond: checked(input.bandwidthBytesPerSecond, 'bandwidthBytesPerSecond', { aboveMin: true }),
    downtimeLimitMs: optional(input.downtimeLimitMs, 'downtimeLimitMs', DEFAULT_DOWNTIME_LIMIT_MS, {
      aboveMin: true,
      max: MAX_DOWNTIME_LIMIT_MS,
    }),
    completionTimeoutPerGiB: optional(input.completionTimeoutPerGiB, 'completionTimeoutPerGiB', DEFAULT_COMPLETION_TIMEOUT_PER_GIB),
    progressTimeoutSeconds: optional(input.progressTimeoutSeconds, 'progressTimeoutSeconds', DEFAULT_PROGRESS_TIMEOUT_SECONDS),
    blockMigrationDiskBytes: optional(input.blockMigrationDiskBytes, 'blockMigrationDiskBytes', 0),
    budgetDiskBytes: optional(input.budgetDiskBytes, 'budgetDiskBytes', 0),
    allowAutoConverge: input.allowAutoConverge === true,
    allowPostCopy: input.allowPostCopy === true,
  };
}
