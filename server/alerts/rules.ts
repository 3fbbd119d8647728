// Alert rules: the schema every rule passes (API bodies, provisioned defaults, imported Prometheus
// rule files), the default rules for the agent's metric conventions, and the conversion of a parsed
// Prometheus rule file into Hotpath rules. Queries are checked with Hotpath's own PromQL parser, so a
// rule that saves is a rule the engine can run.
import { z } from "zod";
import { isComparison, type TExpr, unwrapParens } from "../query/promql/ast";
import {
  compileAnchored,
  parsePromDuration as parseDurationMs,
  parse as parsePromQL,
  typeOf,
} from "../query/promql/parse";
import { LABEL_NAME_RE } from "./labels";
import { type TThresholdValue, validateTemplate } from "./template";

export const SEVERITIES = ["info", "warning", "critical"] as const;
export const RULE_KINDS = ["threshold", "absence", "rate_of_change"] as const;
export const CONDITIONS = ["above", "below", "outside", "present"] as const;

/** Label names the alert itself sets: `alertname` from the rule name, `severity` from its field. */
const RESERVED_LABELS = new Set(["alertname", "severity"]);

const numberField = (field: string) =>
  z.number({ error: (iss) => (iss.input === undefined ? `${field} is required` : `${field} must be a number`) });

const secondsField = (field: string) =>
  z
    .number({ error: `${field} must be a number of seconds` })
    .min(0, `${field} must be 0 or more seconds`)
    .max(366 * 86_400, `${field} must be at most a year`);

const stringMap = (what: string) =>
  z.record(z.string(), z.string({ error: `${what} values must be strings` }), {
    error: `${what} must be an object of name → text`,
  });

const base = {
  id: z.string({ error: "id must be a string" }).min(1, "id must not be empty").optional(),
  name: z
    .string({ error: (iss) => (iss.input === undefined ? "name is required" : "name must be a string") })
    .trim()
    .min(1, "name must not be empty")
    .max(200, "name must be at most 200 characters"),
  forSeconds: secondsField("forSeconds").default(0),
  keepFiringForSeconds: secondsField("keepFiringForSeconds").default(0),
  severity: z.enum(SEVERITIES, { error: 'severity must be "info", "warning" or "critical"' }).default("warning"),
  labels: stringMap("labels").default({}),
  /** Templates (see template.ts); `summary` and `description` by convention. */
  annotations: stringMap("annotations").default({}),
  enabled: z.boolean({ error: "enabled must be true or false" }).default(true),
  channels: z
    .array(z.string({ error: "a channel id must be a string" }).min(1, "a channel id must not be empty"), {
      error: "channels must be a list of channel ids",
    })
    .default([]),
};

const valued = {
  query: z
    .string({ error: (iss) => (iss.input === undefined ? "query is required" : "query must be a string") })
    .trim()
    .min(1, "query must not be empty"),
  condition: z.enum(CONDITIONS, { error: 'condition must be "above", "below", "outside" or "present"' }),
  /** For above / below. */
  threshold: numberField("threshold").optional(),
  /** For outside: the rule fires below `low` or above `high`. */
  low: numberField("low").optional(),
  high: numberField("high").optional(),
  /** `>=` / `<=` rather than `>` / `<` (imported rules keep their operator). */
  inclusive: z.boolean({ error: "inclusive must be true or false" }).default(false),
  hysteresis: z
    .number({ error: "hysteresis must be a number" })
    .min(0, "hysteresis must be between 0 and 1 (a fraction of the threshold)")
    .max(1, "hysteresis must be between 0 and 1 (a fraction of the threshold)")
    .default(0.05),
};

const ZThresholdRuleSchema = z.object({ kind: z.literal("threshold"), ...base, ...valued });

const ZRateOfChangeRuleSchema = z.object({
  kind: z.literal("rate_of_change"),
  ...base,
  ...valued,
  /** The value compared is query(now) − query(now − window). */
  windowSeconds: z
    .number({
      error: (iss) => (iss.input === undefined ? "windowSeconds is required" : "windowSeconds must be a number"),
    })
    .positive("windowSeconds must be more than 0")
    .max(86_400 * 31, "windowSeconds must be at most 31 days"),
});

const ZAbsenceRuleSchema = z.object({
  kind: z.literal("absence"),
  ...base,
  /** Full-match regex on the `job` label (`.+` = every job), anchored as PromQL anchors it. */
  job: z
    .string({ error: (iss) => (iss.input === undefined ? "job is required" : "job must be a string") })
    .min(1, "job must not be empty: use .+ for every job"),
});

export const ZAlertRuleSchema = z
  .discriminatedUnion("kind", [ZThresholdRuleSchema, ZRateOfChangeRuleSchema, ZAbsenceRuleSchema], {
    error: 'kind must be "threshold", "absence" or "rate_of_change"',
  })
  .superRefine((rule, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });

    for (const [name, value] of Object.entries(rule.labels)) {
      // Label values are templates too (Prometheus expands them), e.g. team: "{{ $labels.team }}".
      const check = validateTemplate(value);
      if (!check.ok) for (const p of check.errors) issue(["labels", name], p.message);
      if (!LABEL_NAME_RE.test(name))
        issue(["labels", name], `label name "${name}" must match [a-zA-Z_][a-zA-Z0-9_]* (letters, digits, _)`);
      else if (name.startsWith("__")) issue(["labels", name], `label names starting with __ are reserved`);
      else if (RESERVED_LABELS.has(name))
        issue(
          ["labels", name],
          name === "severity" ? "set severity with the severity field" : "alertname is the rule's name",
        );
    }
    for (const [name, text] of Object.entries(rule.annotations)) {
      if (!LABEL_NAME_RE.test(name)) {
        issue(["annotations", name], `annotation name "${name}" must match [a-zA-Z_][a-zA-Z0-9_]*`);
        continue;
      }
      const check = validateTemplate(text);
      if (!check.ok) for (const p of check.errors) issue(["annotations", name], p.message);
    }

    if (rule.kind === "absence") {
      const re = compileAnchored(rule.job);
      if (!re.ok) issue(["job"], `job is not a valid regular expression: ${re.message}`);
      return;
    }

    // An empty query already has its own message.
    const parsed = rule.query === "" ? { ok: true as const, expr: undefined } : parsePromQL(rule.query);
    if (!parsed.ok) issue(["query"], `query is not valid PromQL: ${parsed.error.message}`);
    else if (parsed.expr) {
      const type = typeOf(parsed.expr);
      if (type !== "vector" && type !== "scalar")
        issue(
          ["query"],
          `query must return an instant vector or a scalar, not a ${type === "matrix" ? "range vector" : type}`,
        );
    }

    const has = (k: "threshold" | "low" | "high") => rule[k] !== undefined;
    switch (rule.condition) {
      case "above":
      case "below":
        if (!has("threshold")) issue(["threshold"], `threshold is required when condition is ${rule.condition}`);
        for (const k of ["low", "high"] as const)
          if (has(k)) issue([k], `${k} is only for condition outside; use threshold with ${rule.condition}`);
        break;
      case "outside":
        if (!has("low")) issue(["low"], "low is required when condition is outside");
        if (!has("high")) issue(["high"], "high is required when condition is outside");
        if (has("threshold")) issue(["threshold"], "condition outside takes low and high, not threshold");
        if (rule.low !== undefined && rule.high !== undefined && !(rule.low < rule.high))
          issue(["high"], `high (${rule.high}) must be more than low (${rule.low})`);
        break;
      case "present":
        if (rule.kind === "rate_of_change")
          issue(["condition"], "condition present is only for threshold rules: a change always has a value");
        for (const k of ["threshold", "low", "high"] as const)
          if (has(k)) issue([k], `condition present fires on any returned series and takes no ${k}`);
        break;
    }
  });

export type TAlertRuleInput = z.input<typeof ZAlertRuleSchema>;
export type TAlertRule = z.output<typeof ZAlertRuleSchema>;
export type TThresholdRule = Extract<TAlertRule, { kind: "threshold" }>;
export type TRateOfChangeRule = Extract<TAlertRule, { kind: "rate_of_change" }>;
export type TAbsenceRule = Extract<TAlertRule, { kind: "absence" }>;
/** A rule as stored: the id is set. What the state machine and notifier take. */
export type TStoredAlertRule = TAlertRule & { id: string };
export type TSeverity = (typeof SEVERITIES)[number];
export type TCondition = (typeof CONDITIONS)[number];

export type TFieldError = { path: string; message: string };
export type TRuleValidation = { ok: true; rule: TAlertRule } | { ok: false; errors: TFieldError[] };

/** `["groups", 0, "rules", 2, "for"]` → `groups[0].rules[2].for`; odd keys are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(seg))) out += out === "" ? String(seg) : `.${String(seg)}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

export function validateRule(input: unknown): TRuleValidation {
  const r = ZAlertRuleSchema.safeParse(input);
  if (r.success) return { ok: true, rule: r.data };
  return { ok: false, errors: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
}

/** The threshold as the state machine, templates and chart links use it. */
export function ruleThreshold(rule: TAlertRule): TThresholdValue {
  if (rule.kind === "absence") return null;
  if (rule.condition === "outside") return [rule.low ?? 0, rule.high ?? 0];
  if (rule.condition === "present") return null;
  return rule.threshold ?? null;
}

// ---------------------------------------------------------------------------------------------
// Durations

export type TDurationResult = { ok: true; seconds: number } | { ok: false; message: string };

/**
 * Prometheus durations (`1h30m`, `5m`, `10s`, `500ms`, `1d`, `0`) in seconds. A bare number is only
 * accepted for 0, as Prometheus does: `for: 300` is almost always a forgotten unit.
 */
export function parsePromDuration(input: string | number): TDurationResult {
  if (typeof input === "number") {
    if (input === 0) return { ok: true, seconds: 0 };
    return { ok: false, message: `${input} has no unit: write it as ${input}s, ${input}m…` };
  }
  const text = input.trim();
  const r = parseDurationMs(text);
  if (!r.ok) {
    if (text === "") return { ok: false, message: "empty duration: write one such as 30s, 5m or 1h30m" };
    return { ok: false, message: `"${text}" is not a duration: write one such as 30s, 5m, 1h30m or 500ms` };
  }
  return { ok: true, seconds: r.ms / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Defaults for the agent's conventions (README "Conventions"). Quiet on purpose: each ratio needs a
// minimum of traffic, every rule holds for minutes, so a fresh install does not page on noise.

const HTTP_COUNT = "http_server_request_duration_seconds_count";
const CACHE = "cache_requests_total";

export function defaultRules(): TStoredAlertRule[] {
  const rules: TAlertRuleInput[] = [
    {
      id: "default-http-error-ratio",
      kind: "threshold",
      name: "HttpErrorRatioHigh",
      query:
        `(sum by (service, route) (rate(${HTTP_COUNT}{status=~"5.."}[5m])) / sum by (service, route) (rate(${HTTP_COUNT}[5m])))` +
        ` and sum by (service, route) (rate(${HTTP_COUNT}[5m])) > 0.1`,
      condition: "above",
      threshold: 0.05,
      forSeconds: 120,
      severity: "critical",
      annotations: {
        summary: "{{ humanizePercentage $value }} of requests to {{ $labels.route }} fail with 5xx",
        description:
          "More than {{ humanizePercentage $threshold }} of {{ $labels.route }} requests returned a 5xx status over the last 5 minutes (routes under 0.1 req/s are not checked).",
      },
    },
    {
      id: "default-http-latency-p95",
      kind: "threshold",
      name: "HttpLatencyP95High",
      query:
        "histogram_quantile(0.95, sum by (le, route, service) (rate(http_server_request_duration_seconds_bucket[5m])))",
      condition: "above",
      threshold: 1,
      forSeconds: 300,
      severity: "warning",
      annotations: {
        summary: "p95 latency of {{ $labels.route }} is {{ humanizeDuration $value }}",
        description:
          "95th percentile latency of {{ $labels.route }} has been above {{ humanizeDuration $threshold }} for 5 minutes.",
      },
    },
    {
      id: "default-cache-hit-ratio",
      kind: "threshold",
      name: "CacheHitRatioLow",
      // 1 − misses/lookups rather than hits/lookups: a cache that never hit has no hit series at all.
      query:
        `(1 - (sum by (cache, level) (rate(${CACHE}{result="miss"}[5m])) / sum by (cache, level) (rate(${CACHE}{result=~"hit|miss"}[5m]))))` +
        ` and sum by (cache, level) (rate(${CACHE}{result=~"hit|miss"}[5m])) > 1`,
      condition: "below",
      threshold: 0.8,
      forSeconds: 600,
      severity: "warning",
      annotations: {
        summary: "{{ $labels.cache }} ({{ $labels.level }}) hit ratio is {{ humanizePercentage $value }}",
        description:
          "The {{ $labels.level }} level of cache {{ $labels.cache }} has served under {{ humanizePercentage $threshold }} of lookups from cache for 10 minutes (caches under 1 lookup/s are not checked).",
      },
    },
    {
      id: "default-db-pool-wait-p95",
      kind: "threshold",
      name: "DbPoolWaitP95High",
      query:
        "histogram_quantile(0.95, sum by (le, job, pool) (rate(db_client_connection_wait_time_seconds_bucket[5m])))",
      condition: "above",
      threshold: 0.1,
      forSeconds: 300,
      severity: "warning",
      annotations: {
        summary: "Callers wait {{ humanizeDuration $value }} (p95) for a connection from pool {{ $labels.pool }}",
        description:
          "The p95 wait for a connection from pool {{ $labels.pool }} ({{ $labels.job }}) has been above {{ humanizeDuration $threshold }} for 5 minutes: the pool is saturated or connections are held too long.",
      },
    },
    {
      id: "default-event-loop-lag",
      kind: "threshold",
      name: "EventLoopLagHigh",
      // The p99 gauge when the process exports it, else the plain lag gauge (older prom-client).
      query:
        "max by (job, instance) (nodejs_eventloop_lag_p99_seconds) or max by (job, instance) (nodejs_eventloop_lag_seconds)",
      condition: "above",
      threshold: 0.2,
      forSeconds: 120,
      severity: "warning",
      annotations: {
        summary: "Event loop of {{ $labels.job }} {{ $labels.instance }} lags {{ humanizeDuration $value }}",
        description:
          "The Node.js event loop of {{ $labels.instance }} has lagged more than {{ humanizeDuration $threshold }} for 2 minutes: something blocks it (CPU-bound work, sync I/O, large JSON).",
      },
    },
    {
      id: "default-job-absent",
      kind: "absence",
      name: "JobAbsent",
      job: ".+",
      forSeconds: 300,
      severity: "warning",
      annotations: {
        summary: "{{ $labels.job }} has sent no data for 5 minutes",
        description:
          "Hotpath has received no sample from job {{ $labels.job }} for 5 minutes: the service or its agent is down, or cannot reach Hotpath.",
      },
    },
  ];
  return rules.map((r) => ZAlertRuleSchema.parse(r) as TStoredAlertRule);
}

// ---------------------------------------------------------------------------------------------
// Prometheus rule files (already parsed from YAML; rule-file.ts does the YAML)

export type TRuleFileResult =
  | { ok: true; rules: TAlertRule[]; warnings: TFieldError[] }
  | { ok: false; errors: TFieldError[]; warnings: TFieldError[] };

type TSplit = { query: string; condition: "above" | "below"; threshold: number; inclusive: boolean };

const FLIP: Record<string, string> = { ">": "<", "<": ">", ">=": "<=", "<=": ">=" };

/**
 * `<lhs> > <number>` (and <, >=, <=, or the number first) at the top level becomes query + condition
 * + threshold. Anything else (`==`, `bool`, `and`, arithmetic on the right) is left whole.
 */
export function splitComparison(expr: string): TSplit | null {
  const parsed = parsePromQL(expr);
  if (!parsed.ok) return null;
  const top = unwrapParens(parsed.expr);
  if (top.kind !== "binary" || !isComparison(top.op) || top.returnBool) return null;
  const num = (e: TExpr) => {
    const u = unwrapParens(e);
    return u.kind === "number" && Number.isFinite(u.value) ? u.value : undefined;
  };
  let op: string = top.op;
  let side = top.lhs;
  let threshold = num(top.rhs);
  if (threshold === undefined) {
    threshold = num(top.lhs);
    side = top.rhs;
    op = FLIP[op] ?? op;
  }
  if (threshold === undefined || typeOf(side) !== "vector") return null;
  if (op !== ">" && op !== "<" && op !== ">=" && op !== "<=") return null;
  return {
    query: expr.slice(side.pos.start, side.pos.end).trim(),
    condition: op.startsWith(">") ? "above" : "below",
    threshold,
    inclusive: op.length === 2,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const GROUP_KEYS = new Set(["name", "interval", "rules", "labels", "limit", "query_offset"]);
const RULE_KEYS = new Set(["alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"]);

/** Where each rule field came from in the file, to name the right key in errors. */
const FIELD_TO_FILE: Record<string, string> = {
  name: "alert",
  query: "expr",
  condition: "expr",
  threshold: "expr",
  inclusive: "expr",
  forSeconds: "for",
  keepFiringForSeconds: "keep_firing_for",
};

/** Converts a parsed Prometheus rule file. Every problem is reported, each with its path. */
export function convertRuleFile(doc: unknown): TRuleFileResult {
  const errors: TFieldError[] = [];
  const warnings: TFieldError[] = [];
  const rules: TAlertRule[] = [];
  const err = (path: PropertyKey[], message: string) => errors.push({ path: formatPath(path), message });
  const warn = (path: PropertyKey[], message: string) => warnings.push({ path: formatPath(path), message });

  if (doc === null || doc === undefined) {
    err([], "the file is empty: a rule file starts with groups:");
    return { ok: false, errors, warnings };
  }
  if (!isObject(doc)) {
    err([], "a rule file is a mapping with a groups: list at the top");
    return { ok: false, errors, warnings };
  }
  for (const k of Object.keys(doc))
    if (k !== "groups") err([k], `unknown key "${k}": a rule file has only groups at the top`);
  const groups = doc.groups;
  if (!Array.isArray(groups)) {
    err(["groups"], groups === undefined ? "groups is required" : "groups must be a list of rule groups");
    return { ok: false, errors, warnings };
  }

  const groupNames = new Map<string, number>();
  groups.forEach((group: unknown, gi) => {
    const gp = ["groups", gi];
    if (!isObject(group)) {
      err(gp, "a group must be a mapping with name and rules");
      return;
    }
    for (const k of Object.keys(group))
      if (!GROUP_KEYS.has(k)) err([...gp, k], `unknown key "${k}": a group has name, interval, labels and rules`);
    if (typeof group.name !== "string" || group.name.trim() === "") {
      err([...gp, "name"], group.name === undefined ? "name is required" : "name must be a non-empty string");
    } else {
      const seen = groupNames.get(group.name);
      if (seen !== undefined) err([...gp, "name"], `group name "${group.name}" is already used by groups[${seen}]`);
      else groupNames.set(group.name, gi);
    }
    if (group.interval !== undefined) {
      const d = durationOf(group.interval);
      if (!d.ok) err([...gp, "interval"], d.message);
      else warn([...gp, "interval"], "interval is not applied: Hotpath evaluates every rule on its own schedule");
    }
    for (const k of ["limit", "query_offset"] as const)
      if (group[k] !== undefined) warn([...gp, k], `${k} is not supported and is ignored`);
    const groupLabels = stringMapOf(group.labels, [...gp, "labels"], err) ?? {};
    for (const name of Object.keys(groupLabels)) {
      if (LABEL_NAME_RE.test(name) && !name.startsWith("__") && name !== "alertname") continue;
      err([...gp, "labels", name], `label name "${name}" must match [a-zA-Z_][a-zA-Z0-9_]* and not be reserved`);
      delete groupLabels[name];
    }
    if (!Array.isArray(group.rules)) {
      err([...gp, "rules"], group.rules === undefined ? "rules is required" : "rules must be a list");
      return;
    }
    group.rules.forEach((rule: unknown, ri) => {
      const converted = convertRule(rule, [...gp, "rules", ri], groupLabels, err, warn);
      if (converted) rules.push(converted);
    });
  });

  return errors.length > 0 ? { ok: false, errors, warnings } : { ok: true, rules, warnings };
}

function durationOf(v: unknown): TDurationResult {
  if (typeof v === "string" || typeof v === "number") return parsePromDuration(v);
  return { ok: false, message: "must be a duration such as 30s, 5m or 1h30m" };
}

/** A YAML map of labels or annotations; scalars are taken as text, as Go's YAML decoder does. */
function stringMapOf(
  v: unknown,
  path: PropertyKey[],
  err: (path: PropertyKey[], message: string) => void,
): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) {
    err(path, "must be a mapping of name: value");
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === "string") out[k] = val;
    else if (typeof val === "number" || typeof val === "boolean") out[k] = String(val);
    else err([...path, k], "must be text");
  }
  return out;
}

function convertRule(
  rule: unknown,
  rp: PropertyKey[],
  groupLabels: Record<string, string>,
  err: (path: PropertyKey[], message: string) => void,
  warn: (path: PropertyKey[], message: string) => void,
): TAlertRule | undefined {
  if (!isObject(rule)) {
    err(rp, "a rule must be a mapping with alert and expr");
    return undefined;
  }
  let ok = true;
  const fail = (path: PropertyKey[], message: string) => {
    ok = false;
    err(path, message);
  };
  for (const k of Object.keys(rule))
    if (!RULE_KEYS.has(k))
      fail(
        [...rp, k],
        `unknown key "${k}": an alerting rule has alert, expr, for, keep_firing_for, labels, annotations`,
      );
  if (rule.record !== undefined) {
    fail(
      [...rp, "record"],
      rule.alert !== undefined
        ? "a rule has either alert or record, not both"
        : `recording rule ${JSON.stringify(rule.record)} is not supported: Hotpath runs alerting rules only; put its expression into the alerts that use it, or remove it`,
    );
    return undefined;
  }
  if (rule.alert === undefined) {
    fail([...rp, "alert"], "alert is required (the alert's name)");
    return undefined;
  }
  if (typeof rule.alert !== "string") fail([...rp, "alert"], "alert must be text");
  let expr: string | undefined;
  if (typeof rule.expr === "string") expr = rule.expr.trim();
  else if (typeof rule.expr === "number") expr = String(rule.expr);
  if (expr === undefined || expr === "")
    fail([...rp, "expr"], rule.expr === undefined ? "expr is required" : "expr must be a PromQL expression");

  const seconds = (key: "for" | "keep_firing_for") => {
    if (rule[key] === undefined) return 0;
    const d = durationOf(rule[key]);
    if (d.ok) return d.seconds;
    fail([...rp, key], `${key}: ${d.message}`);
    return 0;
  };
  const forSeconds = seconds("for");
  const keepFiringForSeconds = seconds("keep_firing_for");
  const ruleLabels = stringMapOf(rule.labels, [...rp, "labels"], fail) ?? {};
  const annotations = stringMapOf(rule.annotations, [...rp, "annotations"], fail) ?? {};
  if (!ok || expr === undefined || typeof rule.alert !== "string") return undefined;

  const labels = { ...groupLabels, ...ruleLabels };
  let severity: TSeverity = "warning";
  const sev = labels.severity;
  if (sev !== undefined) {
    // Hotpath's severity is a field; the outgoing alert gets it back as the severity label.
    delete labels.severity;
    const known = SEVERITIES.find((s) => s === sev.toLowerCase());
    if (known) severity = known;
    else warn([...rp, "labels", "severity"], `severity "${sev}" is not info, warning or critical: imported as warning`);
  }

  const split = splitComparison(expr);
  const input = {
    kind: "threshold" as const,
    name: rule.alert,
    ...(split ?? { query: expr, condition: "present" as const }),
    forSeconds,
    keepFiringForSeconds,
    // Prometheus has no hysteresis: an imported rule keeps firing and resolving exactly where it did.
    hysteresis: 0,
    severity,
    labels,
    annotations,
  };
  const parsed = ZAlertRuleSchema.safeParse(input);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const [first, ...rest] = i.path;
      const mapped = typeof first === "string" ? (FIELD_TO_FILE[first] ?? first) : first;
      err([...rp, ...(mapped === undefined ? [] : [mapped]), ...rest], i.message);
    }
    return undefined;
  }
  return parsed.data;
}
