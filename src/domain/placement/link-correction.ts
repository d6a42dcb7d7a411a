/**
 * Learning from finished migrations: how much of a client's measured link its migrations really get.
 *
 * Each succeeded migration of ours whose prediction used a client's link is one observation: the
 * throughput it achieved (the model's bytes over its Running time) against the throughput the model
 * expected at the bandwidth it used (the same bytes over the predicted time), scaled to that link's
 * measurement. Comparing with the model's own expectation, not with the raw bandwidth, keeps the
 * model's fixed parts (goodput factor, stop-and-copy) from reading as a slow link; comparing with the
 * raw measurement, not the corrected bandwidth, keeps the factor from feeding on itself.
 *
 * The per-node factor is a robust, recency-weighted mean of the observations in log space, pulled
 * towards 1 by a prior, and bounded:
 * - each observation weighs 2^(−age / half-life): an old one counts half after one half-life;
 * - the centre is the weighted median, and each observation is clipped to within ×/÷ OUTLIER_SPREAD
 *   of it before averaging, so one wild run moves the factor little once there are others;
 * - the prior, PRIOR_WEIGHT observations' worth of "factor 1", makes one run count for part of its
 *   value, and, as every observation ages, the factor returns to 1;
 * - the result stays within [MIN, MAX].
 * Pure: the observations and the time come in, the factor goes out.
 */

export const LinkCorrectionRule = {
  /** Below this the link measurement is off by more than 4×: a broken probe, not a slow stream; not learned further. */
  min: 0.25,
  /** Above 1 the probe under-reads; believing a link faster than measured is the risky direction, so the bound is tighter. */
  max: 1.5,
  /** An observation counts half after a day: links change (another ISP, a new Wi-Fi) and KubeVirt keeps few migrations. */
  halfLifeSeconds: 24 * 3600,
  /** How many fresh observations' worth of "no correction" the learned factor is weighed against. */
  priorWeight: 0.25,
  /** Observations further than ×/÷ this from the weighted median are clipped to it. */
  outlierSpread: 1.5,
  /** A migration shorter than this (Running, s) or sending less than minBytes says too little (timestamps have 1 s resolution). */
  minSeconds: 15,
  minBytes: 64 * 1024 * 1024,
  /** The prediction's bandwidth below the link by more than this fraction means a limit, not the link, set it. */
  capTolerance: 0.02,
} as const;

export type LinkCorrectionParams = typeof LinkCorrectionRule;

/** A finished migration's prediction and what happened, as the observation layer reads it. */
export interface FinishedMigrationFacts {
  readonly predictedSeconds: number;
  readonly predictedBytes: number;
  /** The bandwidth the prediction used (link × correction, capped by any limit). */
  readonly predictedBandwidthBytesPerSecond: number;
  /** The link's measurement the prediction started from, uncorrected. */
  readonly linkBandwidthBytesPerSecond: number;
  /** The correction the prediction applied (1 when none). */
  readonly linkCorrection: number;
  /** From entering Running to Succeeded, in the migration's own (reported) seconds. */
  readonly runningSeconds: number;
  /** Memory actually sent, when a source such as KubeVirt's metrics knows it; the model's bytes otherwise. */
  readonly sentBytes?: number;
}

export type LinkRatio = { readonly ratio: number } | { readonly skipped: string };

/**
 * The fraction of its measured link one migration achieved, or why it says nothing: too short or
 * too small to measure, or paced by a bandwidth limit rather than by the link.
 */
export function achievedLinkRatio(f: FinishedMigrationFacts, rule: LinkCorrectionParams = LinkCorrectionRule): LinkRatio {
  const positive = (x: number) => Number.isFinite(x) && x > 0;
  if (![f.predictedSeconds, f.predictedBytes, f.predictedBandwidthBytesPerSecond, f.linkBandwidthBytesPerSecond, f.linkCorrection, f.runningSeconds].every(positive)) {
    return { skipped: 'incomplete record' };
  }
  if (f.runningSeconds < rule.minSeconds) return { skipped: `ran ${f.runningSeconds.toFixed(1)} s, under ${rule.minSeconds} s` };
  const sent = f.sentBytes !== undefined && positive(f.sentBytes) ? f.sentBytes : f.predictedBytes;
  if (sent < rule.minBytes) return { skipped: `sent ${sent} bytes, under ${rule.minBytes}` };
  const achievedBytesPerSecond = sent / f.runningSeconds;
  const expectedBytesPerSecond = f.predictedBytes / f.predictedSeconds;
  // The link-equivalent bandwidth the migration achieved.
  const achievedBandwidth = (f.predictedBandwidthBytesPerSecond * achievedBytesPerSecond) / expectedBytesPerSecond;
  const capped = f.predictedBandwidthBytesPerSecond < f.linkBandwidthBytesPerSecond * f.linkCorrection * (1 - rule.capTolerance);
  // Under a limit a run at the limit's pace only says the link is at least that fast.
  if (capped && achievedBandwidth >= f.predictedBandwidthBytesPerSecond * 0.9) return { skipped: 'paced by a bandwidth limit, not the link' };
  return { ratio: achievedBandwidth / f.linkBandwidthBytesPerSecond };
}

export interface LinkObservation {
  /** The client whose link it was. */
  readonly node: string;
  /** achievedLinkRatio's ratio. */
  readonly ratio: number;
  readonly endedAtMs: number;
}

export interface LinkCorrection {
  /** Multiplies the node's measured link bandwidth. */
  readonly factor: number;
  /** Observations it was learned from. */
  readonly observations: number;
  /** Their total recency weight (fresh ones count 1 each). */
  readonly weight: number;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** The weighted median of xs (midpoint when the cumulative weight reaches half exactly between two). */
function weightedMedian(xs: readonly { x: number; w: number }[]): number {
  const sorted = [...xs].sort((a, b) => a.x - b.x);
  const half = sorted.reduce((s, p) => s + p.w, 0) / 2;
  let cumulative = 0;
  for (let i = 0; i < sorted.length; i++) {
    cumulative += sorted[i]!.w;
    if (Math.abs(cumulative - half) < 1e-12 && i + 1 < sorted.length) return (sorted[i]!.x + sorted[i + 1]!.x) / 2;
    if (cumulative > half) return sorted[i]!.x;
  }
  return sorted.at(-1)!.x;
}

/** One node's correction from its observations at nowMs; undefined when there are none. */
export function linkCorrection(observations: readonly Pick<LinkObservation, 'ratio' | 'endedAtMs'>[], nowMs: number, rule: LinkCorrectionParams = LinkCorrectionRule): LinkCorrection | undefined {
  const points = observations
    .filter((o) => Number.isFinite(o.ratio) && o.ratio > 0)
    // A migration that ended in the future (clock skew) counts as fresh.
    .map((o) => ({ x: Math.log(clamp(o.ratio, rule.min, rule.max)), w: 2 ** (-Math.max(0, nowMs - o.endedAtMs) / 1000 / rule.halfLifeSeconds) }))
    .filter((p) => p.w > 0);
  if (points.length === 0) return undefined;
  const weight = points.reduce((s, p) => s + p.w, 0);
  const centre = weightedMedian(points);
  const spread = Math.log(rule.outlierSpread);
  const mean = points.reduce((s, p) => s + p.w * clamp(p.x, centre - spread, centre + spread), 0) / weight;
  const factor = clamp(Math.exp((mean * weight) / (weight + rule.priorWeight)), rule.min, rule.max);
  return { factor, observations: points.length, weight };
}

/** Per node, from all nodes' observations. */
export function linkCorrections(observations: readonly LinkObservation[], nowMs: number, rule: LinkCorrectionParams = LinkCorrectionRule): Map<string, LinkCorrection> {
  const byNode = new Map<string, LinkObservation[]>();
  for (const o of observations) {
    const list = byNode.get(o.node);
    if (list) list.push(o);
    else byNode.set(o.node, [o]);
  }
  const out = new Map<string, LinkCorrection>();
  for (const [node, list] of byNode) {
    const c = linkCorrection(list, nowMs, rule);
    if (c) out.set(node, c);
  }
  return out;
}
