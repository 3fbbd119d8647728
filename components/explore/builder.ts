// The query builder's model and its PromQL. The builder only writes a few shapes (selector, rate or
// increase of it, an aggregation around that, a histogram quantile), and parsePromQL reads exactly those
// shapes back, so the URL needs to hold nothing but the PromQL text: builder ↔ text is lossless for what
// the builder makes, and anything else stays in text mode.
import type { TPromMetricMetadata } from "../../lib/contracts/prom";

export const AGGREGATIONS = ["none", "sum", "avg", "min", "max", "count"] as const;
export type TAggregation = (typeof AGGREGATIONS)[number];
export const FUNCTIONS = ["none", "rate", "increase", "histogram_quantile"] as const;
export type TFunction = (typeof FUNCTIONS)[number];
export const MATCH_OPS = ["=", "!=", "=~", "!~"] as const;
export type TMatchOp = (typeof MATCH_OPS)[number];
export const RATE_WINDOWS = ["1m", "5m", "15m", "1h"] as const;

export type TMatcher = { label: string; op: TMatchOp; value: string };
export type TBuilder = {
  metric: string;
  matchers: TMatcher[];
  fn: TFunction;
  /** The range of rate()/increase(), a PromQL duration. */
  window: string;
  /** For histogram_quantile, 0..1. */
  quantile: number;
  agg: TAggregation;
  by: string[];
};

export const EMPTY_BUILDER: TBuilder = {
  metric: "",
  matchers: [],
  fn: "none",
  window: "1m",
  quantile: 0.95,
  agg: "none",
  by: [],
};

const HISTOGRAM_SUFFIX = /_(bucket|count|sum)$/;

export function bucketName(metric: string): string {
  return metric.endsWith("_bucket") ? metric : `${metric.replace(HISTOGRAM_SUFFIX, "")}_bucket`;
}

function quote(s: string): string {
  // PromQL double-quoted strings take Go escapes; JSON's are a subset of them.
  return JSON.stringify(s);
}

function selector(metric: string, matchers: TMatcher[]): string {
  const used = matchers.filter((m) => m.label && (m.value !== "" || m.op === "!=" || m.op === "="));
  if (used.length === 0) return metric;
  return `${metric}{${used.map((m) => `${m.label}${m.op}${quote(m.value)}`).join(", ")}}`;
}

export function toPromQL(b: TBuilder): string {
  if (!b.metric) return "";
  if (b.fn === "histogram_quantile") {
    const by = ["le", ...b.by.filter((l) => l !== "le")].join(", ");
    return `histogram_quantile(${b.quantile}, sum by (${by}) (rate(${selector(bucketName(b.metric), b.matchers)}[${b.window}])))`;
  }
  const sel = selector(b.metric, b.matchers);
  const inner = b.fn === "rate" || b.fn === "increase" ? `${b.fn}(${sel}[${b.window}])` : sel;
  if (b.agg === "none") return inner;
  return b.by.length > 0 ? `${b.agg} by (${b.by.join(", ")}) (${inner})` : `${b.agg}(${inner})`;
}

// A metric name and optional matchers; strings may hold any character, escaped as in Go.
const STR = String.raw`"(?:[^"\\]|\\.)*"`;
const SEL = String.raw`[a-zA-Z_:][a-zA-Z0-9_:]*(?:\s*\{(?:[^}"]|${STR})*\})?`;
const DUR = String.raw`\d+(?:ms|s|m|h|d|w|y)`;
const LABEL_LIST = String.raw`[a-zA-Z_][a-zA-Z0-9_]*(?:\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*)*`;

function parseSelector(text: string): { metric: string; matchers: TMatcher[] } | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?$/s.exec(text.trim());
  if (!m) return undefined;
  const matchers: TMatcher[] = [];
  let rest = (m[2] ?? "").trim();
  const one = new RegExp(String.raw`^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(${STR})\s*(?:,\s*)?`, "s");
  while (rest) {
    const mm = one.exec(rest);
    if (!mm) return undefined;
    let value: string;
    try {
      value = JSON.parse(mm[3] as string) as string;
    } catch {
      return undefined;
    }
    matchers.push({ label: mm[1] as string, op: mm[2] as TMatchOp, value });
    rest = rest.slice(mm[0].length).trim();
  }
  return { metric: m[1] as string, matchers };
}

function splitLabels(list: string | undefined): string[] {
  return (list ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The builder state that writes `expr`, or undefined when `expr` is not one of the builder's shapes. */
export function parsePromQL(expr: string): TBuilder | undefined {
  const s = expr.trim();
  if (!s) return { ...EMPTY_BUILDER };

  const hq = new RegExp(
    String.raw`^histogram_quantile\(\s*([0-9]*\.?[0-9]+)\s*,\s*sum\s+by\s*\(\s*(${LABEL_LIST})\s*\)\s*\(\s*rate\(\s*(${SEL})\s*\[(${DUR})\]\s*\)\s*\)\s*\)$`,
    "s",
  ).exec(s);
  if (hq) {
    const sel = parseSelector(hq[3] as string);
    const by = splitLabels(hq[2]);
    if (!sel || !by.includes("le")) return undefined;
    return {
      ...EMPTY_BUILDER,
      metric: sel.metric,
      matchers: sel.matchers,
      fn: "histogram_quantile",
      quantile: Number(hq[1]),
      window: hq[4] as string,
      by: by.filter((l) => l !== "le"),
    };
  }

  let agg: TAggregation = "none";
  let by: string[] = [];
  let inner = s;
  const ag = new RegExp(
    String.raw`^(sum|avg|min|max|count)\s*(?:by\s*\(\s*(${LABEL_LIST})?\s*\)\s*)?\((.*)\)$`,
    "s",
  ).exec(s);
  if (ag) {
    agg = ag[1] as TAggregation;
    by = splitLabels(ag[2]);
    inner = (ag[3] as string).trim();
  }

  const fn = new RegExp(String.raw`^(rate|increase)\(\s*(${SEL})\s*\[(${DUR})\]\s*\)$`, "s").exec(inner);
  if (fn) {
    const sel = parseSelector(fn[2] as string);
    if (!sel) return undefined;
    return { ...EMPTY_BUILDER, ...sel, fn: fn[1] as TFunction, window: fn[3] as string, agg, by };
  }
  const sel = parseSelector(inner);
  if (!sel) return undefined;
  return { ...EMPTY_BUILDER, ...sel, agg, by };
}

export type TMetricInfo = { name: string; type: string; help: string; unit: string };

/**
 * Metric names with their metadata. Histograms are described under their base name while their series
 * are `_bucket`, `_count` and `_sum`; counters may be described with or without `_total`: both are
 * looked up. A histogram's base name is listed too, so picking it builds a quantile.
 */
export function buildCatalog(names: string[], metadata: Record<string, TPromMetricMetadata[]>): TMetricInfo[] {
  const out = new Map<string, TMetricInfo>();
  for (const name of names) {
    const exact = metadata[name]?.[0];
    const base = name.replace(/_(bucket|count|sum|total|created)$/, "");
    const meta = exact ?? metadata[base]?.[0];
    let type = meta?.type ?? "";
    if (!exact && (type === "histogram" || type === "summary") && /_(count|sum)$/.test(name)) type = "counter";
    out.set(name, { name, type, help: meta?.help ?? "", unit: meta?.unit ?? "" });
  }
  for (const [name, list] of Object.entries(metadata)) {
    const meta = list[0];
    if (!meta || out.has(name)) continue;
    if (meta.type === "histogram" && !names.includes(`${name}_bucket`)) continue;
    if (meta.type !== "histogram" && names.length > 0) continue;
    out.set(name, { name, type: meta.type, help: meta.help, unit: meta.unit });
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Name matches first (prefix before substring), then help-text matches. */
export function searchCatalog(catalog: TMetricInfo[], query: string, limit = 200): TMetricInfo[] {
  const q = query.trim().toLowerCase();
  if (!q) return catalog.slice(0, limit);
  const scored: [number, TMetricInfo][] = [];
  for (const m of catalog) {
    const name = m.name.toLowerCase();
    const score = name.startsWith(q) ? 0 : name.includes(q) ? 1 : m.help.toLowerCase().includes(q) ? 2 : -1;
    if (score >= 0) scored.push([score, m]);
  }
  return scored
    .sort((a, b) => a[0] - b[0] || a[1].name.localeCompare(b[1].name))
    .slice(0, limit)
    .map(([, m]) => m);
}

export function isHistogram(info: TMetricInfo | undefined, metric: string): boolean {
  return info?.type === "histogram" || (metric.endsWith("_bucket") && info?.type !== "gauge");
}

/** Functions that make sense for a metric of this type. */
export function functionsFor(info: TMetricInfo | undefined, metric: string): TFunction[] {
  if (isHistogram(info, metric))
    return metric.endsWith("_bucket") ? ["histogram_quantile", "rate", "none"] : ["histogram_quantile"];
  switch (info?.type) {
    case "counter":
      return ["rate", "increase", "none"];
    case "gauge":
      return ["none"];
    default:
      return /_total$|_count$|_sum$/.test(metric) ? ["rate", "increase", "none"] : ["none", "rate", "increase"];
  }
}

/** A fresh builder for a picked metric: rate() for counters, p95 for histograms, the raw gauge otherwise. */
export function builderForMetric(info: TMetricInfo | undefined, metric: string, keep?: TBuilder): TBuilder {
  const fn = functionsFor(info, metric)[0] ?? "none";
  return {
    ...EMPTY_BUILDER,
    window: keep?.window ?? EMPTY_BUILDER.window,
    quantile: keep?.quantile ?? EMPTY_BUILDER.quantile,
    metric,
    fn,
  };
}
