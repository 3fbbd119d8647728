// The rule schema's messages, the default rules (validated and run on the PromQL engine against
// synthetic agent data), durations, comparison splitting and the rule-file conversion's error paths.
import { describe, expect, it } from "vitest";
import { instantQuery } from "../query/promql/eval";
import { memorySource, type TSeriesSamples } from "../query/promql/source";
import {
  convertRuleFile,
  defaultRules,
  parsePromDuration,
  ruleThreshold,
  splitComparison,
  type TAlertRule,
  validateRule,
  ZAlertRuleSchema,
} from "./rules";

const ok = {
  kind: "threshold",
  name: "High",
  query: "sum by (route) (rate(x[5m]))",
  condition: "above",
  threshold: 1,
};

function errorsOf(input: unknown) {
  const r = validateRule(input);
  if (r.ok) throw new Error("expected the rule to be refused");
  return r.errors;
}

describe("ZAlertRuleSchema", () => {
  it("fills the defaults", () => {
    expect(ZAlertRuleSchema.parse(ok)).toEqual({
      ...ok,
      forSeconds: 0,
      keepFiringForSeconds: 0,
      hysteresis: 0.05,
      inclusive: false,
      severity: "warning",
      labels: {},
      annotations: {},
      enabled: true,
      channels: [],
    });
  });

  it("says what is wrong with each field", () => {
    expect(errorsOf({ ...ok, threshold: "high" })).toEqual([
      { path: "threshold", message: "threshold must be a number" },
    ]);
    expect(errorsOf({ ...ok, threshold: undefined })).toEqual([
      { path: "threshold", message: "threshold is required when condition is above" },
    ]);
    expect(errorsOf({ ...ok, name: "" })).toEqual([{ path: "name", message: "name must not be empty" }]);
    expect(errorsOf({ ...ok, name: "x".repeat(201) })).toEqual([
      { path: "name", message: "name must be at most 200 characters" },
    ]);
    expect(errorsOf({ ...ok, kind: "spike" })).toEqual([
      { path: "kind", message: 'kind must be "threshold", "absence" or "rate_of_change"' },
    ]);
    expect(errorsOf({ ...ok, hysteresis: 2 })).toEqual([
      { path: "hysteresis", message: "hysteresis must be between 0 and 1 (a fraction of the threshold)" },
    ]);
    expect(errorsOf({ ...ok, forSeconds: -1 })).toEqual([
      { path: "forSeconds", message: "forSeconds must be 0 or more seconds" },
    ]);
    expect(errorsOf({ ...ok, severity: "page" })).toEqual([
      { path: "severity", message: 'severity must be "info", "warning" or "critical"' },
    ]);
  });

  it("checks the thresholds against the condition", () => {
    expect(errorsOf({ ...ok, condition: "outside", threshold: undefined, low: 5, high: 1 })).toEqual([
      { path: "high", message: "high (1) must be more than low (5)" },
    ]);
    expect(errorsOf({ ...ok, condition: "outside" })).toEqual([
      { path: "low", message: "low is required when condition is outside" },
      { path: "high", message: "high is required when condition is outside" },
      { path: "threshold", message: "condition outside takes low and high, not threshold" },
    ]);
    expect(errorsOf({ ...ok, condition: "present" })).toEqual([
      { path: "threshold", message: "condition present fires on any returned series and takes no threshold" },
    ]);
    expect(errorsOf({ ...ok, low: 1 })).toEqual([
      { path: "low", message: "low is only for condition outside; use threshold with above" },
    ]);
    expect(
      errorsOf({ ...ok, kind: "rate_of_change", condition: "present", threshold: undefined, windowSeconds: 60 }),
    ).toEqual([
      { path: "condition", message: "condition present is only for threshold rules: a change always has a value" },
    ]);
    expect(errorsOf({ ...ok, kind: "rate_of_change" })).toEqual([
      { path: "windowSeconds", message: "windowSeconds is required" },
    ]);
  });

  it("parses the query with Hotpath's PromQL parser", () => {
    expect(errorsOf({ ...ok, query: "sum(rate(x[5m])" })).toEqual([
      { path: "query", message: "query is not valid PromQL: 1:16: parse error: unclosed left parenthesis" },
    ]);
    expect(errorsOf({ ...ok, query: "x[5m]" })).toEqual([
      { path: "query", message: "query must return an instant vector or a scalar, not a range vector" },
    ]);
    expect(errorsOf({ ...ok, query: "  " })).toEqual([{ path: "query", message: "query must not be empty" }]);
  });

  it("checks label names and annotation templates", () => {
    expect(errorsOf({ ...ok, labels: { "team-name": "a", severity: "x", __x: "y" } })).toEqual([
      {
        path: 'labels["team-name"]',
        message: 'label name "team-name" must match [a-zA-Z_][a-zA-Z0-9_]* (letters, digits, _)',
      },
      { path: "labels.severity", message: "set severity with the severity field" },
      { path: "labels.__x", message: "label names starting with __ are reserved" },
    ]);
    expect(errorsOf({ ...ok, labels: { team: "{{ $labels.team | lower }}" } })).toEqual([
      {
        path: "labels.team",
        message: expect.stringMatching(/^unknown function "lower": use humanize, .* \(line 1, column 19\)$/),
      },
    ]);
    expect(errorsOf({ ...ok, annotations: { summary: "{{ $vlaue }}" } })).toEqual([
      {
        path: "annotations.summary",
        message:
          'unknown variable "$vlaue": use $value, $labels.<name>, $threshold or $externalLabels.<name> (line 1, column 4)',
      },
    ]);
  });

  it("takes a job regex for absence rules", () => {
    expect(validateRule({ kind: "absence", name: "Gone", job: "api|worker" }).ok).toBe(true);
    expect(errorsOf({ kind: "absence", name: "Gone", job: "(" })[0]?.path).toBe("job");
    expect(errorsOf({ kind: "absence", name: "Gone" })).toEqual([{ path: "job", message: "job is required" }]);
  });

  it("gives the threshold as the state machine uses it", () => {
    const parse = (x: object) => ZAlertRuleSchema.parse({ ...ok, ...x });
    expect(ruleThreshold(parse({}))).toBe(1);
    expect(ruleThreshold(parse({ condition: "outside", threshold: undefined, low: 1, high: 3 }))).toEqual([1, 3]);
    expect(ruleThreshold(parse({ condition: "present", threshold: undefined }))).toBeNull();
  });
});

describe("defaultRules", () => {
  it("are valid rules with stable ids", () => {
    const rules = defaultRules();
    expect(rules.map((r) => [r.id, r.name, r.kind, r.forSeconds, ruleThreshold(r)])).toEqual([
      ["default-http-error-ratio", "HttpErrorRatioHigh", "threshold", 120, 0.05],
      ["default-http-latency-p95", "HttpLatencyP95High", "threshold", 300, 1],
      ["default-cache-hit-ratio", "CacheHitRatioLow", "threshold", 600, 0.8],
      ["default-db-pool-wait-p95", "DbPoolWaitP95High", "threshold", 300, 0.1],
      ["default-event-loop-lag", "EventLoopLagHigh", "threshold", 120, 0.2],
      ["default-job-absent", "JobAbsent", "absence", 300, null],
    ]);
    for (const r of rules) expect(ZAlertRuleSchema.parse(r)).toEqual(r);
    expect(rules.find((r) => r.kind === "absence")).toMatchObject({ job: ".+" });
  });

  // Counters growing linearly for 10 minutes: rate() over them is exact.
  const S = 1000;
  const counter = (labels: Record<string, string>, perSecond: number): TSeriesSamples => {
    const ts: number[] = [];
    const values: number[] = [];
    for (let t = 0; t <= 600; t += 15) {
      ts.push(t * S);
      values.push(t * perSecond);
    }
    return { labels, ts, values };
  };
  const gauge = (labels: Record<string, string>, v: number): TSeriesSamples => ({
    labels,
    ts: [590 * S, 600 * S],
    values: [v, v],
  });
  const query = (name: string) => {
    const r = defaultRules().find((x) => x.name === name);
    if (!r || r.kind === "absence") throw new Error(name);
    return r.query;
  };
  async function run(q: string, series: TSeriesSamples[]) {
    const r = await instantQuery(memorySource(series), q, 600 * S);
    if (r.resultType !== "vector") throw new Error(r.resultType);
    return Object.fromEntries(
      r.result.map((e) => [
        Object.entries(e.labels)
          .sort()
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
        Math.round(e.value * 1e6) / 1e6,
      ]),
    );
  }

  it("error ratio: per route, routes under 0.1 req/s left out", async () => {
    const h = "http_server_request_duration_seconds_count";
    expect(
      await run(query("HttpErrorRatioHigh"), [
        counter({ __name__: h, route: "/a", status: "200" }, 9), // /a: 1 of 10 req/s fail
        counter({ __name__: h, route: "/a", status: "503" }, 1),
        counter({ __name__: h, route: "/b", status: "500" }, 0.05), // /b: 100 % errors, but 0.05 req/s
      ]),
    ).toEqual({ "route=/a": 0.1 });
  });

  it("cache hit ratio: per cache and level, 0 when a cache never hit, quiet caches left out", async () => {
    const c = "cache_requests_total";
    expect(
      await run(query("CacheHitRatioLow"), [
        counter({ __name__: c, cache: "users", level: "memory", result: "hit" }, 9),
        counter({ __name__: c, cache: "users", level: "memory", result: "miss" }, 1),
        counter({ __name__: c, cache: "orders", level: "redis", result: "miss" }, 2),
        counter({ __name__: c, cache: "rare", level: "redis", result: "miss" }, 0.5),
      ]),
    ).toEqual({ "cache=orders,level=redis": 0, "cache=users,level=memory": 0.9 });
  });

  it("event-loop lag: the p99 gauge, else the plain lag gauge", async () => {
    expect(
      await run(query("EventLoopLagHigh"), [
        gauge({ __name__: "nodejs_eventloop_lag_p99_seconds", job: "a", instance: "1" }, 0.3),
        gauge({ __name__: "nodejs_eventloop_lag_seconds", job: "a", instance: "1" }, 0.01),
        gauge({ __name__: "nodejs_eventloop_lag_seconds", job: "b", instance: "2" }, 0.25),
      ]),
    ).toEqual({ "instance=1,job=a": 0.3, "instance=2,job=b": 0.25 });
  });

  it("latency and pool-wait p95 come out per route and per pool", async () => {
    const bucket = (name: string, extra: Record<string, string>, le: string, perSecond: number) =>
      counter({ __name__: name, le, ...extra }, perSecond);
    const http = "http_server_request_duration_seconds_bucket";
    const latency = await run(query("HttpLatencyP95High"), [
      bucket(http, { route: "/a" }, "0.5", 0),
      bucket(http, { route: "/a" }, "1", 5),
      bucket(http, { route: "/a" }, "2", 10),
      bucket(http, { route: "/a" }, "+Inf", 10),
    ]);
    expect(latency).toEqual({ "route=/a": 1.9 });
    const pool = "db_client_connection_wait_time_seconds_bucket";
    const wait = await run(query("DbPoolWaitP95High"), [
      bucket(pool, { job: "api", pool: "main" }, "0.1", 10),
      bucket(pool, { job: "api", pool: "main" }, "+Inf", 10),
    ]);
    expect(wait).toEqual({ "job=api,pool=main": 0.095 });
  });
});

describe("parsePromDuration", () => {
  it("reads Prometheus durations into seconds", () => {
    expect(["1h30m", "5m", "10s", "500ms", "0", "1d", "1w"].map((d) => parsePromDuration(d))).toEqual([
      { ok: true, seconds: 5400 },
      { ok: true, seconds: 300 },
      { ok: true, seconds: 10 },
      { ok: true, seconds: 0.5 },
      { ok: true, seconds: 0 },
      { ok: true, seconds: 86_400 },
      { ok: true, seconds: 604_800 },
    ]);
    expect(parsePromDuration(0)).toEqual({ ok: true, seconds: 0 });
  });

  it("refuses anything else with a hint", () => {
    expect(parsePromDuration("5 minutes")).toEqual({
      ok: false,
      message: '"5 minutes" is not a duration: write one such as 30s, 5m, 1h30m or 500ms',
    });
    expect(parsePromDuration("5m1h")).toMatchObject({ ok: false });
    expect(parsePromDuration(300)).toEqual({ ok: false, message: "300 has no unit: write it as 300s, 300m…" });
    expect(parsePromDuration("")).toEqual({ ok: false, message: "empty duration: write one such as 30s, 5m or 1h30m" });
  });
});

describe("splitComparison", () => {
  it("splits a top-level comparison with a number", () => {
    expect(splitComparison("sum by (a) (rate(x[5m])) > 0.5")).toEqual({
      query: "sum by (a) (rate(x[5m]))",
      condition: "above",
      threshold: 0.5,
      inclusive: false,
    });
    expect(splitComparison("(x <= -3)")).toEqual({ query: "x", condition: "below", threshold: -3, inclusive: true });
    expect(splitComparison("10 < x")).toEqual({ query: "x", condition: "above", threshold: 10, inclusive: false });
    expect(splitComparison("(a / b) >= (2)")).toEqual({
      query: "(a / b)",
      condition: "above",
      threshold: 2,
      inclusive: true,
    });
  });

  it("leaves everything else whole", () => {
    for (const e of ["x == 1", "x > bool 1", "a > 1 and b > 2", "x > y", "absent(up)", "x > 2 * 3", "x >", "x > Inf"])
      expect(splitComparison(e)).toBeNull();
  });
});

describe("convertRuleFile", () => {
  const good = {
    groups: [
      {
        name: "api",
        labels: { team: "core" },
        rules: [
          {
            alert: "HighErrors",
            expr: 'sum by (route) (rate(errors_total{code=~"5.."}[5m])) > 0.05',
            for: "5m",
            keep_firing_for: "1m30s",
            labels: { severity: "critical", tier: 1 },
            annotations: { summary: "{{ $labels.route }} errors at {{ $value | humanizePercentage }}" },
          },
          { alert: "Down", expr: 'absent(up{job="api"})' },
        ],
      },
    ],
  };

  it("converts alerting rules, splitting comparisons and keeping Prometheus semantics", () => {
    const r = convertRuleFile(good);
    expect(r).toEqual({
      ok: true,
      warnings: [],
      rules: [
        {
          kind: "threshold",
          name: "HighErrors",
          query: 'sum by (route) (rate(errors_total{code=~"5.."}[5m]))',
          condition: "above",
          threshold: 0.05,
          inclusive: false,
          forSeconds: 300,
          keepFiringForSeconds: 90,
          hysteresis: 0,
          severity: "critical",
          labels: { team: "core", tier: "1" },
          annotations: { summary: "{{ $labels.route }} errors at {{ $value | humanizePercentage }}" },
          enabled: true,
          channels: [],
        },
        {
          kind: "threshold",
          name: "Down",
          query: 'absent(up{job="api"})',
          condition: "present",
          inclusive: false,
          forSeconds: 0,
          keepFiringForSeconds: 0,
          hysteresis: 0,
          severity: "warning",
          labels: { team: "core" },
          annotations: {},
          enabled: true,
          channels: [],
        },
      ] satisfies TAlertRule[],
    });
  });

  it("warns about what it does not apply", () => {
    const r = convertRuleFile({
      groups: [
        { name: "g", interval: "30s", limit: 10, rules: [{ alert: "A", expr: "x > 1", labels: { severity: "page" } }] },
      ],
    });
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([
      {
        path: "groups[0].interval",
        message: "interval is not applied: Hotpath evaluates every rule on its own schedule",
      },
      { path: "groups[0].limit", message: "limit is not supported and is ignored" },
      {
        path: "groups[0].rules[0].labels.severity",
        message: 'severity "page" is not info, warning or critical: imported as warning',
      },
    ]);
    if (r.ok) expect(r.rules[0]).toMatchObject({ severity: "warning", labels: {} });
  });

  const errors = (doc: unknown) => {
    const r = convertRuleFile(doc);
    if (r.ok) throw new Error("expected errors");
    return r.errors;
  };

  it("reports a file that is not a rule file", () => {
    expect(errors(null)).toEqual([{ path: "", message: "the file is empty: a rule file starts with groups:" }]);
    expect(errors(["x"])).toEqual([{ path: "", message: "a rule file is a mapping with a groups: list at the top" }]);
    expect(errors({ groups: [], rules: [] })).toEqual([
      { path: "rules", message: 'unknown key "rules": a rule file has only groups at the top' },
    ]);
    expect(errors({})).toEqual([{ path: "groups", message: "groups is required" }]);
    expect(errors({ groups: { name: "x" } })).toEqual([
      { path: "groups", message: "groups must be a list of rule groups" },
    ]);
  });

  it("reports every group problem with its path", () => {
    expect(
      errors({
        groups: [
          "nope",
          { rules: [] },
          { name: "a", rules: [] },
          { name: "a", rules: [] },
          { name: "b", interval: "soon", rules: [], extra: 1 },
          { name: "c" },
          { name: "d", rules: [], labels: { "bad-name": "x" } },
        ],
      }),
    ).toEqual([
      { path: "groups[0]", message: "a group must be a mapping with name and rules" },
      { path: "groups[1].name", message: "name is required" },
      { path: "groups[3].name", message: 'group name "a" is already used by groups[2]' },
      { path: "groups[4].extra", message: 'unknown key "extra": a group has name, interval, labels and rules' },
      {
        path: "groups[4].interval",
        message: '"soon" is not a duration: write one such as 30s, 5m, 1h30m or 500ms',
      },
      { path: "groups[5].rules", message: "rules is required" },
      {
        path: 'groups[6].labels["bad-name"]',
        message: 'label name "bad-name" must match [a-zA-Z_][a-zA-Z0-9_]* and not be reserved',
      },
    ]);
  });

  it("reports recording rules instead of dropping them, and every rule problem with its path", () => {
    const rule = (r: unknown) => errors({ groups: [{ name: "g", rules: [r] }] });
    const at = "groups[0].rules[0]";
    expect(rule({ record: "job:errors:rate5m", expr: "rate(errors_total[5m])" })).toEqual([
      {
        path: `${at}.record`,
        message:
          'recording rule "job:errors:rate5m" is not supported: Hotpath runs alerting rules only; put its expression into the alerts that use it, or remove it',
      },
    ]);
    expect(rule({ alert: "A", record: "r", expr: "x" })).toEqual([
      { path: `${at}.record`, message: "a rule has either alert or record, not both" },
    ]);
    expect(rule("x")).toEqual([{ path: at, message: "a rule must be a mapping with alert and expr" }]);
    expect(rule({ expr: "x" })).toEqual([{ path: `${at}.alert`, message: "alert is required (the alert's name)" }]);
    expect(rule({ alert: "A" })).toEqual([{ path: `${at}.expr`, message: "expr is required" }]);
    expect(rule({ alert: "A", expr: "x", for: "5 min" })).toEqual([
      { path: `${at}.for`, message: 'for: "5 min" is not a duration: write one such as 30s, 5m, 1h30m or 500ms' },
    ]);
    expect(rule({ alert: "A", expr: "x", keep_firing_for: 60 })).toEqual([
      { path: `${at}.keep_firing_for`, message: "keep_firing_for: 60 has no unit: write it as 60s, 60m…" },
    ]);
    expect(rule({ alert: "A", expr: "x", expression: "y" })).toEqual([
      {
        path: `${at}.expression`,
        message:
          'unknown key "expression": an alerting rule has alert, expr, for, keep_firing_for, labels, annotations',
      },
    ]);
    expect(rule({ alert: "A", expr: "x", labels: ["a"] })).toEqual([
      { path: `${at}.labels`, message: "must be a mapping of name: value" },
    ]);
    expect(rule({ alert: "A", expr: "x", annotations: { summary: { nested: 1 } } })).toEqual([
      { path: `${at}.annotations.summary`, message: "must be text" },
    ]);
  });

  it("maps schema errors back onto the file's keys", () => {
    const rule = (r: unknown) => errors({ groups: [{ name: "g", rules: [r] }] });
    const at = "groups[0].rules[0]";
    expect(rule({ alert: "A", expr: "sum(x" })).toEqual([
      { path: `${at}.expr`, message: "query is not valid PromQL: 1:6: parse error: unclosed left parenthesis" },
    ]);
    expect(rule({ alert: "", expr: "x" })).toEqual([{ path: `${at}.alert`, message: "name must not be empty" }]);
    expect(rule({ alert: "A", expr: "x", labels: { "1x": "a" } })).toEqual([
      { path: `${at}.labels["1x"]`, message: 'label name "1x" must match [a-zA-Z_][a-zA-Z0-9_]* (letters, digits, _)' },
    ]);
    expect(rule({ alert: "A", expr: "x", annotations: { summary: "{{ if $value }}" } })).toEqual([
      {
        path: `${at}.annotations.summary`,
        message: '"if" is not supported in alert templates: only values and functions are (line 1, column 4)',
      },
    ]);
  });

  it("collects errors across groups and rules in one pass", () => {
    const r = convertRuleFile({
      groups: [
        {
          name: "a",
          rules: [
            { alert: "A", expr: "x > 1" },
            { record: "r", expr: "x" },
          ],
        },
        { name: "b", rules: [{ alert: "B" }] },
      ],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toEqual(["groups[0].rules[1].record", "groups[1].rules[0].expr"]);
  });
});
