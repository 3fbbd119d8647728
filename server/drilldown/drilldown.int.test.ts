// The drill-down API against a real server on each store this run can reach: spans pushed with the
// OpenTelemetry OTLP exporter, cache metrics pushed as Prometheus text, and every view read back.
import { type Context, context, type Span, SpanKind, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type TCachesResponse,
  type TQueryDetailResponse,
  type TQueryListResponse,
  type TServicesResponse,
  type TSpanSearchResponse,
  type TTraceViewResponse,
  ZCachesResponseSchema,
  ZQueryDetailResponseSchema,
  ZQueryListResponseSchema,
  ZServicesResponseSchema,
  ZSpanSearchResponseSchema,
  ZTraceViewResponseSchema,
} from "../../lib/contracts/drilldown";
import { fingerprint } from "../sql/fingerprint";
import { STORES, startServerProcess, storeEnv, type TServerProcess } from "../test/harness";

const KEY = "itest-drilldown-secret-0123456789";
const auth = { authorization: `Bearer ${KEY}` };
const NOW = Date.now();
// Whole seconds, so that the burst of cache misses below falls in one second.
const SPAN_BASE = Math.floor((NOW - 10 * 60_000) / 1000) * 1000;

const ORDERS_SQL = "SELECT * FROM orders WHERE customer_id = $1";
const ITEMS_SQL = "SELECT * FROM order_items WHERE order_id = $1";
const PLAN = JSON.stringify([
  {
    Plan: {
      "Node Type": "Sort",
      "Startup Cost": 1900.1,
      "Total Cost": 1900.2,
      "Plan Rows": 3,
      "Sort Key": ["created_at DESC"],
      Plans: [
        {
          "Node Type": "Seq Scan",
          "Parent Relationship": "Outer",
          "Relation Name": "orders",
          Alias: "orders",
          "Startup Cost": 0,
          "Total Cost": 1850.5,
          "Plan Rows": 3,
          Filter: "(customer_id = 42)",
        },
      ],
    },
  },
]);

/** Spans with explicit times: `at` ms after SPAN_BASE, lasting `ms`. */
function timed(
  tracer: ReturnType<BasicTracerProvider["getTracer"]>,
  name: string,
  at: number,
  ms: number,
  opts: { kind?: SpanKind; attributes?: Record<string, string | number | boolean>; parent?: Span; error?: string },
  body?: (span: Span) => void,
) {
  const ctx: Context = opts.parent ? trace.setSpan(context.active(), opts.parent) : context.active();
  const span = tracer.startSpan(
    name,
    { kind: opts.kind ?? SpanKind.INTERNAL, startTime: SPAN_BASE + at, attributes: opts.attributes },
    ctx,
  );
  body?.(span);
  if (opts.error) {
    span.recordException(new Error(opts.error));
    span.setStatus({ code: 2, message: opts.error });
  }
  span.end(SPAN_BASE + at + ms);
  return span;
}

async function pushSpans(url: string) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "shop-api" }),
    // One export for all spans: the exporter refuses more than a few concurrent exports.
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces`, headers: auth }), {
        maxExportBatchSize: 1000,
        scheduledDelayMillis: 60_000,
      }),
    ],
  });
  const tracer = provider.getTracer("drilldown-itest");
  const server = (route: string, at: number, ms: number, body: (s: Span) => void, error?: string) =>
    timed(
      tracer,
      `GET ${route}`,
      at,
      ms,
      { kind: SpanKind.SERVER, attributes: { "http.route": route, "http.request.method": "GET" }, error },
      body,
    );
  const db = (parent: Span, sql: string, at: number, ms: number, extra: Record<string, string | number> = {}) =>
    timed(tracer, "SELECT shop", at, ms, {
      kind: SpanKind.CLIENT,
      parent,
      attributes: { "db.system": "postgresql", "db.namespace": "shop", "db.query.text": sql, ...extra },
    });

  // Six requests for one customer's orders; the first carries an EXPLAIN plan, the last fails.
  for (let i = 0; i < 6; i++) {
    server(
      "/orders/:id",
      i * 1000,
      40,
      (root) => {
        db(root, ORDERS_SQL, i * 1000 + 5, 20 + i, {
          "db.response.returned_rows": 3,
          ...(i === 0 ? { "db.plan": PLAN } : {}),
        });
      },
      i === 5 ? "upstream timeout" : undefined,
    );
  }
  // Two requests with an N+1: seven lookups of order items each.
  for (let r = 0; r < 2; r++) {
    server("/customers/:id/orders", 10_000 + r * 1000, 200, (root) => {
      for (let k = 0; k < 7; k++) db(root, ITEMS_SQL, 10_000 + r * 1000 + 2 + k * 10, k === 6 && r === 1 ? 100 : 8);
    });
  }
  // Raw (not agent-normalized) statements whose IN lists differ in length: one fingerprint.
  server("/products", 20_000, 30, (root) => {
    db(root, "SELECT * FROM products WHERE id IN (1, 2, 3)", 20_002, 6);
    db(root, "select * from products where id in (4,5)", 20_010, 4);
  });
  // Cache lookups that miss, twelve times for one key within a second: a miss storm.
  server("/products/:id", 30_000, 200, (root) => {
    timed(tracer, "internal work", 30_001, 150, { parent: root }, (work) => {
      for (let k = 0; k < 12; k++) {
        timed(tracer, "cache.get", 30_002 + k * 10, 2, {
          parent: work,
          attributes: {
            "cache.name": "products",
            "cache.level": "memory",
            "cache.hit": false,
            "cache.key": "product:1",
          },
        });
      }
    });
  });
  await provider.forceFlush();
  await provider.shutdown();
}

/** 30 minutes of cache counters every 15 s: 90 % memory hits, then 40 % in the last 5 minutes. */
function cacheMetrics(end: number): string {
  const lines: string[] = [];
  const step = 15_000;
  const c = { mh: 0, mm: 0, rh: 0, rm: 0, ev: 0, sets: 0, b1: 0, b5: 0, b10: 0, binf: 0 };
  for (let t = end - 30 * 60_000; t <= end; t += step) {
    const recent = t > end - 5 * 60_000;
    const memHits = recent ? 40 : 90;
    const memMisses = 100 - memHits;
    c.mh += memHits;
    c.mm += memMisses;
    // Redis answers half of what memory misses; the rest reaches the database.
    c.rh += memMisses / 2;
    c.rm += memMisses / 2;
    c.sets += memMisses;
    c.ev += Math.round(memMisses * 0.9);
    c.b1 += 50;
    c.b5 += 90;
    c.b10 += 99;
    c.binf += 100;
    // The memory-miss counter restarts once (a process restart) halfway: increments must survive it.
    if (t === end - 15 * 60_000) c.mm = memMisses;
    lines.push(
      `cache_requests_total{cache="products",level="memory",result="hit"} ${c.mh} ${t}`,
      `cache_requests_total{cache="products",level="memory",result="miss"} ${c.mm} ${t}`,
      `cache_requests_total{cache="products",level="redis",result="hit"} ${c.rh} ${t}`,
      `cache_requests_total{cache="products",level="redis",result="miss"} ${c.rm} ${t}`,
      `cache_evictions_total{cache="products",level="memory"} ${c.ev} ${t}`,
      `cache_operation_duration_seconds_count{cache="products",level="memory",operation="set"} ${c.sets} ${t}`,
      `cache_operation_duration_seconds_bucket{cache="products",level="memory",operation="get",le="0.001"} ${c.b1} ${t}`,
      `cache_operation_duration_seconds_bucket{cache="products",level="memory",operation="get",le="0.005"} ${c.b5} ${t}`,
      `cache_operation_duration_seconds_bucket{cache="products",level="memory",operation="get",le="0.01"} ${c.b10} ${t}`,
      `cache_operation_duration_seconds_bucket{cache="products",level="memory",operation="get",le="+Inf"} ${c.binf} ${t}`,
      `cache_entries{cache="products",level="memory"} 1000 ${t}`,
    );
  }
  return [
    "# TYPE cache_requests_total counter",
    "# TYPE cache_evictions_total counter",
    "# TYPE cache_entries gauge",
    ...lines,
  ].join("\n");
}

for (const store of STORES) {
  describe.skipIf(!store.available)(`drill-down API on ${store.kind}`, () => {
    let server: TServerProcess;
    let env: Awaited<ReturnType<typeof storeEnv>>;
    const range = `start=${NOW - 3_600_000}&end=${NOW + 60_000}`;

    const get = async <T>(path: string, schema: { parse(x: unknown): T }): Promise<T> => {
      const res = await fetch(`${server.url}${path}`, { headers: auth });
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).toBe(200);
      return schema.parse(body);
    };

    beforeAll(async () => {
      env = await storeEnv(store.kind);
      server = await startServerProcess({ ...env.env, HOTPATH_BOOTSTRAP_KEY: KEY });
      await pushSpans(server.url);
      const push = await fetch(`${server.url}/api/v1/push?job=shop-api&instance=web-1`, {
        method: "POST",
        headers: { ...auth, "content-type": "text/plain; version=0.0.4" },
        body: cacheMetrics(NOW),
      });
      expect(push.status, await push.text()).toBe(200);
    });
    afterAll(async () => {
      await server?.stop("SIGKILL");
      await env?.cleanup();
    });

    it("lists services with RED figures and top operations", async () => {
      const body: TServicesResponse = await get(`/api/services?${range}`, ZServicesResponseSchema);
      const shop = body.services.find((s) => s.service === "shop-api");
      expect(shop).toBeDefined();
      if (!shop) return;
      expect(shop.requests).toBe(10);
      expect(shop.errors).toBe(1);
      expect(shop.errorPct).toBe(10);
      expect(shop.p50Ms).toBeGreaterThan(0);
      expect(shop.p99Ms).toBeGreaterThanOrEqual(shop.p95Ms);
      expect(shop.p95Ms).toBeGreaterThanOrEqual(shop.p50Ms);
      expect(shop.ratePerSec).toBeCloseTo(10 / 3660, 4);
      // Ranked by total time: /customers 2 × 200 ms; /orders/:id 6 × 40; /products/:id 200; /products 30.
      expect(shop.topOperations.map((o) => o.route)).toEqual([
        "/customers/:id/orders",
        "/orders/:id",
        "/products/:id",
        "/products",
      ]);
      expect(shop.topOperations[1]).toMatchObject({ name: "GET /orders/:id", calls: 6, errors: 1, totalMs: 240 });
      expect(shop.series).toHaveLength(30);
      expect(shop.series.reduce((a, p) => a + p.ratePerSec * (body.bucketMs / 1000), 0)).toBeCloseTo(10, 0);
    });

    it("clamps ranges to 30 days and validates input", async () => {
      const body = await get(`/api/services?start=0&end=${NOW}`, ZServicesResponseSchema);
      expect(body.range).toEqual({ start: NOW - 30 * 86_400_000, end: NOW, clamped: true });
      const bad = await fetch(`${server.url}/api/queries?sort=fastest`, { headers: auth });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toMatchObject({ code: "validation_failed", field: "sort" });
      const backwards = await fetch(`${server.url}/api/caches?start=${NOW}&end=${NOW - 1}`, { headers: auth });
      expect(backwards.status).toBe(400);
      const anonymous = await fetch(`${server.url}/api/services`);
      expect(anonymous.status).toBe(401);
      expect((await anonymous.json()).error.code).toBe("unauthorized");
    });

    it("aggregates statements into fingerprints with share, percentiles, rows and a trend", async () => {
      const body: TQueryListResponse = await get(`/api/queries?${range}`, ZQueryListResponseSchema);
      expect(body.totalCalls).toBe(6 + 14 + 2);
      expect(body.fingerprints).toBe(3);
      const orders = body.queries.find((q) => q.text === "SELECT * FROM orders WHERE customer_id = ?");
      expect(orders).toMatchObject({
        fingerprint: fingerprint(ORDERS_SQL).id,
        calls: 6,
        errors: 0,
        totalMs: 20 + 21 + 22 + 23 + 24 + 25,
        rows: 18,
        rowsPerCall: 3,
        dbSystem: "postgresql",
        services: ["shop-api"],
      });
      expect(orders?.p50Ms).toBeCloseTo(22.5, 1);
      expect(orders?.sharePct).toBeCloseTo((100 * 135) / body.totalDbMs, 1);
      expect(orders?.trend).toHaveLength(30);
      expect(orders?.trend.reduce((a, p) => a + p.calls, 0)).toBe(6);
      const products = body.queries.find((q) => q.text === "SELECT * FROM products WHERE id IN (...)");
      expect(products).toMatchObject({ calls: 2, totalMs: 10 });
      expect(body.facets).toEqual({ services: ["shop-api"], dbs: ["postgresql", "shop"] });

      const byCalls = await get(`/api/queries?${range}&sort=calls&limit=1`, ZQueryListResponseSchema);
      expect(byCalls.queries.map((q) => q.text)).toEqual(["SELECT * FROM order_items WHERE order_id = ?"]);
      const byMean = await get(`/api/queries?${range}&sort=mean`, ZQueryListResponseSchema);
      expect(byMean.queries[0]?.text).toBe("SELECT * FROM orders WHERE customer_id = ?");
      const byP95 = await get(`/api/queries?${range}&sort=p95`, ZQueryListResponseSchema);
      expect(byP95.queries[0]?.text).toBe("SELECT * FROM order_items WHERE order_id = ?");
      const other = await get(`/api/queries?${range}&service=nobody`, ZQueryListResponseSchema);
      expect(other.queries).toEqual([]);
      const shopDb = await get(`/api/queries?${range}&db=shop`, ZQueryListResponseSchema);
      expect(shopDb.queries).toHaveLength(3);
    });

    it("details a fingerprint: N+1, routes, traces and slowest examples", async () => {
      const id = fingerprint(ITEMS_SQL).id;
      const d: TQueryDetailResponse = await get(`/api/queries/${id}?${range}`, ZQueryDetailResponseSchema);
      expect(d.summary).toMatchObject({ calls: 14, totalMs: 13 * 8 + 100 });
      expect(d.nPlusOne).toMatchObject({
        threshold: 5,
        detected: true,
        maxRepeats: 7,
        tracesAffected: 2,
        tracesSeen: 2,
      });
      expect(d.nPlusOne.traces).toHaveLength(2);
      expect(d.routes).toEqual([
        expect.objectContaining({ service: "shop-api", route: "/customers/:id/orders", calls: 14, traces: 2 }),
      ]);
      expect(d.traces[0]).toMatchObject({ calls: 7, route: "/customers/:id/orders" });
      expect(d.slowest[0]).toMatchObject({ durationMs: 100, route: "/customers/:id/orders" });
      expect(d.plan).toBeNull();
      expect(d.series.reduce((a, p) => a + p.calls, 0)).toBe(14);

      // The span search finds the traces that issue it, for the fingerprint → traces link.
      const hits: TSpanSearchResponse = await get(
        `/api/drilldown/spans?${range}&fingerprint=${id}`,
        ZSpanSearchResponseSchema,
      );
      expect(hits.spans).toHaveLength(14);
      expect(new Set(hits.spans.map((s) => s.traceId))).toEqual(new Set(d.traces.map((t) => t.traceId)));

      const merged = await get(
        `/api/queries/${fingerprint("SELECT * FROM products WHERE id IN (1)").id}?${range}`,
        ZQueryDetailResponseSchema,
      );
      expect(merged.statements.sort()).toEqual([
        "SELECT * FROM products WHERE id IN (1, 2, 3)",
        "select * from products where id in (4,5)",
      ]);
      expect(merged.nPlusOne.detected).toBe(false);
    });

    it("returns the latest plan with the costliest node and a candidate index", async () => {
      const d = await get(`/api/queries/${fingerprint(ORDERS_SQL).id}?${range}`, ZQueryDetailResponseSchema);
      expect(d.routes).toEqual([expect.objectContaining({ route: "/orders/:id", calls: 6, traces: 6 })]);
      expect(d.plan).not.toBeNull();
      const plan = d.plan;
      if (!plan) return;
      expect(plan.nodes.map((n) => [n.nodeType, n.depth])).toEqual([
        ["Sort", 0],
        ["Seq Scan", 1],
      ]);
      const costliest = plan.nodes.find((n) => n.costliest);
      expect(costliest).toMatchObject({ nodeType: "Seq Scan", relation: "orders", selfCost: 1850.5 });
      expect(plan.costliestNodeId).toBe(costliest?.id);
      expect(plan.suggestions).toEqual([
        expect.objectContaining({
          relation: "orders",
          columns: ["customer_id"],
          sql: "CREATE INDEX ON orders (customer_id)",
        }),
      ]);
      expect(plan.nodes[1]?.suggestion).toBe("CREATE INDEX ON orders (customer_id)");
    });

    it("answers 404 for a fingerprint with no statement in range and 400 for a malformed id", async () => {
      const missing = await fetch(`${server.url}/api/queries/0123456789abcdef?${range}`, { headers: auth });
      expect(missing.status).toBe(404);
      expect((await missing.json()).error.code).toBe("not_found");
      const malformed = await fetch(`${server.url}/api/queries/nope`, { headers: auth });
      expect(malformed.status).toBe(400);
    });

    it("computes cache hit ratios from counter deltas, the hierarchy and the detections", async () => {
      const body: TCachesResponse = await get(
        `/api/caches?start=${NOW - 3_600_000}&end=${NOW + 1000}`,
        ZCachesResponseSchema,
      );
      const memory = body.caches.find((c) => c.cache === "products" && c.level === "memory");
      const redis = body.caches.find((c) => c.cache === "products" && c.level === "redis");
      expect(memory).toBeDefined();
      expect(redis).toBeDefined();
      if (!memory || !redis) return;
      expect(memory.services).toEqual(["shop-api"]);
      // 120 intervals of 100 gets: 100 at 90 % and 20 at 40 %; the counter reset loses nothing.
      expect(memory.hits).toBe(100 * 90 + 20 * 40);
      expect(memory.misses).toBe(100 * 10 + 20 * 60);
      expect(memory.baselineHitRatio).toBeCloseTo(0.9, 3);
      expect(memory.recentHitRatio).toBeCloseTo(0.4, 3);
      expect(memory.p95Ms).toBeCloseTo(7.778, 2);
      expect(memory.entries).toBe(1000);
      expect(memory.setsPerSec).toBeCloseTo(2200 / 3601, 3);
      expect(redis.hitRatio).toBeCloseTo(0.5, 3);
      const kinds = memory.detections.map((d) => d.kind).sort();
      expect(kinds).toEqual(["eviction_churn", "hit_ratio_drop", "miss_storm"]);
      expect(memory.detections.find((d) => d.kind === "hit_ratio_drop")).toMatchObject({ severity: "critical" });
      expect(memory.detections.find((d) => d.kind === "miss_storm")?.evidence).toMatchObject({
        key: "product:1",
        missesInOneSecond: 12,
      });
      expect(redis.detections.map((d) => d.kind)).not.toContain("hit_ratio_drop");
      const series = memory.series.filter((p) => p.hitRatio !== null);
      expect(series.length).toBeGreaterThanOrEqual(30);

      const h = body.hierarchies.find((x) => x.cache === "products");
      expect(h?.levels).toEqual(["memory", "redis"]);
      // Half of the memory misses reach the database: 1 - (2200 / 2) / 12000.
      expect(h?.effectiveHitRatio).toBeCloseTo(1 - 1100 / 12_000, 3);
      expect(body.missRoutes).toEqual([
        expect.objectContaining({ cache: "products", level: "memory", route: "/products/:id", misses: 12, traces: 1 }),
      ]);
    });

    it("shows a trace as a waterfall with categories, self time and fingerprints", async () => {
      const search = await get(
        `/api/drilldown/spans?${range}&route=${encodeURIComponent("/products/:id")}`,
        ZSpanSearchResponseSchema,
      );
      expect(search.spans).toHaveLength(1);
      const traceId = search.spans[0]?.traceId as string;
      const view: TTraceViewResponse = await get(`/api/drilldown/traces/${traceId}`, ZTraceViewResponseSchema);
      expect(view.route).toBe("/products/:id");
      expect(view.durationMs).toBe(200);
      expect(view.spans[0]).toMatchObject({ name: "GET /products/:id", depth: 0, category: "http", selfMs: 50 });
      expect(view.spans[1]).toMatchObject({ name: "internal work", depth: 1, category: "internal", selfMs: 126 });
      expect(view.spans.filter((s) => s.category === "cache")).toHaveLength(12);
      const share = Object.fromEntries(view.byCategory.map((c) => [c.category, c.share]));
      expect(share).toEqual({ http: 0.25, internal: 0.63, cache: 0.12 });

      const orders = await get(
        `/api/drilldown/spans?${range}&attr=${encodeURIComponent("db.response.returned_rows=3")}`,
        ZSpanSearchResponseSchema,
      );
      expect(orders.spans).toHaveLength(6);
      const withDb = await get(`/api/drilldown/traces/${orders.spans[0]?.traceId}`, ZTraceViewResponseSchema);
      const dbSpan = withDb.spans.find((s) => s.category === "db");
      expect(dbSpan?.fingerprint).toEqual(fingerprint(ORDERS_SQL));
      const failed = await get(`/api/drilldown/spans?${range}&status=error`, ZSpanSearchResponseSchema);
      expect(failed.spans.map((s) => s.name)).toEqual(["GET /orders/:id"]);
      const slow = await get(`/api/drilldown/spans?${range}&minDurationMs=100`, ZSpanSearchResponseSchema);
      expect(slow.spans.map((s) => s.name).sort()).toEqual([
        "GET /customers/:id/orders",
        "GET /customers/:id/orders",
        "GET /products/:id",
        "SELECT shop",
        "internal work",
      ]);
    });
  });
}
