// Time ranges as the URL and dashboards store them: Grafana-style expressions ("now-1h", "now") or
// absolute instants (ISO 8601 or Unix milliseconds), resolved to milliseconds only when a query runs,
// so a relative range keeps sliding and its query key stays stable.

export type TTimeRange = { from: string; to: string };

export const RANGE_PRESETS = [
  { from: "now-5m", label: "Last 5 minutes", short: "5 min" },
  { from: "now-15m", label: "Last 15 minutes", short: "15 min" },
  { from: "now-1h", label: "Last 1 hour", short: "1 h" },
  { from: "now-6h", label: "Last 6 hours", short: "6 h" },
  { from: "now-24h", label: "Last 24 hours", short: "24 h" },
  { from: "now-7d", label: "Last 7 days", short: "7 d" },
  { from: "now-30d", label: "Last 30 days", short: "30 d" },
] as const;

export const DEFAULT_RANGE: TTimeRange = { from: "now-1h", to: "now" };

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** "1h30m" → 5 400 000; undefined for anything else. Units: ms, s, m, h, d, w, y. */
export function parseDurationMs(s: string): number | undefined {
  const text = s.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return total;
}

/** A duration in PromQL's notation, largest unit that divides it: 90 000 → "90s", 3 600 000 → "1h". */
export function formatDurationShort(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * "now", "now-1h", "now+5m", "now-1h30m", an ISO 8601 date, or Unix time (milliseconds; 10-digit values
 * are taken as seconds, as Prometheus writes them) → milliseconds; undefined when unreadable.
 */
export function parseTimeExpr(expr: string, nowMs: number): number | undefined {
  const s = expr.trim();
  if (s === "now") return nowMs;
  const rel = /^now\s*([+-])\s*(\S+)$/.exec(s);
  if (rel) {
    const d = parseDurationMs(rel[2] as string);
    if (d === undefined) return undefined;
    return rel[1] === "-" ? nowMs - d : nowMs + d;
  }
  if (/^\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  // Bare dates only: Date.parse would accept "5" or "now-1x" in some engines.
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

export type TResolvedRange = { start: number; end: number };

export function resolveRange(range: TTimeRange, nowMs: number): TResolvedRange | undefined {
  const start = parseTimeExpr(range.from, nowMs);
  const end = parseTimeExpr(range.to, nowMs);
  if (start === undefined || end === undefined || end <= start) return undefined;
  return { start, end };
}

/** A range that ends now: it slides, so live updates and polling make sense for it. */
export function isRelativeRange(range: TTimeRange): boolean {
  return range.to.trim() === "now" && range.from.trim().startsWith("now");
}

/** The range's length without resolving "now" twice (which could differ by a millisecond). */
export function rangeDurationMs(range: TTimeRange): number | undefined {
  const r = resolveRange(range, 0);
  return r ? r.end - r.start : undefined;
}

/** Prometheus refuses more than 11 000 points per series; Hotpath keeps the same ceiling. */
export const MAX_POINTS = 11_000;
export const MIN_STEP_MS = 15_000;
const NICE_STEPS_MS = [
  15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000,
  43_200_000, 86_400_000,
];

/**
 * The query step for a range drawn `widthPx` wide: about one point per two pixels, never finer than
 * 15 s (the usual scrape interval: finer only repeats samples), never more than 11 000 points, rounded up
 * to a round step so neighbouring ranges share their steps and their cache entries.
 */
export function chooseStepMs(durationMs: number, widthPx = 1_000): number {
  const target = Math.max(1, Math.floor(widthPx / 2));
  const raw = Math.max(durationMs / target, MIN_STEP_MS, durationMs / MAX_POINTS);
  const nice = NICE_STEPS_MS.find((s) => s >= raw);
  return nice ?? Math.ceil(raw / 86_400_000) * 86_400_000;
}

export function presetLabel(range: TTimeRange): string | undefined {
  if (range.to !== "now") return undefined;
  return RANGE_PRESETS.find((p) => p.from === range.from)?.label;
}

/** "Last 1 hour", "now-2h to now", or "12 May 10:00 → 12 May 11:30" for absolute ranges. */
export function describeRange(range: TTimeRange): string {
  const preset = presetLabel(range);
  if (preset) return preset;
  if (isRelativeRange(range)) return `${range.from} to now`;
  const r = resolveRange(range, Date.now());
  if (!r) return `${range.from} → ${range.to}`;
  const fmt = (ms: number) =>
    new Date(ms).toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  return `${fmt(r.start)} → ${fmt(r.end)}`;
}

/** An absolute range as the URL keeps it: ISO instants, readable in a shared link. */
export function absoluteRange(startMs: number, endMs: number): TTimeRange {
  return { from: new Date(Math.round(startMs)).toISOString(), to: new Date(Math.round(endMs)).toISOString() };
}

/** `<input type="datetime-local">` speaks local wall-clock time without a zone. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return undefined;
  const t = new Date(value).getTime();
  return Number.isNaN(t) ? undefined : t;
}
