// Every ingest protocol driven by the real client libraries against a real server, read back through
// the export API and the store, on each store this run can reach.
import { gzipSync } from "node:zlib";
import { context, trace } from "@opentelemetry/api";
import { OTLPMetricExporter as OTLPMetricExporterHttp } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as OTLPMetricExporterProto } from "@opentelemetry/exporter-metrics-otlp-proto";
import { OTLPTraceExporter as OTLPTraceExporterHttp } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OTLPTraceExporterProto } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import client from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORES, startServerProcess, storeEnv, type TServerProcess } from "../test/harness";
import { encodeRemoteWrite } from "./parse/remote-write";

const KEY = "itest-bootstrap-secret-0123456789";
const auth = { authorization: `Bearer ${KEY}` };

type TExported = { metric: Record<string, string>; values: (number | string)[]; timestamps: number[] };

async function exportSeries(url: string, match: string, key = KEY): Promise<TExported[]> {
  const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ "match[]": match, start: "0" })}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TExported);
}

for (const store of STORES) {
  describe.skipIf(!store.available)(`ingest on ${store.kind}`, () => {
    let server: TServerProcess;
    let env: Awaited<ReturnType<typeof storeEnv>>;

    beforeAll(async () => {
      env = await storeEnv(store.kind);
      server = await startServerProcess({ ...env.env, HOTPATH_BOOTSTRAP_KEY: KEY, HOTPATH_MAX_LABELS_PER_SERIES: "8" });
    });
    afterAll(async () => {
      await server?.stop("SIGKILL");
      await env?.cleanup();
    });

    it("accepts Prometheus text with gzip, timestamps and job/instance from the query", async () => {
      const body = [
        "# HELP req_total Requests.",
        "# TYPE req_total counter",
        'req_total{route="/a",method="GET"} 3 1700000000000',
        'req_total{route="/a",method="GET"} 5 1700000010000',
        'req_total{route="/b \\"q\\"",method="POST"} 1',
        "# TYPE lat_seconds histogram",
        'lat_seconds_bucket{le="0.1"} 1',
        'lat_seconds_bucket{le="+Inf"} 2',
        "lat_seconds_sum 0.3",
        "lat_seconds_count 2",
      ].join("\n");
      const res = await fetch(`${server.url}/api/v1/push?job=api&instance=i-1`, {
        method: "POST",
        headers: { ...auth, "content-type": "text/plain; version=0.0.4", "content-encoding": "gzip" },
        body: gzipSync(body),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: "success", samples: 7 });
      const req = await exportSeries(server.url, 'req_total{route="/a"}');
      expect(req).toEqual([
        {
          metric: { __name__: "req_total", route: "/a", method: "GET", job: "api", instance: "i-1" },
          values: [3, 5],
          timestamps: [1700000000000, 1700000010000],
        },
      ]);
      const escaped = await exportSeries(server.url, 'req_total{method="POST"}');
      expect(escaped[0]?.metric.route).toBe('/b "q"');
      const buckets = await exportSeries(server.url, "lat_seconds_bucket");
      expect(buckets.map((b) => b.metric.le).sort()).toEqual(["+Inf", "0.1"]);
    });

    it("answers malformed text with the line and column and stores nothing", async () => {
      const res = await fetch(`${server.url}/api/v1/push?job=bad`, {
        method: "POST",
        headers: auth,
        body: 'good_metric 1\nbad_metric{a="1" 2\n',
      });
      expect(res.status).toBe(400);
      const { error } = await res.json();
      expect(error).toMatchObject({ code: "parse_error", line: 2, status: 400 });
      expect(error.message).toContain("line 2, column");
      expect(await exportSeries(server.url, "good_metric")).toEqual([]);
    });

    it("works with prom-client's Pushgateway: push, pushAdd, delete", async () => {
      const registry = new client.Registry();
      const jobs = new client.Counter({ name: "batch_jobs_total", help: "Jobs.", registers: [registry] });
      const depth = new client.Gauge({ name: "batch_queue_depth", help: "Depth.", registers: [registry] });
      jobs.inc(4);
      depth.set(17);
      const gateway = new client.Pushgateway(server.url, { headers: auth }, registry);
      await gateway.push({ jobName: "nightly", groupings: { instance: "host a/1" } });
      jobs.inc(1);
      await gateway.pushAdd({ jobName: "nightly", groupings: { instance: "host a/1" } });

      const series = await exportSeries(server.url, 'batch_jobs_total{job="nightly"}');
      expect(series).toHaveLength(1);
      expect(series[0]?.metric.instance).toBe("host a/1");
      expect(series[0]?.values).toEqual([4, 5]);

      const groups = await (await fetch(`${server.url}/api/push-groups`, { headers: auth })).json();
      const group = groups.groups.find((g: { job: string }) => g.job === "nightly");
      expect(group).toMatchObject({
        labels: { job: "nightly", instance: "host a/1" },
        seriesCount: 2,
        mode: "replace",
      });
      expect(Date.parse(group.pushedAt)).toBeGreaterThan(Date.now() - 60_000);

      await gateway.delete({ jobName: "nightly", groupings: { instance: "host a/1" } });
      const after = await (await fetch(`${server.url}/api/push-groups`, { headers: auth })).json();
      expect(after.groups.find((g: { job: string }) => g.job === "nightly")).toBeUndefined();
      // Deleting the group keeps the history: every push was stored as samples.
      expect((await exportSeries(server.url, 'batch_jobs_total{job="nightly"}'))[0]?.values).toEqual([4, 5]);
    });

    it("adds counters in additive mode and records a TTL", async () => {
      const put = (value: number) =>
        fetch(`${server.url}/metrics/job/shortlived`, {
          method: "POST",
          headers: { ...auth, "hotpath-push-mode": "additive", "hotpath-ttl": "5m" },
          body: `# TYPE processed_total counter\nprocessed_total ${value}\n`,
        });
      expect((await put(10)).status).toBe(200);
      expect((await put(5)).status).toBe(200);
      const series = await exportSeries(server.url, 'processed_total{job="shortlived"}');
      expect(series[0]?.values).toEqual([10, 15]);
      const groups = await (await fetch(`${server.url}/api/push-groups`, { headers: auth })).json();
      const group = groups.groups.find((g: { job: string }) => g.job === "shortlived");
      expect(group.mode).toBe("additive");
      expect(Date.parse(group.expiresAt) - Date.parse(group.pushedAt)).toBe(300_000);
    });

    it("decodes hand-made remote-write payloads", async () => {
      const body = encodeRemoteWrite({
        timeseries: [
          {
            labels: [
              { name: "__name__", value: "rw_up" },
              { name: "job", value: "prom" },
            ],
            samples: [
              { value: 1, timestamp: 1700000000000 },
              { value: 0, timestamp: 1700000015000 },
            ],
          },
        ],
      });
      const res = await fetch(`${server.url}/api/v1/write`, {
        method: "POST",
        headers: {
          ...auth,
          "content-type": "application/x-protobuf",
          "content-encoding": "snappy",
          "x-prometheus-remote-write-version": "0.1.0",
        },
        body: new Uint8Array(body),
      });
      expect(res.status).toBe(204);
      expect(await exportSeries(server.url, "rw_up")).toEqual([
        { metric: { __name__: "rw_up", job: "prom" }, values: [1, 0], timestamps: [1700000000000, 1700000015000] },
      ]);
      const garbage = await fetch(`${server.url}/api/v1/write`, {
        method: "POST",
        headers: auth,
        body: Buffer.from("nope"),
      });
      expect(garbage.status).toBe(400);
      expect((await garbage.json()).error.code).toBe("parse_error");
    });

    it("takes traces from the OpenTelemetry JS exporters, JSON and protobuf", async () => {
      for (const [Exporter, service] of [
        [OTLPTraceExporterHttp, "svc-json"],
        [OTLPTraceExporterProto, "svc-proto"],
      ] as const) {
        const exporter = new Exporter({ url: `${server.url}/v1/traces`, headers: auth });
        const provider = new BasicTracerProvider({
          resource: resourceFromAttributes({ "service.name": service }),
          spanProcessors: [new SimpleSpanProcessor(exporter)],
        });
        const tracer = provider.getTracer("itest");
        await tracer.startActiveSpan("GET /orders/:id", async (root) => {
          root.setAttribute("http.route", "/orders/:id");
          const child = tracer.startSpan("SELECT orders", {}, trace.setSpan(context.active(), root));
          child.setAttribute("db.system", "postgresql");
          child.setAttribute("db.query.text", "SELECT * FROM orders WHERE id = $1");
          child.recordException(new Error("boom"));
          child.setStatus({ code: 2, message: "boom" });
          child.end();
          root.end();
        });
        await provider.forceFlush();
        await provider.shutdown();
      }
      for (const service of ["svc-json", "svc-proto"]) {
        const res = await fetch(`${server.url}/api/spans?service=${service}`, { headers: auth });
        const { spans } = (await res.json()) as {
          spans: {
            traceId: string;
            name: string;
            route: string | null;
            dbStatement: string | null;
            status: string;
            events: unknown[];
            parentSpanId: string | null;
          }[];
        };
        const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
        expect(Object.keys(byName).sort()).toEqual(["GET /orders/:id", "SELECT orders"]);
        expect(byName["GET /orders/:id"]?.route).toBe("/orders/:id");
        expect(byName["SELECT orders"]).toMatchObject({
          dbStatement: "SELECT * FROM orders WHERE id = $1",
          status: "error",
        });
        expect(JSON.stringify(byName["SELECT orders"]?.events)).toContain("exception");
        const trace = await (await fetch(`${server.url}/api/traces/${spans[0]?.traceId}`, { headers: auth })).json();
        expect(trace.spans).toHaveLength(2);
        type TS = { name: string; spanId: string; parentSpanId: string | null };
        const root = trace.spans.find((x: TS) => x.name === "GET /orders/:id");
        const child = trace.spans.find((x: TS) => x.name === "SELECT orders");
        expect(root.parentSpanId).toBeNull();
        expect(child.parentSpanId).toBe(root.spanId);
      }
    });

    it("takes metrics from the OpenTelemetry JS exporters, cumulative and delta", async () => {
      for (const [Exporter, job, temporality] of [
        [OTLPMetricExporterHttp, "otel-json", AggregationTemporality.CUMULATIVE],
        [OTLPMetricExporterProto, "otel-proto", AggregationTemporality.DELTA],
      ] as const) {
        const exporter = new Exporter({
          url: `${server.url}/v1/metrics`,
          headers: auth,
          temporalityPreference: temporality,
        });
        const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
        const provider = new MeterProvider({
          resource: resourceFromAttributes({ "service.name": job }),
          readers: [reader],
        });
        const meter = provider.getMeter("itest");
        const counter = meter.createCounter("orders.created", { unit: "{order}" });
        const hist = meter.createHistogram("http.server.request.duration", { unit: "s" });
        counter.add(2, { route: "/orders" });
        hist.record(0.12, { "http.route": "/orders" });
        await reader.forceFlush();
        counter.add(3, { route: "/orders" });
        await reader.forceFlush();
        await provider.shutdown();
      }
      for (const job of ["otel-json", "otel-proto"]) {
        const orders = await exportSeries(server.url, `orders_created_total{job="${job}"}`);
        expect(orders).toHaveLength(1);
        // Delta points are turned into a running total: both read 2, then 5 (shutdown may export once more).
        const values = orders[0]?.values ?? [];
        expect(values.slice(0, 2)).toEqual([2, 5]);
        expect(new Set(values.slice(1))).toEqual(new Set([5]));
        const buckets = await exportSeries(server.url, `http_server_request_duration_seconds_bucket{job="${job}"}`);
        expect(buckets.length).toBeGreaterThan(1);
        expect(buckets.some((b) => b.metric.le === "+Inf")).toBe(true);
      }
    });

    it("requires a key with the right, and forgets revoked keys", async () => {
      const push = (headers: Record<string, string>) =>
        fetch(`${server.url}/api/v1/push`, { method: "POST", headers, body: "auth_probe 1\n" });
      expect((await push({})).status).toBe(401);
      expect((await push({ authorization: "Bearer hp_wrong" })).status).toBe(401);
      const created = await fetch(`${server.url}/api/keys`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ name: "reader", rights: ["read"] }),
      });
      expect(created.status).toBe(201);
      const { key, secret } = await created.json();
      const denied = await push({ authorization: `Bearer ${secret}` });
      expect(denied.status).toBe(403);
      expect((await denied.json()).error.message).toContain('lacks the "ingest" right');
      const ingestKey = await (
        await fetch(`${server.url}/api/keys`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ name: "agent", rights: ["ingest"] }),
        })
      ).json();
      expect((await push({ authorization: `Bearer ${ingestKey.secret}` })).status).toBe(200);
      await fetch(`${server.url}/api/keys/${ingestKey.key.id}`, { method: "DELETE", headers: auth });
      expect((await push({ authorization: `Bearer ${ingestKey.secret}` })).status).toBe(401);
      expect(key.rights).toEqual(["read"]);
      const badBody = await fetch(`${server.url}/api/keys`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ name: "x", rights: ["root"] }),
      });
      expect(badBody.status).toBe(400);
      expect((await badBody.json()).error.message).toContain("rights");
    });

    it("enforces label limits with a message naming the series", async () => {
      const labels = Array.from({ length: 9 }, (_, i) => `l${i}="v"`).join(",");
      const res = await fetch(`${server.url}/api/v1/push`, {
        method: "POST",
        headers: auth,
        body: `wide{${labels}} 1\n`,
      });
      expect(res.status).toBe(400);
      const { error } = await res.json();
      expect(error).toMatchObject({ code: "limit_exceeded", limit: "labels_per_series" });
      expect(error.message).toContain('"wide" has 9 labels; the limit is 8');
    });
  });
}
