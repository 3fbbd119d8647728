// What the API and the Socket.IO room send: alert instances as the UI shows them, rules with their
// health, and the Prometheus-compatible shapes of /api/v1/rules and /api/v1/alerts.
import type { TAlertRuleView, TAlertView } from "../../lib/contracts/alerts";
import type { TRuleHealth } from "./evaluator";
import type { TLabels } from "./labels";
import { alertFromInstance, chartUrl } from "./notify";
import type { TRuleRow } from "./queries";
import type { TStoredAlertRule } from "./rules";
import { silencedBy, type TSilence } from "./silences";
import type { TAlertInstance } from "./state";
import { formatGoFloat } from "./template";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The alert's labels, annotations and chart link, for any state: a pending alert is shown as it will
 * be sent once it fires, rendered with its latest value.
 */
export function outgoingOf(instance: TAlertInstance, rule: TStoredAlertRule, externalURL = "") {
  const shown =
    instance.state === "firing" || instance.state === "resolved"
      ? instance
      : { ...instance, state: "firing" as const, triggerValue: instance.lastValue };
  const alert = alertFromInstance(shown, rule, { externalURL });
  if (alert) return alert;
  // Unreachable (firing and resolved always give an alert); kept total for the type checker.
  return {
    labels: { ...instance.labels, alertname: rule.name, severity: rule.severity },
    annotations: {},
    startsAtMs: instance.activeAt ?? instance.lastEvalMs,
    endsAtMs: null,
    generatorURL: chartUrl(externalURL, rule.kind === "absence" ? "" : rule.query, null),
  };
}

export function alertView(
  instance: TAlertInstance,
  rule: TStoredAlertRule,
  silences: TSilence[],
  nowMs: number,
): TAlertView {
  const out = outgoingOf(instance, rule);
  const by = instance.state === "firing" || instance.state === "pending" ? silencedBy(out.labels, silences, nowMs) : [];
  const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);
  return {
    key: instance.key,
    ruleId: rule.id,
    ruleName: rule.name,
    severity: rule.severity,
    state: instance.state,
    labels: out.labels,
    annotations: out.annotations,
    value: finite(instance.lastValue),
    triggerValue: finite(instance.triggerValue),
    threshold: instance.threshold ?? null,
    activeAt: iso(instance.activeAt),
    firedAt: iso(instance.firedAt),
    resolvedAt: iso(instance.resolvedAt),
    silenced: by.length > 0,
    silencedBy: by.map((s) => s.id),
    chartUrl: out.generatorURL,
  };
}

export function ruleView(
  row: TRuleRow,
  health: TRuleHealth | undefined,
  counts: { firing: number; pending: number },
): TAlertRuleView {
  const { id: _id, ...rule } = row.rule;
  return {
    id: row.id,
    source: row.source,
    readOnly: row.source === "file",
    file: row.file,
    version: row.version,
    rule,
    health: health?.health ?? "unknown",
    lastError: health?.lastError ?? null,
    lastEvaluation: iso(health?.lastEvaluationMs ?? null),
    firing: counts.firing,
    pending: counts.pending,
    updatedAt: row.updatedAt.toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// Prometheus-compatible shapes

/** Prometheus writes alert values with strconv.FormatFloat(v, 'e', -1, 64). */
export function promValue(v: number | null): string {
  if (v === null) return "";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  const s = v.toExponential();
  // JS writes 1e+0; Go writes 1e+00.
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

/** The rule's condition written as the PromQL Prometheus would run: `(query) > 0.5`. */
export function promExpr(rule: TStoredAlertRule): string {
  if (rule.kind === "absence") return `absent_over_time({job=~${JSON.stringify(rule.job)}}[${rule.forSeconds}s])`;
  const q =
    rule.kind === "rate_of_change" ? `(${rule.query}) - (${rule.query}) offset ${rule.windowSeconds}s` : rule.query;
  const num = (n: number | undefined) => formatGoFloat(n ?? 0);
  const inc = rule.inclusive ? "=" : "";
  switch (rule.condition) {
    case "above":
      return `(${q}) >${inc} ${num(rule.threshold)}`;
    case "below":
      return `(${q}) <${inc} ${num(rule.threshold)}`;
    case "outside":
      return `(${q}) <${inc} ${num(rule.low)} or (${q}) >${inc} ${num(rule.high)}`;
    case "present":
      return q;
  }
}

export type TPromAlert = {
  labels: TLabels;
  annotations: Record<string, string>;
  state: "pending" | "firing";
  activeAt: string;
  value: string;
  keepFiringSince?: string;
};

export function promAlert(instance: TAlertInstance, rule: TStoredAlertRule): TPromAlert | undefined {
  if (instance.state !== "pending" && instance.state !== "firing") return undefined;
  const out = outgoingOf(instance, rule);
  const a: TPromAlert = {
    labels: out.labels,
    annotations: out.annotations,
    state: instance.state,
    activeAt: iso(instance.activeAt ?? instance.lastEvalMs) as string,
    value: promValue(instance.lastValue),
  };
  if (instance.keepFiringSince !== null) a.keepFiringSince = iso(instance.keepFiringSince) as string;
  return a;
}

export function promRule(
  row: TRuleRow,
  alerts: TPromAlert[],
  health: TRuleHealth | undefined,
): Record<string, unknown> {
  const rule = row.rule;
  const state = alerts.some((a) => a.state === "firing")
    ? "firing"
    : alerts.some((a) => a.state === "pending")
      ? "pending"
      : "inactive";
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(rule.annotations)) annotations[k] = v;
  const labels: TLabels = { ...rule.labels, severity: rule.severity };
  const out: Record<string, unknown> = {
    state,
    name: rule.name,
    query: promExpr(rule),
    duration: rule.forSeconds,
    keepFiringFor: rule.keepFiringForSeconds,
    labels,
    annotations,
    alerts,
    health: health?.health ?? "unknown",
    evaluationTime: (health?.durationMs ?? 0) / 1000,
    lastEvaluation: iso(health?.lastEvaluationMs ?? null) ?? "0001-01-01T00:00:00Z",
    type: "alerting",
  };
  if (health?.lastError) out.lastError = health.lastError;
  return out;
}
