// Prometheus answers → what the charts draw. Pure functions, unit-tested (series.test.ts): legend
// templating, matrix → Recharts rows, per-series summaries, histogram buckets → heatmap cells, and the
// live path that appends socket points to a cached range result.

import type { TQueryPoints } from "../../lib/contracts/live";
import type { TPromLabels, TPromQueryData, TPromSamplePair } from "../../lib/contracts/prom";

/** A query_range answer as the cache keeps it: the data plus the window it was asked for. */
export type TRangeResult = {
  start: number;
  end: number;
  stepMs: number;
  data: TPromQueryData;
  warnings?: string[];
};

export type TChartSeries = {
  /** Recharts data key: `s0`, `s1`… (a label set can hold dots, which Recharts reads as a path). */
  key: string;
  /** Stable across refetches: which query and which label set, used to remember hidden series. */
  id: string;
  name: string;
  labels: TPromLabels;
  color: string;
  query: number;
};
export type TChartRow = { t: number; [key: string]: number | null };
export type TChartData = { series: TChartSeries[]; rows: TChartRow[] };

// Distinguishable on dark and light backgrounds alike (Tableau 10, accent first).
export const PALETTE = [
  "#f97316",
  "#3b82f6",
  "#22c55e",
  "#eab308",
  "#a855f7",
  "#ef4444",
  "#14b8a6",
  "#ec4899",
  "#84cc16",
  "#6366f1",
  "#f59e0b",
  "#06b6d4",
];

/** Prometheus writes NaN and ±Inf as "NaN", "+Inf", "-Inf"; Number() knows only "Infinity". */
export function parseSampleValue(s: string): number {
  if (s === "+Inf" || s === "Inf") return Number.POSITIVE_INFINITY;
  if (s === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(s);
}

export function labelKey(labels: TPromLabels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(",");
}

/** `name{a="x", b="y"}`, as Prometheus prints a series. */
export function formatSeriesName(labels: TPromLabels): string {
  const { __name__: name = "", ...rest } = labels;
  const inner = Object.keys(rest)
    .sort()
    .map((k) => `${k}=${JSON.stringify(rest[k])}`)
    .join(", ");
  return inner ? `${name}{${inner}}` : name || "{}";
}

/**
 * Grafana's legend format: `{{route}} p95` → "/users p95". A label the series lacks renders empty; an
 * empty template falls back to the series' own name, then to `fallback` (the query) for `sum()` results.
 */
export function renderLegend(template: string | undefined, labels: TPromLabels, fallback = "{}"): string {
  if (template?.trim()) {
    return template.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name: string) => labels[name] ?? "").trim();
  }
  const name = formatSeriesName(labels);
  return name === "{}" ? fallback : name;
}

export type TChartQuery = { data: TPromQueryData | undefined; legend?: string; expr: string };

function seriesOf(data: TPromQueryData | undefined): { metric: TPromLabels; values: TPromSamplePair[] }[] {
  if (!data) return [];
  switch (data.resultType) {
    case "matrix":
      return data.result;
    case "vector":
      return data.result.map((s) => ({ metric: s.metric, values: [s.value] }));
    case "scalar":
      return [{ metric: {}, values: [data.result] }];
    default:
      return [];
  }
}

/**
 * One row per timestamp, one column per series; a series without a sample at a timestamp gets null (a
 * gap, not a zero), and so does NaN or ±Inf, which a chart cannot place.
 */
export function toChartData(queries: TChartQuery[]): TChartData {
  const series: TChartSeries[] = [];
  const rows = new Map<number, TChartRow>();
  queries.forEach((q, qi) => {
    for (const s of seriesOf(q.data)) {
      const n = series.length;
      const key = `s${n}`;
      series.push({
        key,
        id: `${qi}:${labelKey(s.metric)}`,
        name: renderLegend(q.legend, s.metric, q.expr),
        labels: s.metric,
        color: PALETTE[n % PALETTE.length] as string,
        query: qi,
      });
      for (const [ts, raw] of s.values) {
        const t = Math.round(ts * 1000);
        let row = rows.get(t);
        if (!row) {
          row = { t };
          rows.set(t, row);
        }
        const v = parseSampleValue(raw);
        row[key] = Number.isFinite(v) ? v : null;
      }
    }
  });
  const sorted = [...rows.values()].sort((a, b) => a.t - b.t);
  // Recharts needs every key present on every row to draw gaps rather than skip rows.
  for (const row of sorted) for (const s of series) if (!(s.key in row)) row[s.key] = null;
  return { series, rows: sorted };
}

export type TSeriesSummary = {
  series: TChartSeries;
  last: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
};

export function summarize(data: TChartData): TSeriesSummary[] {
  return data.series.map((s) => {
    let last: number | null = null;
    let min: number | null = null;
    let max: number | null = null;
    let sum = 0;
    let n = 0;
    for (const row of data.rows) {
      const v = row[s.key];
      if (v === null || v === undefined) continue;
      last = v;
      min = min === null ? v : Math.min(min, v);
      max = max === null ? v : Math.max(max, v);
      sum += v;
      n++;
    }
    return { series: s, last, min, max, mean: n ? sum / n : null };
  });
}

export type THeatmap = {
  times: number[];
  /** Upper bounds, ascending; the last is usually +Inf. */
  buckets: number[];
  /** cells[timeIndex][bucketIndex]: the rate that fell in (previous bound, bound]. */
  cells: (number | null)[][];
  max: number;
};

/**
 * Cumulative `le` buckets (as `sum by (le) (rate(x_bucket[1m]))` returns them) → one cell per time and
 * bucket holding that bucket's own share. Series that differ in other labels are summed per `le`.
 */
export function toHeatmap(data: TPromQueryData | undefined): THeatmap {
  const byLe = new Map<number, Map<number, number>>();
  for (const s of seriesOf(data)) {
    const le = s.metric.le;
    if (le === undefined) continue;
    const bound = parseSampleValue(le);
    if (Number.isNaN(bound)) continue;
    let col = byLe.get(bound);
    if (!col) {
      col = new Map();
      byLe.set(bound, col);
    }
    for (const [ts, raw] of s.values) {
      const v = parseSampleValue(raw);
      if (!Number.isFinite(v)) continue;
      const t = Math.round(ts * 1000);
      col.set(t, (col.get(t) ?? 0) + v);
    }
  }
  const buckets = [...byLe.keys()].sort((a, b) => a - b);
  const timeSet = new Set<number>();
  for (const col of byLe.values()) for (const t of col.keys()) timeSet.add(t);
  const times = [...timeSet].sort((a, b) => a - b);
  let max = 0;
  const cells = times.map((t) => {
    let prev = 0;
    return buckets.map((b) => {
      const cum = byLe.get(b)?.get(t);
      if (cum === undefined) return null;
      // Counter resets and sampling jitter can make a higher bucket read lower: never below zero.
      const own = Math.max(0, cum - prev);
      prev = Math.max(prev, cum);
      if (own > max) max = own;
      return own;
    });
  });
  return { times, buckets, cells, max };
}

/**
 * Live points are evaluated "now", off the step grid. A live point replaces an earlier live point of the
 * same step (the newest value wins) instead of adding one, so a live chart keeps about one point per
 * step however often the server sends; a point on the grid (from query_range) is never replaced.
 */
function sameLiveStep(prev: number, next: number, stepS: number): boolean {
  const offGrid = Math.abs(prev / stepS - Math.round(prev / stepS)) > 1e-9;
  return offGrid && Math.floor(prev / stepS) === Math.floor(next / stepS);
}

/**
 * Folds live evaluations into a cached range result: a point at a known timestamp replaces it, a newer one
 * is appended, a new label set becomes a new series. With `slide`, the window moves to the newest point
 * and what falls out of it is dropped, so a live chart keeps its span and its memory.
 */
export function appendLivePoints(
  old: TRangeResult | undefined,
  batch: TQueryPoints[],
  opts: { slide: boolean },
): TRangeResult | undefined {
  if (old === undefined || batch.length === 0) return old;
  if (old.data.resultType !== "matrix") return old;
  const result = [...old.data.result];
  const index = new Map(result.map((s, i) => [labelKey(s.metric), i]));
  const copied = new Set<number>();
  const stepS = old.stepMs / 1000;
  let newest = old.end;
  for (const ev of batch) {
    for (const sample of ev.result) {
      const ts = sample.value[0] ?? ev.t;
      newest = Math.max(newest, Math.round(ts * 1000));
      const k = labelKey(sample.metric);
      const i = index.get(k);
      if (i === undefined) {
        index.set(k, result.length);
        copied.add(result.length);
        result.push({ metric: sample.metric, values: [[ts, sample.value[1]]] });
        continue;
      }
      const current = result[i] as (typeof result)[number];
      const values = copied.has(i) ? current.values : [...current.values];
      if (!copied.has(i)) {
        copied.add(i);
        result[i] = { metric: current.metric, values };
      }
      const last = values[values.length - 1];
      if (last && last[0] < ts && sameLiveStep(last[0], ts, stepS)) values[values.length - 1] = [ts, sample.value[1]];
      else if (!last || last[0] < ts) values.push([ts, sample.value[1]]);
      else if (last[0] === ts) values[values.length - 1] = [ts, sample.value[1]];
      else {
        // Out of order (a late evaluation): replace or insert in place.
        const at = values.findIndex((p) => p[0] >= ts);
        if (values[at]?.[0] === ts) values[at] = [ts, sample.value[1]];
        else values.splice(at, 0, [ts, sample.value[1]]);
      }
    }
  }
  let { start, end } = old;
  let out = result;
  if (opts.slide && newest > end) {
    start += newest - end;
    end = newest;
    const cutoff = start / 1000;
    out = result
      .map((s) =>
        s.values[0] && s.values[0][0] < cutoff ? { ...s, values: s.values.filter((p) => p[0] >= cutoff) } : s,
      )
      .filter((s) => s.values.length > 0);
  }
  return { ...old, start, end, data: { resultType: "matrix", result: out } };
}
