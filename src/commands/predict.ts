/**
 * `offline-first predict`: the cost of one live migration from the command line, as the operator
 * predicts it: the same measurements (page-sampling readings in the annotation's syntax, the guest's
 * used memory, the link's measured throughput) through the same input function and calibration
 * (migrationInput) into the same model. Quantities are parsed here, once; any bad value is a usage
 * error (exit 2) that names the flag.
 */
import { migrationInput, type MeasuredDirtyRate } from '../domain/migration/model-input.js';
import { bandwidthBucket } from '../domain/placement/cost.js';
import { predictMigration, type MigrationInput, type MigrationPrediction } from '../domain/migration/predict.js';
import { parseDirtyRateReadings } from '../observation/annotations.js';
import { migrationDataSizeGB } from '../domain/migration/kubevirt-budget.js';
import { MAX_DOWNTIME_LIMIT_MS } from '../domain/migration/qemu.js';
import {
  formatBandwidth,
  formatBytes,
  formatDuration,
  parseBandwidth,
  parseBytes,
  parseDuration,
  QuantityError,
} from '../domain/units.js';
import { parseCommandFlags, requireFlag, UsageError, type FlagSpecs, type ParsedFlags } from './flags.js';

const USAGE = `Usage: offline-first predict --memory BYTES --bandwidth RATE (--dirty-rate-readings READINGS | --dirty-rate RATE | --dirty-rate-window DURATION=RATE ...) [flags]

Predicts a QEMU 7.2 pre-copy live migration pass by pass under KubeVirt's timeouts, as the operator
does for the same inputs: whether it completes, total time, downtime, bytes sent, and whether
KubeVirt would abort it. Measurements are taken as the operator reads them and calibrated the same
way (docs/lab-calibration.md): the guest's used memory plus what "used" leaves out, readings as the
write rate most likely behind them, the migration at the lab's share of the link's throughput.`;

const UNITS = `
Units:
  BYTES     2Gi 140Mi 1.5Gi (1024-based), 10G 512M (1000-based), optional B (2GiB), or plain bytes
  RATE      37Mbit/s 1Gbit/s 800kbit/s (bits), 2.5MB/s 4MiB/s (bytes); "Mbps" and "Mb/s" are
            refused as ambiguous
  DURATION  300ms 1.5s 2m 1m30s
With --json, one JSON object is printed; numbers that are infinite (a migration that never ends
when the completion timeout is disabled) are printed as null.
`;

const specs: FlagSpecs = {
  memory: { kind: 'string', value: 'BYTES', help: 'guest RAM size, e.g. 2Gi (required)' },
  'guest-used': {
    kind: 'string',
    value: 'BYTES',
    help: "the guest's used memory (MemTotal - MemFree), as offline-first.io/guest-used, e.g. 800Mi (default: all of RAM is non-zero)",
  },
  'dirty-rate-readings': {
    kind: 'string',
    value: 'READINGS',
    help: 'QEMU page-sampling readings in whole MiB/s, as offline-first.io/dirty-rate-readings: CALC-TIME[/SAMPLE-PAGES]=VALUE,... e.g. 1s=2,1s=0,5s=1,1s/16384=1',
  },
  'dirty-rate': { kind: 'string', value: 'RATE', help: 'measured dirty rate, e.g. 2.5MB/s' },
  'dirty-rate-window': {
    kind: 'list',
    value: 'DURATION=RATE',
    help: 'rate measured over a window, e.g. 5s=1.9MB/s; two or more fit a working-set curve',
  },
  bandwidth: { kind: 'string', value: 'RATE', help: "the link's measured throughput (a TCP stream's goodput), as link.offline-first.io/bandwidth, e.g. 37Mbit/s (required)" },
  'bandwidth-limit': { kind: 'string', value: 'RATE', help: "KubeVirt's bandwidthPerMigration or the placement's migration.bandwidthLimit, e.g. 64Mi/s" },
  'downtime-limit': { kind: 'string', value: 'DURATION', help: 'QEMU downtime-limit; a plain number is ms (default 300ms)' },
  'completion-timeout-per-gib': {
    kind: 'string',
    value: 'SECONDS',
    help: 'KubeVirt completionTimeoutPerGiB (default 150; 0 disables)',
  },
  'progress-timeout': { kind: 'string', value: 'SECONDS', help: 'KubeVirt progressTimeout (default 150)' },
  'block-migration-disk': {
    kind: 'string',
    value: 'BYTES',
    help: 'data BlockMigration copies from local disks before RAM: what they hold, not their capacity (default 0)',
  },
  'budget-disk': {
    kind: 'string',
    value: 'BYTES',
    help: "of those, what KubeVirt's completion budget counts: container-disk overlays and cloud-init disks " +
      '(/var/run/kubevirt-ephemeral-disks), never emptyDisk or hostDisk (default 0)',
  },
  'auto-converge': { kind: 'boolean', help: 'allow QEMU auto-converge (vCPU throttling)' },
  'post-copy': { kind: 'boolean', help: 'allow KubeVirt to switch to post-copy when the budget runs out' },
  json: { kind: 'boolean', help: 'print one JSON object instead of a table' },
  help: { kind: 'boolean', help: 'show this help' },
};

function optionalQuantity<T>(flags: ParsedFlags, name: string, parse: (text: string, field: string) => T): T | undefined {
  const text = flags.strings.get(name);
  return text === undefined ? undefined : parse(text, `--${name}`);
}

function positive(value: number, flag: string, text: string): number {
  if (value <= 0) throw new UsageError(`${flag}: must be greater than 0, got "${text}"`);
  return value;
}

function dirtyRateOf(flags: ParsedFlags): MeasuredDirtyRate {
  const rate = flags.strings.get('dirty-rate');
  const windowTexts = flags.lists.get('dirty-rate-window') ?? [];
  const readings = flags.strings.get('dirty-rate-readings');
  if ([rate !== undefined, windowTexts.length > 0, readings !== undefined].filter(Boolean).length > 1) {
    throw new UsageError('give one of --dirty-rate-readings, --dirty-rate or --dirty-rate-window');
  }
  if (readings !== undefined) {
    try {
      return { kind: 'readings', readings: parseDirtyRateReadings(readings, '--dirty-rate-readings') };
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
  }
  if (rate !== undefined) return { kind: 'constant', bytesPerSecond: parseBandwidth(rate, '--dirty-rate') };
  if (windowTexts.length === 0) {
    throw new UsageError('missing dirty rate: give --dirty-rate-readings READINGS, --dirty-rate RATE or one or more --dirty-rate-window DURATION=RATE');
  }
  const windows = windowTexts.map((text) => {
    const eq = text.indexOf('=');
    if (eq < 0) {
      throw new QuantityError('--dirty-rate-window', 'a window and its rate like 5s=1.9MB/s', text);
    }
    const seconds = parseDuration(text.slice(0, eq), '--dirty-rate-window', 's') / 1000;
    positive(seconds, '--dirty-rate-window', text);
    return { seconds, bytesPerSecond: parseBandwidth(text.slice(eq + 1), '--dirty-rate-window') };
  });
  return { kind: 'windows', windows };
}

function inputOf(flags: ParsedFlags): MigrationInput {
  const memoryText = requireFlag(flags, 'memory', 'guest RAM size, e.g. 2Gi');
  const bandwidthText = requireFlag(flags, 'bandwidth', 'usable migration throughput, e.g. 37Mbit/s');
  const downtimeLimitMs = optionalQuantity(flags, 'downtime-limit', (text, flag) => {
    const ms = positive(parseDuration(text, flag, 'ms'), flag, text);
    if (ms > MAX_DOWNTIME_LIMIT_MS) throw new UsageError(`${flag}: must be at most ${formatDuration(MAX_DOWNTIME_LIMIT_MS)} (QEMU's maximum), got "${text}"`);
    return ms;
  });
  const seconds = (t: string, f: string): number => parseDuration(t, f, 's') / 1000;
  const memoryBytes = positive(parseBytes(memoryText, '--memory'), '--memory', memoryText);
  const guestUsedBytes = optionalQuantity(flags, 'guest-used', parseBytes);
  if (guestUsedBytes !== undefined && guestUsedBytes > memoryBytes) throw new UsageError(`--guest-used: must be at most --memory, got "${flags.strings.get('guest-used')}"`);
  const limit = optionalQuantity(flags, 'bandwidth-limit', parseBandwidth);
  if (limit !== undefined) positive(limit, '--bandwidth-limit', flags.strings.get('bandwidth-limit')!);
  const copiedDiskBytes = optionalQuantity(flags, 'block-migration-disk', parseBytes);
  const budgetDiskBytes = optionalQuantity(flags, 'budget-disk', parseBytes);
  // The operator's own path from measurements to the model's input: the link capped by the limit and
  // rounded down to 3 significant digits as the planner rounds it (its predictions are shared per
  // bucket), then migrationInput.
  const link = positive(parseBandwidth(bandwidthText, '--bandwidth'), '--bandwidth', bandwidthText);
  const usable = bandwidthBucket(limit === undefined ? link : Math.min(link, limit));
  return migrationInput(
    {
      memoryBytes,
      ...(guestUsedBytes !== undefined ? { guestUsedBytes } : {}),
      dirtyRate: dirtyRateOf(flags),
      ...(copiedDiskBytes !== undefined ? { copiedDiskBytes } : {}),
      ...(budgetDiskBytes !== undefined ? { budgetDiskBytes } : {}),
    },
    { goodputBytesPerSecond: usable },
    {
      ...(downtimeLimitMs !== undefined ? { downtimeLimitMs } : {}),
      ...(flags.strings.has('completion-timeout-per-gib') ? { completionTimeoutPerGiB: optionalQuantity(flags, 'completion-timeout-per-gib', seconds)! } : {}),
      ...(flags.strings.has('progress-timeout') ? { progressTimeoutSeconds: optionalQuantity(flags, 'progress-timeout', seconds)! } : {}),
      allowAutoConverge: flags.booleans.has('auto-converge'),
      allowPostCopy: flags.booleans.has('post-copy'),
    },
  );
}

/** JSON has no Infinity: a migration that never ends gets null where its numbers would be. */
function toJson(prediction: MigrationPrediction): string {
  return JSON.stringify(prediction, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? null : value,
  );
}

function outcomeOf(p: MigrationPrediction): string {
  if (p.abortedByKubevirt) {
    return `aborted by KubeVirt (${p.abortReason}) after ${formatDuration(p.totalSeconds * 1000)}${p.converges ? '; pre-copy would converge later' : '; pre-copy does not converge'}`;
  }
  if (!p.converges) return 'never completes: pre-copy does not converge and no timeout stops it';
  if (p.mode === 'PostCopy') return `completes in post-copy after ${formatDuration(p.totalSeconds * 1000)}`;
  return `completes after ${formatDuration(p.totalSeconds * 1000)}`;
}

function table(input: MigrationInput, p: MigrationPrediction): string {
  const d = p.dirtying;
  const dirtying =
    d.hotSetBytes > 0
      ? `hot set ${formatBytes(d.hotSetBytes)} written at ${formatBandwidth(d.hotWriteBytesPerSecond, 'bytes')}` +
        ` + ${formatBandwidth(d.coldBytesPerSecond, 'bytes')} to new pages`
      : `constant ${formatBandwidth(d.coldBytesPerSecond, 'bytes')}`;
  const budgetGB = migrationDataSizeGB(input.memoryBytes, input.budgetDiskBytes);
  const budget = Number.isFinite(p.completionBudgetSeconds)
    ? `${formatDuration(p.completionBudgetSeconds * 1000)} (${p.completionBudgetSeconds / budgetGB} s × ${budgetGB} GB started)`
    : 'disabled';
  const rows: [string, string][] = [
    ['outcome', outcomeOf(p)],
    ['mode', p.mode + (p.maxThrottlePercent ? ` (throttle reached ${p.maxThrottlePercent}%)` : '')],
    // Pre-copy's own verdict, apart from KubeVirt's clock: never beside an abort as a bare "yes".
    ['pre-copy', p.converges ? (p.abortedByKubevirt ? `would converge, but not within KubeVirt's budget` : 'converges') : 'does not converge'],
    ['model input', `${formatBytes(input.guestUsedBytes ?? input.memoryBytes)} non-zero of ${formatBytes(input.memoryBytes)}, at ${formatBandwidth(input.bandwidthBytesPerSecond, 'bytes')}`],
    ['total time', `${formatDuration(p.totalSeconds * 1000)}${Number.isFinite(p.totalSeconds) ? ` (${p.totalSeconds.toFixed(1)} s)` : ''}`],
    ['downtime', formatDuration(p.downtimeMs)],
    ['transferred', `${formatBytes(p.transferredBytes)} (${formatBytes(p.transferredBytes, 'decimal')})`],
    ['rounds', Number.isFinite(p.rounds) ? String(p.rounds) : 'unbounded'],
    ['KubeVirt budget', budget],
    ['switch-over at', `${formatBytes(p.switchoverThresholdBytes, 'decimal')} dirty (bandwidth × downtime limit)`],
    ['dirty / bandwidth', p.dirtyToBandwidthRatio.toFixed(3)],
    ['dirtying', dirtying],
  ];
  if (p.diskCopySeconds > 0) rows.push(['disk copy', formatDuration(p.diskCopySeconds * 1000)]);
  if (p.postCopySeconds > 0) rows.push(['post-copy phase', formatDuration(p.postCopySeconds * 1000)]);
  if (p.passes.length > 0) {
    const passes = p.passes.map((pass) => `${formatDuration(pass.seconds * 1000)}/${formatBytes(pass.wireBytes, 'decimal')}`);
    rows.push(['first passes', passes.join(', ') + (p.rounds > p.passes.length ? ', …' : '')]);
  }
  if (p.tailBounded) rows.push(['note', 'pass ratio very near 1: later passes bounded, times are upper bounds']);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

export async function run(args: readonly string[]): Promise<number> {
  const flags = parseCommandFlags(args, specs, USAGE, { helpSuffix: UNITS });
  if (!flags) return 0;
  let input: MigrationInput;
  let prediction: MigrationPrediction;
  try {
    input = inputOf(flags);
    prediction = predictMigration(input);
  } catch (err) {
    // Both name the flag or field at fault; either way the user has to change the command line.
    if (err instanceof QuantityError || err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  process.stdout.write(flags.booleans.has('json') ? `${toJson(prediction)}\n` : table(input, prediction));
  return 0;
}
