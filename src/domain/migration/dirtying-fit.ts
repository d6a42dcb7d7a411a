/**
 * Fitting the dirtying curve U(t) = W·(1 − e^(−t/τ)) + c·t (τ = W/d) to `calc-dirty-rate`
 * measurements taken over several window lengths: each window gives one point U(t) = rate·t.
 *
 * For a fixed time constant τ the curve is linear in W and c, so each τ is a two-variable
 * non-negative least-squares problem with a closed form; τ itself is searched on a log grid and
 * refined by golden section. Errors are relative (weights 1/U²), so scaling every measured rate by k
 * scales W, d and c by k: a higher measured dirty rate always gives a pointwise higher curve.
 *
 * With exactly two windows the three parameters are not determined: many curves pass through both
 * points. Two windows are then explained by the hot set alone (c = 0), solved exactly: the ratio
 * U(t2)/U(t1) fixes τ; when the rate does not fall with the window length, a straight line.
 * That choice extrapolates flat beyond the longest window, which is the less conservative reading;
 * measure at three or more window lengths when long first passes matter.
 */
import { constantDirtying, type DirtyingCurve } from './dirtying.js';

export interface DirtyRateWindow {
  /** Length of the measurement window (QEMU 7.2 `calc-time`). */
  readonly seconds: number;
  /** Distinct bytes dirtied in the window, divided by its length. */
  readonly bytesPerSecond: number;
}

const GRID_POINTS = 48;
const GRID_SPAN = 50; // τ from shortest window / 50 to longest window × 50
const GOLDEN_STEPS = 60;

interface Point {
  readonly t: number;
  readonly u: number;
  readonly weight: number;
}

interface Fit {
  readonly hotSetBytes: number;
  readonly coldBytesPerSecond: number;
  readonly objective: number;
}

function fitAtTimeConstant(points: readonly Point[], tau: number, a: Float64Array): Fit {
  let saa = 0;
  let sab = 0;
  let sbb = 0;
  let sau = 0;
  let sbu = 0;
  for (let i = 0; i < points.length; i++) {
    const { t, u, weight } = points[i]!;
    const ai = -Math.expm1(-t / tau);
    a[i] = ai;
    saa += weight * ai * ai;
    sab += weight * ai * t;
    sbb += weight * t * t;
    sau += weight * ai * u;
    sbu += weight * t * u;
  }
  const objective = (w: number, c: number): number => {
    let sum = 0;
    for (let i = 0; i < points.length; i++) {
      const { t, u, weight } = points[i]!;
      const e = w * a[i]! + c * t - u;
      sum += weight * e * e;
    }
    return sum;
  };
  // Non-negative least squares in two variables: the best of the interior solution and the two edges.
  let best: Fit = { hotSetBytes: 0, coldBytesPerSecond: 0, objective: Infinity };
  const consider = (w: number, c: number): void => {
    const value = objective(w, c);
    if (value < best.objective) best = { hotSetBytes: w, coldBytesPerSecond: c, objective: value };
  };
  consider(Math.max(0, sau / saa), 0);
  consider(0, Math.max(0, sbu / sbb));
  const det = saa * sbb - sab * sab;
  if (det > 0) {
    const w = (sau * sbb - sab * sbu) / det;
    const c = (saa * sbu - sab * sau) / det;
    if (w >= 0 && c >= 0) consider(w, c);
  }
  return best;
}

/**
 * The hot set through two points: (1 − e^(−t2/τ)) / (1 − e^(−t1/τ)) falls from t2/t1 (τ → ∞) to 1
 * (τ → 0), so the measured ratio U2/U1 fixes τ. Undefined when the ratio is outside that range.
 */
function hotSetThroughTwo(first: Point, second: Point): DirtyingCurve | undefined {
  const [p1, p2] = first.t < second.t ? [first, second] : [second, first];
  const ratio = p2.u / p1.u;
  if (!(ratio > 1 && ratio < p2.t / p1.t)) return undefined;
  const ratioAt = (logTau: number): number => {
    const tau = Math.exp(logTau);
    return Math.expm1(-p2.t / tau) / Math.expm1(-p1.t / tau);
  };
  let lo = Math.log(p1.t) - 40; // ratio ≈ 1
  let hi = Math.log(p2.t) + 40; // ratio ≈ t2/t1
  for (let i = 0; i < 200 && hi - lo > 1e-15 * Math.abs(hi); i++) {
    const mid = (lo + hi) / 2;
    if (ratioAt(mid) > ratio) hi = mid;
    else lo = mid;
  }
  const tau = Math.exp((lo + hi) / 2);
  const hotSetBytes = p1.u / -Math.expm1(-p1.t / tau);
  return { hotSetBytes, hotWriteBytesPerSecond: hotSetBytes / tau, coldBytesPerSecond: 0 };
}

function fit(windows: readonly DirtyRateWindow[]): DirtyingCurve {
  if (windows.length === 1) return constantDirtying(windows[0]!.bytesPerSecond);
  const uMax = Math.max(...windows.map((w) => w.bytesPerSecond * w.seconds));
  if (uMax === 0) return constantDirtying(0);
  // Fitting U / uMax makes the result exactly proportional to the measured rates.
  // A window that saw nothing is weighted like one that saw a thousandth of the most, not infinitely.
  const points = windows.map(({ seconds, bytesPerSecond }) => {
    const u = (bytesPerSecond * seconds) / uMax;
    return { t: seconds, u, weight: 1 / Math.max(u, 1e-3) ** 2 };
  });
  if (points.length === 2) {
    const hot = hotSetThroughTwo(points[0]!, points[1]!);
    if (hot) {
      return {
        hotSetBytes: hot.hotSetBytes * uMax,
        hotWriteBytesPerSecond: hot.hotWriteBytesPerSecond * uMax,
        coldBytesPerSecond: 0,
      };
    }
  }
  const tMin = Math.min(...points.map((p) => p.t));
  const tMax = Math.max(...points.map((p) => p.t));

  const logLo = Math.log(tMin / GRID_SPAN);
  const logHi = Math.log(tMax * GRID_SPAN);
  const scratch = new Float64Array(points.length);
  const objectiveAt = (logTau: number): number => fitAtTimeConstant(points, Math.exp(logTau), scratch).objective;
  const step = (logHi - logLo) / (GRID_POINTS - 1);
  let bestIndex = 0;
  let bestObjective = Infinity;
  for (let i = 0; i < GRID_POINTS; i++) {
    const value = objectiveAt(logLo + step * i);
    if (value < bestObjective) {
      bestObjective = value;
      bestIndex = i;
    }
  }
  // Golden section between the best grid point's neighbours, one new evaluation a step.
  const ratio = (Math.sqrt(5) - 1) / 2;
  let lo = logLo + step * Math.max(0, bestIndex - 1);
  let hi = logLo + step * Math.min(GRID_POINTS - 1, bestIndex + 1);
  let x1 = hi - ratio * (hi - lo);
  let x2 = lo + ratio * (hi - lo);
  let f1 = objectiveAt(x1);
  let f2 = objectiveAt(x2);
  for (let i = 0; i < GOLDEN_STEPS; i++) {
    if (f1 <= f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - ratio * (hi - lo);
      f1 = objectiveAt(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + ratio * (hi - lo);
      f2 = objectiveAt(x2);
    }
  }
  const logTau = (lo + hi) / 2;
  const best = fitAtTimeConstant(points, Math.exp(logTau), scratch);
  const tau = Math.exp(logTau);
  if (best.hotSetBytes <= 1e-6) return constantDirtying(best.coldBytesPerSecond * uMax);
  return {
    hotSetBytes: best.hotSetBytes * uMax,
    hotWriteBytesPerSecond: (best.hotSetBytes * uMax) / tau,
    coldBytesPerSecond: best.coldBytesPerSecond * uMax,
  };
}

// The planner predicts one VM against many candidate nodes with the same windows: fit once.
const fitted = new WeakMap<readonly DirtyRateWindow[], DirtyingCurve>();

/** The curve through the measured windows. One window gives a constant rate. */
export function fitDirtyingCurve(windows: readonly DirtyRateWindow[]): DirtyingCurve {
  if (windows.length === 0) throw new RangeError('dirtyRate.windows: at least one measurement window is needed');
  let curve = fitted.get(windows);
  if (!curve) {
    curve = fit(windows);
    fitted.set(windows, curve);
  }
  return curve;
}
