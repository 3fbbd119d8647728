// Small formatting helpers of the Alerts pages, and the rule editor's draft ⇄ rule body conversion
// (pure, unit-tested in alerts-format.test.ts).
import type { TAlertRuleSpec } from "../../lib/contracts/alerts";
import { formatDurationShort, parseDurationMs } from "../common/time-range";

/** Numbers as the alert list shows them: up to 4 significant digits, a band as "low – high". */
export function formatAlertValue(v: number | [number, number] | null | undefined): string {
  if (v === null || v === undefined) return "–";
  if (Array.isArray(v)) return `${formatAlertValue(v[0])} – ${formatAlertValue(v[1])}`;
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

/** `{a="x", b="y"}` without alertname and severity (shown elsewhere). */
export function labelsText(labels: Record<string, string>): string {
  const names = Object.keys(labels)
    .filter((k) => k !== "alertname" && k !== "severity" && k !== "__name__")
    .sort();
  return names.length === 0 ? "{}" : `{${names.map((n) => `${n}="${labels[n]}"`).join(", ")}}`;
}

export function formatSince(iso: string | null, nowMs: number): string {
  if (!iso) return "–";
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** Seconds as the editor writes them: "5m", "90s", "0". */
export function secondsText(s: number): string {
  return s === 0 ? "0" : formatDurationShort(s * 1000);
}

// ---------------------------------------------------------------------------------------------
// The rule editor's draft: every field as typed (text), converted to a rule body on the way out.

export type TRuleDraft = {
  kind: "threshold" | "rate_of_change" | "absence";
  name: string;
  query: string;
  condition: "above" | "below" | "outside" | "present";
  threshold: string;
  low: string;
  high: string;
  /** >= / <= rather than > / < (kept as the rule has it; imported rules use it). */
  inclusive: boolean;
  window: string;
  job: string;
  forText: string;
  keepFiringText: string;
  hysteresis: string;
  severity: "info" | "warning" | "critical";
  labels: string;
  summary: string;
  description: string;
  otherAnnotations: Record<string, string>;
  channels: string[];
  enabled: boolean;
};

export const EMPTY_DRAFT: TRuleDraft = {
  kind: "threshold",
  name: "",
  query: "",
  condition: "above",
  threshold: "",
  low: "",
  high: "",
  inclusive: false,
  window: "5m",
  job: ".+",
  forText: "0",
  keepFiringText: "0",
  hysteresis: "5",
  severity: "warning",
  labels: "",
  summary: "",
  description: "",
  otherAnnotations: {},
  channels: [],
  enabled: true,
};

export function draftFromRule(r: TAlertRuleSpec): TRuleDraft {
  const { summary = "", description = "", ...other } = r.annotations;
  return {
    kind: r.kind,
    name: r.name,
    query: r.query ?? "",
    condition: r.condition ?? "above",
    threshold: r.threshold === undefined ? "" : String(r.threshold),
    low: r.low === undefined ? "" : String(r.low),
    high: r.high === undefined ? "" : String(r.high),
    inclusive: r.inclusive ?? false,
    window: r.windowSeconds === undefined ? "5m" : secondsText(r.windowSeconds),
    job: r.job ?? ".+",
    forText: secondsText(r.forSeconds),
    keepFiringText: secondsText(r.keepFiringForSeconds),
    hysteresis: String(Math.round((r.hysteresis ?? 0.05) * 1000) / 10),
    severity: r.severity,
    labels: Object.entries(r.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n"),
    summary,
    description,
    otherAnnotations: other,
    channels: r.channels,
    enabled: r.enabled,
  };
}

export type TDraftProblem = { path: string; message: string };

function seconds(text: string, field: string, problems: TDraftProblem[]): number | undefined {
  const t = text.trim();
  if (t === "" || t === "0") return 0;
  const ms = parseDurationMs(t);
  if (ms === undefined) {
    problems.push({ path: field, message: `"${t}" is not a duration: write 30s, 5m, 1h…` });
    return undefined;
  }
  return ms / 1000;
}

function num(text: string, field: string, problems: TDraftProblem[]): number | undefined {
  const t = text.trim();
  if (t === "") {
    problems.push({ path: field, message: `${field} is required` });
    return undefined;
  }
  const n = Number(t);
  if (!Number.isFinite(n)) {
    problems.push({ path: field, message: `${field} must be a number, not "${t}"` });
    return undefined;
  }
  return n;
}

/**
 * The rule body for the API, and the problems found on the way (durations, numbers, label lines).
 * The server validates the rest (the query, templates, channels) and names the field.
 */
export function ruleFromDraft(d: TRuleDraft): { rule: Record<string, unknown>; problems: TDraftProblem[] } {
  const problems: TDraftProblem[] = [];
  const labels: Record<string, string> = {};
  for (const [i, line] of d.labels.split("\n").entries()) {
    if (line.trim() === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      problems.push({ path: "labels", message: `line ${i + 1}: write labels as name=value` });
      continue;
    }
    labels[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  const annotations: Record<string, string> = { ...d.otherAnnotations };
  if (d.summary.trim()) annotations.summary = d.summary;
  if (d.description.trim()) annotations.description = d.description;
  const base: Record<string, unknown> = {
    kind: d.kind,
    name: d.name,
    forSeconds: seconds(d.forText, "forSeconds", problems) ?? 0,
    keepFiringForSeconds: seconds(d.keepFiringText, "keepFiringForSeconds", problems) ?? 0,
    severity: d.severity,
    labels,
    annotations,
    channels: d.channels,
    enabled: d.enabled,
  };
  if (d.kind === "absence") return { rule: { ...base, job: d.job }, problems };
  const rule: Record<string, unknown> = { ...base, query: d.query, condition: d.condition };
  if (d.inclusive) rule.inclusive = true;
  const h = Number(d.hysteresis.trim() === "" ? "0" : d.hysteresis);
  if (!Number.isFinite(h) || h < 0 || h > 100)
    problems.push({ path: "hysteresis", message: "hysteresis is a percentage of the threshold, 0 to 100" });
  else rule.hysteresis = h / 100;
  if (d.condition === "above" || d.condition === "below") rule.threshold = num(d.threshold, "threshold", problems);
  if (d.condition === "outside") {
    rule.low = num(d.low, "low", problems);
    rule.high = num(d.high, "high", problems);
  }
  if (d.kind === "rate_of_change") {
    const w = seconds(d.window, "windowSeconds", problems);
    if (w === 0) problems.push({ path: "windowSeconds", message: "the window must be longer than 0" });
    rule.windowSeconds = w;
  }
  return { rule, problems };
}

/** Thresholds to draw on a chart: one line, two for a band, none otherwise. */
export function thresholdLines(t: number | [number, number] | null | undefined): number[] {
  if (t === null || t === undefined) return [];
  return Array.isArray(t) ? [t[0], t[1]] : [t];
}

export type TMatcherInput = { name: string; op: "=" | "!=" | "=~" | "!~"; value: string };

/** `alertname="HighLatency", route=~"/api/.*"` (braces optional) → matchers, or what is wrong. */
export function parseMatchers(text: string): { ok: true; matchers: TMatcherInput[] } | { ok: false; error: string } {
  const body = text.trim().replace(/^\{/, "").replace(/\}$/, "");
  const matchers: TMatcherInput[] = [];
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let at = 0;
  while (at < body.length) {
    re.lastIndex = at;
    const m = re.exec(body);
    if (!m)
      return { ok: false, error: `cannot read the matchers from column ${at + 1}: write name="value", name=~"regex"…` };
    matchers.push({
      name: m[1] as string,
      op: m[2] as TMatcherInput["op"],
      value: (m[3] as string).replace(/\\(.)/g, "$1"),
    });
    at = re.lastIndex;
  }
  if (matchers.length === 0) return { ok: false, error: 'write at least one matcher, such as alertname="HighLatency"' };
  return { ok: true, matchers };
}
