// Where the PromQL engine gets raw samples from. The engine asks once per selector for the whole
// time window a query needs; it never knows about the store behind it.
import type { TMatcher } from "../selector";
import { bucketsFromSamples } from "./rollup";

export type TSeriesSamples = {
  /** All labels, including `__name__`. */
  labels: Record<string, string>;
  /** Unix ms, ascending, no duplicates. */
  ts: number[];
  values: number[];
};

/**
 * Per-bucket aggregates of one series, columnar and sorted by `bucket` (the bucket's start, a multiple
 * of its width): the columns of rollup_1m / rollup_1h (server/pipeline/compactor.ts says what each
 * one means). `sum`, `min` and `max` are empty unless asked for.
 */
export type TBuckets = {
  length: number;
  bucket: Float64Array;
  firstTs: Float64Array;
  lastTs: Float64Array;
  count: Float64Array;
  first: Float64Array;
  last: Float64Array;
  increase: Float64Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
};

export type TRollupRequest = {
  widthMs: number;
  /** Buckets whose start lies in [fromMs, toMs]. */
  fromMs: number;
  toMs: number;
  /** Raw samples in [rawFromMs, toMs] as well (the newest part of the window); none when undefined. */
  rawFromMs: number | undefined;
  /** Whether `sum`, `min` and `max` are needed (the *_over_time functions other than count and last). */
  withSumMinMax: boolean;
};

/** A series' rollup buckets plus raw samples of the window's newest part (`ts`/`values`, maybe empty). */
export type TRollupSeries = TSeriesSamples & { buckets: TBuckets };

export interface TSampleSource {
  /** Series matching every matcher, with their samples in [startMs, endMs] (both inclusive). */
  select(matchers: TMatcher[], startMs: number, endMs: number): Promise<TSeriesSamples[]>;
  /**
   * Series matching every matcher with their rollup buckets, complete up to the last committed sample
   * (data not compacted yet is folded in exactly as the compactor will fold it). Sources without
   * rollups leave it out and every query reads raw samples.
   */
  selectRollup?(matchers: TMatcher[], req: TRollupRequest): Promise<TRollupSeries[]>;
}

export function matcherMatches(m: TMatcher, value: string): boolean {
  switch (m.op) {
    case "=":
      return value === m.value;
    case "!=":
      return value !== m.value;
    case "=~":
      return (m.re ?? new RegExp(`^(?:${m.value})$`)).test(value);
    case "!~":
      return !(m.re ?? new RegExp(`^(?:${m.value})$`)).test(value);
  }
}

export function labelsMatch(matchers: TMatcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => matcherMatches(m, labels[m.name] ?? ""));
}

/** Index of the first element of the sorted `ts` that is >= t. */
export function lowerBound(ts: number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element of the sorted `ts` that is > t. */
export function upperBound(ts: number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A source over series held in memory, for tests and for data already loaded. Samples are sorted by
 * time (a later duplicate timestamp wins); `calls` records every select for assertions. With
 * `rollups`, it also answers selectRollup with buckets computed from the samples (as the compactor
 * would), and `rollupCalls` records those.
 */
export function memorySource(
  series: TSeriesSamples[],
  opts: { rollups?: boolean } = {},
): TSampleSource & {
  calls: { matchers: TMatcher[]; startMs: number; endMs: number }[];
  rollupCalls: { matchers: TMatcher[]; req: TRollupRequest }[];
} {
  const normalized = series.map((s) => {
    const idx = s.ts.map((_, i) => i).sort((a, b) => (s.ts[a] as number) - (s.ts[b] as number) || a - b);
    const ts: number[] = [];
    const values: number[] = [];
    for (const i of idx) {
      const t = s.ts[i] as number;
      if (ts.length > 0 && ts[ts.length - 1] === t) values[values.length - 1] = s.values[i] as number;
      else {
        ts.push(t);
        values.push(s.values[i] as number);
      }
    }
    return { labels: { ...s.labels }, ts, values };
  });
  const calls: { matchers: TMatcher[]; startMs: number; endMs: number }[] = [];
  const rollupCalls: { matchers: TMatcher[]; req: TRollupRequest }[] = [];
  const selectRollup = async (matchers: TMatcher[], req: TRollupRequest): Promise<TRollupSeries[]> => {
    rollupCalls.push({ matchers, req });
    const out: TRollupSeries[] = [];
    const from = Math.floor(req.fromMs / req.widthMs) * req.widthMs;
    const end = Math.floor(req.toMs / req.widthMs) * req.widthMs + req.widthMs;
    for (const s of normalized) {
      if (!labelsMatch(matchers, s.labels)) continue;
      const lo = lowerBound(s.ts, from);
      const hi = lowerBound(s.ts, end);
      const buckets = bucketsFromSamples(s.ts.slice(lo, hi), s.values.slice(lo, hi), req.widthMs, req.withSumMinMax);
      const rlo = req.rawFromMs === undefined ? 0 : lowerBound(s.ts, req.rawFromMs);
      const rhi = req.rawFromMs === undefined ? 0 : upperBound(s.ts, req.toMs);
      if (buckets.length === 0 && rhi <= rlo) continue;
      out.push({ labels: s.labels, buckets, ts: s.ts.slice(rlo, rhi), values: s.values.slice(rlo, rhi) });
    }
    return out;
  };
  return {
    calls,
    rollupCalls,
    ...(opts.rollups ? { selectRollup } : {}),
    async select(matchers, startMs, endMs) {
      calls.push({ matchers, startMs, endMs });
      const out: TSeriesSamples[] = [];
      for (const s of normalized) {
        if (!labelsMatch(matchers, s.labels)) continue;
        const lo = lowerBound(s.ts, startMs);
        const hi = upperBound(s.ts, endMs);
        if (hi <= lo) continue;
        out.push({ labels: s.labels, ts: s.ts.slice(lo, hi), values: s.values.slice(lo, hi) });
      }
      return out;
    },
  };
}
