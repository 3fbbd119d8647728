// Value formatting for charts, stats and tables, one function per dashboard unit (lib/contracts/dashboards
// UNITS). "percent" and "ratio" both take a 0..1 fraction: the provisioned dashboard and every ratio a
// PromQL division produces are fractions (thresholds 0.01, 0.8), so multiplying by 100 is the one rule
// that reads them right.
import type { UNITS } from "../../lib/contracts/dashboards";

export type TUnit = (typeof UNITS)[number];

export const UNIT_LABELS: Record<TUnit, string> = {
  short: "number",
  s: "seconds",
  ms: "milliseconds",
  bytes: "bytes (IEC)",
  percent: "percent (0–1)",
  ratio: "ratio (0–1)",
  reqps: "requests/s",
  ops: "operations/s",
};

/** Three significant digits without trailing zeros: 1.20 → "1.2", 123.4 → "123". */
function sig3(v: number): string {
  if (v === 0) return "0";
  return String(Number(v.toPrecision(3)));
}

function special(v: number | null | undefined): string | undefined {
  if (v === null || v === undefined) return "–";
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return undefined;
}

const SI = ["", "k", "M", "G", "T", "P", "E"];

/** 1234 → "1.23k", 0.5 → "0.5", 12_300_000 → "12.3M". */
export function formatShort(v: number): string {
  const s = special(v);
  if (s) return s;
  const abs = Math.abs(v);
  if (abs !== 0 && abs < 0.001) return v.toExponential(2).replace(/\.?0+e/, "e");
  let i = 0;
  let x = abs;
  while (x >= 999.5 && i < SI.length - 1) {
    x /= 1000;
    i++;
  }
  return `${v < 0 ? "-" : ""}${sig3(x)}${SI[i]}`;
}

/** Seconds as a human duration: 0.0123 → "12.3 ms", 90 → "1m 30s", 93784 → "1d 2h". */
export function formatSeconds(v: number): string {
  const s = special(v);
  if (s) return s;
  const sign = v < 0 ? "-" : "";
  const abs = Math.abs(v);
  if (abs === 0) return "0 s";
  if (abs < 1e-6) return `${sign}${sig3(abs * 1e9)} ns`;
  if (abs < 1e-3) return `${sign}${sig3(abs * 1e6)} µs`;
  if (abs < 1) return `${sign}${sig3(abs * 1e3)} ms`;
  if (abs < 60) return `${sign}${sig3(abs)} s`;
  const whole = Math.round(abs);
  const d = Math.floor(whole / 86400);
  const h = Math.floor((whole % 86400) / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = whole % 60;
  // Two largest units: beyond a minute, sub-second precision is noise.
  if (d > 0) return `${sign}${d}d${h ? ` ${h}h` : ""}`;
  if (h > 0) return `${sign}${h}h${m ? ` ${m}m` : ""}`;
  return `${sign}${m}m${sec ? ` ${sec}s` : ""}`;
}

const IEC = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/** 1536 → "1.5 KiB", 5 * 2**30 → "5 GiB". */
export function formatBytes(v: number): string {
  const s = special(v);
  if (s) return s;
  let i = 0;
  let x = Math.abs(v);
  while (x >= 1023.5 && i < IEC.length - 1) {
    x /= 1024;
    i++;
  }
  return `${v < 0 ? "-" : ""}${i === 0 ? String(Math.round(x * 100) / 100) : sig3(x)} ${IEC[i]}`;
}

/** A 0..1 fraction as a percentage: 0.1234 → "12.3%". */
export function formatPercent(v: number): string {
  const s = special(v);
  if (s) return s;
  const p = v * 100;
  return `${Math.abs(p) < 0.001 && p !== 0 ? p.toExponential(1) : sig3(p)}%`;
}

export function formatValue(v: number | null | undefined, unit: TUnit = "short"): string {
  const s = special(v);
  if (s) return s;
  const n = v as number;
  switch (unit) {
    case "s":
      return formatSeconds(n);
    case "ms":
      return formatSeconds(n / 1000);
    case "bytes":
      return formatBytes(n);
    case "percent":
    case "ratio":
      return formatPercent(n);
    case "reqps":
      return `${formatShort(n)} req/s`;
    case "ops":
      return `${formatShort(n)} ops/s`;
    default:
      return formatShort(n);
  }
}

/**
 * The unit a metric's values carry, from its metadata unit or its name's suffix (the Prometheus naming
 * convention: `_seconds`, `_bytes`, `_ratio`), after the function the query applies: rate() of a plain
 * counter is a per-second rate, rate() of a `_seconds_total` counter stays seconds (per second).
 */
export function inferUnit(
  metric: string,
  metaUnit: string,
  fn: "none" | "rate" | "increase" | "histogram_quantile",
): TUnit {
  const base = metric.replace(/_(bucket|count|sum|total|created)$/, "");
  const u = metaUnit.toLowerCase();
  const isCount = /_count$/.test(metric);
  if (!isCount) {
    if (u === "seconds" || /_seconds$/.test(base)) return "s";
    if (u === "milliseconds" || /_(ms|milliseconds)$/.test(base)) return "ms";
    if (u === "bytes" || /_bytes$/.test(base)) return "bytes";
    if (u === "ratio" || /_ratio$/.test(base)) return "ratio";
    if (u === "percent" || /_percent$/.test(base)) return "percent";
  }
  if (fn === "rate") return /request/.test(base) ? "reqps" : "ops";
  return "short";
}
