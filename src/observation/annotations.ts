/**
 * The documented annotations (and the one taint) through which link measurements, dirty rates and
 * departures reach the operator. Values are parsed here, once, with errors that name the key.
 */
import { parseBandwidth, parseBytes, parseDuration } from '../domain/units.js';
import type { DirtyRateInput } from '../domain/migration/predict.js';
import type { PageSamplingReading } from '../domain/migration/page-sampling.js';

export const Annotations = {
  /** Node: usable throughput between this client and the data centre, e.g. "37Mbit/s". */
  linkBandwidth: 'link.offline-first.io/bandwidth',
  /** Node: round-trip time between this client and the data centre, e.g. "12ms". */
  linkRtt: 'link.offline-first.io/rtt',
  /** Node: when the link values were measured (RFC 3339); older than a placement's linkMaxAge is stale. */
  linkMeasuredAt: 'link.offline-first.io/measured-at',
  /** Node: "true" when the client announces it is leaving. */
  leaving: 'offline-first.io/leaving',
  /** Node: when the client leaves (RFC 3339); implies leaving. */
  departureTime: 'offline-first.io/departure-time',
  /** VMI: mean dirty rate, e.g. "2.5MB/s". */
  dirtyRate: 'offline-first.io/dirty-rate',
  /** VMI: dirty rate per measurement window, e.g. "1s=2.5MB/s,5s=1.9MB/s". */
  dirtyRateWindows: 'offline-first.io/dirty-rate-windows',
  /**
   * VMI: QEMU page-sampling readings exactly as calc-dirty-rate (virsh domdirtyrate-calc,
   * KubeVirt's gauge) reports them, whole MiB/s, each CALC-TIME[/SAMPLE-PAGES]=VALUE, e.g.
   * "1s=2,1s=0,1s=4,1s/16384=1" (sample pages per GiB default to QEMU's 512).
   */
  dirtyRateReadings: 'offline-first.io/dirty-rate-readings',
  /** VMI: guest memory in use (non-zero pages), e.g. "800Mi". */
  guestUsed: 'offline-first.io/guest-used',
  /**
   * VMI: the data a block migration copies from the local disks (allocated bytes, not the virtual
   * capacity): a total such as "3Gi", or per volume, e.g. "rootdisk=200Mi,scratch=1Gi". Without it
   * an emptyDisk or non-shared hostDisk counts its capacity (an upper bound, marked as assumed) and
   * a container disk's overlay counts 0. Only per-volume figures of container-disk (and ephemeral)
   * overlays and cloud-init disks reach KubeVirt's completion budget: a total cannot be split, so
   * it counts 0 there.
   */
  localDiskUsed: 'offline-first.io/local-disk-used',
} as const;

/** Taint key a client can carry instead of the leaving annotation. */
export const LEAVING_TAINT = 'offline-first.io/leaving';

export interface Parsed<T> {
  value?: T;
  /** Why a present value was not usable (names the key and what was expected). */
  error?: string;
}

export interface LinkMeasurement {
  bandwidthBytesPerSecond: number;
  rttMs?: number;
  measuredAtMs: number;
}

type Annotated = { metadata: { annotations?: Record<string, string> } };

/** Runs a parse that throws on bad input: a value, nothing (undefined) or the error's message. */
export function wrap<T>(fn: () => T | undefined): Parsed<T> {
  try {
    const value = fn();
    return value === undefined ? {} : { value };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** Milliseconds since the epoch of an RFC 3339 time; the error names `key`. */
export function timestamp(text: string, key: string): number {
  const ms = Date.parse(text);
  // RFC 3339 requires the zone; without one, Date.parse would read the operator's local time.
  if (!/^\d{4}-\d\d-\d\dT.*(?:Z|[+-]\d\d:\d\d)$/i.test(text) || Number.isNaN(ms)) throw new Error(`${key}: expected an RFC 3339 time such as 2026-11-25T10:00:00Z, got "${text}"`);
  return ms;
}

/** The node's link measurement; a bandwidth without a measured-at time is treated as missing data. */
export function linkFromAnnotations(obj: Annotated): Parsed<LinkMeasurement> {
  const a = obj.metadata.annotations ?? {};
  return wrap(() => {
    const bw = a[Annotations.linkBandwidth];
    if (bw === undefined) return undefined;
    const at = a[Annotations.linkMeasuredAt];
    if (at === undefined) throw new Error(`${Annotations.linkMeasuredAt}: missing; a link measurement needs the time it was taken`);
    const rtt = a[Annotations.linkRtt];
    const bandwidthBytesPerSecond = parseBandwidth(bw, Annotations.linkBandwidth);
    if (!(bandwidthBytesPerSecond > 0) || !Number.isFinite(bandwidthBytesPerSecond)) throw new Error(`${Annotations.linkBandwidth}: expected a bandwidth above 0 such as 37Mbit/s, got "${bw}"`);
    return {
      bandwidthBytesPerSecond,
      ...(rtt !== undefined ? { rttMs: parseDuration(rtt, Annotations.linkRtt) } : {}),
      measuredAtMs: timestamp(at, Annotations.linkMeasuredAt),
    };
  });
}

/** Whether the node announced it is leaving, and when (undefined time = now). */
export function departureFromNode(node: Annotated & { spec?: { taints?: { key: string }[] } }): Parsed<{ departureAtMs?: number }> {
  const a = node.metadata.annotations ?? {};
  const flag = a[Annotations.leaving];
  const leavingNow = flag === 'true' || (node.spec?.taints?.some((t) => t.key === LEAVING_TAINT) ?? false);
  const parsed = wrap(() => {
    const at = a[Annotations.departureTime];
    if (at !== undefined) return { departureAtMs: timestamp(at, Annotations.departureTime) };
    if (flag !== undefined && flag !== 'true' && flag !== 'false') throw new Error(`${Annotations.leaving}: expected "true" or "false", got "${flag}"`);
    return leavingNow ? {} : undefined;
  });
  // A bad annotation must not hide a leaving signal: an unreadable departure time is an announcement
  // all the same, so the conservative reading is "leaving now"; so is a bad value beside the taint or
  // leaving "true". Either way it is reported.
  const unreadableDeparture = parsed.error !== undefined && a[Annotations.departureTime] !== undefined;
  if (parsed.error && (leavingNow || unreadableDeparture)) return { value: {}, error: `${parsed.error}; the client is treated as leaving now` };
  return parsed;
}

/** The VMI's dirty rate from its annotations: windows when given, else the mean rate. */
export function dirtyRateFromAnnotations(obj: Annotated): Parsed<DirtyRateInput> {
  const a = obj.metadata.annotations ?? {};
  return wrap(() => {
    const windows = a[Annotations.dirtyRateWindows];
    if (windows !== undefined) {
      const parsed = windows.split(',').map((part) => {
        const [w, r, ...extra] = part.split('=');
        if (!w || !r || extra.length) throw new Error(`${Annotations.dirtyRateWindows}: expected WINDOW=RATE pairs such as 1s=2.5MB/s,5s=1.9MB/s, got "${part}"`);
        return { seconds: parseDuration(w.trim(), Annotations.dirtyRateWindows) / 1000, bytesPerSecond: parseBandwidth(r.trim(), Annotations.dirtyRateWindows) };
      });
      return parsed.length === 1 ? { kind: 'constant', bytesPerSecond: parsed[0]!.bytesPerSecond } : { kind: 'windows', windows: parsed };
    }
    const rate = a[Annotations.dirtyRate];
    return rate === undefined ? undefined : { kind: 'constant', bytesPerSecond: parseBandwidth(rate, Annotations.dirtyRate) };
  });
}

/** Enough readings for any estimate; more would only cost planning time. */
export const MAX_DIRTY_RATE_READINGS = 500;
/** QEMU's limits for calc-dirty-rate's sample-pages. */
const SAMPLE_PAGES = { min: 128, max: 16384 } as const;

/** The VMI's page-sampling readings (the most likely write rate behind them is the gatherer's business). */
export function dirtyRateReadingsFromAnnotations(obj: Annotated): Parsed<PageSamplingReading[]> {
  const text = obj.metadata.annotations?.[Annotations.dirtyRateReadings];
  return text === undefined ? {} : wrap(() => parseDirtyRateReadings(text, Annotations.dirtyRateReadings));
}

/**
 * Readings in the annotation's syntax, CALC-TIME[/SAMPLE-PAGES]=MIB-PER-SECOND separated by commas
 * (`1s=2,1s=0,1s/16384=1`); errors name `key` (the annotation, or `predict`'s flag).
 */
export function parseDirtyRateReadings(text: string, key: string): PageSamplingReading[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new Error(`${key}: expected readings such as 1s=2,1s=0,1s/16384=1, got "${text}"`);
  if (parts.length > MAX_DIRTY_RATE_READINGS) throw new Error(`${key}: at most ${MAX_DIRTY_RATE_READINGS} readings, got ${parts.length}`);
  return parts.map((part) => {
    const m = /^([^/=]+)(?:\/(\d+))?=(\d+)$/.exec(part);
    if (!m) throw new Error(`${key}: expected CALC-TIME[/SAMPLE-PAGES]=MIB-PER-SECOND such as 1s=2 or 1s/16384=1 (QEMU's whole MiB/s), got "${part}"`);
    const seconds = parseDuration(m[1]!, key) / 1000;
    if (!(seconds >= 1) || !Number.isInteger(seconds)) throw new Error(`${key}: calc-time must be whole seconds, at least 1 (QEMU's unit), got "${m[1]}" in "${part}"`);
    const samplePages = m[2] === undefined ? undefined : Number(m[2]);
    if (samplePages !== undefined && (samplePages < SAMPLE_PAGES.min || samplePages > SAMPLE_PAGES.max)) {
      throw new Error(`${key}: sample pages per GiB must be ${SAMPLE_PAGES.min}..${SAMPLE_PAGES.max} (QEMU's range), got ${samplePages} in "${part}"`);
    }
    return { seconds, mibPerSecond: Number(m[3]), ...(samplePages !== undefined ? { samplePages } : {}) };
  });
}

export function guestUsedFromAnnotations(obj: Annotated): Parsed<number> {
  const v = obj.metadata.annotations?.[Annotations.guestUsed];
  return wrap(() => (v === undefined ? undefined : parseBytes(v, Annotations.guestUsed)));
}

/** Bytes the local disks hold: one total, or per volume name. */
export type LocalDiskUsed =
  | { readonly kind: 'total'; readonly bytes: number }
  | { readonly kind: 'perVolume'; readonly bytes: ReadonlyMap<string, number> };

/** The syntax of the local-disk-used annotation; which volumes may be named is the gatherer's business. */
export function localDiskUsedFromAnnotations(obj: Annotated): Parsed<LocalDiskUsed> {
  const text = obj.metadata.annotations?.[Annotations.localDiskUsed];
  const key = Annotations.localDiskUsed;
  const expected = 'expected a total such as 3Gi or VOLUME=BYTES pairs such as rootdisk=200Mi,scratch=1Gi';
  return wrap(() => {
    if (text === undefined) return undefined;
    if (!text.includes('=')) {
      if (text.trim() === '') throw new Error(`${key}: ${expected}, got "${text}"`);
      return { kind: 'total', bytes: parseBytes(text.trim(), key) };
    }
    const bytes = new Map<string, number>();
    for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
      const [name, quantity, ...extra] = part.split('=').map((x) => x.trim());
      if (!name || !quantity || extra.length) throw new Error(`${key}: ${expected}, got "${part}"`);
      if (bytes.has(name)) throw new Error(`${key}: volume "${name}" given twice`);
      bytes.set(name, parseBytes(quantity, `${key} (volume ${name})`));
    }
    return { kind: 'perVolume', bytes };
  });
}
