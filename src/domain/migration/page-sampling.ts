/**
 * What QEMU 7.2's page-sampling dirty-rate measurement (`calc-dirty-rate`, mode page-sampling: the
 * one KubeVirt's `kubevirt_vmi_dirty_rate_bytes_per_second` gauge and libvirt's
 * `domdirtyrate-calc` use) really says, and the write rate most likely behind many readings.
 *
 * QEMU's arithmetic (migration/dirtyrate.c): it hashes `n = ⌊RAM × samplePages / GiB⌋` randomly
 * chosen pages of each RAM block of at least 128 MiB, waits `calc-time`, hashes them again, counts
 * the `k` samples whose hash changed, and reports
 *
 *     dirty-rate = ⌊k × RAM_MiB × 1000 / (n × ms)⌋   (whole "MB"/s, really MiB/s)
 *
 * So one reading is a binomial count seen through a truncation: at KubeVirt's 1 s and 512
 * samples/GiB each dirty sample is worth 2 MiB/s, and a guest writing 2 MiB/s into a 2 GiB VM reads
 * 0, 2, 4 or 6 in turn; at 16384 samples/GiB every reading is truncated to whole MiB/s (a 1.9 MiB/s
 * guest reads 1). Averaging such readings is biased; this module instead keeps, for each reading,
 * the exact range of dirty-sample counts it allows, and finds the write rate that makes all the
 * readings together most likely.
 *
 * Writes land uniformly at random in a hot set of W bytes (see calibration.ts for why that is the
 * safe assumption): after t seconds at a write rate d the dirty share of RAM is
 * (W / RAM)·(1 − e^(−d·t/W)), the probability that one sample is dirty.
 */
const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** QEMU skips RAM blocks below this size (MIN_RAMBLOCK_SIZE, 128 MB in dirtyrate.c). */
export const MIN_SAMPLED_BLOCK_BYTES = 128 * MiB;
/** QEMU's default sample-pages, which libvirt and so KubeVirt use. */
export const DEFAULT_SAMPLE_PAGES_PER_GIB = 512;

export interface PageSamplingReading {
  /** calc-time, seconds. */
  readonly seconds: number;
  /** `dirty-rate` as QEMU reports it: whole MiB/s. */
  readonly mibPerSecond: number;
  /** sample-pages per GiB; QEMU's default 512 when absent. */
  readonly samplePages?: number;
}

/** How many pages QEMU samples in one block of `memoryBytes` (0 for a block it skips). */
export function sampledPages(memoryBytes: number, samplePagesPerGiB = DEFAULT_SAMPLE_PAGES_PER_GIB): number {
  if (memoryBytes < MIN_SAMPLED_BLOCK_BYTES) return 0;
  return Math.floor((memoryBytes * samplePagesPerGiB) / GiB);
}

/** QEMU's reading for k dirty samples of n (the forward arithmetic, for tests and simulation). */
export function readingOf(dirtySamples: number, memoryBytes: number, seconds: number, samplePagesPerGiB = DEFAULT_SAMPLE_PAGES_PER_GIB): number {
  const n = BigInt(sampledPages(memoryBytes, samplePagesPerGiB));
  if (n === 0n) return 0;
  const ms = BigInt(Math.round(seconds * 1000));
  return Number((BigInt(dirtySamples) * BigInt(Math.floor(memoryBytes / MiB)) * 1000n) / (n * ms));
}

/**
 * The dirty-sample counts [min, max] that give this reading: the k with
 * r ≤ k·RAM_MiB·1000 / (n·ms) < r + 1. Empty (min > max) when no count can produce it.
 */
export function dirtySamplesOf(reading: PageSamplingReading, memoryBytes: number): { min: number; max: number; of: number } {
  const samples = sampledPages(memoryBytes, reading.samplePages ?? DEFAULT_SAMPLE_PAGES_PER_GIB);
  const n = BigInt(samples);
  const r = BigInt(Math.max(0, Math.floor(reading.mibPerSecond)));
  const ms = BigInt(Math.round(reading.seconds * 1000));
  const unit = BigInt(Math.floor(memoryBytes / MiB)) * 1000n;
  if (n === 0n || unit === 0n) return { min: 0, max: samples, of: samples };
  const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;
  const min = ceilDiv(r * n * ms, unit);
  const max = ceilDiv((r + 1n) * n * ms, unit) - 1n;
  return { min: Math.min(samples, Number(min)), max: Math.min(samples, Number(max)), of: samples };
}

/** Probability that one sampled page is dirty after `seconds` at write rate d into hot set W. */
export function dirtyShare(writeBytesPerSecond: number, seconds: number, hotSetBytes: number, memoryBytes: number): number {
  if (!(writeBytesPerSecond > 0)) return 0;
  if (!(hotSetBytes > 0)) return Math.min(1, (writeBytesPerSecond * seconds) / memoryBytes);
  const w = Math.min(hotSetBytes, memoryBytes);
  return (w / memoryBytes) * -Math.expm1((-writeBytesPerSecond * seconds) / w);
}

// --- binomial interval probabilities -----------------------------------------------------------

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** ln P(min ≤ K ≤ max) for K ~ Binomial(n, p). */
export function logBinomialInterval(n: number, p: number, min: number, max: number): number {
  const lo = Math.max(0, min);
  const hi = Math.min(n, max);
  if (lo > hi) return -Infinity;
  if (p <= 0) return lo === 0 ? 0 : -Infinity;
  if (p >= 1) return hi === n ? 0 : -Infinity;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const base = logGamma(n + 1);
  // The pmf is unimodal: sum from the interval's most likely count outwards until terms vanish.
  const mode = Math.min(hi, Math.max(lo, Math.floor((n + 1) * p)));
  const term = (k: number): number => base - logGamma(k + 1) - logGamma(n - k + 1) + k * lp + (n - k) * lq;
  const peak = term(mode);
  let sum = peak;
  for (let k = mode + 1; k <= hi; k++) {
    const t = term(k);
    sum = logAddExp(sum, t);
    if (t < peak - 40) break;
  }
  for (let k = mode - 1; k >= lo; k--) {
    const t = term(k);
    sum = logAddExp(sum, t);
    if (t < peak - 40) break;
  }
  return sum;
}

// --- the estimate ------------------------------------------------------------------------------

/** Highest write rate considered: one that leaves the hot set this saturated in the shortest window. */
const MAX_SATURATION = 0.999;
const GRID_POINTS = 240;
/** Log-likelihood drop of a 95 % likelihood-ratio interval (χ²₁ / 2). */
const INTERVAL_DROP = 1.92;

export interface WriteRateEstimate {
  /** Most likely write rate into the hot set, bytes/s (0 when every reading allows 0). */
  readonly bytesPerSecond: number;
  /** 95 % likelihood-ratio interval. */
  readonly lowerBytesPerSecond: number;
  readonly upperBytesPerSecond: number;
  /** The readings that carried information (a sampled block, a positive window). */
  readonly readings: number;
  /** The estimate sits at the highest rate considered: the readings saturate the hot set. */
  readonly saturated: boolean;
}

/** ln-likelihood of all readings for write rate d. */
export function readingsLogLikelihood(
  readings: readonly PageSamplingReading[],
  writeBytesPerSecond: number,
  hotSetBytes: number,
  memoryBytes: number,
): number {
  let sum = 0;
  const reachableShare = hotSetBytes > 0 ? Math.min(1, hotSetBytes / memoryBytes) : 1;
  for (const r of readings) {
    if (!(r.seconds > 0)) continue;
    let { min, max, of } = dirtySamplesOf(r, memoryBytes);
    if (of === 0) continue;
    if (min > max) {
      // A value QEMU cannot produce with these settings (rounded, or from another source): the
      // counts on either side of it.
      [min, max] = [max, min];
    }
    const reachable = Math.floor(of * reachableShare);
    if (min > reachable) {
      // More dirty than the hot set allows: the hot set is saturated (and larger than assumed).
      min = reachable;
      max = of;
    }
    sum += logBinomialInterval(of, dirtyShare(writeBytesPerSecond, r.seconds, hotSetBytes, memoryBytes), min, max);
  }
  return sum;
}

/**
 * Maximum-likelihood write rate behind page-sampling readings of one VM (readings taken at
 * different times of a steady load). A log-spaced grid, then golden-section refinement.
 */
export function estimateWriteRate(readings: readonly PageSamplingReading[], hotSetBytes: number, memoryBytes: number): WriteRateEstimate {
  const useful = readings.filter((r) => r.seconds > 0 && sampledPages(memoryBytes, r.samplePages ?? DEFAULT_SAMPLE_PAGES_PER_GIB) > 0);
  if (useful.length === 0) return { bytesPerSecond: 0, lowerBytesPerSecond: 0, upperBytesPerSecond: 0, readings: 0, saturated: false };
  const w = hotSetBytes > 0 ? Math.min(hotSetBytes, memoryBytes) : memoryBytes;
  const shortest = Math.min(...useful.map((r) => r.seconds));
  const top = (-w / shortest) * Math.log1p(-MAX_SATURATION);
  const bottom = top * 1e-7;
  const ll = (d: number): number => readingsLogLikelihood(useful, d, hotSetBytes, memoryBytes);

  const grid = [0, ...Array.from({ length: GRID_POINTS }, (_, i) => bottom * (top / bottom) ** (i / (GRID_POINTS - 1)))];
  const values = grid.map(ll);
  let best = 0;
  for (let i = 1; i < grid.length; i++) if (values[i]! > values[best]!) best = i;

  let d = grid[best]!;
  let peak = values[best]!;
  if (best > 0 && best < grid.length - 1) {
    // Golden-section search on ln d between the neighbours of the best grid point.
    let a = Math.log(grid[best - 1]! || bottom);
    let b = Math.log(grid[best + 1]!);
    const g = (Math.sqrt(5) - 1) / 2;
    let c = b - g * (b - a);
    let e = a + g * (b - a);
    let fc = ll(Math.exp(c));
    let fe = ll(Math.exp(e));
    for (let i = 0; i < 40; i++) {
      if (fc > fe) {
        b = e;
        e = c;
        fe = fc;
        c = b - g * (b - a);
        fc = ll(Math.exp(c));
      } else {
        a = c;
        c = e;
        fc = fe;
        e = a + g * (b - a);
        fe = ll(Math.exp(e));
      }
    }
    const refined = Math.exp((a + b) / 2);
    const value = ll(refined);
    if (value > peak) {
      d = refined;
      peak = value;
    }
  }
  const bound = (from: number, to: number): number => {
    // Bisection on ln d for where the log-likelihood has dropped by INTERVAL_DROP.
    if (ll(to) >= peak - INTERVAL_DROP) return to;
    let inner = from;
    let outer = to;
    for (let i = 0; i < 40; i++) {
      const mid = inner > 0 && outer > 0 ? Math.sqrt(inner * outer) : (inner + outer) / 2;
      if (ll(mid) >= peak - INTERVAL_DROP) inner = mid;
      else outer = mid;
    }
    return inner;
  };
  return {
    bytesPerSecond: d,
    lowerBytesPerSecond: d > 0 ? bound(d, 0) : 0,
    upperBytesPerSecond: bound(Math.max(d, bottom), top),
    readings: useful.length,
    saturated: best === grid.length - 1,
  };
}
