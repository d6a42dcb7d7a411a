/**
 * Prometheus as a source of per-VMI measurements: KubeVirt's page-sampling gauge
 * `kubevirt_vmi_dirty_rate_bytes_per_second` (virt-handler, KubeVirt >= 1.6) as QEMU
 * calc-dirty-rate readings, and guest used memory (available − unused).
 *
 * The gauge is libvirt's 1 s page sampling in whole MiB/s times 2^20, cached by KubeVirt for about
 * 3 s, so consecutive scrapes repeat a reading: repeats closer than CACHE_REPEAT_MS count once.
 * Since KubeVirt 1.9 a migrating VMI is not sampled: its series goes stale and the gatherer falls
 * back to the next source. Values the gauge cannot produce (NaN, ±Inf, negative, not a whole MiB/s,
 * over 1 TiB/s) are dropped and reported, never passed on.
 *
 * One query per poll fetches every VMI's series at once; a poll never throws, and a failed one
 * keeps the previous samples until they are stale. `onChange` fires only when what samples()
 * serves changed, so the operator re-plans only then.
 */
import type { PageSamplingReading } from '../../domain/migration/page-sampling.js';
import type { ExternalVmiSource, VmiSamples } from '../sources.js';
import { PrometheusError, type PrometheusErrorReason, type QueryResult, type Series } from './client.js';

export const DIRTY_RATE_METRIC = 'kubevirt_vmi_dirty_rate_bytes_per_second';
export const MEMORY_AVAILABLE_METRIC = 'kubevirt_vmi_memory_available_bytes';
export const MEMORY_UNUSED_METRIC = 'kubevirt_vmi_memory_unused_bytes';

const MiB = 2 ** 20;
/** Above any memory bus: a value this high is a broken exporter, not a guest. */
export const ABSURD_DIRTY_RATE_BYTES_PER_SECOND = 2 ** 40;
const ABSURD_MEMORY_BYTES = 2 ** 46;
/** KubeVirt caches a dirty-rate reading for about 3 s; equal values closer than this are one reading. */
export const CACHE_REPEAT_MS = 3500;
/** Guest used memory is re-reported only when it moves by more than this share (no re-plan per scrape). */
const GUEST_USED_CHANGE_SHARE = 0.01;
/** Enough for the estimator; bounds the work per VMI whatever the window and scrape interval. */
const MAX_READINGS_PER_VMI = 256;

/** What the source needs of a Prometheus client (PrometheusClient, or a test double). */
export interface PrometheusQuerier {
  readonly url: string;
  query(expr: string, opts?: { timeMs?: number; signal?: AbortSignal }): Promise<QueryResult>;
  close?(): Promise<void>;
}

export interface PrometheusSourceOptions {
  /** How far back samples count (the query's range). */
  readonly windowMs: number;
  /** Time between the end of one poll and the start of the next. */
  readonly intervalMs: number;
  /** A VMI whose newest sample is older than this is ignored (default 5 min, at most the window). */
  readonly staleAfterMs?: number;
  /** Called when what samples() serves changed (new readings, new guest used, or expiry). */
  readonly onChange?: () => void;
  /** Called when health changes from ok to failing, between kinds of failure, or back. */
  readonly onHealthChange?: (health: PrometheusHealth) => void;
  readonly now?: () => number;
}

export type PrometheusHealthReason = 'Ok' | 'NotPolledYet' | 'NoSeries' | PrometheusErrorReason;

export interface PrometheusHealth {
  readonly ok: boolean;
  readonly reason: PrometheusHealthReason;
  readonly message: string;
  readonly lastSuccessMs?: number;
}

/** Why samples were left out, counted per poll. */
export interface DroppedCounts {
  notANumber: number;
  negative: number;
  notWholeMiB: number;
  absurd: number;
  /** Series without `namespace` and `name` labels. */
  unlabelled: number;
}

interface VmiEntry {
  readonly readings: readonly PageSamplingReading[];
  readonly readingsNewestMs?: number;
  readonly guestUsedBytes?: number;
  readonly memoryNewestMs?: number;
  /** Human-readable problems with this VMI's series in the last poll. */
  readonly problems: readonly string[];
}

/** What one successful poll found. */
export interface PollResult {
  readonly vmis: ReadonlyMap<string, VmiEntry>;
  readonly seriesCount: number;
  readonly dirtyRateSeries: number;
  readonly staleVmis: number;
  readonly dropped: DroppedCounts;
}

function dropReason(bytesPerSecond: number): keyof DroppedCounts | undefined {
  if (!Number.isFinite(bytesPerSecond)) return 'notANumber';
  if (bytesPerSecond < 0) return 'negative';
  if (bytesPerSecond > ABSURD_DIRTY_RATE_BYTES_PER_SECOND) return 'absurd';
  if (bytesPerSecond % MiB !== 0) return 'notWholeMiB';
  return undefined;
}

const DROP_WORDS: Record<keyof DroppedCounts, string> = {
  notANumber: 'not a number',
  negative: 'negative',
  notWholeMiB: 'not a whole MiB/s',
  absurd: 'over 1 TiB/s',
  unlabelled: 'without namespace/name labels',
};

function describeDropped(d: Partial<DroppedCounts>): string {
  return (Object.keys(DROP_WORDS) as (keyof DroppedCounts)[])
    .filter((k) => (d[k] ?? 0) > 0)
    .map((k) => `${d[k]} ${DROP_WORDS[k]}`)
    .join(', ');
}

/**
 * Turns one query's series into per-VMI entries: readings merged over every series of a VMI
 * (a VMI that moved has one per node), sorted, stripped of KubeVirt's cache repeats; guest used
 * from the newest available and unused samples. Pure, for tests.
 */
export function vmiEntriesOf(series: readonly Series[], nowMs: number, staleAfterMs: number): PollResult {
  const dropped: DroppedCounts = { notANumber: 0, negative: 0, notWholeMiB: 0, absurd: 0, unlabelled: 0 };
  const rates = new Map<string, { timeMs: number; value: number }[]>();
  const memory = new Map<string, { available?: { timeMs: number; value: number }; unused?: { timeMs: number; value: number } }>();
  const problems = new Map<string, Partial<DroppedCounts>>();
  let dirtyRateSeries = 0;
  for (const s of series) {
    const metric = s.labels.__name__;
    const { namespace, name } = s.labels;
    if (metric === DIRTY_RATE_METRIC) dirtyRateSeries++;
    if (!namespace || !name) {
      dropped.unlabelled++;
      continue;
    }
    const key = `${namespace}/${name}`;
    if (metric === DIRTY_RATE_METRIC) {
      const list = rates.get(key) ?? [];
      rates.set(key, list);
      for (const sample of s.samples) {
        const why = dropReason(sample.value);
        if (why) {
          dropped[why]++;
          const p = problems.get(key) ?? {};
          p[why] = (p[why] ?? 0) + 1;
          problems.set(key, p);
        } else {
          list.push(sample);
        }
      }
    } else if (metric === MEMORY_AVAILABLE_METRIC || metric === MEMORY_UNUSED_METRIC) {
      const newest = s.samples[s.samples.length - 1];
      if (!newest) continue;
      const m = memory.get(key) ?? {};
      memory.set(key, m);
      const field = metric === MEMORY_AVAILABLE_METRIC ? 'available' : 'unused';
      if (!m[field] || m[field].timeMs < newest.timeMs) m[field] = newest;
    }
  }

  const vmis = new Map<string, VmiEntry>();
  let staleVmis = 0;
  const oldest = nowMs - staleAfterMs;
  for (const key of new Set([...rates.keys(), ...memory.keys()])) {
    const texts: string[] = [];
    const p = problems.get(key);
    if (p) texts.push(`dropped ${DIRTY_RATE_METRIC} samples: ${describeDropped(p)}`);
    const samples = (rates.get(key) ?? []).sort((a, b) => a.timeMs - b.timeMs);
    const kept: { timeMs: number; value: number }[] = [];
    for (const s of samples) {
      const last = kept[kept.length - 1];
      if (last && last.value === s.value && s.timeMs - last.timeMs < CACHE_REPEAT_MS) continue;
      kept.push(s);
    }
    const fresh = kept.length > 0 && kept[kept.length - 1]!.timeMs >= oldest ? kept.slice(-MAX_READINGS_PER_VMI) : [];
    if (kept.length > 0 && fresh.length === 0) texts.push(`${DIRTY_RATE_METRIC} is stale`);

    let guestUsedBytes: number | undefined;
    let memoryNewestMs: number | undefined;
    const m = memory.get(key);
    if (m?.available && m.unused) {
      const { available, unused } = m;
      const newestMs = Math.max(available.timeMs, unused.timeMs);
      const sane = Number.isFinite(available.value) && Number.isFinite(unused.value) && available.value > 0 && available.value <= ABSURD_MEMORY_BYTES && unused.value >= 0 && unused.value <= available.value;
      if (!sane) texts.push(`guest memory not usable: available ${available.value} B, unused ${unused.value} B`);
      else if (Math.min(available.timeMs, unused.timeMs) < oldest) texts.push('guest memory samples are stale');
      else {
        guestUsedBytes = available.value - unused.value;
        memoryNewestMs = newestMs;
      }
    }
    if (fresh.length === 0 && guestUsedBytes === undefined) {
      if (kept.length > 0 || m) staleVmis++;
      if (texts.length === 0) continue;
    }
    vmis.set(key, {
      readings: fresh.map((s) => ({ seconds: 1, mibPerSecond: s.value / MiB, samplePages: undefined })),
      ...(fresh.length > 0 ? { readingsNewestMs: fresh[fresh.length - 1]!.timeMs } : {}),
      ...(guestUsedBytes !== undefined ? { guestUsedBytes, memoryNewestMs } : {}),
      problems: texts,
    });
  }
  return { vmis, seriesCount: series.length, dirtyRateSeries, staleVmis, dropped };
}

export class PrometheusSource implements ExternalVmiSource {
  readonly name = 'prometheus' as const;
  private entries: ReadonlyMap<string, VmiEntry> = new Map();
  /** Guest used as last served, per VMI: moves only past GUEST_USED_CHANGE_SHARE. */
  private readonly servedGuestUsed = new Map<string, number>();
  private signatures = new Map<string, string>();
  private state: PrometheusHealth = { ok: false, reason: 'NotPolledYet', message: 'Prometheus not queried yet' };
  private lastPoll: PollResult | undefined;
  private loop: Promise<void> | undefined;
  private stopping: AbortController | undefined;
  private readonly staleAfterMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: PrometheusQuerier,
    private readonly opts: PrometheusSourceOptions,
  ) {
    if (!(opts.windowMs >= 1000)) throw new Error('the Prometheus window must be at least 1s');
    if (!(opts.intervalMs >= 100)) throw new Error('the Prometheus poll interval must be at least 100ms');
    this.staleAfterMs = Math.min(opts.staleAfterMs ?? 5 * 60_000, opts.windowMs);
    this.now = opts.now ?? Date.now;
  }

  /** The one query of a poll: every VMI's dirty-rate and memory series over the window. */
  get query(): string {
    const seconds = Math.max(1, Math.round(this.opts.windowMs / 1000));
    return `{__name__=~"${DIRTY_RATE_METRIC}|${MEMORY_AVAILABLE_METRIC}|${MEMORY_UNUSED_METRIC}"}[${seconds}s]`;
  }

  samples(vmiKey: string): VmiSamples | undefined {
    const e = this.entries.get(vmiKey);
    if (!e) return undefined;
    const oldest = this.now() - this.staleAfterMs;
    const readingsFresh = e.readingsNewestMs !== undefined && e.readingsNewestMs >= oldest;
    const memoryFresh = e.memoryNewestMs !== undefined && e.memoryNewestMs >= oldest;
    if (!readingsFresh && !memoryFresh) return undefined;
    const guestUsed = memoryFresh ? this.servedGuestUsed.get(vmiKey) : undefined;
    return {
      ...(readingsFresh ? { dirtyRateReadings: e.readings } : {}),
      ...(guestUsed !== undefined ? { guestUsedBytes: guestUsed } : {}),
      observedAtMs: Math.max(readingsFresh ? e.readingsNewestMs! : 0, memoryFresh ? e.memoryNewestMs! : 0),
    };
  }

  /** What was wrong with a VMI's series in the last successful poll (dropped samples, staleness). */
  problemsOf(vmiKey: string): readonly string[] {
    return this.entries.get(vmiKey)?.problems ?? [];
  }

  health(): PrometheusHealth {
    return this.state;
  }

  /** The counts of the last successful poll, for metrics and tests. */
  lastPollResult(): PollResult | undefined {
    return this.lastPoll;
  }

  /** Polls now and then every interval until stop(). */
  start(): void {
    if (this.loop) return;
    const stopping = new AbortController();
    this.stopping = stopping;
    this.loop = (async () => {
      while (!stopping.signal.aborted) {
        await this.poll(stopping.signal);
        await sleep(this.opts.intervalMs, stopping.signal);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping?.abort();
    await this.loop;
    this.loop = undefined;
    this.stopping = undefined;
    await this.client.close?.();
  }

  /** One poll; never throws. A failure keeps the previous samples (samples() ages them out). */
  async poll(signal?: AbortSignal): Promise<void> {
    const nowMs = this.now();
    try {
      const result = await this.client.query(this.query, { timeMs: nowMs, ...(signal ? { signal } : {}) });
      if (signal?.aborted) return;
      const polled = vmiEntriesOf(result.series, nowMs, this.staleAfterMs);
      this.lastPoll = polled;
      this.entries = polled.vmis;
      for (const key of [...this.servedGuestUsed.keys()]) if (polled.vmis.get(key)?.guestUsedBytes === undefined) this.servedGuestUsed.delete(key);
      for (const [key, e] of polled.vmis) {
        if (e.guestUsedBytes === undefined) continue;
        const served = this.servedGuestUsed.get(key);
        if (served === undefined || Math.abs(e.guestUsedBytes - served) > served * GUEST_USED_CHANGE_SHARE) this.servedGuestUsed.set(key, e.guestUsedBytes);
      }
      this.setHealth(healthOfPoll(polled, nowMs, this.opts.windowMs));
    } catch (err) {
      if (signal?.aborted) return;
      const e = err instanceof PrometheusError ? err : new PrometheusError('BadResponse', `cannot use Prometheus' answer: ${err instanceof Error ? err.message : String(err)}`);
      this.setHealth({
        ok: false,
        reason: e.reason,
        message: e.message,
        ...(this.state.lastSuccessMs !== undefined ? { lastSuccessMs: this.state.lastSuccessMs } : {}),
      });
    }
    this.noticeChanges();
  }

  private setHealth(next: PrometheusHealth): void {
    const prev = this.state;
    this.state = next;
    if (prev.ok !== next.ok || prev.reason !== next.reason) this.opts.onHealthChange?.(next);
  }

  /** Fires onChange when any VMI's served samples differ from the last time, expiry included. */
  private noticeChanges(): void {
    const next = new Map<string, string>();
    for (const key of this.entries.keys()) {
      const s = this.samples(key);
      if (!s) continue;
      const values = (s.dirtyRateReadings ?? []).map((r) => r.mibPerSecond).sort((a, b) => a - b);
      next.set(key, `${values.join(',')}|${s.guestUsedBytes ?? ''}`);
    }
    const changed = next.size !== this.signatures.size || [...next].some(([k, v]) => this.signatures.get(k) !== v);
    this.signatures = next;
    if (changed) this.opts.onChange?.();
  }
}

function healthOfPoll(p: PollResult, nowMs: number, windowMs: number): PrometheusHealth {
  const parts: string[] = [];
  const withReadings = [...p.vmis.values()].filter((e) => e.readings.length > 0).length;
  parts.push(`${withReadings} VMI(s) with dirty-rate readings from ${p.dirtyRateSeries} series`);
  const dropped = describeDropped(p.dropped);
  if (dropped) parts.push(`dropped samples: ${dropped}`);
  if (p.staleVmis > 0) parts.push(`${p.staleVmis} VMI(s) with only stale series ignored`);
  if (p.dirtyRateSeries === 0) {
    return {
      ok: false,
      reason: 'NoSeries',
      message: `no ${DIRTY_RATE_METRIC} series in the last ${Math.round(windowMs / 1000)}s: is virt-handler (KubeVirt >= 1.6) scraped by this Prometheus?`,
      lastSuccessMs: nowMs,
    };
  }
  return { ok: true, reason: 'Ok', message: parts.join('; '), lastSuccessMs: nowMs };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref?.();
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
