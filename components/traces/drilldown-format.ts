// Pure helpers of the drill-down pages (no React): time ranges as the URL holds them, links that carry
// them, and number formats. The query hooks import these too.
import type { TSpanCategory } from "../../lib/contracts/drilldown";

export const CATEGORY_LABELS: Record<TSpanCategory, string> = {
  http: "HTTP / server",
  db: "Database",
  cache: "Cache",
  internal: "Internal / other",
};

// ---------------------------------------------------------------- time ranges

export const RANGE_PRESETS = [
  { value: "15m", label: "Last 15 minutes", ms: 15 * 60_000 },
  { value: "1h", label: "Last hour", ms: 3_600_000 },
  { value: "6h", label: "Last 6 hours", ms: 6 * 3_600_000 },
  { value: "24h", label: "Last 24 hours", ms: 24 * 3_600_000 },
  { value: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
  { value: "30d", label: "Last 30 days", ms: 30 * 86_400_000 },
] as const;
export const DEFAULT_RANGE = "1h";

/**
 * A range as the URL holds it: a preset relative to now (`range=1h`), or absolute Unix ms
 * (`start=…&end=…`, what a link to a past trace or a zoom carries). Relative ranges are resolved at
 * fetch time, so query keys stay stable while "now" moves.
 */
export type TRangeParam = { range: string } | { start: number; end: number };

export function rangeFromParams(params: URLSearchParams): TRangeParam {
  const start = Number(params.get("start"));
  const end = Number(params.get("end"));
  if (params.get("start") && params.get("end") && Number.isFinite(start) && Number.isFinite(end) && start < end) {
    return { start, end };
  }
  const r = params.get("range");
  return { range: RANGE_PRESETS.some((p) => p.value === r) ? (r as string) : DEFAULT_RANGE };
}

export function resolveRangeParam(r: TRangeParam, now = Date.now()): { start: number; end: number } {
  if ("start" in r) return { start: r.start, end: r.end };
  const preset = RANGE_PRESETS.find((p) => p.value === r.range) ?? RANGE_PRESETS[1];
  return { start: now - preset.ms, end: now };
}

/** URL query entries for a range (for links and for API calls after resolving). */
export function rangeEntries(r: TRangeParam): Record<string, string> {
  return "start" in r ? { start: String(r.start), end: String(r.end) } : { range: r.range };
}

/** An absolute range of ±`halfMs` around a moment, or the preset when the moment is recent enough. */
export function rangeAround(ms: number, halfMs = 30 * 60_000, now = Date.now()): TRangeParam {
  if (now - ms < 50 * 60_000) return { range: DEFAULT_RANGE };
  return { start: Math.floor(ms - halfMs), end: Math.ceil(Math.min(now, ms + halfMs)) };
}

export function apiQuery(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  return u.toString();
}

// ---------------------------------------------------------------- links

export type TTraceFilters = {
  service?: string | null;
  route?: string | null;
  operation?: string | null;
  status?: string | null;
  minDurationMs?: number | string | null;
  attr?: string | null;
  fingerprint?: string | null;
  kind?: string | null;
};

export function tracesHref(f: TTraceFilters, range?: TRangeParam): string {
  const qs = apiQuery({ ...f, ...(range ? rangeEntries(range) : {}) });
  return qs ? `/traces?${qs}` : "/traces";
}

export const traceHref = (traceId: string, spanId?: string) =>
  `/traces/${traceId}${spanId ? `?${apiQuery({ span: spanId })}` : ""}`;

export function queryHref(fingerprint: string, range?: TRangeParam): string {
  const qs = range ? apiQuery(rangeEntries(range)) : "";
  return `/queries/${fingerprint}${qs ? `?${qs}` : ""}`;
}

export function servicesHref(range?: TRangeParam): string {
  const qs = range ? apiQuery(rangeEntries(range)) : "";
  return `/services${qs ? `?${qs}` : ""}`;
}

// ---------------------------------------------------------------- formats

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms === 0) return "0 ms";
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** Axis ticks: whole units, short. */
export function formatMsTick(ms: number): string {
  if (ms === 0) return "0";
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${Number(ms.toPrecision(3))} ms`;
  return `${Number((ms / 1000).toPrecision(3))} s`;
}

export function formatNumber(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  return n.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatRate(perSec: number | null | undefined): string {
  if (perSec === null || perSec === undefined || !Number.isFinite(perSec)) return "–";
  if (perSec === 0) return "0/s";
  if (perSec < 0.1) return `${(perSec * 60).toFixed(2)}/min`;
  return `${perSec < 10 ? perSec.toFixed(2) : perSec.toFixed(1)}/s`;
}

export function formatPct(ratio0to1: number | null | undefined, digits = 1): string {
  if (ratio0to1 === null || ratio0to1 === undefined || !Number.isFinite(ratio0to1)) return "–";
  return `${(ratio0to1 * 100).toFixed(digits)} %`;
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

export function formatClock(ms: number, spanMs: number): string {
  const d = new Date(ms);
  if (spanMs > 2 * 86_400_000) return d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  return d.toLocaleTimeString(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    ...(spanMs < 3_600_000 ? { second: "2-digit" } : {}),
  });
}
