// The rule editor's preview: the rule's query over a past range, and the periods in which the rule
// would have fired, found by replaying the state machine (for, keep-firing, hysteresis) over the
// range query's steps. Step resolution bounds the precision: a breach shorter than a step may be missed.
import { rangeQuery, type TMatrixSeries } from "../query/promql/eval";
import { formatValue } from "../query/promql/format";
import type { TSampleSource } from "../query/promql/source";
import { labelSetString, type TLabels } from "./labels";
import { ruleThreshold, type TStoredAlertRule } from "./rules";
import { evaluate, instanceKey, type TAlertInstance } from "./state";
import type { TThresholdValue } from "./template";

export type TPreviewRange = { startMs: number; endMs: number; stepMs: number };

export type TPreview = {
  start: number;
  end: number;
  stepMs: number;
  series: { metric: TLabels; values: [number, string][] }[];
  threshold: TThresholdValue;
  periods: { labels: TLabels; from: number; to: number | null }[];
  fired: number;
  warnings: string[];
};

/** Most series drawn; the replay still covers all of them. */
const MAX_CHART_SERIES = 200;

export async function previewRule(
  source: TSampleSource,
  rule: TStoredAlertRule,
  range: TPreviewRange,
): Promise<TPreview> {
  const { startMs, endMs, stepMs } = range;
  const base = { start: startMs, end: endMs, stepMs, threshold: ruleThreshold(rule) };
  if (rule.kind === "absence") {
    return {
      ...base,
      series: [],
      periods: [],
      fired: 0,
      warnings: ["absence rules have no preview: they watch when each job last pushed, not a query"],
    };
  }
  const opts = { timeoutMs: 20_000 };
  let matrix: TMatrixSeries[];
  if (rule.kind === "rate_of_change") {
    const w = rule.windowSeconds * 1000;
    const [cur, past] = await Promise.all([
      rangeQuery(source, rule.query, startMs, endMs, stepMs, opts),
      rangeQuery(source, rule.query, startMs - w, endMs - w, stepMs, opts),
    ]);
    matrix = changeSeries(asMatrix(cur), asMatrix(past), w);
  } else {
    matrix = asMatrix(await rangeQuery(source, rule.query, startMs, endMs, stepMs, opts));
  }

  // Replay: one evaluation per step, every known instance evaluated (null when its series has no point).
  const byT = matrix.map((s) => {
    const m = new Map<number, number>();
    s.ts.forEach((t, i) => {
      m.set(t, s.values[i] as number);
    });
    return { labels: s.labels, points: m };
  });
  const instances = new Map<string, TAlertInstance>();
  const periods: TPreview["periods"] = [];
  const open = new Map<string, TPreview["periods"][number]>();
  let fired = 0;
  const opts2 = { resolvedRetentionMs: 0 };
  for (let t = startMs; t <= endMs; t += stepMs) {
    const seen = new Set<string>();
    const step = (key: string, labels: TLabels, value: number | null) => {
      const r = evaluate(instances.get(key), { labels, value, nowMs: t }, rule, opts2);
      instances.set(key, r.instance);
      if (r.transition === "firing") {
        fired++;
        const p = { labels, from: t, to: null };
        periods.push(p);
        open.set(key, p);
      } else if (r.transition === "resolved") {
        const p = open.get(key);
        if (p) p.to = t;
        open.delete(key);
      }
    };
    for (const s of byT) {
      const v = s.points.get(t);
      if (v === undefined) continue;
      const key = instanceKey(rule.id, s.labels);
      seen.add(key);
      step(key, s.labels, v);
    }
    for (const [key, inst] of instances) if (!seen.has(key) && inst.state !== "inactive") step(key, inst.labels, null);
  }

  const warnings: string[] = [];
  if (matrix.length > MAX_CHART_SERIES)
    warnings.push(`the query returns ${matrix.length} series; the chart shows the first ${MAX_CHART_SERIES}`);
  return {
    ...base,
    series: matrix.slice(0, MAX_CHART_SERIES).map((s) => ({
      metric: s.labels,
      values: s.ts.map((t, i) => [t / 1000, formatValue(s.values[i] as number)] as [number, string]),
    })),
    periods,
    fired,
    warnings,
  };
}

function asMatrix(r: Awaited<ReturnType<typeof rangeQuery>>): TMatrixSeries[] {
  return r.resultType === "matrix" ? r.result : [];
}

/** query(t) − query(t − window), per label set, at the steps where both ends have a value. */
function changeSeries(cur: TMatrixSeries[], past: TMatrixSeries[], windowMs: number): TMatrixSeries[] {
  const before = new Map(past.map((s) => [labelSetString(s.labels), s]));
  const out: TMatrixSeries[] = [];
  for (const s of cur) {
    const p = before.get(labelSetString(s.labels));
    if (!p) continue;
    const then = new Map<number, number>();
    p.ts.forEach((t, i) => {
      then.set(t + windowMs, p.values[i] as number);
    });
    const ts: number[] = [];
    const values: number[] = [];
    s.ts.forEach((t, i) => {
      const old = then.get(t);
      if (old === undefined) return;
      ts.push(t);
      values.push((s.values[i] as number) - old);
    });
    if (ts.length > 0) out.push({ labels: s.labels, ts, values });
  }
  return out;
}
