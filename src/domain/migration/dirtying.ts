/**
 * How many distinct bytes a guest dirties in a window of time: the quantity QEMU re-sends each
 * pass, and what `calc-dirty-rate` reports as rate × window.
 *
 * The curve U(t) = W·(1 − e^(−d·t/W)) + c·t: d bytes/s of writes spread over a hot set of W bytes
 * (re-writes of an already dirty page add nothing, so U saturates at W), plus c bytes/s of writes
 * that always land on new pages. A single measured rate is the special case W = 0: U(t) = c·t.
 */

export interface DirtyingCurve {
  /** W: the writable working set that repeated writes keep re-dirtying. */
  readonly hotSetBytes: number;
  /** d: raw write rate into the hot set; the slope of U at 0 for the hot part. */
  readonly hotWriteBytesPerSecond: number;
  /** c: writes that always dirty a page not yet dirty in this window. */
  readonly coldBytesPerSecond: number;
}

export function constantDirtying(bytesPerSecond: number): DirtyingCurve {
  return { hotSetBytes: 0, hotWriteBytesPerSecond: 0, coldBytesPerSecond: bytesPerSecond };
}

/** U(t): distinct bytes dirtied within `seconds` of guest time. Concave and increasing in t. */
export function distinctBytesDirtied(curve: DirtyingCurve, seconds: number): number {
  const { hotSetBytes: w, hotWriteBytesPerSecond: d, coldBytesPerSecond: c } = curve;
  // expm1 keeps W·(1 − e^−x) accurate when x is tiny (a hot set far from saturation).
  const hot = w > 0 && d > 0 ? -w * Math.expm1((-d * seconds) / w) : 0;
  return hot + c * seconds;
}

/** U'(0): the rate a very short window would measure; the rate the final passes see. */
export function initialDirtyRate(curve: DirtyingCurve): number {
  return curve.hotWriteBytesPerSecond + curve.coldBytesPerSecond;
}
