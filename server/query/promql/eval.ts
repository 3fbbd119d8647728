// The PromQL evaluator, with Prometheus 2.42's semantics: each step of a range query is an instant
// evaluation at start, start+step, ..., end; instant vectors look back 5 minutes (inclusive) for the
// latest sample; range vectors select [t - range, t] (inclusive); functions, aggregations and binary
// operators follow promql/engine.go and promql/functions.go, including which labels they keep.
//
// Samples come from a TSampleSource, asked once per selector for the whole window of the query. The
// loaded series are sorted by labels, as Prometheus's storage returns them, so order-dependent
// results (topk ties, summation order) match.
import { rollupObstacle } from "../resolution";
import type { TMatcher } from "../selector";
import {
  isComparison,
  type TAggregateExpr,
  type TBinaryExpr,
  type TCall,
  type TExpr,
  type TMatrixSelector,
  type TVectorMatching,
  type TVectorSelector,
  unwrapParens,
} from "./ast";
import { compareLabels, formatValue } from "./format";
import { DATE_FNS, extrapolatedRate, goPow, instantValue, linearRegression, OVER_TIME, VECTOR_MATH } from "./functions";
import { compileAnchored, parse, typeOf } from "./parse";
import { bucketQuantile, quantile, type TBucket } from "./quantile";
import { BUCKET_OVER_TIME, bucketRate, NEEDS_SUM_MIN_MAX, type TBucketWindow, windowCount } from "./rollup";
import type { TBuckets, TSampleSource, TSeriesSamples } from "./source";

export type TLabels = Record<string, string>;

export type TPromErrorType = "bad_data" | "execution" | "timeout" | "canceled";

/** An error with Prometheus's API errorType: bad_data → 400, execution → 422, timeout → 503. */
export class PromQLError extends Error {
  constructor(
    readonly errorType: TPromErrorType,
    message: string,
  ) {
    super(message);
    this.name = "PromQLError";
  }
}

export type TEngineOptions = {
  /** How far back an instant vector looks for a sample; Prometheus's default is 5 m. */
  lookbackMs?: number;
  /** Default 30 s. */
  timeoutMs?: number;
  /** Longest span of data a query may read (range + ranges + offsets + lookback). Default 400 d. */
  maxRangeMs?: number;
  /** Most samples a query may load from the source. Default 20 million. */
  maxSamples?: number;
  signal?: AbortSignal;
  /**
   * Range queries only: read rollup buckets of this width (ms) where the source has them. Each step t
   * is then evaluated at t rounded down to the bucket grid, except steps in the newest bucket, which
   * read raw samples at t. Ignored for a query buckets cannot answer (../resolution.ts
   * rollupObstacle); ../resolution.ts planResolution picks the width.
   */
  rollupWidthMs?: number;
  /** Raw samples are complete from this time on (raw retention); the newest steps read raw only then. */
  rawSinceMs?: number;
};

export const DEFAULT_LOOKBACK_MS = 5 * 60_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const MAX_RANGE_MS = 400 * 86_400_000;
export const MAX_POINTS_PER_SERIES = 11_000;
export const DEFAULT_MAX_SAMPLES = 20_000_000;

export type TVectorElement = { labels: TLabels; value: number };
export type TMatrixSeries = { labels: TLabels; ts: number[]; values: number[] };

export type TQueryResult =
  | { resultType: "vector"; result: TVectorElement[]; timeMs: number }
  | { resultType: "matrix"; result: TMatrixSeries[] }
  | { resultType: "scalar"; result: number; timeMs: number }
  | { resultType: "string"; result: string; timeMs: number };

// ---------------------------------------------------------------------------------------------
// Per-step values

type TSample = { labels: TLabels; value: number; ts: number };
type TStepValue =
  | { type: "scalar"; v: number }
  | { type: "string"; s: string }
  | { type: "vector"; samples: TSample[] }
  | { type: "matrix"; series: TMatrixSeries[] };

/** One loaded series of a selector with cursors that only move forward as steps advance. */
type TLoadedSeries = { labels: TLabels; ts: number[]; values: number[]; hi: number; lo: number };

/**
 * One series' rollup buckets, with the same forward-only cursors, its window (reused per step) and
 * its labels without the name (what range functions return), computed once.
 */
type TLoadedBuckets = { labels: TLabels; dropped: TLabels; b: TBuckets; lo: number; hi: number; w: TBucketWindow };

// Label sets are shared objects per series, so derived sets and keys are memoized by identity.
const keyCache = new WeakMap<TLabels, string>();
const dropNameCache = new WeakMap<TLabels, TLabels>();

function labelsKey(labels: TLabels): string {
  let k = keyCache.get(labels);
  if (k === undefined) {
    k = Object.keys(labels)
      .sort()
      .map((n) => `${n}\xff${labels[n]}`)
      .join("\xfe");
    keyCache.set(labels, k);
  }
  return k;
}

function dropName(labels: TLabels): TLabels {
  if (!("__name__" in labels)) return labels;
  let d = dropNameCache.get(labels);
  if (!d) {
    const { __name__: _, ...rest } = labels;
    d = rest;
    dropNameCache.set(labels, d);
  }
  return d;
}

/**
 * Per AST node, what a label set turns into (group labels, matching signature, result metric...):
 * computed once per series instead of once per step, and stable in identity so keys stay cached.
 */
function memo<K extends object, V>(cache: WeakMap<K, V>, key: K, make: () => V): V {
  let v = cache.get(key);
  if (v === undefined) {
    v = make();
    cache.set(key, v);
  }
  return v;
}

function nodeCache<V>(caches: WeakMap<object, WeakMap<TLabels, V>>, node: object): WeakMap<TLabels, V> {
  return memo(caches, node, () => new WeakMap<TLabels, V>());
}

type TBucketOf = { key: string; labels: TLabels; upperBound: number } | null;
const groupCaches = new WeakMap<object, WeakMap<TLabels, { labels: TLabels; key: string }>>();
const bucketCaches = new WeakMap<object, WeakMap<TLabels, TBucketOf>>();
const relabelCaches = new WeakMap<object, WeakMap<TLabels, TLabels>>();
const signatureCaches = new WeakMap<object, WeakMap<TLabels, string>>();
const metricCaches = new WeakMap<object, WeakMap<TLabels, WeakMap<TLabels, TLabels>>>();

function checkNoDuplicates(samples: TSample[]): void {
  if (samples.length < 2) return;
  const seen = new Set<string>();
  for (const s of samples) {
    const k = labelsKey(s.labels);
    if (seen.has(k)) throw new PromQLError("execution", "vector cannot contain metrics with the same labelset");
    seen.add(k);
  }
}

// ---------------------------------------------------------------------------------------------
// Public entry points

function parseOrThrow(query: string | TExpr): TExpr {
  if (typeof query !== "string") return query;
  const p = parse(query);
  if (!p.ok) throw new PromQLError("bad_data", p.error.message);
  return p.expr;
}

/** Evaluates `query` at one instant, as GET /api/v1/query. */
export async function instantQuery(
  source: TSampleSource,
  query: string | TExpr,
  timeMs: number,
  opts: TEngineOptions = {},
): Promise<TQueryResult> {
  const expr = parseOrThrow(query);
  const ev = new Evaluator(source, expr, timeMs, timeMs, 1, opts);
  await ev.load();
  const v = ev.evalStep(timeMs);
  switch (v.type) {
    case "scalar":
      return { resultType: "scalar", result: v.v, timeMs };
    case "string":
      return { resultType: "string", result: v.s, timeMs };
    case "vector":
      return { resultType: "vector", result: v.samples.map((s) => ({ labels: s.labels, value: s.value })), timeMs };
    case "matrix":
      return { resultType: "matrix", result: v.series };
  }
}

/** Evaluates `query` at start, start+step, ..., end (inclusive), as GET /api/v1/query_range. */
export async function rangeQuery(
  source: TSampleSource,
  query: string | TExpr,
  startMs: number,
  endMs: number,
  stepMs: number,
  opts: TEngineOptions = {},
): Promise<TQueryResult> {
  if (!(stepMs > 0)) {
    throw new PromQLError(
      "bad_data",
      "zero or negative query resolution step widths are not accepted. Try a positive integer",
    );
  }
  if (endMs < startMs) throw new PromQLError("bad_data", "end timestamp must not be before start time");
  if (Math.floor((endMs - startMs) / stepMs) > MAX_POINTS_PER_SERIES) {
    throw new PromQLError(
      "bad_data",
      "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
    );
  }
  const expr = parseOrThrow(query);
  const t = typeOf(expr);
  if (t !== "scalar" && t !== "vector") {
    throw new PromQLError(
      "bad_data",
      `invalid expression type "${t === "matrix" ? "range vector" : "string"}" for range query, must be Scalar or instant Vector`,
    );
  }
  // Buckets only for queries they can answer (the caller normally planned it: ../resolution.ts).
  const width =
    opts.rollupWidthMs !== undefined && rollupObstacle(expr, opts.rollupWidthMs) === undefined
      ? opts.rollupWidthMs
      : undefined;
  const ev = new Evaluator(source, expr, startMs, endMs, stepMs, opts, width);
  await ev.load();
  const out = new Map<string, TMatrixSeries>();
  let lastYield = Date.now();
  for (let ts = startMs; ts <= endMs; ts += stepMs) {
    ev.checkDeadline();
    const v = ev.evalStep(ts);
    if (v.type === "scalar") {
      let s = out.get("");
      if (!s) {
        s = { labels: {}, ts: [], values: [] };
        out.set("", s);
      }
      s.ts.push(ts);
      s.values.push(v.v);
    } else if (v.type === "vector") {
      for (const sample of v.samples) {
        const k = labelsKey(sample.labels);
        let s = out.get(k);
        if (!s) {
          s = { labels: sample.labels, ts: [], values: [] };
          out.set(k, s);
        }
        s.ts.push(ts);
        s.values.push(sample.value);
      }
    }
    // Long evaluations yield now and then so the server keeps answering other requests.
    if (Date.now() - lastYield > 25) {
      await new Promise((r) => setImmediate(r));
      lastYield = Date.now();
    }
  }
  const result = [...out.values()].sort((a, b) => compareLabels(a.labels, b.labels));
  return { resultType: "matrix", result };
}

// ---------------------------------------------------------------------------------------------
// Evaluator

type TSelectorData = {
  /** Raw samples: the whole window, or with buckets only the newest part (steps after tailStartMs). */
  series: TLoadedSeries[];
  /** Rollup buckets, when the query reads them; `series` then holds the raw tail of the same series. */
  buckets?: TLoadedBuckets[];
  widthMs?: number;
  /** Steps whose reference time is after this read `series` (raw) instead of buckets. */
  tailStartMs?: number;
};

class Evaluator {
  private readonly lookbackMs: number;
  private readonly deadline: number;
  private readonly data = new Map<TVectorSelector, TSelectorData>();

  constructor(
    private readonly source: TSampleSource,
    private readonly expr: TExpr,
    private readonly startMs: number,
    private readonly endMs: number,
    _stepMs: number,
    private readonly opts: TEngineOptions,
    private readonly rollupWidthMs: number | undefined = undefined,
  ) {
    this.lookbackMs = opts.lookbackMs ?? DEFAULT_LOOKBACK_MS;
    this.deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  checkDeadline(): void {
    if (this.opts.signal?.aborted) throw new PromQLError("canceled", "query was canceled in expression evaluation");
    if (Date.now() > this.deadline) throw new PromQLError("timeout", "query timed out in expression evaluation");
  }

  /** Loads every selector's window, once, before any step is evaluated. */
  async load(): Promise<void> {
    const selectors: { sel: TVectorSelector; rangeMs: number; fn?: string }[] = [];
    const walk = (e: TExpr, fn?: string) => {
      switch (e.kind) {
        case "vector":
          selectors.push({ sel: e, rangeMs: this.lookbackMs });
          return;
        case "matrix":
          selectors.push({ sel: e.selector, rangeMs: e.rangeMs, fn });
          return;
        case "paren":
          return walk(e.expr, fn);
        case "unary":
          return walk(e.expr);
        case "call":
          for (const a of e.args) walk(a, e.func);
          return;
        case "aggregate":
          if (e.param) walk(e.param);
          return walk(e.expr);
        case "binary":
          walk(e.lhs);
          walk(e.rhs);
          return;
        default:
          return;
      }
    };
    walk(this.expr);
    const maxRange = this.opts.maxRangeMs ?? MAX_RANGE_MS;
    const windows = selectors.map(({ sel, rangeMs, fn }) => ({
      sel,
      rangeMs,
      fn,
      start: this.startMs - sel.offsetMs - rangeMs,
      end: this.endMs - sel.offsetMs,
    }));
    for (const w of windows) {
      if (w.end - w.start > maxRange + this.lookbackMs) {
        throw new PromQLError(
          "bad_data",
          `the query would read ${formatDays(w.end - w.start)} of data (query range plus range selector and offset); the limit is ${formatDays(maxRange)}`,
        );
      }
    }
    // The same selector text over the same window is fetched once.
    const fetched = new Map<string, Promise<TSeriesSamples[]>>();
    const maxSamples = this.opts.maxSamples ?? DEFAULT_MAX_SAMPLES;
    let loaded = 0;
    const width = this.rollupWidthMs;
    if (width !== undefined && this.source.selectRollup) {
      const withSumMinMax = selectors.some((s) => s.fn !== undefined && NEEDS_SUM_MIN_MAX.has(s.fn));
      const rolled = new Map<string, Promise<TSelectorData>>();
      // Every selector's read starts at once (the store answers them side by side), then they are checked.
      const reads = windows.map((w) => {
        const from = Math.floor(w.start / width) * width;
        // Steps whose reference time falls in the newest bucket read raw samples at their own time,
        // if raw samples still hold their whole window.
        const tailStart = Math.floor(w.end / width) * width;
        const rawFrom = tailStart - w.rangeMs;
        const useTail = w.end > tailStart && rawFrom >= (this.opts.rawSinceMs ?? Number.NEGATIVE_INFINITY);
        const key = `${matchersKey(w.sel.matchers)}@${width}:${from}:${w.end}:${useTail ? rawFrom : "-"}`;
        let p = rolled.get(key);
        if (!p) {
          p = this.withDeadline(
            (this.source.selectRollup as NonNullable<TSampleSource["selectRollup"]>)(w.sel.matchers, {
              widthMs: width,
              fromMs: from,
              toMs: w.end,
              rawFromMs: useTail ? rawFrom : undefined,
              withSumMinMax,
            }),
          ).then((series) => {
            const sorted = [...series].sort((a, b) => compareLabels(a.labels, b.labels));
            return {
              series: sorted.map((s) => ({ labels: s.labels, ts: s.ts, values: s.values, lo: 0, hi: 0 })),
              buckets: sorted.map((s) => ({
                labels: s.labels,
                dropped: dropName(s.labels),
                b: s.buckets,
                lo: 0,
                hi: 0,
                w: { b: s.buckets, lo: 0, hi: 0, extra: false, extraT: 0, extraV: 0 },
              })),
              widthMs: width,
              tailStartMs: useTail ? tailStart : undefined,
            };
          });
          rolled.set(key, p);
        }
        return p;
      });
      const results = await Promise.all(reads);
      this.checkDeadline();
      windows.forEach((w, i) => {
        const d = results[i] as TSelectorData;
        for (const s of d.series) loaded += s.ts.length;
        for (const b of d.buckets ?? []) loaded += b.b.length;
        if (loaded > maxSamples) {
          throw new PromQLError(
            "execution",
            "query processing would load too many samples into memory in query execution",
          );
        }
        // Cursors are per selector node: two nodes reading the same data get their own.
        this.data.set(w.sel, {
          ...d,
          series: d.series.map((s) => ({ ...s, lo: 0, hi: 0 })),
          buckets: d.buckets?.map((b) => ({ ...b, lo: 0, hi: 0, w: { ...b.w } })),
        });
      });
      return;
    }
    for (const w of windows) {
      const key = `${matchersKey(w.sel.matchers)}@${w.start}:${w.end}`;
      let p = fetched.get(key);
      if (!p) {
        p = this.withDeadline(this.source.select(w.sel.matchers, w.start, w.end));
        fetched.set(key, p);
      }
      const series = await p;
      this.checkDeadline();
      const sorted = [...series].sort((a, b) => compareLabels(a.labels, b.labels));
      for (const s of sorted) loaded += s.ts.length;
      if (loaded > maxSamples) {
        throw new PromQLError(
          "execution",
          "query processing would load too many samples into memory in query execution",
        );
      }
      this.data.set(w.sel, {
        series: sorted.map((s) => ({ labels: s.labels, ts: s.ts, values: s.values, lo: 0, hi: 0 })),
      });
    }
  }

  private async withDeadline<T>(p: Promise<T>): Promise<T> {
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) throw new PromQLError("timeout", "query timed out in query execution");
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        p,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new PromQLError("timeout", "query timed out in query execution")), remaining);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  evalStep(t: number): TStepValue {
    return this.eval(this.expr, t);
  }

  private eval(e: TExpr, t: number): TStepValue {
    switch (e.kind) {
      case "number":
        return { type: "scalar", v: e.value };
      case "string":
        return { type: "string", s: e.value };
      case "paren":
        return this.eval(e.expr, t);
      case "vector":
        return { type: "vector", samples: this.vectorAt(e, t) };
      case "matrix":
        return { type: "matrix", series: this.matrixAt(e, t) };
      case "unary": {
        const v = this.eval(e.expr, t);
        if (e.op === "+") return v;
        if (v.type === "scalar") return { type: "scalar", v: -v.v };
        if (v.type !== "vector") throw new PromQLError("execution", "unary minus needs a scalar or an instant vector");
        const samples = v.samples.map((s) => ({ labels: dropName(s.labels), value: -s.value, ts: t }));
        checkNoDuplicates(samples);
        return { type: "vector", samples };
      }
      case "call":
        return this.call(e, t);
      case "aggregate":
        return this.aggregate(e, t);
      case "binary":
        return this.binary(e, t);
    }
  }

  private scalarOf(e: TExpr, t: number): number {
    const v = this.eval(e, t);
    if (v.type !== "scalar") throw new PromQLError("execution", "expected a scalar");
    return v.v;
  }

  private stringOf(e: TExpr, t: number): string {
    const v = this.eval(e, t);
    if (v.type !== "string") throw new PromQLError("execution", "expected a string");
    return v.s;
  }

  private vectorOf(e: TExpr, t: number): TSample[] {
    const v = this.eval(e, t);
    if (v.type !== "vector") throw new PromQLError("execution", "expected an instant vector");
    return v.samples;
  }

  /** The bucket-grid time at which a step reads buckets, or undefined when it reads raw samples. */
  private gridTime(d: TSelectorData, ref: number): number | undefined {
    if (d.buckets === undefined || d.widthMs === undefined) return undefined;
    if (d.tailStartMs !== undefined && ref > d.tailStartMs) return undefined;
    return Math.floor(ref / d.widthMs) * d.widthMs;
  }

  /** The latest sample at or before t - offset, if not older than the lookback window. */
  private vectorAt(sel: TVectorSelector, t: number): TSample[] {
    const data = this.data.get(sel) as TSelectorData;
    const ref = t - sel.offsetMs;
    const g = this.gridTime(data, ref);
    if (g !== undefined) return this.vectorAtGrid(data.buckets as TLoadedBuckets[], g);
    const minT = ref - this.lookbackMs;
    const out: TSample[] = [];
    for (const s of data.series) {
      while (s.hi < s.ts.length && (s.ts[s.hi] as number) <= ref) s.hi++;
      const i = s.hi - 1;
      if (i < 0) continue;
      const st = s.ts[i] as number;
      if (st < minT) continue;
      out.push({ labels: s.labels, value: s.values[i] as number, ts: st });
    }
    return out;
  }

  /** vectorAt over buckets at grid time g: the first sample of bucket g if it is at g, else the last before. */
  private vectorAtGrid(buckets: TLoadedBuckets[], g: number): TSample[] {
    const minT = g - this.lookbackMs;
    const out: TSample[] = [];
    for (const lb of buckets) {
      const b = lb.b;
      while (lb.hi < b.length && (b.bucket[lb.hi] as number) < g) lb.hi++;
      let st: number;
      let v: number;
      if (lb.hi < b.length && b.bucket[lb.hi] === g && b.firstTs[lb.hi] === g) {
        st = g;
        v = b.first[lb.hi] as number;
      } else if (lb.hi > 0) {
        st = b.lastTs[lb.hi - 1] as number;
        v = b.last[lb.hi - 1] as number;
      } else continue;
      if (st < minT) continue;
      out.push({ labels: lb.labels, value: v, ts: st });
    }
    return out;
  }

  /**
   * At a step that reads buckets, each series' window [g - range, g] on the bucket grid (empty ones
   * left out); undefined when the step reads raw samples.
   */
  private bucketWindowsAt(m: TMatrixSelector, t: number): { windows: TLoadedBuckets[]; g: number } | undefined {
    const data = this.data.get(m.selector) as TSelectorData;
    const g = this.gridTime(data, t - m.selector.offsetMs);
    if (g === undefined) return undefined;
    const minB = g - m.rangeMs;
    const windows: TLoadedBuckets[] = [];
    for (const lb of data.buckets as TLoadedBuckets[]) {
      const b = lb.b;
      while (lb.hi < b.length && (b.bucket[lb.hi] as number) < g) lb.hi++;
      while (lb.lo < lb.hi && (b.bucket[lb.lo] as number) < minB) lb.lo++;
      const w = lb.w;
      w.lo = lb.lo;
      w.hi = lb.hi;
      w.extra = lb.hi < b.length && b.bucket[lb.hi] === g && b.firstTs[lb.hi] === g;
      if (w.extra) {
        w.extraT = g;
        w.extraV = b.first[lb.hi] as number;
      }
      if (w.hi > w.lo || w.extra) windows.push(lb);
    }
    return { windows, g };
  }

  /** Each series' samples in [t - offset - range, t - offset], as windows over the loaded arrays. */
  private windowsAt(m: TMatrixSelector, t: number): TLoadedSeries[] {
    const data = this.data.get(m.selector) as TSelectorData;
    const ref = t - m.selector.offsetMs;
    const minT = ref - m.rangeMs;
    // Each loaded series is its own window: its cursors now delimit [lo, hi).
    for (const s of data.series) {
      while (s.hi < s.ts.length && (s.ts[s.hi] as number) <= ref) s.hi++;
      while (s.lo < s.hi && (s.ts[s.lo] as number) < minT) s.lo++;
    }
    return data.series;
  }

  private matrixAt(m: TMatrixSelector, t: number): TMatrixSeries[] {
    return this.windowsAt(m, t)
      .filter((w) => w.hi > w.lo)
      .map((w) => ({ labels: w.labels, ts: w.ts.slice(w.lo, w.hi), values: w.values.slice(w.lo, w.hi) }));
  }

  // ------------------------------------------------------------------------------------------
  // Functions

  private call(e: TCall, t: number): TStepValue {
    // Helpers are module functions, not closures: this runs once per step and node, and tsx's
    // name-keeping wrapper around each closure cost ~7 % of a range query's evaluation.
    const name = e.func;

    switch (name) {
      case "time":
        return { type: "scalar", v: t / 1000 };
      case "pi":
        return { type: "scalar", v: Math.PI };
      case "scalar": {
        const v = this.vectorOf(e.args[0] as TExpr, t);
        return { type: "scalar", v: v.length === 1 ? (v[0] as TSample).value : Number.NaN };
      }
      case "vector":
        return { type: "vector", samples: [{ labels: {}, value: this.scalarOf(e.args[0] as TExpr, t), ts: t }] };
      case "rate":
      case "increase":
      case "delta": {
        const m = matrixArg(e, 0);
        const grid = this.bucketWindowsAt(m, t);
        if (grid) {
          const out: TSample[] = [];
          for (const lb of grid.windows) {
            const v = bucketRate(lb.w, grid.g - m.rangeMs, grid.g, m.rangeMs, name !== "delta", name === "rate");
            if (v !== undefined) out.push({ labels: lb.dropped, value: v, ts: t });
          }
          return rangeVec(e, out);
        }
        const rangeEnd = t - m.selector.offsetMs;
        const rangeStart = rangeEnd - m.rangeMs;
        const out: TSample[] = [];
        for (const w of this.windowsAt(m, t)) {
          const v = extrapolatedRate(w, rangeStart, rangeEnd, m.rangeMs, name !== "delta", name === "rate");
          if (v !== undefined) out.push({ labels: dropName(w.labels), value: v, ts: t });
        }
        return rangeVec(e, out);
      }
      case "irate":
      case "idelta": {
        const out: TSample[] = [];
        for (const w of this.windowsAt(matrixArg(e, 0), t)) {
          const v = instantValue(w, name === "irate");
          if (v !== undefined) out.push({ labels: dropName(w.labels), value: v, ts: t });
        }
        return vec(out);
      }
      case "deriv": {
        const out: TSample[] = [];
        for (const w of this.windowsAt(matrixArg(e, 0), t)) {
          if (w.hi - w.lo < 2) continue;
          const [slope] = linearRegression(w, w.ts[w.lo] as number);
          out.push({ labels: dropName(w.labels), value: slope, ts: t });
        }
        return vec(out);
      }
      case "predict_linear": {
        const m = matrixArg(e, 0);
        const duration = this.scalarOf(e.args[1] as TExpr, t);
        const out: TSample[] = [];
        for (const w of this.windowsAt(m, t)) {
          if (w.hi - w.lo < 2) continue;
          const [slope, intercept] = linearRegression(w, t);
          out.push({ labels: dropName(w.labels), value: slope * duration + intercept, ts: t });
        }
        return vec(out);
      }
      case "quantile_over_time": {
        const q = this.scalarOf(e.args[0] as TExpr, t);
        const out: TSample[] = [];
        for (const w of this.windowsAt(matrixArg(e, 1), t)) {
          if (w.hi === w.lo) continue;
          out.push({ labels: dropName(w.labels), value: quantile(q, w.values.slice(w.lo, w.hi)), ts: t });
        }
        return vec(out);
      }
      case "absent_over_time": {
        const m = matrixArg(e, 0);
        const grid = this.bucketWindowsAt(m, t);
        const any = grid ? grid.windows.length > 0 : this.windowsAt(m, t).some((w) => w.hi > w.lo);
        return any ? vec([]) : vec([{ labels: absentLabels(m.selector.matchers), value: 1, ts: t }]);
      }
      case "absent": {
        const v = this.vectorOf(e.args[0] as TExpr, t);
        if (v.length > 0) return vec([]);
        const arg = e.args[0] as TExpr;
        const labels = arg.kind === "vector" ? absentLabels(arg.matchers) : {};
        return vec([{ labels, value: 1, ts: t }]);
      }
      case "histogram_quantile":
        return vec(
          this.histogramQuantile(e, this.scalarOf(e.args[0] as TExpr, t), this.vectorOf(e.args[1] as TExpr, t), t),
        );
      case "clamp": {
        const v = this.vectorOf(e.args[0] as TExpr, t);
        const min = this.scalarOf(e.args[1] as TExpr, t);
        const max = this.scalarOf(e.args[2] as TExpr, t);
        if (max < min) return vec([]);
        return vec(v.map((s) => ({ labels: dropName(s.labels), value: Math.max(min, Math.min(max, s.value)), ts: t })));
      }
      case "clamp_min":
      case "clamp_max": {
        const v = this.vectorOf(e.args[0] as TExpr, t);
        const b = this.scalarOf(e.args[1] as TExpr, t);
        const f = name === "clamp_min" ? Math.max : Math.min;
        return vec(v.map((s) => ({ labels: dropName(s.labels), value: f(b, s.value), ts: t })));
      }
      case "round": {
        const v = this.vectorOf(e.args[0] as TExpr, t);
        const toNearest = e.args.length >= 2 ? this.scalarOf(e.args[1] as TExpr, t) : 1;
        const inv = 1 / toNearest;
        return vec(v.map((s) => ({ labels: dropName(s.labels), value: Math.floor(s.value * inv + 0.5) / inv, ts: t })));
      }
      case "timestamp": {
        const arg = e.args[0] as TExpr;
        const v = this.vectorOf(arg, t);
        const direct = arg.kind === "vector";
        return vec(v.map((s) => ({ labels: dropName(s.labels), value: (direct ? s.ts : t) / 1000, ts: t })));
      }
      case "sort":
      case "sort_desc": {
        const v = [...this.vectorOf(e.args[0] as TExpr, t)];
        const dir = name === "sort" ? 1 : -1;
        v.sort((a, b) => {
          const an = Number.isNaN(a.value);
          const bn = Number.isNaN(b.value);
          if (an || bn) return an === bn ? 0 : an ? 1 : -1;
          return dir * (a.value - b.value);
        });
        return { type: "vector", samples: v };
      }
      case "label_replace":
        return vec(this.labelReplace(e, t));
      case "label_join":
        return vec(this.labelJoin(e, t));
      default:
        break;
    }
    const overTime = OVER_TIME[name];
    if (overTime) {
      const out: TSample[] = [];
      const keepName = name === "last_over_time";
      const bucketFn = BUCKET_OVER_TIME[name];
      const grid = bucketFn ? this.bucketWindowsAt(matrixArg(e, 0), t) : undefined;
      if (bucketFn && grid) {
        for (const lb of grid.windows) {
          if (windowCount(lb.w) === 0) continue;
          out.push({ labels: keepName ? lb.labels : lb.dropped, value: bucketFn(lb.w), ts: t });
        }
        return rangeVec(e, out);
      }
      for (const w of this.windowsAt(matrixArg(e, 0), t)) {
        if (w.hi === w.lo) continue;
        out.push({ labels: keepName ? w.labels : dropName(w.labels), value: overTime(w), ts: t });
      }
      return rangeVec(e, out);
    }
    const math = VECTOR_MATH[name];
    if (math) {
      const v = this.vectorOf(e.args[0] as TExpr, t);
      return vec(v.map((s) => ({ labels: dropName(s.labels), value: math(s.value), ts: t })));
    }
    const date = DATE_FNS[name];
    if (date) {
      if (e.args.length === 0) {
        return vec([{ labels: {}, value: date(new Date(Math.trunc(t / 1000) * 1000)), ts: t }]);
      }
      const v = this.vectorOf(e.args[0] as TExpr, t);
      return vec(
        v.map((s) => ({
          labels: dropName(s.labels),
          value: Number.isFinite(s.value) ? date(new Date(Math.trunc(s.value) * 1000)) : Number.NaN,
          ts: t,
        })),
      );
    }
    throw new PromQLError("execution", `function "${name}" is not implemented`);
  }

  private histogramQuantile(node: TCall, q: number, v: TSample[], t: number): TSample[] {
    const groups = new Map<string, { labels: TLabels; buckets: TBucket[] }>();
    const cache = nodeCache(bucketCaches, node);
    for (const s of v) {
      const b = memo(cache, s.labels, (): TBucketOf => {
        const le = s.labels.le;
        const upperBound = le === undefined ? undefined : parseGoFloat(le);
        if (upperBound === undefined) return null;
        const { le: _, ...withoutLe } = s.labels;
        const { __name__: _n, ...labels } = withoutLe;
        return { key: labelsKey(withoutLe), labels, upperBound };
      });
      if (!b) continue;
      let g = groups.get(b.key);
      if (!g) {
        g = { labels: b.labels, buckets: [] };
        groups.set(b.key, g);
      }
      g.buckets.push({ upperBound: b.upperBound, count: s.value });
    }
    return [...groups.values()].map((g) => ({ labels: g.labels, value: bucketQuantile(q, g.buckets), ts: t }));
  }

  private labelReplace(e: TCall, t: number): TSample[] {
    const v = this.vectorOf(e.args[0] as TExpr, t);
    const dst = this.stringOf(e.args[1] as TExpr, t);
    const repl = this.stringOf(e.args[2] as TExpr, t);
    const src = this.stringOf(e.args[3] as TExpr, t);
    const regexStr = this.stringOf(e.args[4] as TExpr, t);
    const re = compileAnchored(regexStr);
    if (!re.ok) throw new PromQLError("execution", `invalid regular expression in label_replace(): ${regexStr}`);
    if (!LABEL_NAME_RE.test(dst)) {
      throw new PromQLError("execution", `invalid destination label name in label_replace(): ${dst}`);
    }
    const cache = nodeCache(relabelCaches, e);
    return v.map((s) => {
      const labels = memo(cache, s.labels, () => {
        const m = re.re.exec(s.labels[src] ?? "");
        if (!m) return s.labels;
        const res = expandTemplate(repl, m);
        const out = { ...s.labels };
        delete out[dst];
        if (res.length > 0) out[dst] = res;
        return out;
      });
      return { labels, value: s.value, ts: t };
    });
  }

  private labelJoin(e: TCall, t: number): TSample[] {
    const v = this.vectorOf(e.args[0] as TExpr, t);
    const dst = this.stringOf(e.args[1] as TExpr, t);
    const sep = this.stringOf(e.args[2] as TExpr, t);
    const srcs = e.args.slice(3).map((a) => {
      const s = this.stringOf(a, t);
      if (!LABEL_NAME_RE.test(s)) throw new PromQLError("execution", `invalid source label name in label_join(): ${s}`);
      return s;
    });
    if (!LABEL_NAME_RE.test(dst)) {
      throw new PromQLError("execution", `invalid destination label name in label_join(): ${dst}`);
    }
    const cache = nodeCache(relabelCaches, e);
    return v.map((s) => {
      const labels = memo(cache, s.labels, () => {
        const joined = srcs.map((n) => s.labels[n] ?? "").join(sep);
        const out = { ...s.labels };
        delete out[dst];
        if (joined.length > 0) out[dst] = joined;
        return out;
      });
      return { labels, value: s.value, ts: t };
    });
  }

  // ------------------------------------------------------------------------------------------
  // Aggregations (Prometheus's aggregation in engine.go)

  private aggregate(e: TAggregateExpr, t: number): TStepValue {
    const op = e.op;
    let k = 0;
    let q = 0;
    let valueLabel = "";
    if (op === "topk" || op === "bottomk") {
      const f = this.scalarOf(e.param as TExpr, t);
      if (!(Math.abs(f) < 2 ** 63)) throw new PromQLError("execution", `Scalar value ${f} overflows int64`);
      k = Math.trunc(f);
    } else if (op === "quantile") {
      q = this.scalarOf(e.param as TExpr, t);
    } else if (op === "count_values") {
      valueLabel = this.stringOf(e.param as TExpr, t);
      if (!LABEL_NAME_RE.test(valueLabel)) throw new PromQLError("execution", `invalid label name "${valueLabel}"`);
    }
    const vec = this.vectorOf(e.expr, t);
    if ((op === "topk" || op === "bottomk") && k < 1) return { type: "vector", samples: [] };
    let grouping = e.grouping;
    if (op === "count_values" && !e.without) grouping = [...grouping, valueLabel];
    const groupSet = new Set(grouping);

    type TGroup = {
      labels: TLabels;
      value: number;
      mean: number;
      count: number;
      heap: TSample[];
      values: number[];
    };
    const groups = new Map<string, TGroup>();
    const resultSize = Math.min(k, vec.length);
    const groupCache = nodeCache(groupCaches, e);
    for (const s0 of vec) {
      let metric = s0.labels;
      if (op === "count_values") metric = { ...metric, [valueLabel]: formatValue(s0.value) };
      // Looked up before anything is allocated: this runs for every sample of every step.
      let group = groupCache.get(metric);
      if (group === undefined) {
        const labels: TLabels = {};
        if (e.without) {
          for (const [n, v] of Object.entries(metric)) if (!groupSet.has(n) && n !== "__name__") labels[n] = v;
        } else {
          for (const n of grouping) if (metric[n] !== undefined) labels[n] = metric[n] as string;
        }
        group = { labels, key: labelsKey(labels) };
        groupCache.set(metric, group);
      }
      const key = group.key;
      const groupLabels = group.labels;
      const s = { labels: metric, value: s0.value, ts: t };
      const g = groups.get(key);
      if (!g) {
        const ng: TGroup = { labels: groupLabels, value: s.value, mean: s.value, count: 1, heap: [], values: [] };
        if (op === "topk") heapPush(ng.heap, s, lessByValue);
        else if (op === "bottomk") heapPush(ng.heap, s, lessByReverseValue);
        else if (op === "quantile") ng.values.push(s.value);
        else if (op === "stddev" || op === "stdvar") ng.value = 0;
        groups.set(key, ng);
        continue;
      }
      switch (op) {
        case "sum":
          g.value += s.value;
          break;
        case "avg": {
          g.count++;
          if (isInfValue(g.mean)) {
            // An infinite mean stays put unless a NaN or an Inf of the other sign arrives.
            if (isInfValue(s.value) && g.mean > 0 === s.value > 0) break;
            if (!isInfValue(s.value) && !Number.isNaN(s.value)) break;
          }
          g.mean += s.value / g.count - g.mean / g.count;
          break;
        }
        case "group":
          break;
        case "count":
        case "count_values":
          g.count++;
          break;
        case "max":
          if (g.value < s.value || Number.isNaN(g.value)) g.value = s.value;
          break;
        case "min":
          if (g.value > s.value || Number.isNaN(g.value)) g.value = s.value;
          break;
        case "stddev":
        case "stdvar": {
          g.count++;
          const delta = s.value - g.mean;
          g.mean += delta / g.count;
          g.value += delta * (s.value - g.mean);
          break;
        }
        case "topk": {
          const top = g.heap[0] as TSample;
          if (g.heap.length < resultSize || top.value < s.value || Number.isNaN(top.value)) {
            if (g.heap.length === resultSize) {
              if (resultSize === 1) {
                g.heap[0] = s;
                break;
              }
              heapPop(g.heap, lessByValue);
            }
            heapPush(g.heap, s, lessByValue);
          }
          break;
        }
        case "bottomk": {
          const top = g.heap[0] as TSample;
          if (g.heap.length < resultSize || top.value > s.value || Number.isNaN(top.value)) {
            if (g.heap.length === resultSize) {
              if (resultSize === 1) {
                g.heap[0] = s;
                break;
              }
              heapPop(g.heap, lessByReverseValue);
            }
            heapPush(g.heap, s, lessByReverseValue);
          }
          break;
        }
        case "quantile":
          g.values.push(s.value);
          break;
      }
    }

    const out: TSample[] = [];
    for (const g of groups.values()) {
      switch (op) {
        case "avg":
          out.push({ labels: g.labels, value: g.mean, ts: t });
          break;
        case "count":
        case "count_values":
          out.push({ labels: g.labels, value: g.count, ts: t });
          break;
        case "stdvar":
          out.push({ labels: g.labels, value: g.value / g.count, ts: t });
          break;
        case "stddev":
          out.push({ labels: g.labels, value: Math.sqrt(g.value / g.count), ts: t });
          break;
        case "group":
          out.push({ labels: g.labels, value: 1, ts: t });
          break;
        case "quantile":
          out.push({ labels: g.labels, value: quantile(q, g.values), ts: t });
          break;
        case "topk":
        case "bottomk": {
          // Prometheus sorts the heap in reverse: topk descending, bottomk ascending.
          const less = op === "topk" ? lessByValue : lessByReverseValue;
          const sorted = [...g.heap].sort((a, b) => (less(b, a) ? -1 : less(a, b) ? 1 : 0));
          for (const s of sorted) out.push({ labels: s.labels, value: s.value, ts: t });
          break;
        }
        default:
          out.push({ labels: g.labels, value: g.value, ts: t });
      }
    }
    return { type: "vector", samples: out };
  }

  // ------------------------------------------------------------------------------------------
  // Binary operators

  private binary(e: TBinaryExpr, t: number): TStepValue {
    const l = this.eval(e.lhs, t);
    const r = this.eval(e.rhs, t);
    if (l.type === "scalar" && r.type === "scalar") {
      const v = scalarBinop(e.op, l.v, r.v);
      return { type: "scalar", v: isComparison(e.op) ? (v.keep ? 1 : 0) : v.value };
    }
    if (l.type === "vector" && r.type === "vector") {
      const m = e.matching as TVectorMatching;
      let out: TSample[];
      switch (e.op) {
        case "and":
          out = vectorAnd(l.samples, r.samples, m);
          break;
        case "or":
          out = vectorOr(l.samples, r.samples, m);
          break;
        case "unless":
          out = vectorUnless(l.samples, r.samples, m);
          break;
        default:
          out = vectorBinop(e.op, l.samples, r.samples, m, e.returnBool, t);
      }
      // No check for duplicate label sets: matching on unique signatures cannot produce them.
      return { type: "vector", samples: out };
    }
    if (l.type === "vector" && r.type === "scalar") {
      const out = vectorScalarBinop(e.op, l.samples, r.v, false, e.returnBool, t);
      checkNoDuplicates(out);
      return { type: "vector", samples: out };
    }
    if (l.type === "scalar" && r.type === "vector") {
      const out = vectorScalarBinop(e.op, r.samples, l.v, true, e.returnBool, t);
      checkNoDuplicates(out);
      return { type: "vector", samples: out };
    }
    throw new PromQLError("execution", "binary expression must contain only scalar and instant vector types");
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function isInfValue(v: number): boolean {
  return v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY;
}

function formatDays(ms: number): string {
  const d = ms / 86_400_000;
  return `${Number.isInteger(d) ? d : d.toFixed(1)}d`;
}

const pinnedNames = new WeakMap<TVectorSelector, boolean>();

function vec(samples: TSample[]): TStepValue {
  checkNoDuplicates(samples);
  return { type: "vector", samples };
}

/**
 * Range functions only drop the name: over a selector that pins one name, the series' label sets stay
 * distinct (the store keeps one series per label set), so the duplicate check is skipped.
 */
function rangeVec(e: TCall, samples: TSample[]): TStepValue {
  return onePinnedName(matrixArg(e, 0).selector) ? { type: "vector", samples } : vec(samples);
}

function matrixArg(e: TCall, i: number): TMatrixSelector {
  return unwrapParens(e.args[i] as TExpr) as TMatrixSelector;
}

function onePinnedName(sel: TVectorSelector): boolean {
  return memo(pinnedNames, sel, () => sel.matchers.some((m) => m.name === "__name__" && m.op === "="));
}

function matchersKey(ms: TMatcher[]): string {
  return ms.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(",");
}

function absentLabels(matchers: TMatcher[]): TLabels {
  const out: TLabels = {};
  const empty: string[] = [];
  for (const m of matchers) {
    if (m.name === "__name__") continue;
    if (m.op === "=" && !(m.name in out)) out[m.name] = m.value;
    else empty.push(m.name);
  }
  for (const n of empty) delete out[n];
  return out;
}

/** Go's strconv.ParseFloat for the `le` label: decimal, ±Inf/Infinity, NaN. */
function parseGoFloat(s: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^nan$/i.test(s)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** Go's regexp Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; an unknown name expands to "". */
function expandTemplate(template: string, m: RegExpExecArray): string {
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c !== "$" || i === template.length - 1) {
      out += c;
      continue;
    }
    const next = template[i + 1] as string;
    if (next === "$") {
      out += "$";
      i++;
      continue;
    }
    let name: string;
    let end: number;
    if (next === "{") {
      const close = template.indexOf("}", i + 2);
      const inner = close < 0 ? "" : template.slice(i + 2, close);
      if (close < 0 || !/^[a-zA-Z0-9_]+$/.test(inner)) {
        out += c;
        continue;
      }
      name = inner;
      end = close;
    } else {
      const mm = /^[a-zA-Z0-9_]+/.exec(template.slice(i + 1));
      if (!mm) {
        out += c;
        continue;
      }
      name = mm[0];
      end = i + mm[0].length;
    }
    if (/^\d+$/.test(name)) out += m[Number(name)] ?? "";
    else out += m.groups?.[name] ?? "";
    i = end;
  }
  return out;
}

const lessByValue = (a: TSample, b: TSample) => Number.isNaN(a.value) || a.value < b.value;
const lessByReverseValue = (a: TSample, b: TSample) => Number.isNaN(a.value) || a.value > b.value;

// Go's container/heap, so ties resolve as in Prometheus.
function heapPush(h: TSample[], x: TSample, less: (a: TSample, b: TSample) => boolean): void {
  h.push(x);
  let j = h.length - 1;
  for (;;) {
    const i = Math.trunc((j - 1) / 2);
    if (i === j || !less(h[j] as TSample, h[i] as TSample)) break;
    [h[i], h[j]] = [h[j] as TSample, h[i] as TSample];
    j = i;
  }
}

function heapPop(h: TSample[], less: (a: TSample, b: TSample) => boolean): TSample {
  const n = h.length - 1;
  [h[0], h[n]] = [h[n] as TSample, h[0] as TSample];
  let i = 0;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h[j2] as TSample, h[j1] as TSample)) j = j2;
    if (!less(h[j] as TSample, h[i] as TSample)) break;
    [h[i], h[j]] = [h[j] as TSample, h[i] as TSample];
    i = j;
  }
  return h.pop() as TSample;
}

function scalarBinop(op: string, l: number, r: number): { value: number; keep: boolean } {
  switch (op) {
    case "+":
      return { value: l + r, keep: true };
    case "-":
      return { value: l - r, keep: true };
    case "*":
      return { value: l * r, keep: true };
    case "/":
      return { value: l / r, keep: true };
    case "%":
      return { value: l % r, keep: true };
    case "^":
      return { value: goPow(l, r), keep: true };
    case "atan2":
      return { value: Math.atan2(l, r), keep: true };
    case "==":
      return { value: l, keep: l === r };
    case "!=":
      return { value: l, keep: l !== r };
    case ">":
      return { value: l, keep: l > r };
    case "<":
      return { value: l, keep: l < r };
    case ">=":
      return { value: l, keep: l >= r };
    case "<=":
      return { value: l, keep: l <= r };
    default:
      throw new PromQLError("execution", `operator "${op}" not allowed for scalar operations`);
  }
}

// As Prometheus 2.42's shouldDropMetricName: arithmetic drops the name (atan2, oddly, does not).
const dropsName = (op: string) => op === "+" || op === "-" || op === "*" || op === "/" || op === "%" || op === "^";

function vectorScalarBinop(
  op: string,
  vec: TSample[],
  scalar: number,
  swap: boolean,
  returnBool: boolean,
  t: number,
): TSample[] {
  const out: TSample[] = [];
  for (const s of vec) {
    let lv = s.value;
    let rv = scalar;
    if (swap) [lv, rv] = [rv, lv];
    let { value, keep } = scalarBinop(op, lv, rv);
    // A comparison keeps the vector element's value even when the scalar is on the left.
    if (isComparison(op as TBinaryExpr["op"]) && swap) value = rv;
    if (returnBool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (keep) out.push({ labels: dropsName(op) || returnBool ? dropName(s.labels) : s.labels, value, ts: t });
  }
  return out;
}

/** The matching signature: the `on` labels, or everything but the `ignoring` labels and the name. */
function signature(labels: TLabels, m: TVectorMatching): string {
  return memo(nodeCache(signatureCaches, m), labels, () => computeSignature(labels, m));
}

function computeSignature(labels: TLabels, m: TVectorMatching): string {
  if (m.on) {
    const names = [...m.labels].sort();
    let k = "";
    for (const n of names) {
      const v = labels[n];
      if (v !== undefined && v !== "") k += `${n}\xff${v}\xfe`;
    }
    return k;
  }
  if (m.labels.length === 0) return labelsKey(dropName(labels));
  const ignore = new Set(m.labels);
  return Object.keys(labels)
    .filter((n) => n !== "__name__" && !ignore.has(n))
    .sort()
    .map((n) => `${n}\xff${labels[n]}`)
    .join("\xfe");
}

function vectorAnd(lhs: TSample[], rhs: TSample[], m: TVectorMatching): TSample[] {
  const right = new Set(rhs.map((s) => signature(s.labels, m)));
  return lhs.filter((s) => right.has(signature(s.labels, m)));
}

function vectorOr(lhs: TSample[], rhs: TSample[], m: TVectorMatching): TSample[] {
  const left = new Set(lhs.map((s) => signature(s.labels, m)));
  return [...lhs, ...rhs.filter((s) => !left.has(signature(s.labels, m)))];
}

function vectorUnless(lhs: TSample[], rhs: TSample[], m: TVectorMatching): TSample[] {
  const right = new Set(rhs.map((s) => signature(s.labels, m)));
  return lhs.filter((s) => !right.has(signature(s.labels, m)));
}

function labelsString(l: TLabels): string {
  return `{${Object.keys(l)
    .sort()
    .map((n) => `${n}=${JSON.stringify(l[n])}`)
    .join(", ")}}`;
}

function resultMetric(lhs: TLabels, rhs: TLabels, op: string, m: TVectorMatching): TLabels {
  let out: TLabels = { ...lhs };
  if (dropsName(op)) delete out.__name__;
  if (m.card === "one-to-one") {
    if (m.on) {
      const keep: TLabels = {};
      for (const n of m.labels) if (out[n] !== undefined) keep[n] = out[n] as string;
      out = keep;
    } else {
      for (const n of m.labels) delete out[n];
    }
  }
  for (const n of m.include) {
    const v = rhs[n];
    if (v) out[n] = v;
    else delete out[n];
  }
  return out;
}

function vectorBinop(
  op: string,
  lhs0: TSample[],
  rhs0: TSample[],
  m: TVectorMatching,
  returnBool: boolean,
  t: number,
): TSample[] {
  let lhs = lhs0;
  let rhs = rhs0;
  // One-to-many is many-to-one with the sides swapped (and swapped back for the value).
  if (m.card === "one-to-many") [lhs, rhs] = [rhs, lhs];
  const rightSigs = new Map<string, TSample>();
  for (const rs of rhs) {
    const sig = signature(rs.labels, m);
    const dup = rightSigs.get(sig);
    if (dup) {
      const oneSide = m.card === "one-to-many" ? "left" : "right";
      const matched: TLabels = {};
      for (const [n, v] of Object.entries(rs.labels)) {
        if (m.on ? m.labels.includes(n) : n !== "__name__" && !m.labels.includes(n)) matched[n] = v;
      }
      throw new PromQLError(
        "execution",
        `found duplicate series for the match group ${labelsString(matched)} on the ${oneSide} hand-side of the operation: [${labelsString(rs.labels)}, ${labelsString(dup.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    rightSigs.set(sig, rs);
  }
  const matchedSigs = new Map<string, Set<string> | null>();
  const out: TSample[] = [];
  for (const ls of lhs) {
    const sig = signature(ls.labels, m);
    const rs = rightSigs.get(sig);
    if (!rs) continue;
    let vl = ls.value;
    let vr = rs.value;
    if (m.card === "one-to-many") [vl, vr] = [vr, vl];
    let { value, keep } = scalarBinop(op, vl, vr);
    if (returnBool) {
      value = keep ? 1 : 0;
    } else if (!keep) continue;
    const byRhs = memo(nodeCache(metricCaches, m), ls.labels, () => new WeakMap<TLabels, TLabels>());
    const metric = memo(byRhs, rs.labels, () => {
      const out = resultMetric(ls.labels, rs.labels, op, m);
      if (returnBool) delete out.__name__;
      return out;
    });
    const inserted = matchedSigs.get(sig);
    if (m.card === "one-to-one") {
      if (inserted !== undefined) {
        throw new PromQLError(
          "execution",
          "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
        );
      }
      matchedSigs.set(sig, null);
    } else {
      const insertSig = labelsKey(metric);
      let set = inserted;
      if (!set) {
        set = new Set();
        matchedSigs.set(sig, set);
      } else if (set.has(insertSig)) {
        throw new PromQLError("execution", "multiple matches for labels: grouping labels must ensure unique matches");
      }
      set.add(insertSig);
    }
    out.push({ labels: metric, value, ts: t });
  }
  return out;
}
