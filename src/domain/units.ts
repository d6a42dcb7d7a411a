/**
 * Quantities as people write them (`2Gi`, `37Mbit/s`, `300ms`) parsed once, at the edge, into plain
 * numbers with the unit in the name: bytes, bytes per second, milliseconds. Every parse error names
 * the field it came from and the form that was expected.
 *
 * Accepted forms (case-sensitive unless noted; a space between number and unit is allowed):
 * - bytes: a plain number of bytes (`1073741824`), or a Kubernetes quantity suffix, binary
 *   `Ki Mi Gi Ti Pi Ei` (powers of 1024) or decimal `k M G T P E` (powers of 1000), optionally
 *   followed by `B` (`2Gi`, `2GiB`, `10G`, `512MB`, `1.5Gi`, `1e9`). Fractions round up to whole
 *   bytes, as Kubernetes does.
 * - rates: bits with `bit/s kbit/s Mbit/s Gbit/s Tbit/s` (SI; the prefix may be any case, `mbit/s`
 *   as tc writes it) or `Kibit/s Mibit/s Gibit/s`; bytes with `B/s kB/s MB/s GB/s TB/s` (SI) or
 *   `KiB/s MiB/s GiB/s TiB/s`, or a binary quantity per second `Ki/s Mi/s Gi/s Ti/s` as in KubeVirt's
 *   bandwidthPerMigration. Rejected on purpose: `Mbps`-style units (tc reads `mbps` as megabytes/s,
 *   most people as megabits/s) and `Mb/s`-style units (one letter's case away from `MB/s`).
 * - durations: `ms s m h` with fractions and sums (`300ms`, `1.5s`, `2m`, `1m30s`); a bare number
 *   only where the field says which unit it means (e.g. seconds for a timeout flag).
 */

export class QuantityError extends Error {
  override readonly name = 'QuantityError';
  constructor(
    /** The field or flag the text came from, e.g. `--bandwidth`. */
    readonly field: string,
    /** What was expected, e.g. `a rate like 37Mbit/s or 2.5MB/s`. */
    readonly expected: string,
    readonly got: string,
    /** Why this particular text is refused, when that is not obvious. */
    readonly hint?: string,
  ) {
    super(`${field}: expected ${expected}, got "${got}"${hint ? ` (${hint})` : ''}`);
  }
}

const BYTES_EXPECTED = 'a size like 2Gi, 140Mi, 10G or a plain number of bytes';
const RATE_EXPECTED = 'a rate like 37Mbit/s or 2.5MB/s';

// A decimal number, optionally with an exponent; the exponent needs digits, so `1E` stays "1 exa".
const NUMBER_AND_UNIT = /^\s*((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,2})?)\s?([A-Za-z/]*)\s*$/;

const BYTE_SUFFIXES: Readonly<Record<string, bigint>> = {
  '': 1n,
  k: 10n ** 3n,
  M: 10n ** 6n,
  G: 10n ** 9n,
  T: 10n ** 12n,
  P: 10n ** 15n,
  E: 10n ** 18n,
  Ki: 2n ** 10n,
  Mi: 2n ** 20n,
  Gi: 2n ** 30n,
  Ti: 2n ** 40n,
  Pi: 2n ** 50n,
  Ei: 2n ** 60n,
};

/** ceil(decimal × multiplier) computed exactly, so `1.1G` is 1100000000 and not one byte more. */
function exactCeil(decimal: string, multiplier: bigint): number {
  const [mantissa = '', exponent = '0'] = decimal.toLowerCase().split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  const digits = BigInt(`${whole}${fraction}` || '0');
  const scale = fraction.length - Number(exponent);
  if (scale <= 0) return Number(digits * multiplier * 10n ** BigInt(-scale));
  const denominator = 10n ** BigInt(scale);
  const numerator = digits * multiplier;
  return Number((numerator + denominator - 1n) / denominator);
}

function byteSuffixHint(suffix: string): string | undefined {
  if (suffix === 'K' || suffix === 'KB') return 'use k for 1000 or Ki for 1024';
  if (suffix.startsWith('m')) return 'suffixes are case-sensitive: M is 10^6, Mi is 2^20, m would be milli';
  if (/^[a-z]+$/.test(suffix)) return 'suffixes are case-sensitive, e.g. Gi or G';
  return undefined;
}

/** Bytes from a Kubernetes-style quantity; whole bytes, rounded up. */
export function parseBytes(text: string, field: string): number {
  const m = NUMBER_AND_UNIT.exec(text);
  if (!m) throw new QuantityError(field, BYTES_EXPECTED, text);
  const suffix = m[2]!;
  const bare = suffix.endsWith('B') && suffix.length > 1 ? suffix.slice(0, -1) : suffix === 'B' ? '' : suffix;
  const multiplier = BYTE_SUFFIXES[bare];
  if (multiplier === undefined) throw new QuantityError(field, BYTES_EXPECTED, text, byteSuffixHint(suffix));
  const bytes = exactCeil(m[1]!, multiplier);
  if (!Number.isSafeInteger(bytes)) throw new QuantityError(field, BYTES_EXPECTED, text, 'too large');
  return bytes;
}

const BIT_PREFIXES: Readonly<Record<string, number>> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
const BINARY_BIT_PREFIXES: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
const BYTE_RATE_PREFIXES: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** Bytes per second for a rate unit, or a reason the unit is refused. */
function rateUnit(unit: string): number | { hint: string } {
  const bits = /^([A-Za-z]{0,2})bit\/s$/.exec(unit);
  if (bits) {
    const prefix = bits[1]!;
    const binary = BINARY_BIT_PREFIXES[prefix];
    if (binary !== undefined) return binary / 8;
    const si = prefix.length <= 1 ? BIT_PREFIXES[prefix.toLowerCase()] : undefined;
    if (si !== undefined) return si / 8;
    return { hint: `unknown prefix "${prefix}"` };
  }
  const bytes = /^([A-Za-z]{0,2})B\/s$/.exec(unit) ?? /^([KMGT]i)\/s$/.exec(unit);
  if (bytes) {
    const perSecond = BYTE_RATE_PREFIXES[bytes[1]!];
    if (perSecond !== undefined) return perSecond;
    if (bytes[1] === 'K') return { hint: 'use kB/s for 1000 or KiB/s for 1024 bytes per second' };
    return { hint: `unknown prefix "${bytes[1]}"` };
  }
  if (/ps$/i.test(unit)) {
    return { hint: 'ambiguous: tc reads "mbps" as megabytes/s, most people as megabits/s; write Mbit/s or MB/s' };
  }
  if (/^[A-Za-z]?b\/s$/.test(unit)) return { hint: 'write Mbit/s for bits or MB/s for bytes per second' };
  if (unit === '') return { hint: 'a rate needs a unit' };
  return { hint: `unknown unit "${unit}"` };
}

/** Bytes per second from a bit or byte rate. */
export function parseBandwidth(text: string, field: string): number {
  const m = NUMBER_AND_UNIT.exec(text);
  if (!m) throw new QuantityError(field, RATE_EXPECTED, text);
  const unit = rateUnit(m[2]!);
  if (typeof unit !== 'number') throw new QuantityError(field, RATE_EXPECTED, text, unit.hint);
  const bytesPerSecond = Number(m[1]) * unit;
  if (!Number.isFinite(bytesPerSecond)) throw new QuantityError(field, RATE_EXPECTED, text, 'too large');
  return bytesPerSecond;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)\s?(ms|s|m|h)/y;

/**
 * Milliseconds from `300ms`, `1.5s`, `2m`, `1m30s`. `bareUnit` says what a plain number means for
 * this field; without it a plain number is an error, because `150` alone could be ms or s.
 */
export function parseDuration(text: string, field: string, bareUnit?: 'ms' | 's'): number {
  const expected = `a duration like 300ms, 1.5s or 2m${bareUnit ? ` (a plain number means ${bareUnit === 's' ? 'seconds' : 'milliseconds'})` : ''}`;
  const trimmed = text.trim();
  if (bareUnit && /^(\d+(?:\.\d*)?|\.\d+)$/.test(trimmed)) return Number(trimmed) * DURATION_UNITS_MS[bareUnit]!;
  DURATION_PART.lastIndex = 0;
  let durationMs = 0;
  let parts = 0;
  while (DURATION_PART.lastIndex < trimmed.length) {
    const m = DURATION_PART.exec(trimmed);
    if (!m) throw new QuantityError(field, expected, text);
    durationMs += Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
    parts++;
  }
  if (parts === 0) throw new QuantityError(field, expected, text);
  return durationMs;
}

/** Three significant figures at most, without trailing zeros: 2, 2.5, 37, 464, 1.39. */
function figures(value: number): string {
  const abs = Math.abs(value);
  const fixed = abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

function scaled(value: number, base: number, units: readonly string[]): string {
  let i = 0;
  let v = value;
  while (i < units.length - 1 && Math.abs(v) >= base * 0.9995) {
    v /= base;
    i++;
  }
  return `${figures(v)} ${units[i]}`;
}

/** `2 GiB`, `140 MiB`; decimal (`2.15 GB`) where KubeVirt or a paper counts in GB. */
export function formatBytes(bytes: number, system: 'binary' | 'decimal' = 'binary'): string {
  if (!Number.isFinite(bytes)) return 'unbounded';
  return system === 'binary'
    ? scaled(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'])
    : scaled(bytes, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB']);
}

/** `37 Mbit/s` (links are sold in bits), or `4.63 MB/s`. */
export function formatBandwidth(bytesPerSecond: number, system: 'bits' | 'bytes' = 'bits'): string {
  if (!Number.isFinite(bytesPerSecond)) return 'unbounded';
  return system === 'bits'
    ? scaled(bytesPerSecond * 8, 1000, ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'])
    : scaled(bytesPerSecond, 1000, ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s']);
}

/** `219ms`, `23.4s`, `9m52s`, `1h2m`: the forms parseDuration reads back; `never` for Infinity. */
export function formatDuration(durationMs: number): string {
  if (!Number.isFinite(durationMs)) return 'never';
  if (Math.abs(durationMs) < 999.5) return `${figures(durationMs)}ms`;
  if (Math.abs(durationMs) < 59_950) return `${figures(durationMs / 1000)}s`;
  const totalSeconds = Math.round(durationMs / 1000);
  if (totalSeconds < 3600) {
    const seconds = totalSeconds % 60;
    return `${Math.floor(totalSeconds / 60)}m${seconds ? `${seconds}s` : ''}`;
  }
  const totalMinutes = Math.round(totalSeconds / 60);
  const minutes = totalMinutes % 60;
  return `${Math.floor(totalMinutes / 60)}h${minutes ? `${minutes}m` : ''}`;
}
