// PromQL functions: their signatures (for the parser's type checks, as in Prometheus's
// promql/parser/functions.go) and the numeric kernels of the range-vector functions, transcribed
// from Prometheus 2.42's promql/functions.go so results agree to the last bit where possible.
import type { TValueType } from "./ast";

export type TFunctionSignature = {
  argTypes: TValueType[];
  /** 0: exactly argTypes; n > 0: up to n optional trailing args; -1: unlimited (Prometheus's Variadic). */
  variadic: number;
  returnType: TValueType;
};

const V: TValueType = "vector";
const M: TValueType = "matrix";
const S: TValueType = "scalar";
const STR: TValueType = "string";

const vectorMath = [
  "abs",
  "ceil",
  "floor",
  "exp",
  "sqrt",
  "ln",
  "log2",
  "log10",
  "sgn",
  "acos",
  "acosh",
  "asin",
  "asinh",
  "atan",
  "atanh",
  "cos",
  "cosh",
  "sin",
  "sinh",
  "tan",
  "tanh",
  "deg",
  "rad",
];
const overTime = [
  "avg_over_time",
  "sum_over_time",
  "min_over_time",
  "max_over_time",
  "count_over_time",
  "last_over_time",
  "present_over_time",
  "stddev_over_time",
  "stdvar_over_time",
  "absent_over_time",
];
const matrixToVector = ["rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets"];
const dateFns = ["day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year"];

export const FUNCTIONS: Record<string, TFunctionSignature> = {
  ...Object.fromEntries(vectorMath.map((n) => [n, { argTypes: [V], variadic: 0, returnType: V }])),
  ...Object.fromEntries(
    [...overTime, ...matrixToVector].map((n) => [n, { argTypes: [M], variadic: 0, returnType: V }]),
  ),
  ...Object.fromEntries(dateFns.map((n) => [n, { argTypes: [V], variadic: 1, returnType: V }])),
  absent: { argTypes: [V], variadic: 0, returnType: V },
  clamp: { argTypes: [V, S, S], variadic: 0, returnType: V },
  clamp_min: { argTypes: [V, S], variadic: 0, returnType: V },
  clamp_max: { argTypes: [V, S], variadic: 0, returnType: V },
  histogram_quantile: { argTypes: [S, V], variadic: 0, returnType: V },
  label_join: { argTypes: [V, STR, STR, STR], variadic: -1, returnType: V },
  label_replace: { argTypes: [V, STR, STR, STR, STR], variadic: 0, returnType: V },
  pi: { argTypes: [], variadic: 0, returnType: S },
  predict_linear: { argTypes: [M, S], variadic: 0, returnType: V },
  quantile_over_time: { argTypes: [S, M], variadic: 0, returnType: V },
  round: { argTypes: [V, S], variadic: 1, returnType: V },
  scalar: { argTypes: [V], variadic: 0, returnType: S },
  sort: { argTypes: [V], variadic: 0, returnType: V },
  sort_desc: { argTypes: [V], variadic: 0, returnType: V },
  time: { argTypes: [], variadic: 0, returnType: S },
  timestamp: { argTypes: [V], variadic: 0, returnType: V },
  vector: { argTypes: [S], variadic: 0, returnType: V },
};

/** A window of one series' samples: ts[lo..hi) and values[lo..hi), sorted by time. */
export type TWindow = { ts: number[]; values: number[]; lo: number; hi: number };

/** Neumaier's improvement of Kahan summation, as Prometheus's kahanSumInc. */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/**
 * rate, increase and delta: Prometheus's extrapolatedRate. The range is [rangeStart, rangeEnd] in ms;
 * undefined when the window has fewer than two samples (the series is then dropped).
 */
export function extrapolatedRate(
  w: TWindow,
  rangeStartMs: number,
  rangeEndMs: number,
  rangeMs: number,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  const n = w.hi - w.lo;
  if (n < 2) return undefined;
  const firstT = w.ts[w.lo] as number;
  const firstV = w.values[w.lo] as number;
  const lastT = w.ts[w.hi - 1] as number;
  const lastV = w.values[w.hi - 1] as number;
  let resultValue = lastV - firstV;
  if (isCounter) {
    let prev = firstV;
    for (let i = w.lo + 1; i < w.hi; i++) {
      const cur = w.values[i] as number;
      if (cur < prev) resultValue += prev;
      prev = cur;
    }
  }
  return extrapolate(resultValue, n, firstT, firstV, lastT, rangeStartMs, rangeEndMs, rangeMs, isCounter, isRate);
}

/**
 * The second half of extrapolatedRate, from what it knows of the window: the (reset-adjusted) change,
 * the number of samples and the first and last sample. Rollup buckets carry exactly these (rollup.ts).
 */
export function extrapolate(
  resultValue: number,
  n: number,
  firstT: number,
  firstV: number,
  lastT: number,
  rangeStartMs: number,
  rangeEndMs: number,
  rangeMs: number,
  isCounter: boolean,
  isRate: boolean,
): number {
  let durationToStart = (firstT - rangeStartMs) / 1000;
  const durationToEnd = (rangeEndMs - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  if (isCounter && resultValue > 0 && firstV >= 0) {
    // Counters cannot be negative: do not extrapolate to before the counter's zero point.
    const durationToZero = sampledInterval * (firstV / resultValue);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  extrapolateToInterval +=
    durationToStart < extrapolationThreshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateToInterval += durationToEnd < extrapolationThreshold ? durationToEnd : averageDurationBetweenSamples / 2;
  let factor = extrapolateToInterval / sampledInterval;
  if (isRate) factor /= rangeMs / 1000;
  return resultValue * factor;
}

/** irate and idelta: the last two samples (Prometheus's instantValue). */
export function instantValue(w: TWindow, isRate: boolean): number | undefined {
  if (w.hi - w.lo < 2) return undefined;
  const lastT = w.ts[w.hi - 1] as number;
  const lastV = w.values[w.hi - 1] as number;
  const prevT = w.ts[w.hi - 2] as number;
  const prevV = w.values[w.hi - 2] as number;
  let resultValue = isRate && lastV < prevV ? lastV : lastV - prevV;
  const sampledInterval = lastT - prevT;
  if (sampledInterval === 0) return undefined;
  if (isRate) resultValue /= sampledInterval / 1000;
  return resultValue;
}

/** Least squares over (t - interceptTime seconds, v), as Prometheus's linearRegression. */
export function linearRegression(w: TWindow, interceptTimeMs: number): [number, number] {
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = w.values[w.lo] as number;
  let constY = true;
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.values[i] as number;
    if (constY && i > w.lo && v !== initY) constY = false;
    n += 1;
    const x = ((w.ts[i] as number) - interceptTimeMs) / 1e3;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(v, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * v, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [Number.NaN, Number.NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

const isInf = (v: number) => v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY;

/** The *_over_time kernels; every one needs at least one sample, which the caller ensures. */
export const OVER_TIME: Record<string, (w: TWindow) => number> = {
  avg_over_time: (w) => {
    let mean = 0;
    let count = 0;
    let c = 0;
    for (let i = w.lo; i < w.hi; i++) {
      const v = w.values[i] as number;
      count++;
      if (isInf(mean)) {
        // Inf of the same sign stays; a finite value cannot move an infinite mean.
        if (isInf(v) && mean > 0 === v > 0) continue;
        if (!isInf(v) && !Number.isNaN(v)) continue;
      }
      [mean, c] = kahanSumInc(v / count - mean / count, mean, c);
    }
    return isInf(mean) ? mean : mean + c;
  },
  sum_over_time: (w) => {
    let sum = 0;
    let c = 0;
    for (let i = w.lo; i < w.hi; i++) [sum, c] = kahanSumInc(w.values[i] as number, sum, c);
    return isInf(sum) ? sum : sum + c;
  },
  min_over_time: (w) => {
    let min = w.values[w.lo] as number;
    for (let i = w.lo; i < w.hi; i++) {
      const v = w.values[i] as number;
      if (v < min || Number.isNaN(min)) min = v;
    }
    return min;
  },
  max_over_time: (w) => {
    let max = w.values[w.lo] as number;
    for (let i = w.lo; i < w.hi; i++) {
      const v = w.values[i] as number;
      if (v > max || Number.isNaN(max)) max = v;
    }
    return max;
  },
  count_over_time: (w) => w.hi - w.lo,
  last_over_time: (w) => w.values[w.hi - 1] as number,
  present_over_time: () => 1,
  stddev_over_time: (w) => Math.sqrt(varianceOverTime(w)),
  stdvar_over_time: (w) => varianceOverTime(w),
  changes: (w) => {
    let changes = 0;
    let prev = w.values[w.lo] as number;
    for (let i = w.lo + 1; i < w.hi; i++) {
      const cur = w.values[i] as number;
      if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++;
      prev = cur;
    }
    return changes;
  },
  resets: (w) => {
    let resets = 0;
    let prev = w.values[w.lo] as number;
    for (let i = w.lo + 1; i < w.hi; i++) {
      const cur = w.values[i] as number;
      if (cur < prev) resets++;
      prev = cur;
    }
    return resets;
  },
};

function varianceOverTime(w: TWindow): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.values[i] as number;
    count++;
    const delta = v - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (v - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

/** Go's math.Pow special cases differ from JavaScript's `**` for a base of ±1. */
export function goPow(x: number, y: number): number {
  if (y === 0) return 1;
  if (x === 1) return 1;
  if (x === -1 && isInf(y)) return 1;
  return x ** y;
}

export const VECTOR_MATH: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sgn: (v) => (v < 0 ? -1 : v > 0 ? 1 : v),
  acos: Math.acos,
  acosh: Math.acosh,
  asin: Math.asin,
  asinh: Math.asinh,
  atan: Math.atan,
  atanh: Math.atanh,
  cos: Math.cos,
  cosh: Math.cosh,
  sin: Math.sin,
  sinh: Math.sinh,
  tan: Math.tan,
  tanh: Math.tanh,
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
};

/** The date functions read a Unix time in seconds as UTC. */
export const DATE_FNS: Record<string, (d: Date) => number> = {
  day_of_month: (d) => d.getUTCDate(),
  day_of_week: (d) => d.getUTCDay(),
  day_of_year: (d) => {
    const start = Date.UTC(d.getUTCFullYear(), 0, 1);
    return Math.floor((d.getTime() - start) / 86_400_000) + 1;
  },
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
  hour: (d) => d.getUTCHours(),
  minute: (d) => d.getUTCMinutes(),
  month: (d) => d.getUTCMonth() + 1,
  year: (d) => d.getUTCFullYear(),
};
