// PromQL over rollup buckets. A bucket of width w holds, for the samples of [bucket, bucket + w), their
// count, sum, min, max, first and last sample, and the reset-aware increase between consecutive samples
// (server/pipeline/compactor.ts). When a range [t − r, t] starts and ends on bucket boundaries it is the
// union of whole buckets b ∈ [t − r, t − w] plus, at most, one sample exactly at t (the first sample of
// bucket t, when its firstTs is t). Over such a window these functions are exact, because every input
// they need is a bucket column:
//
//   rate / increase / delta   n, first and last sample, and lastV − firstV + Σ(value before each reset)
//                             = Σ bucket increases + the reset-aware steps between buckets
//   count / sum / avg / min / max / last / present _over_time, absent_over_time
//   an instant vector          the latest sample at or before t within the lookback
//
// Functions that need individual samples (irate, idelta, deriv, predict_linear, changes, resets,
// stddev/stdvar/quantile_over_time) cannot be computed from buckets; ../resolution.ts keeps those
// queries on raw samples.
import { mergeAgg, RollupRows, type TAgg } from "../../pipeline/compactor";
import { extrapolate, kahanSumInc } from "./functions";
import type { TBuckets } from "./source";

export function emptyBuckets(): TBuckets {
  const z = new Float64Array(0);
  return {
    length: 0,
    bucket: z,
    firstTs: z,
    lastTs: z,
    count: z,
    first: z,
    last: z,
    increase: z,
    sum: z,
    min: z,
    max: z,
  };
}

/** `n` zeroed buckets; sum/min/max only when `withSumMinMax` (rate-style reads skip them). */
export function allocBuckets(n: number, withSumMinMax: boolean): TBuckets {
  const col = () => new Float64Array(n);
  const none = new Float64Array(0);
  return {
    length: n,
    bucket: col(),
    firstTs: col(),
    lastTs: col(),
    count: col(),
    first: col(),
    last: col(),
    increase: col(),
    sum: withSumMinMax ? col() : none,
    min: withSumMinMax ? col() : none,
    max: withSumMinMax ? col() : none,
  };
}

/** Columnar buckets from (bucket, aggregates) pairs, sorted by bucket. */
export function toBuckets(entries: Map<number, TAgg>, withSumMinMax: boolean): TBuckets {
  const keys = [...entries.keys()].sort((a, b) => a - b);
  const n = keys.length;
  const b = allocBuckets(n, withSumMinMax);
  for (let i = 0; i < n; i++) {
    const k = keys[i] as number;
    setBucket(b, i, k, entries.get(k) as TAgg, withSumMinMax);
  }
  return b;
}

/** Writes one bucket's aggregates at index `i` (sum, min and max only when `withSumMinMax`). */
export function setBucket(b: TBuckets, i: number, bucket: number, a: TAgg, withSumMinMax: boolean): void {
  b.bucket[i] = bucket;
  b.firstTs[i] = a.firstTs;
  b.lastTs[i] = a.lastTs;
  b.count[i] = a.count;
  b.first[i] = a.first;
  b.last[i] = a.last;
  b.increase[i] = a.increase;
  if (withSumMinMax) {
    b.sum[i] = a.sum;
    b.min[i] = a.min;
    b.max[i] = a.max;
  }
}

/** Adds sorted samples to per-bucket aggregates, as one compactor run followed by its upsert would. */
export function foldSamples(
  into: Map<number, TAgg>,
  ts: ArrayLike<number>,
  values: ArrayLike<number>,
  widthMs: number,
) {
  const rows = new RollupRows();
  rows.add(0, Array.from(ts), Array.from(values), widthMs);
  for (let i = 0; i < rows.size; i++) {
    const bucket = Number(rows.buckets[i]);
    const agg = rows.aggs[i] as TAgg;
    const held = into.get(bucket);
    if (held) mergeAgg(held, agg);
    else into.set(bucket, agg);
  }
}

/** Buckets of samples already sorted by time (in-memory sources and tests). */
export function bucketsFromSamples(
  ts: ArrayLike<number>,
  values: ArrayLike<number>,
  widthMs: number,
  withSumMinMax = true,
): TBuckets {
  const m = new Map<number, TAgg>();
  foldSamples(m, ts, values, widthMs);
  return toBuckets(m, withSumMinMax);
}

/**
 * One series' window at an evaluation time t on the bucket grid: whole buckets [lo, hi) plus, when
 * `extra` is set, the single sample (t, extraV) that opens bucket t.
 */
export type TBucketWindow = { b: TBuckets; lo: number; hi: number; extra: boolean; extraT: number; extraV: number };

export function windowCount(w: TBucketWindow): number {
  let n = w.extra ? 1 : 0;
  for (let i = w.lo; i < w.hi; i++) n += w.b.count[i] as number;
  return n;
}

/** rate, increase and delta over a bucket window: Prometheus's extrapolatedRate from bucket columns. */
export function bucketRate(
  w: TBucketWindow,
  rangeStartMs: number,
  rangeEndMs: number,
  rangeMs: number,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  const b = w.b;
  const n = windowCount(w);
  if (n < 2) return undefined;
  const firstIsExtra = w.lo === w.hi;
  const firstT = firstIsExtra ? w.extraT : (b.firstTs[w.lo] as number);
  const firstV = firstIsExtra ? w.extraV : (b.first[w.lo] as number);
  const lastT = w.extra ? w.extraT : (b.lastTs[w.hi - 1] as number);
  const lastV = w.extra ? w.extraV : (b.last[w.hi - 1] as number);
  let resultValue = lastV - firstV;
  if (isCounter) {
    // Prometheus adds the value before each reset to lastV − firstV. Inside a bucket those add up to
    // increase − (last − first); between two buckets (and before the extra sample) a drop from the
    // previous bucket's last to the next first is a reset too.
    let prev = Number.NaN;
    for (let i = w.lo; i < w.hi; i++) {
      const first = b.first[i] as number;
      const last = b.last[i] as number;
      if (i > w.lo && first < prev) resultValue += prev;
      const inside = (b.increase[i] as number) - (last - first);
      if (inside !== 0) resultValue += inside;
      prev = last;
    }
    if (w.extra && w.hi > w.lo && w.extraV < prev) resultValue += prev;
  }
  return extrapolate(resultValue, n, firstT, firstV, lastT, rangeStartMs, rangeEndMs, rangeMs, isCounter, isRate);
}

const isInf = (v: number) => v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY;

function sumOf(w: TBucketWindow): number {
  let sum = 0;
  let c = 0;
  for (let i = w.lo; i < w.hi; i++) [sum, c] = kahanSumInc(w.b.sum[i] as number, sum, c);
  if (w.extra) [sum, c] = kahanSumInc(w.extraV, sum, c);
  return isInf(sum) ? sum : sum + c;
}

/** The *_over_time functions a bucket window can answer exactly (avg up to rounding); callers ensure n ≥ 1. */
export const BUCKET_OVER_TIME: Record<string, (w: TBucketWindow) => number> = {
  count_over_time: windowCount,
  sum_over_time: sumOf,
  // Prometheus keeps a running mean; sum / count differs from it only in the last bits.
  avg_over_time: (w) => sumOf(w) / windowCount(w),
  min_over_time: (w) => {
    let min = Number.NaN;
    for (let i = w.lo; i < w.hi; i++) {
      const v = w.b.min[i] as number;
      if (v < min || Number.isNaN(min)) min = v;
    }
    if (w.extra && (w.extraV < min || Number.isNaN(min))) min = w.extraV;
    return min;
  },
  max_over_time: (w) => {
    let max = Number.NaN;
    for (let i = w.lo; i < w.hi; i++) {
      const v = w.b.max[i] as number;
      if (v > max || Number.isNaN(max)) max = v;
    }
    if (w.extra && (w.extraV > max || Number.isNaN(max))) max = w.extraV;
    return max;
  },
  last_over_time: (w) => (w.extra ? w.extraV : (w.b.last[w.hi - 1] as number)),
  present_over_time: () => 1,
};

/** Functions whose range-vector argument may be read from buckets (absent_over_time: presence only). */
export const BUCKET_FUNCTIONS = new Set([
  "rate",
  "increase",
  "delta",
  "absent_over_time",
  ...Object.keys(BUCKET_OVER_TIME),
]);

/** The subset that needs the sum, min and max columns. */
export const NEEDS_SUM_MIN_MAX = new Set(["sum_over_time", "avg_over_time", "min_over_time", "max_over_time"]);
