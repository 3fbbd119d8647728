// Outgoing alerts, grouping timelines (wait, interval, repeat, resolved), the Alertmanager webhook
// payload and retry delays.
import { describe, expect, it } from "vitest";
import { fingerprint } from "./labels";
import {
  alertFromInstance,
  chartUrl,
  formatRFC3339,
  Grouper,
  groupKey,
  retryDelays,
  shouldRetry,
  type TNotification,
  type TOutgoingAlert,
  webhookBody,
  webhookMessage,
} from "./notify";
import { type TStoredAlertRule, ZAlertRuleSchema } from "./rules";
import { evaluate } from "./state";

const S = 1000;

function alert(name: string, extra: Record<string, string> = {}, startsAtMs = 0, endsAtMs: number | null = null) {
  return {
    labels: { alertname: name, severity: "warning", ...extra },
    annotations: { summary: `${name} fired` },
    startsAtMs,
    endsAtMs,
    generatorURL: `http://hotpath/explore?query=${name}`,
  } satisfies TOutgoingAlert;
}

describe("labels on the wire", () => {
  it("fingerprints like Prometheus's model.LabelSet", () => {
    // Test vectors from prometheus/common model/signature_test.go (5799056148416392346 in hex).
    expect(fingerprint({ name: "garland, briggs", fear: "love is not enough" })).toBe("507a62d79ee76c9a");
    expect(fingerprint({})).toBe("cbf29ce484222325");
  });

  it("keys groups by the groupBy labels the alert has", () => {
    const labels = { alertname: "A", route: "/x", pod: "p1" };
    expect(groupKey(labels, ["alertname", "route", "missing"])).toBe('{}:{alertname="A", route="/x"}');
    expect(groupKey(labels, [])).toBe("{}:{}");
    expect(groupKey(labels, ["..."])).toBe('{}:{alertname="A", pod="p1", route="/x"}');
  });

  it("writes times as Go does", () => {
    expect(formatRFC3339(1_700_000_000_000)).toBe("2023-11-14T22:13:20Z");
    expect(formatRFC3339(1_700_000_000_100)).toBe("2023-11-14T22:13:20.1Z");
    expect(formatRFC3339(1_700_000_000_123)).toBe("2023-11-14T22:13:20.123Z");
    expect(formatRFC3339(null)).toBe("0001-01-01T00:00:00Z");
  });

  it("links to the chart with the query and threshold", () => {
    const url = chartUrl("http://h:3000/", 'sum(rate(x{a="b"}[5m])) > 1', 0.05);
    expect(url).toBe(
      "http://h:3000/explore?query=sum%28rate%28x%7Ba%3D%22b%22%7D%5B5m%5D%29%29%20%3E%201&threshold=0.05",
    );
    expect(new URL(url).searchParams.get("query")).toBe('sum(rate(x{a="b"}[5m])) > 1');
    expect(chartUrl("http://h", "up", [1, 2])).toBe("http://h/explore?query=up&threshold=1%2C2");
    expect(chartUrl("http://h", "up", null)).toBe("http://h/explore?query=up");
  });
});

describe("alertFromInstance", () => {
  const rule = ZAlertRuleSchema.parse({
    id: "r1",
    kind: "threshold",
    name: "HttpErrorRatioHigh",
    query: "errors_ratio",
    condition: "above",
    threshold: 0.05,
    severity: "critical",
    labels: { team: "core", where: "{{ $labels.route }}" },
    annotations: { summary: "{{ $labels.route }} at {{ humanizePercentage $value }}" },
  }) as TStoredAlertRule;
  const ctx = { externalURL: "https://hotpath.example" };
  const labels = { __name__: "errors_ratio", route: "/orders" };

  it("carries labels, rendered annotations, the triggering value, the threshold and the chart link", () => {
    const firing = evaluate(undefined, { labels, value: 0.12, nowMs: 5 * S }, rule).instance;
    expect(alertFromInstance(firing, rule, ctx)).toEqual({
      labels: {
        route: "/orders",
        team: "core",
        where: "/orders",
        alertname: "HttpErrorRatioHigh",
        severity: "critical",
      },
      annotations: { summary: "/orders at 12%", value: "0.12", threshold: "0.05" },
      startsAtMs: 5000,
      endsAtMs: null,
      generatorURL: "https://hotpath.example/explore?query=errors_ratio&threshold=0.05",
    });
    const resolved = evaluate(firing, { labels, value: 0.01, nowMs: 60 * S }, rule).instance;
    expect(alertFromInstance(resolved, rule, ctx)).toMatchObject({
      startsAtMs: 5000,
      endsAtMs: 60_000,
      annotations: { summary: "/orders at 12%", value: "0.12" },
    });
  });

  it("sends nothing for pending instances and links absent jobs to their series", () => {
    const slow = { ...rule, forSeconds: 60 };
    expect(alertFromInstance(evaluate(undefined, { labels, value: 1, nowMs: 0 }, slow).instance, slow, ctx)).toBe(
      undefined,
    );
    const absence = ZAlertRuleSchema.parse({
      id: "a",
      kind: "absence",
      name: "JobAbsent",
      job: ".+",
    }) as TStoredAlertRule;
    const gone = evaluate(undefined, { labels: { job: "shop" }, value: null, nowMs: 0 }, absence).instance;
    expect(alertFromInstance(gone, absence, ctx)).toMatchObject({
      labels: { job: "shop", alertname: "JobAbsent", severity: "warning" },
      annotations: {},
      generatorURL: "https://hotpath.example/explore?query=%7Bjob%3D%22shop%22%7D",
    });
  });
});

describe("Grouper", () => {
  const opts = { receiver: "ops", groupWaitMs: 30 * S, groupIntervalMs: 300 * S, repeatIntervalMs: 3600 * S };
  const names = (ns: TNotification[]) =>
    ns.map((n) => [
      n.status,
      n.alerts.map((a) => `${a.labels.alertname}${a.labels.pod ?? ""}:${a.endsAtMs ? "r" : "f"}`),
    ]);

  it("waits groupWait for a new group, then groupInterval between changes, and sends resolved", () => {
    const g = new Grouper({ ...opts, groupBy: ["alertname"] });
    g.add(alert("A", { pod: "1" }), 0);
    expect(g.due(29_999)).toEqual([]);
    const first = g.due(30 * S);
    expect(names(first)).toEqual([["firing", ["A1:f"]]]);
    expect(first[0]).toMatchObject({
      receiver: "ops",
      groupKey: '{}:{alertname="A"}',
      groupLabels: { alertname: "A" },
    });

    g.add(alert("A", { pod: "2" }, 40 * S), 40 * S);
    expect(g.due(40 * S)).toEqual([]);
    expect(g.due(329_999)).toEqual([]);
    expect(names(g.due(330 * S))).toEqual([["firing", ["A1:f", "A2:f"]]]);
    expect(g.due(630 * S)).toEqual([]);

    g.add(alert("A", { pod: "1" }, 0, 700 * S), 700 * S);
    expect(names(g.due(930 * S))).toEqual([["firing", ["A1:r", "A2:f"]]]);
    expect(g.due(1230 * S)).toEqual([]);

    g.add(alert("A", { pod: "2" }, 40 * S, 1300 * S), 1300 * S);
    expect(names(g.due(1530 * S))).toEqual([["resolved", ["A2:r"]]]);
    expect(g.snapshot()).toEqual([]);
    expect(g.nextDueMs()).toBeUndefined();
  });

  it("repeats an unchanged firing group after repeatInterval, at the group's flush times", () => {
    const g = new Grouper(opts);
    g.add(alert("A"), 0);
    const sent: number[] = [];
    for (let t = 0; t <= 4000; t++) if (g.due(t * S).length > 0) sent.push(t);
    expect(sent).toEqual([30, 3630]);
  });

  it("keeps groups apart and says nothing about an alert that fired and resolved within groupWait", () => {
    const g = new Grouper(opts);
    g.add(alert("A"), 0);
    g.add(alert("B"), 10 * S);
    g.add(alert("A", {}, 0, 20 * S), 20 * S);
    expect(names(g.due(30 * S))).toEqual([]);
    expect(names(g.due(40 * S))).toEqual([["firing", ["B:f"]]]);
    g.add(alert("C", {}, 0, 50 * S), 50 * S);
    expect(g.snapshot().map((s) => s.groupKey)).toEqual(['{}:{alertname="B"}']);
  });

  it("sends at once an alert that has already been firing longer than groupWait", () => {
    const g = new Grouper(opts);
    g.add(alert("A", {}, 0), 600 * S);
    expect(names(g.due(600 * S))).toEqual([["firing", ["A:f"]]]);
  });

  it("sends a failed notification again at the next flush, resolved alerts included", () => {
    const g = new Grouper(opts);
    g.add(alert("A"), 0);
    const [n] = g.due(30 * S);
    if (!n) throw new Error("expected a notification");
    g.failed(n);
    expect(names(g.due(330 * S))).toEqual([["firing", ["A:f"]]]);

    g.add(alert("A", {}, 0, 400 * S), 400 * S);
    const [r] = g.due(630 * S);
    if (!r) throw new Error("expected a resolved notification");
    expect(g.snapshot()).toEqual([]);
    g.failed(r);
    expect(g.due(929_999)).toEqual([]);
    expect(names(g.due(930 * S))).toEqual([["resolved", ["A:r"]]]);
    expect(g.snapshot()).toEqual([]);
  });
});

describe("webhook payload", () => {
  const n: TNotification = {
    receiver: "web.hook",
    groupKey: '{}:{alertname="A"}',
    groupLabels: { alertname: "A" },
    status: "firing",
    atMs: 1_700_000_600_000,
    alerts: [
      {
        labels: { severity: "warning", alertname: "A", job: "api", instance: "b" },
        annotations: { summary: "x <b> & y", value: "0.2" },
        startsAtMs: 1_700_000_000_000,
        endsAtMs: null,
        generatorURL: "http://h/explore?query=a",
      },
      {
        labels: { alertname: "A", job: "api", instance: "a", severity: "warning" },
        annotations: { summary: "x <b> & y", value: "0.3" },
        startsAtMs: 1_700_000_000_500,
        endsAtMs: 1_700_000_300_000,
        generatorURL: "http://h/explore?query=a",
      },
    ],
  };

  it("matches Alertmanager's version 4 message, key order included", () => {
    const msg = webhookMessage(n, { externalURL: "http://h" });
    expect(msg).toEqual({
      receiver: "web\\.hook",
      status: "firing",
      alerts: [
        {
          status: "firing",
          labels: { alertname: "A", instance: "b", job: "api", severity: "warning" },
          annotations: { summary: "x <b> & y", value: "0.2" },
          startsAt: "2023-11-14T22:13:20Z",
          endsAt: "0001-01-01T00:00:00Z",
          generatorURL: "http://h/explore?query=a",
          fingerprint: fingerprint({ alertname: "A", instance: "b", job: "api", severity: "warning" }),
        },
        {
          status: "resolved",
          labels: { alertname: "A", instance: "a", job: "api", severity: "warning" },
          annotations: { summary: "x <b> & y", value: "0.3" },
          startsAt: "2023-11-14T22:13:20.5Z",
          endsAt: "2023-11-14T22:18:20Z",
          generatorURL: "http://h/explore?query=a",
          fingerprint: fingerprint({ alertname: "A", instance: "a", job: "api", severity: "warning" }),
        },
      ],
      groupLabels: { alertname: "A" },
      commonLabels: { alertname: "A", job: "api", severity: "warning" },
      commonAnnotations: { summary: "x <b> & y" },
      externalURL: "http://h",
      version: "4",
      groupKey: '{}:{alertname="A"}',
      truncatedAlerts: 0,
    });
    expect(Object.keys(msg)).toEqual([
      "receiver",
      "status",
      "alerts",
      "groupLabels",
      "commonLabels",
      "commonAnnotations",
      "externalURL",
      "version",
      "groupKey",
      "truncatedAlerts",
    ]);
    expect(Object.keys(msg.alerts[0] ?? {})).toEqual([
      "status",
      "labels",
      "annotations",
      "startsAt",
      "endsAt",
      "generatorURL",
      "fingerprint",
    ]);
    expect(Object.keys(msg.alerts[0]?.labels ?? {})).toEqual(["alertname", "instance", "job", "severity"]);
  });

  it("is resolved when every alert is, and truncates to maxAlerts", () => {
    const allResolved = { ...n, alerts: n.alerts.map((a) => ({ ...a, endsAtMs: 1_700_000_300_000 })) };
    expect(webhookMessage(allResolved, { externalURL: "" }).status).toBe("resolved");
    const cut = webhookMessage(n, { externalURL: "", maxAlerts: 1 });
    expect([cut.alerts.length, cut.truncatedAlerts, cut.commonAnnotations]).toEqual([
      1,
      1,
      { summary: "x <b> & y", value: "0.2" },
    ]);
  });

  it("serialises as Go's json.Encoder: HTML-safe escapes and a trailing newline", () => {
    const body = webhookBody(webhookMessage(n, { externalURL: "http://h" }));
    expect(body.endsWith("}\n")).toBe(true);
    expect(body).toContain('"summary":"x \\u003cb\\u003e \\u0026 y"');
    expect(body.startsWith('{"receiver":"web\\\\.hook","status":"firing","alerts":[{"status":"firing"')).toBe(true);
    expect(JSON.parse(body)).toEqual(webhookMessage(n, { externalURL: "http://h" }));
  });
});

describe("retries", () => {
  it("backs off exponentially, capped, and gives up after maxAttempts", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => retryDelays(a))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, null]);
    expect(retryDelays(7, null, { maxAttempts: 10 })).toBe(60_000);
    expect(retryDelays(0)).toBeNull();
  });

  it("obeys Retry-After seconds, within a limit", () => {
    expect(retryDelays(1, "120")).toBe(120_000);
    expect(retryDelays(2, 0)).toBe(0);
    expect(retryDelays(1, 3600)).toBe(900_000);
    expect(retryDelays(3, "Wed, 21 Oct 2015 07:28:00 GMT")).toBe(4000);
    expect(retryDelays(7, "10")).toBeNull();
  });

  it("retries server errors and 429 only", () => {
    expect([500, 503, 429, 400, 404, 200].map(shouldRetry)).toEqual([true, true, true, false, false, false]);
  });
});
