// Quantiles as Prometheus 2.42 computes them (promql/quantile.go): `histogram_quantile` over classic
// `le` buckets and the φ-quantile of a set of values used by `quantile` and `quantile_over_time`.

export type TBucket = { upperBound: number; count: number };

/**
 * Prometheus's bucketQuantile: buckets sorted by upper bound, the highest must be +Inf, equal bounds
 * merged, counts forced monotonic, then linear interpolation inside the bucket holding the rank. The
 * lowest bucket is assumed to start at 0 when its upper bound is positive.
 */
export function bucketQuantile(q: number, input: TBucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (input.length === 0) return Number.NaN;
  const sorted = [...input].sort((a, b) => a.upperBound - b.upperBound);
  if ((sorted[sorted.length - 1] as TBucket).upperBound !== Number.POSITIVE_INFINITY) return Number.NaN;
  const buckets = coalesceBuckets(sorted);
  ensureMonotonic(buckets);
  if (buckets.length < 2) return Number.NaN;
  const observations = (buckets[buckets.length - 1] as TBucket).count;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  // sort.Search over the first len-1 buckets: the first whose count reaches the rank.
  let b = 0;
  let hi = buckets.length - 1;
  while (b < hi) {
    const mid = (b + hi) >>> 1;
    if ((buckets[mid] as TBucket).count >= rank) hi = mid;
    else b = mid + 1;
  }
  if (b === buckets.length - 1) return (buckets[buckets.length - 2] as TBucket).upperBound;
  if (b === 0 && (buckets[0] as TBucket).upperBound <= 0) return (buckets[0] as TBucket).upperBound;
  let bucketStart = 0;
  const bucketEnd = (buckets[b] as TBucket).upperBound;
  let count = (buckets[b] as TBucket).count;
  if (b > 0) {
    const prev = buckets[b - 1] as TBucket;
    bucketStart = prev.upperBound;
    count -= prev.count;
    rank -= prev.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

function coalesceBuckets(buckets: TBucket[]): TBucket[] {
  const out: TBucket[] = [];
  let last = { ...(buckets[0] as TBucket) };
  for (let i = 1; i < buckets.length; i++) {
    const b = buckets[i] as TBucket;
    if (b.upperBound === last.upperBound) last.count += b.count;
    else {
      out.push(last);
      last = { ...b };
    }
  }
  out.push(last);
  return out;
}

function ensureMonotonic(buckets: TBucket[]): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const b of buckets) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
}

/** Prometheus's vectorByValueHeap order: NaN sorts first. */
function byValue(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a - b;
}

/** The φ-quantile of `values` with linear interpolation between the closest ranks. */
export function quantile(q: number, input: number[]): number {
  if (input.length === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const values = [...input].sort(byValue);
  const n = values.length;
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return (values[lowerIndex] as number) * (1 - weight) + (values[upperIndex] as number) * weight;
}
