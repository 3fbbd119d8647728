// Which data a range query reads: raw samples, 1-minute or 1-hour rollups.
//
// chooseResolution picks from the step and the range (and from what retention still holds): raw for
// short ranges at small steps, 1 m rollups from a 60 s step or a range over 6 h, 1 h rollups from a 1 h
// step or a range over 7 days. planResolution then checks the query itself: every range selector must
// sit in a function that buckets can answer (promql/rollup.ts) with a range that is a whole number of
// buckets; otherwise the next finer resolution is tried, down to raw samples.
//
// With rollups, each step t is evaluated at t' = t rounded down to the bucket grid, where buckets
// answer exactly what Prometheus would answer at t' (so a query whose start and step are multiples of
// the bucket width, as Grafana sends them, matches raw samples to the last bits). Steps in the newest,
// still-filling bucket are evaluated at t itself from raw samples, so the right edge of a chart is up
// to date. See README "Resolutions" for the approximations.
import type { TExpr } from "./promql/ast";
import { BUCKET_FUNCTIONS, NEEDS_SUM_MIN_MAX } from "./promql/rollup";

export type TResolution = "raw" | "1m" | "1h";

export const RESOLUTION_WIDTH_MS: Record<Exclude<TResolution, "raw">, number> = { "1m": 60_000, "1h": 3_600_000 };

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Ranges longer than this read 1 m rollups whatever the step. */
export const RAW_MAX_RANGE_MS = 6 * HOUR_MS;
/** Ranges longer than this read 1 h rollups whatever the step. */
export const ROLLUP_1M_MAX_RANGE_MS = 7 * DAY_MS;

export type TRetention = { rawMs: number; rollup1mMs: number; rollup1hMs: number };

export const DEFAULT_RETENTION: TRetention = { rawMs: DAY_MS, rollup1mMs: 30 * DAY_MS, rollup1hMs: 400 * DAY_MS };

const ORDER: TResolution[] = ["raw", "1m", "1h"];

export function finer(a: TResolution, b: TResolution): TResolution {
  return ORDER.indexOf(a) <= ORDER.indexOf(b) ? a : b;
}

/**
 * The resolution for a range query from its shape alone. `max` caps it (the `max_source_resolution`
 * parameter, as in Thanos); retention can only make it coarser: data older than the raw retention is
 * only in rollups, and older than the 1 m retention only in 1 h rollups.
 */
export function chooseResolution(q: {
  startMs: number;
  endMs: number;
  stepMs: number;
  nowMs: number;
  retention: TRetention;
  max?: TResolution;
}): TResolution {
  const range = q.endMs - q.startMs;
  let r: TResolution = "raw";
  if (q.stepMs >= HOUR_MS || range > ROLLUP_1M_MAX_RANGE_MS) r = "1h";
  else if (q.stepMs >= 60_000 || range > RAW_MAX_RANGE_MS) r = "1m";
  if (q.max) r = finer(r, q.max);
  if (q.max === "raw") return r;
  if (r === "raw" && q.startMs < q.nowMs - q.retention.rawMs) r = "1m";
  if (r === "1m" && q.startMs < q.nowMs - q.retention.rollup1mMs) r = "1h";
  return r;
}

export type TRollupPlan = {
  resolution: TResolution;
  /** Bucket width for the engine; undefined means raw samples. */
  widthMs: number | undefined;
  warnings: string[];
};

type TUse = { fn: string | undefined; rangeMs: number | undefined };

/** Every selector of the query with the function reading it (undefined for an instant vector). */
function selectorUses(e: TExpr, parentFn: string | undefined, out: TUse[]): void {
  switch (e.kind) {
    case "vector":
      out.push({ fn: undefined, rangeMs: undefined });
      return;
    case "matrix":
      // A range vector outside a function (not valid in a range query) cannot come from buckets.
      out.push({ fn: parentFn ?? "", rangeMs: e.rangeMs });
      return;
    case "paren":
      selectorUses(e.expr, parentFn, out);
      return;
    case "unary":
      selectorUses(e.expr, undefined, out);
      return;
    case "call":
      for (const a of e.args) selectorUses(a, e.func, out);
      return;
    case "aggregate":
      if (e.param) selectorUses(e.param, undefined, out);
      selectorUses(e.expr, undefined, out);
      return;
    case "binary":
      selectorUses(e.lhs, undefined, out);
      selectorUses(e.rhs, undefined, out);
      return;
    default:
      return;
  }
}

/** Why buckets of `widthMs` cannot answer this query, or undefined when they can. */
export function rollupObstacle(expr: TExpr, widthMs: number): string | undefined {
  const uses: TUse[] = [];
  selectorUses(expr, undefined, uses);
  for (const u of uses) {
    if (u.rangeMs === undefined) continue;
    if (!u.fn || !BUCKET_FUNCTIONS.has(u.fn)) return `${u.fn || "a range vector"} needs individual samples`;
    if (u.rangeMs < widthMs || u.rangeMs % widthMs !== 0) {
      return `a range of ${u.rangeMs / 1000}s is not a whole number of ${widthMs / 1000}s buckets`;
    }
  }
  return undefined;
}

/** Whether any *_over_time function of the query needs the sum, min and max columns. */
export function needsSumMinMax(expr: TExpr): boolean {
  const uses: TUse[] = [];
  selectorUses(expr, undefined, uses);
  return uses.some((u) => u.fn !== undefined && NEEDS_SUM_MIN_MAX.has(u.fn));
}

/**
 * The resolution a range query runs at: `preferred`, or finer when the query needs it. Falling back to
 * raw samples for a window older than the raw retention answers with what is left, and says so.
 */
export function planResolution(
  expr: TExpr,
  preferred: TResolution,
  q: { startMs: number; nowMs: number; retention: TRetention },
): TRollupPlan {
  const warnings: string[] = [];
  let reason: string | undefined;
  for (const r of ORDER.slice(1, ORDER.indexOf(preferred) + 1).reverse() as ("1m" | "1h")[]) {
    // 1 m rollups only reach back as far as their retention.
    if (r === "1m" && preferred === "1h" && q.startMs < q.nowMs - q.retention.rollup1mMs) continue;
    const w = RESOLUTION_WIDTH_MS[r];
    reason = rollupObstacle(expr, w);
    if (!reason) return { resolution: r, widthMs: w, warnings };
  }
  if (preferred !== "raw" && q.startMs < q.nowMs - q.retention.rawMs) {
    warnings.push(
      `raw samples were read because ${reason}, and they are kept for ${formatDuration(q.retention.rawMs)}: older points are missing`,
    );
  }
  return { resolution: "raw", widthMs: undefined, warnings };
}

function formatDuration(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}d`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  return `${Math.round(ms / 60_000)}m`;
}

/** The `max_source_resolution` parameter (Thanos's): auto, raw, 1m, 1h, or a duration such as 5m. */
export function parseMaxResolution(v: string | undefined): TResolution | undefined | "invalid" {
  if (v === undefined || v === "" || v === "auto") return undefined;
  if (v === "raw" || v === "0" || v === "0s") return "raw";
  const m = /^(\d+)(s|m|h|d)$/.exec(v);
  if (!m) return "invalid";
  const ms = Number(m[1]) * { s: 1000, m: 60_000, h: HOUR_MS, d: DAY_MS }[m[2] as "s" | "m" | "h" | "d"];
  return ms >= HOUR_MS ? "1h" : ms >= 60_000 ? "1m" : "raw";
}
