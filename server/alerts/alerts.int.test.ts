// Alerting end to end against a real server process on each store this run can reach: samples pushed
// as Prometheus text, a rule created over the API, a real HTTP webhook receiver in this test (the
// payload checked field by field against Alertmanager's webhook format, a 500 retried, the resolved
// message), Socket.IO events, silences, the Prometheus-compatible endpoints, rule files, and a
// firing alert that survives a restart.

import { writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { io as ioClient, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TAlertEvent, ZAlertEventSchema, ZAlertListSchema } from "../../lib/contracts/alerts";
import { runServerToExit, STORES, startServerProcess, storeEnv, type TServerProcess, tempDir } from "../test/harness";

const KEY = "itest-alerts-secret-0123456789";
const EXTERNAL = "http://hotpath.example:9999";
const auth = { authorization: `Bearer ${KEY}` };
const json = { ...auth, "content-type": "application/json" };

type TReceived = { at: number; headers: IncomingHttpHeaders; text: string; body: Record<string, unknown> };

/** A webhook receiver: answers with the queued statuses first, then 200; records every request. */
async function startReceiver(): Promise<{ url: string; got: TReceived[]; answers: number[]; close(): Promise<void> }> {
  const got: TReceived[] = [];
  const answers: number[] = [];
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => {
      text += d;
    });
    req.on("end", () => {
      got.push({ at: Date.now(), headers: req.headers, text, body: JSON.parse(text) });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    answers,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const store of STORES) {
  describe.skipIf(!store.available)(`alerting on ${store.kind}`, () => {
    let env: Awaited<ReturnType<typeof storeEnv>>;
    let server: TServerProcess;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let socket: Socket;
    const events: TAlertEvent[] = [];
    let channelId = "";
    let ruleId = "";
    let serverEnv: Record<string, string>;
    const files: { dir: string; remove: () => Promise<void> } = { dir: "", remove: async () => undefined };

    const push = async (text: string, job = "worker", instance = "w1") => {
      const res = await fetch(`${server.url}/api/v1/push?job=${job}&instance=${instance}`, {
        method: "POST",
        headers: auth,
        body: text,
      });
      expect(res.status, await res.text()).toBe(200);
    };
    const alerts = async () =>
      ZAlertListSchema.parse(await (await fetch(`${server.url}/api/alerts`, { headers: auth })).json());
    const api = (method: string, p: string, body?: unknown) =>
      fetch(`${server.url}${p}`, {
        method,
        headers: body === undefined ? auth : json,
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const connect = async () => {
      socket = ioClient(server.url, { transports: ["websocket"] });
      socket.on("alert", (payload: unknown) => events.push(ZAlertEventSchema.parse(payload)));
      await new Promise<void>((resolve) => socket.on("connect", () => resolve()));
      await new Promise<void>((resolve) => socket.emit("subscribe", { room: "alerts" }, () => resolve()));
    };

    beforeAll(async () => {
      env = await storeEnv(store.kind);
      receiver = await startReceiver();
      const t = await tempDir("hotpath-rules-");
      files.dir = t.dir;
      files.remove = t.remove;
      await writeFile(
        path.join(t.dir, "rules.yml"),
        [
          "groups:",
          "  - name: capacity",
          "    rules:",
          "      - alert: QueueNearlyFull",
          "        expr: queue_depth > 1000",
          "        for: 1m",
          "        labels:",
          "          severity: critical",
          "        annotations:",
          "          summary: '{{ $labels.queue }} is nearly full'",
        ].join("\n"),
      );
      serverEnv = {
        ...env.env,
        HOTPATH_BOOTSTRAP_KEY: KEY,
        HOTPATH_EXTERNAL_URL: EXTERNAL,
        HOTPATH_RULE_FILES: path.join(t.dir, "rules.yml"),
      };
      server = await startServerProcess(serverEnv);
      await connect();
    });
    afterAll(async () => {
      socket?.close();
      await server?.stop("SIGKILL");
      await receiver?.close();
      await env?.cleanup();
      await files.remove();
    });

    it("seeds the default rules once and loads the rule file read-only", async () => {
      const { rules } = await (await api("GET", "/api/alerts/rules")).json();
      const bySource = (s: string) => rules.filter((r: { source: string }) => r.source === s);
      expect(
        bySource("default")
          .map((r: { rule: { name: string } }) => r.rule.name)
          .sort(),
      ).toEqual([
        "CacheHitRatioLow",
        "DbPoolWaitP95High",
        "EventLoopLagHigh",
        "HttpErrorRatioHigh",
        "HttpLatencyP95High",
        "JobAbsent",
      ]);
      const [fileRule] = bySource("file");
      expect(fileRule).toMatchObject({
        readOnly: true,
        file: expect.stringMatching(/rules\.yml$/),
        rule: { name: "QueueNearlyFull", query: "queue_depth", threshold: 1000, forSeconds: 60, severity: "critical" },
      });
      const edit = await api("PUT", `/api/alerts/rules/${fileRule.id}`, { ...fileRule.rule, version: 1 });
      expect(edit.status).toBe(409);
      expect((await edit.json()).error).toMatchObject({
        code: "read_only",
        message: expect.stringMatching(/edit the file/),
      });
      // Defaults are editable but not deletable (they would come back).
      const del = await api("DELETE", "/api/alerts/rules/default-job-absent");
      expect(del.status).toBe(409);
      expect((await del.json()).error.message).toMatch(/"enabled": false/);
    });

    it("answers clear validation errors: bad query, threshold not a number, unknown channel", async () => {
      const base = { kind: "threshold", name: "X", query: "queue_depth", condition: "above", threshold: 1 };
      const cases: [unknown, string, RegExp][] = [
        [{ ...base, query: "sum(queue_depth" }, "query", /query is not valid PromQL/],
        [{ ...base, threshold: "ten" }, "threshold", /threshold must be a number/],
        [{ ...base, channels: ["nope"] }, "channels[0]", /unknown channel "nope"/],
      ];
      for (const [body, field, message] of cases) {
        const res = await api("POST", "/api/alerts/rules", body);
        expect(res.status).toBe(400);
        const { error } = await res.json();
        expect(error).toMatchObject({ code: "validation_failed", field });
        expect(error.message).toMatch(message);
      }
      const ok = await api("POST", "/api/alerts/rules/validate", base);
      expect(await ok.json()).toEqual({ ok: true });
    });

    it("fires on a pushed sample, emits on Socket.IO and delivers Alertmanager's payload after a retry", async () => {
      const ch = await api("POST", "/api/alerts/channels", {
        name: "receiver",
        url: receiver.url,
        groupWaitMs: 0,
        groupIntervalMs: 1000,
        headers: { "X-Token": "t0k3n" },
      });
      expect(ch.status).toBe(201);
      channelId = (await ch.json()).id;
      const created = await api("POST", "/api/alerts/rules", {
        kind: "threshold",
        name: "QueueDepthHigh",
        query: "queue_depth",
        condition: "above",
        threshold: 100,
        hysteresis: 0,
        labels: { team: "data" },
        annotations: { summary: "Queue {{ $labels.queue }} holds {{ $value }} items (threshold {{ $threshold }})" },
        channels: [channelId],
      });
      expect(created.status).toBe(201);
      ruleId = (await created.json()).id;

      receiver.answers.push(500);
      const pushedAt = Date.now();
      await push('queue_depth{queue="orders"} 150\nqueue_depth{queue="billing"} 7\n');

      const firing = await until("the firing event", () =>
        events.find((e) => e.to === "firing" && e.alert.ruleId === ruleId),
      );
      expect(firing.alert).toMatchObject({
        ruleName: "QueueDepthHigh",
        state: "firing",
        triggerValue: 150,
        threshold: 100,
        labels: { alertname: "QueueDepthHigh", queue: "orders", team: "data", severity: "warning" },
        chartUrl: "/explore?query=queue_depth&threshold=100",
      });
      expect(firing.at - pushedAt).toBeLessThan(5000);

      // 500 first, then the retry (back-off of about a second) is taken.
      await until("two deliveries", () => receiver.got.length >= 2 || undefined);
      const [first, second] = receiver.got as [TReceived, TReceived];
      expect(second.at - first.at).toBeGreaterThanOrEqual(800);
      expect(second.text).toBe(first.text);
      expect(second.headers["content-type"]).toBe("application/json");
      expect(second.headers["x-token"]).toBe("t0k3n");

      const body = second.body as Record<string, unknown> & { alerts: Record<string, unknown>[] };
      expect(Object.keys(body)).toEqual([
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
      const labels = {
        alertname: "QueueDepthHigh",
        instance: "w1",
        job: "worker",
        queue: "orders",
        severity: "warning",
        team: "data",
      };
      const annotations = { summary: "Queue orders holds 150 items (threshold 100)", threshold: "100", value: "150" };
      expect(body.receiver).toBe("receiver");
      expect(body.status).toBe("firing");
      expect(body.groupLabels).toEqual({ alertname: "QueueDepthHigh" });
      expect(body.commonLabels).toEqual(labels);
      expect(Object.keys(body.commonLabels as object)).toEqual(Object.keys(labels));
      expect(body.commonAnnotations).toEqual(annotations);
      expect(body.externalURL).toBe(EXTERNAL);
      expect(body.version).toBe("4");
      expect(body.groupKey).toBe('{}:{alertname="QueueDepthHigh"}');
      expect(body.truncatedAlerts).toBe(0);
      expect(body.alerts).toHaveLength(1);
      const a = body.alerts[0] as Record<string, unknown>;
      expect(Object.keys(a)).toEqual([
        "status",
        "labels",
        "annotations",
        "startsAt",
        "endsAt",
        "generatorURL",
        "fingerprint",
      ]);
      expect(a.status).toBe("firing");
      expect(a.labels).toEqual(labels);
      expect(a.annotations).toEqual(annotations);
      expect(a.startsAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(Date.parse(a.startsAt as string)).toBe(Date.parse(firing.alert.firedAt as string));
      expect(a.endsAt).toBe("0001-01-01T00:00:00Z");
      expect(a.generatorURL).toBe(`${EXTERNAL}/explore?query=queue_depth&threshold=100`);
      expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    });

    it("serves the Prometheus-compatible /api/v1/alerts and /api/v1/rules", async () => {
      const a = await (await fetch(`${server.url}/api/v1/alerts`, { headers: auth })).json();
      expect(a.status).toBe("success");
      const mine = a.data.alerts.find(
        (x: { labels: Record<string, string> }) => x.labels.alertname === "QueueDepthHigh",
      );
      expect(mine).toEqual({
        labels: {
          alertname: "QueueDepthHigh",
          instance: "w1",
          job: "worker",
          queue: "orders",
          severity: "warning",
          team: "data",
        },
        annotations: { summary: "Queue orders holds 150 items (threshold 100)", threshold: "100", value: "150" },
        state: "firing",
        activeAt: expect.stringMatching(/Z$/),
        value: "1.5e+02",
      });
      const r = await (await fetch(`${server.url}/api/v1/rules`, { headers: auth })).json();
      expect(r.status).toBe("success");
      const groups = r.data.groups as { name: string; file: string; rules: Record<string, unknown>[] }[];
      expect(groups.map((g) => g.name).sort()).toEqual(["defaults", "hotpath", "rules.yml"]);
      const rule = groups.flatMap((g) => g.rules).find((x) => x.name === "QueueDepthHigh") as Record<string, unknown>;
      expect(rule).toMatchObject({
        state: "firing",
        query: "(queue_depth) > 100",
        duration: 0,
        labels: { team: "data", severity: "warning" },
        health: "ok",
        type: "alerting",
      });
      expect((rule.alerts as unknown[]).length).toBe(1);
      expect(typeof rule.evaluationTime).toBe("number");
      const unauth = await fetch(`${server.url}/api/v1/alerts`);
      expect(unauth.status).toBe(401);
      expect(await unauth.json()).toMatchObject({ status: "error", errorType: "unauthorized" });
    });

    it("holds back notifications of a silenced alert, and creates a silence from an alert in one call", async () => {
      const { alerts: list } = await alerts();
      const firing = list.find((x) => x.ruleId === ruleId);
      expect(firing?.silenced).toBe(false);
      // Silence billing before it breaches: it fires (state and events) but nothing is sent.
      const byMatchers = await api("POST", "/api/alerts/silences", {
        matchers: [
          { name: "alertname", op: "=", value: "QueueDepthHigh" },
          { name: "queue", op: "=~", value: "bill.*" },
        ],
        durationSeconds: 600,
        comment: "maintenance",
      });
      expect(byMatchers.status).toBe(201);
      const sent = receiver.got.length;
      await push('queue_depth{queue="billing"} 500\n');
      const billing = await until("billing firing", () =>
        events.find((e) => e.to === "firing" && e.alert.labels.queue === "billing"),
      );
      expect(billing.alert.silenced).toBe(true);
      await new Promise((r) => setTimeout(r, 1500));
      expect(receiver.got.length).toBe(sent);

      const oneClick = await api("POST", "/api/alerts/silences", { alert: firing?.key, durationSeconds: 3600 });
      expect(oneClick.status).toBe(201);
      const silence = await oneClick.json();
      expect(silence).toMatchObject({
        status: "active",
        createdBy: "dashboard",
        matchers: expect.arrayContaining([
          { name: "alertname", op: "=", value: "QueueDepthHigh" },
          { name: "queue", op: "=", value: "orders" },
        ]),
      });
      const after = (await alerts()).alerts.find((x) => x.ruleId === ruleId && x.labels.queue === "orders");
      expect(after).toMatchObject({ state: "firing", silenced: true, silencedBy: [silence.id] });
      // Expired: no longer silenced.
      const expired = await api("DELETE", `/api/alerts/silences/${silence.id}`);
      expect((await expired.json()).status).toBe("expired");
      expect((await alerts()).alerts.find((x) => x.key === firing?.key)?.silenced).toBe(false);
    });

    it("keeps a firing alert through a restart", async () => {
      const before = (await alerts()).alerts.find((x) => x.ruleId === ruleId && x.labels.queue === "orders");
      expect(before?.state).toBe("firing");
      socket.close();
      const stopped = await server.stop("SIGTERM");
      expect(stopped.code).toBe(0);
      server = await startServerProcess(serverEnv);
      await connect();
      const list = await until("the evaluator after restart", async () => {
        const l = await alerts();
        return l.evaluating ? l : undefined;
      });
      const after = list.alerts.find((x) => x.key === before?.key);
      expect(after).toMatchObject({
        state: "firing",
        firedAt: before?.firedAt,
        activeAt: before?.activeAt,
        triggerValue: 150,
      });
      // Seeded from the store, the windows still see the breaching sample: no transition happened.
      await new Promise((r) => setTimeout(r, 1500));
      const history = await (await api("GET", `/api/alerts/history?ruleId=${ruleId}`)).json();
      const orders = history.events.filter((e: { labels: Record<string, string> }) => e.labels.queue === "orders");
      expect(orders.map((e: { from: string; to: string }) => `${e.from}→${e.to}`)).toEqual(["inactive→firing"]);
    });

    it("resolves, tells the receiver once with endsAt, and keeps the history", async () => {
      const sent = receiver.got.length;
      await push('queue_depth{queue="orders"} 20\nqueue_depth{queue="billing"} 20\n');
      const resolved = await until("the resolved event", () =>
        events.find((e) => e.to === "resolved" && e.alert.labels.queue === "orders"),
      );
      expect(resolved.alert.resolvedAt).not.toBeNull();
      const msg = await until("the resolved notification", () =>
        receiver.got.slice(sent).find((g) => (g.body as { status: string }).status === "resolved"),
      );
      const alertsIn = (msg.body as { alerts: { status: string; labels: Record<string, string>; endsAt: string }[] })
        .alerts;
      // Billing was silenced throughout: the receiver never heard of it, so it is not in the resolved message.
      expect(alertsIn.map((x) => [x.labels.queue, x.status])).toEqual([["orders", "resolved"]]);
      expect(Date.parse(alertsIn[0]?.endsAt ?? "")).toBe(Date.parse(resolved.alert.resolvedAt ?? ""));
      await new Promise((r) => setTimeout(r, 2500));
      const resolvedMessages = receiver.got
        .slice(sent)
        .filter((g) => (g.body as { alerts: { status: string }[] }).alerts.some((x) => x.status === "resolved"));
      expect(resolvedMessages).toHaveLength(1);
      const history = await (await api("GET", `/api/alerts/history?ruleId=${ruleId}`)).json();
      const orders = history.events.filter((e: { labels: Record<string, string> }) => e.labels.queue === "orders");
      expect(orders.map((e: { from: string; to: string }) => `${e.from}→${e.to}`)).toEqual([
        "firing→resolved",
        "inactive→firing",
      ]);
      expect(orders[1].value).toBe(150);
    });

    it("previews when a rule would have fired over a past range", async () => {
      const res = await api("POST", "/api/alerts/rules/preview", {
        rule: { kind: "threshold", name: "P", query: "queue_depth", condition: "above", threshold: 100, hysteresis: 0 },
        start: Date.now() - 10 * 60_000,
        end: Date.now(),
        stepMs: 1000,
      });
      expect(res.status).toBe(200);
      const p = await res.json();
      expect(p.series.length).toBeGreaterThanOrEqual(2);
      expect(p.fired).toBeGreaterThanOrEqual(2);
      expect(p.periods.map((x: { labels: Record<string, string> }) => x.labels.queue).sort()).toEqual([
        "billing",
        "orders",
      ]);
      const bad = await api("POST", "/api/alerts/rules/preview", {
        rule: { kind: "threshold", name: "P", query: "rate(x)", condition: "present" },
      });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toMatchObject({ code: "validation_failed", field: "rule.query" });
    });

    it("refuses to delete a channel a rule uses", async () => {
      const res = await api("DELETE", `/api/alerts/channels/${channelId}`);
      expect(res.status).toBe(409);
      expect((await res.json()).error.message).toMatch(/QueueDepthHigh/);
    });
  });
}

describe("rule files", () => {
  it("stop the start with the file and the place of the error", async () => {
    const t = await tempDir("hotpath-badrules-");
    const file = path.join(t.dir, "bad.yml");
    await writeFile(file, "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(up\n");
    const r = await runServerToExit({ HOTPATH_DATA_DIR: t.dir, HOTPATH_RULE_FILES: file });
    await t.remove();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`hotpath: HOTPATH_RULE_FILES: ${file} has 1 error(s): groups[0].rules[0].expr:`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
