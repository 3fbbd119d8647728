// The demo against a real Hotpath: every instrumentation helper's series and spans arrive, and every
// fault switch moves the signal it is documented to move, compared with a healthy window just before.
// One Hotpath process and one demo are shared by all tests; faults are cleared (and the demo allowed to
// settle) between tests. Figures are read back through Hotpath's own read API, as a user would.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { REDIS_URL, startServerProcess, storeEnv, type TServerProcess } from "../server/test/harness";
import { openDatabase, prepareSchema, type TDemoDatabase } from "./db";
import type { TFaultLabel } from "./faults";
import { runLoad, type TLoadStats } from "./load";
import { startDemo, type TDemo } from "./service";

const KEY = `demo-test-${randomBytes(12).toString("hex")}`;
const SERVICE = `demo-shop-test-${randomBytes(3).toString("hex")}`;
const RATE = 20;
const POOL_MAX = 10;
const WORKERS = 2;

type TSeries = { metric: Record<string, string>; values: (number | string)[]; timestamps: number[] };
type TWindow = { from: number; to: number; loadEnd: number; load: TLoadStats };
type TSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: string;
  startMs: number;
  durationMs: number;
  route: string | null;
  dbSystem: string | null;
  dbStatement: string | null;
  attributes: Record<string, unknown>;
};

let hotpath: TServerProcess;
let store: { cleanup(): Promise<void> };
let demo: TDemo;
let database: TDemoDatabase | undefined;
const demoLog: string[] = [];
let seed = 1;

// ---- Hotpath read API ----------------------------------------------------------------------------

async function api<T>(path: string, params: Record<string, string | string[]> = {}): Promise<T> {
  const u = new URL(path, hotpath.url);
  for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) u.searchParams.append(k, x);
  const res = await fetch(u, { headers: { authorization: `Bearer ${KEY}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path} → ${res.status}: ${text}`);
  return (path === "/api/v1/export" ? text : JSON.parse(text)) as T;
}

/** Series matching `selector` (the demo's job is added), samples since `sinceMs`. */
async function series(selector: string, sinceMs = 0): Promise<TSeries[]> {
  const withJob = selector.includes("{")
    ? selector.replace("{", `{job="${SERVICE}",`)
    : `${selector}{job="${SERVICE}"}`;
  const text = await api<string>("/api/v1/export", {
    "match[]": withJob,
    start: String(Math.floor(sinceMs / 1000) - 10),
  });
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as TSeries);
}

const num = (v: number | string) => (typeof v === "number" ? v : Number.NaN);

/** A cumulative series' value at `t`: its last sample at or before t (0 before its first sample). */
function valueAt(s: TSeries, t: number): number {
  let v = 0;
  for (let i = 0; i < s.timestamps.length; i++) {
    if ((s.timestamps[i] as number) > t) break;
    v = num(s.values[i] as number);
  }
  return v;
}

/** Increase of a counter (summed over its series) within the window. */
async function increase(selector: string, w: { from: number; to: number }): Promise<number> {
  const list = await series(selector, w.from - 60_000);
  return list.reduce((a, s) => a + Math.max(0, valueAt(s, w.to) - valueAt(s, w.from)), 0);
}

/** Mean of a histogram over the window: increase of _sum / increase of _count. */
async function histogramMean(name: string, labels: string, w: { from: number; to: number }): Promise<number> {
  const sum = await increase(`${name}_sum${labels}`, w);
  const count = await increase(`${name}_count${labels}`, w);
  return count > 0 ? sum / count : Number.NaN;
}

/** Gauge samples (all series) inside the window. */
async function gaugeValues(selector: string, w: { from: number; to: number }): Promise<number[]> {
  const list = await series(selector, w.from - 60_000);
  const out: number[] = [];
  for (const s of list) {
    s.timestamps.forEach((t, i) => {
      if (t >= w.from && t <= w.to) out.push(num(s.values[i] as number));
    });
  }
  return out.filter(Number.isFinite);
}
const max = (xs: number[]) => (xs.length === 0 ? Number.NaN : Math.max(...xs));
const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

async function spans(params: Record<string, string>): Promise<TSpan[]> {
  return (await api<{ spans: TSpan[] }>("/api/spans", { service: SERVICE, limit: "1000", ...params })).spans;
}

// ---- driving the demo ------------------------------------------------------------------------------

/** A load burst bracketed by agent flushes, so samples exist at both edges of the window. */
async function phase(seconds: number, rate = RATE): Promise<TWindow> {
  const t0 = Date.now();
  await demo.agent.flush();
  const from = Date.now();
  const load = await runLoad({ url: demo.url, rate, duration: seconds, seed: seed++, drainTimeoutMs: 3000 });
  const t1 = Date.now();
  await demo.agent.flush();
  const to = Date.now();
  if (process.env.DEMO_TEST_TIMING)
    console.log(`phase: flush ${from - t0} ms, load ${t1 - from} ms, flush ${to - t1} ms`);
  return { from, to, loadEnd: t1, load };
}

async function fault(label: TFaultLabel, intensity: number): Promise<Record<string, unknown>> {
  const res = await fetch(`${demo.url}/faults/${label}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ intensity }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** After a fault: wait until the pool, queues and workers are back to normal. */
async function settle(): Promise<void> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const s = demo.stats();
    if (s.pool.waiting === 0 && s.pool.leaked === 0 && s.queue.depth < 50 && s.workers.queued === 0) return;
    await sleep(200);
  }
  console.log(`settle: still unsettled after 20 s: ${JSON.stringify(demo.stats())}`);
}

const fmt = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);

beforeAll(async () => {
  // Hotpath's start and the demo database's seeding overlap.
  const [s, db] = await Promise.all([
    storeEnv("pglite"),
    openDatabase({ databaseUrl: process.env.DEMO_DATABASE_URL || undefined }).then(async (d) => {
      await prepareSchema(d.admin);
      return d;
    }),
  ]);
  store = s;
  database = db;
  hotpath = await startServerProcess({ ...s.env, HOTPATH_BOOTSTRAP_KEY: KEY });
  demo = await startDemo({
    database,
    port: 0,
    hotpathUrl: hotpath.url,
    hotpathKey: KEY,
    service: SERVICE,
    pushIntervalMs: 1000,
    batchIntervalMs: 30_000,
    poolMax: POOL_MAX,
    workers: WORKERS,
    cachePrefix: `${SERVICE}:v1:`,
    log: (line) => demoLog.push(line),
  });
}, 120_000);

afterAll(async () => {
  await demo?.stop();
  await database?.close();
  await hotpath?.stop();
  if (REDIS_URL) {
    // The demo's keys expire in 5 minutes; a test run removes its own at once.
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${SERVICE}:*`);
    if (keys.length > 0) await redis.unlink(...keys);
    await redis.quit();
  }
  await store?.cleanup();
}, 60_000);

describe("demo service pushing to Hotpath", () => {
  afterEach(async () => {
    const t0 = Date.now();
    await fetch(`${demo.url}/faults`, { method: "DELETE" });
    const t1 = Date.now();
    await settle();
    if (process.env.DEMO_TEST_TIMING) console.log(`afterEach: clear ${t1 - t0} ms, settle ${Date.now() - t1} ms`);
  }, 30_000);

  it("serves its API and a fault API with stable labels", async () => {
    const health = await fetch(`${demo.url}/health`);
    expect(health.status).toBe(200);
    const f = (await (await fetch(`${demo.url}/faults`)).json()) as {
      active: unknown[];
      available: { label: string }[];
    };
    expect(f.active).toEqual([]);
    expect(f.available.map((a) => a.label)).toEqual([
      "slow_query",
      "n_plus_one",
      "cache_hit_collapse",
      "cache_undersized",
      "pool_saturation",
      "connection_leak",
      "cpu_saturation",
      "event_loop_blocked",
      "memory_leak",
      "slow_dependency",
      "network_delay",
      "cache_backend_slow",
      "queue_backlog",
      "traffic_surge",
    ]);
    const bad = await fetch(`${demo.url}/faults/slow_query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ intensity: 2 }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/intensity/);
    expect((await fetch(`${demo.url}/faults/nope`, { method: "POST" })).status).toBe(404);
    const put = await fetch(`${demo.url}/products/7`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ priceCents: 4242 }),
    });
    expect(put.status).toBe(200);
    // Write-through: the next read (from the cache) already has the new price.
    const read = (await (await fetch(`${demo.url}/products/7`)).json()) as { priceCents: number };
    expect(read.priceCents).toBe(4242);
    const order = await fetch(`${demo.url}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ customerId: 3, items: [{ productId: 7, qty: 2 }] }),
    });
    expect(order.status).toBe(201);
    const placed = (await order.json()) as { id: number; totalCents: number };
    expect(placed.totalCents).toBe(8484);
    const again = (await (await fetch(`${demo.url}/orders/${placed.id}`)).json()) as { id: number };
    expect(again.id).toBe(placed.id);
    const mine = (await (await fetch(`${demo.url}/customers/3/orders`)).json()) as { orders: { id: number }[] };
    expect(mine.orders.map((o) => o.id)).toContain(placed.id);
  });

  it("every instrumentation helper's series and spans arrive in Hotpath", async () => {
    const w = await phase(5);
    expect(w.load.errors).toBe(0);

    const routes = await series("http_server_request_duration_seconds_count", w.from);
    const have = new Set(routes.map((s) => `${s.metric.method} ${s.metric.route}`));
    for (const r of [
      "GET /products/:id",
      "GET /products",
      "GET /customers/:id/orders",
      "GET /orders/:id",
      "POST /orders",
      "PUT /products/:id",
      "GET /recommendations/:customerId",
      "GET /inventory/:id",
      "GET /health",
    ]) {
      expect(have, `http route ${r}`).toContain(r);
    }

    const expectSeries = async (selector: string) => {
      const list = await series(selector, w.from);
      expect(list.length, `series ${selector}`).toBeGreaterThan(0);
      return list;
    };
    // pg pool
    await expectSeries('db_client_operation_duration_seconds_count{db_system="postgresql",db_name="demo"}');
    await expectSeries('db_client_connection_count{pool="shop-db",state="used"}');
    await expectSeries('db_client_connection_count{pool="shop-db",state="idle"}');
    await expectSeries('db_client_connection_pending_requests{pool="shop-db"}');
    await expectSeries('db_client_connection_wait_time_seconds_count{pool="shop-db"}');
    expect(max(await gaugeValues('db_client_connection_max{pool="shop-db"}', w))).toBe(POOL_MAX);
    // LRU (level memory), and Redis (level redis) when configured
    await expectSeries('cache_requests_total{cache="catalog",level="memory",result="hit"}');
    await expectSeries('cache_requests_total{cache="catalog",level="memory",result="miss"}');
    await expectSeries('cache_operation_duration_seconds_count{cache="catalog",level="memory"}');
    expect(max(await gaugeValues('cache_entries{cache="catalog",level="memory"}', w))).toBeGreaterThan(0);
    if (REDIS_URL) {
      await expectSeries('cache_requests_total{cache="catalog",level="redis"}');
      await expectSeries('cache_operation_duration_seconds_count{cache="catalog",level="redis",operation="set"}');
    }
    // queues (stream consumer and batch job), worker pool, the demo's own figures, Node defaults
    await expectSeries('queue_depth{queue="order-events"}');
    await expectSeries('queue_consumer_lag_seconds{queue="order-events"}');
    await expectSeries('queue_depth{queue="product-stats-batch"}');
    expect(max(await gaugeValues('worker_pool_size{pool="recommendations"}', w))).toBe(WORKERS);
    await expectSeries('worker_pool_active{pool="recommendations"}');
    await expectSeries('worker_pool_queued{pool="recommendations"}');
    // The batch's first run starts 2 s after the demo; wait for it to finish, then look.
    const until = Date.now() + 30_000;
    while (demo.stats().batch.runs === 0 && Date.now() < until) await sleep(250);
    await demo.agent.flush();
    await expectSeries('batch_job_runs_total{batch="product-stats",result="ok"}');
    await expectSeries("demo_orders_placed_total");
    await expectSeries("process_cpu_seconds_total");
    await expectSeries("nodejs_eventloop_lag_p99_seconds");
    await expectSeries("nodejs_heap_size_used_bytes");

    // spans: server (route), db client (statement), pool connect, cache, downstream client, background
    const range = { start: String(w.from - 1000), end: String(w.to + 1000) };
    const server = await spans({ ...range, operation: "GET /products/:id" });
    expect(server.length).toBeGreaterThan(0);
    expect(server[0]).toMatchObject({ kind: "server", route: "/products/:id" });
    const db = await spans({ ...range, operation: "SELECT demo" });
    expect(db.length).toBeGreaterThan(0);
    expect(db[0]).toMatchObject({ kind: "client", dbSystem: "postgresql" });
    expect(db.some((s) => /FROM demo\.products/.test(s.dbStatement ?? ""))).toBe(true);
    expect((await spans({ ...range, operation: "pg.pool.connect" })).length).toBeGreaterThan(0);
    const cacheGets = await spans({ ...range, operation: "cache.get" });
    expect(cacheGets.some((s) => s.attributes["cache.level"] === "memory")).toBe(true);
    if (REDIS_URL) expect(cacheGets.some((s) => s.attributes["cache.level"] === "redis")).toBe(true);
    const downstream = await spans({ ...range, operation: "GET /stock/:id" });
    expect(downstream.length).toBeGreaterThan(0);
    expect(downstream[0]).toMatchObject({ kind: "client" });
    expect(downstream[0]?.attributes["peer.service"]).toBe("inventory-service");
    // The client span is a child of the /inventory/:id request's server span.
    const trace = await api<{ spans: TSpan[] }>(`/api/traces/${downstream[0]?.traceId}`);
    const parent = trace.spans.find((s) => s.spanId === downstream[0]?.parentSpanId);
    expect(parent).toMatchObject({ kind: "server", route: "/inventory/:id" });
    expect(
      (await spans({ start: String(w.from - 30_000), operation: "batch product-stats chunk" })).length,
    ).toBeGreaterThan(0);
    expect((await spans({ start: String(w.from - 30_000), operation: "consume order-events" })).length).toBeGreaterThan(
      0,
    );
  }, 60_000);

  // ---- one test per fault switch: a healthy window, then the fault, then compare ------------------

  it("slow_query: the customer-orders query and its route slow down (seq scan)", async () => {
    const base = await phase(3);
    await fault("slow_query", 1);
    const bad = await phase(4);
    const route = '{route="/customers/:id/orders"}';
    const b = await histogramMean("http_server_request_duration_seconds", route, base);
    const f = await histogramMean("http_server_request_duration_seconds", route, bad);
    const q = async (w: TWindow) =>
      mean(
        (await spans({ operation: "SELECT demo", start: String(w.from), end: String(w.to) }))
          .filter((s) => /FROM demo\.orders WHERE customer_id = \$1/.test(s.dbStatement ?? ""))
          .map((s) => s.durationMs),
      );
    const qb = await q(base);
    const qf = await q(bad);
    console.log(`slow_query: route mean ${fmt(b)} → ${fmt(f)} s; orders query span mean ${fmt(qb)} → ${fmt(qf)} ms`);
    expect(qf).toBeGreaterThan(qb * 2.5);
    expect(f - b).toBeGreaterThan(0.01);
  }, 60_000);

  it("n_plus_one: db operations per request jump and one trace holds dozens of queries", async () => {
    const base = await phase(3);
    await fault("n_plus_one", 0.3);
    const bad = await phase(4);
    const perRequest = async (w: TWindow) =>
      (await increase("db_client_operation_duration_seconds_count", w)) /
      (await increase("http_server_request_duration_seconds_count", w));
    const b = await perRequest(base);
    const f = await perRequest(bad);
    const traces = await spans({
      operation: "GET /customers/:id/orders",
      start: String(bad.from),
      end: String(bad.to),
    });
    expect(traces.length).toBeGreaterThan(0);
    let most = 0;
    for (const s of traces.slice(0, 5)) {
      const t = await api<{ spans: TSpan[] }>(`/api/traces/${s.traceId}`);
      most = Math.max(most, t.spans.filter((x) => x.dbSystem === "postgresql").length);
      if (most >= 10) break;
    }
    console.log(`n_plus_one: db ops per request ${fmt(b)} → ${fmt(f)}; most db spans in one trace ${most}`);
    expect(f).toBeGreaterThan(b * 1.5);
    expect(most).toBeGreaterThanOrEqual(10);
  }, 60_000);

  it("cache_hit_collapse: the miss rate jumps", async () => {
    const base = await phase(3);
    await fault("cache_hit_collapse", 1);
    const bad = await phase(4);
    const missRatio = async (w: TWindow) => {
      const hit = await increase('cache_requests_total{cache="catalog",level="memory",result="hit"}', w);
      const miss = await increase('cache_requests_total{cache="catalog",level="memory",result="miss"}', w);
      return miss / (hit + miss);
    };
    const b = await missRatio(base);
    const f = await missRatio(bad);
    console.log(`cache_hit_collapse: memory miss ratio ${fmt(b)} → ${fmt(f)}`);
    expect(f).toBeGreaterThan(0.9);
    expect(f).toBeGreaterThan(b + 0.2);
  }, 60_000);

  it("cache_undersized: the LRU evicts constantly", async () => {
    const base = await phase(3);
    await fault("cache_undersized", 1);
    const bad = await phase(4);
    const sel = 'cache_evictions_total{cache="catalog",level="memory"}';
    const b = await increase(sel, base);
    const f = await increase(sel, bad);
    const entries = max(
      await gaugeValues('cache_entries{cache="catalog",level="memory"}', { from: bad.to - 1500, to: bad.to }),
    );
    console.log(`cache_undersized: evictions ${b} → ${f}; entries at the end ${entries}`);
    expect(f).toBeGreaterThan(Math.max(30, b * 5));
    expect(entries).toBeLessThanOrEqual(72);
  }, 60_000);

  it("pool_saturation: the pool shrinks and callers wait for connections", async () => {
    const base = await phase(3);
    await fault("pool_saturation", 1);
    const bad = await phase(4);
    const wait = (w: TWindow) => histogramMean("db_client_connection_wait_time_seconds", '{pool="shop-db"}', w);
    const b = await wait(base);
    const f = await wait(bad);
    const maxConn = await gaugeValues('db_client_connection_max{pool="shop-db"}', bad);
    const pending = max(await gaugeValues('db_client_connection_pending_requests{pool="shop-db"}', bad));
    console.log(
      `pool_saturation: wait mean ${fmt(b)} → ${fmt(f)} s; pool max ${Math.min(...maxConn)}; pending max ${pending}`,
    );
    expect(Math.min(...maxConn)).toBe(2);
    expect(f).toBeGreaterThan(Math.max(0.01, b * 5));
    expect(pending).toBeGreaterThan(0);
  }, 60_000);

  it("connection_leak: connections stay checked out with no traffic", async () => {
    const idleUsed = async () => {
      await sleep(1500);
      await demo.agent.flush();
      const t = Date.now();
      return max(
        await gaugeValues('db_client_connection_count{pool="shop-db",state="used"}', { from: t - 1200, to: t }),
      );
    };
    await phase(3);
    const b = await idleUsed();
    await fault("connection_leak", 1);
    // Leaks come with traffic (a share of queries): on a busy machine fewer queries run per second,
    // so the phase lasts until the pool is nearly drained rather than a fixed time.
    for (let i = 0; i < 8 && demo.stats().pool.leaked < POOL_MAX - 1; i++) await phase(2);
    const f = await idleUsed();
    console.log(
      `connection_leak: used connections once traffic stops ${b} → ${f} (leaked ${demo.stats().pool.leaked})`,
    );
    expect(demo.stats().pool.leaked).toBeGreaterThan(0);
    expect(f).toBeGreaterThanOrEqual(POOL_MAX - 1);
    expect(f).toBeGreaterThan(b);
  }, 60_000);

  it("cpu_saturation: CPU seconds per request rise", async () => {
    const base = await phase(3);
    await fault("cpu_saturation", 1);
    const bad = await phase(4);
    const perRequest = async (w: TWindow) =>
      (await increase("process_cpu_seconds_total", w)) /
      (await increase("http_server_request_duration_seconds_count", w));
    const b = await perRequest(base);
    const f = await perRequest(bad);
    console.log(`cpu_saturation: CPU per request ${fmt(b * 1000)} → ${fmt(f * 1000)} ms`);
    // The burn is a fixed amount of work per request (~12 ms of a core), whatever the baseline.
    expect(f - b).toBeGreaterThan(0.006);
  }, 60_000);

  it("event_loop_blocked: event-loop lag rises", async () => {
    const base = await phase(3);
    await fault("event_loop_blocked", 1);
    const bad = await phase(4);
    const b = max(await gaugeValues("nodejs_eventloop_lag_p99_seconds", base));
    const f = max(await gaugeValues("nodejs_eventloop_lag_p99_seconds", bad));
    console.log(`event_loop_blocked: event-loop lag p99 (max) ${fmt(b)} → ${fmt(f)} s`);
    expect(f).toBeGreaterThan(0.2);
    expect(f).toBeGreaterThan(b * 1.5);
  }, 60_000);

  it("memory_leak: the heap keeps growing", async () => {
    const base = await phase(3);
    await fault("memory_leak", 1);
    const bad = await phase(4);
    const b = max(await gaugeValues("nodejs_heap_size_used_bytes", base));
    const f = max(await gaugeValues("nodejs_heap_size_used_bytes", bad));
    console.log(
      `memory_leak: heap used (max) ${fmt(b / 2 ** 20)} → ${fmt(f / 2 ** 20)} MiB (retained ${demo.stats().leakedMb} MB)`,
    );
    expect(f - b).toBeGreaterThan(20 * 2 ** 20);
  }, 60_000);

  it("slow_dependency: the inventory-service client span and its route slow down", async () => {
    const base = await phase(3);
    await fault("slow_dependency", 0.5);
    const bad = await phase(4);
    const client = async (w: TWindow) =>
      mean(
        (await spans({ operation: "GET /stock/:id", start: String(w.from), end: String(w.to) })).map(
          (s) => s.durationMs,
        ),
      );
    const cb = await client(base);
    const cf = await client(bad);
    const route = '{route="/inventory/:id"}';
    const b = await histogramMean("http_server_request_duration_seconds", route, base);
    const f = await histogramMean("http_server_request_duration_seconds", route, bad);
    console.log(`slow_dependency: client span mean ${fmt(cb)} → ${fmt(cf)} ms; route mean ${fmt(b)} → ${fmt(f)} s`);
    expect(cf).toBeGreaterThan(200);
    expect(cf).toBeGreaterThan(cb * 3);
    expect(f).toBeGreaterThan(b * 2);
  }, 60_000);

  it("network_delay: every db operation (and Redis call) gets a latency floor", async () => {
    const base = await phase(3);
    await fault("network_delay", 1);
    const bad = await phase(4);
    const b = await histogramMean("db_client_operation_duration_seconds", "", base);
    const f = await histogramMean("db_client_operation_duration_seconds", "", bad);
    console.log(`network_delay: db operation mean ${fmt(b * 1000)} → ${fmt(f * 1000)} ms`);
    expect(f - b).toBeGreaterThan(0.015);
    if (REDIS_URL) {
      const sel = '{cache="catalog",level="redis",operation="get"}';
      const rb = await histogramMean("cache_operation_duration_seconds", sel, base);
      const rf = await histogramMean("cache_operation_duration_seconds", sel, bad);
      console.log(`network_delay: redis get mean ${fmt(rb * 1000)} → ${fmt(rf * 1000)} ms`);
      expect(rf - rb).toBeGreaterThan(0.015);
    }
  }, 60_000);

  it.skipIf(!REDIS_URL)(
    "cache_backend_slow: Redis gets slow down while the hit ratio holds (needs REDIS_URL)",
    async () => {
      const base = await phase(3);
      await fault("cache_backend_slow", 1);
      const bad = await phase(4);
      const sel = '{cache="catalog",level="redis",operation="get"}';
      const b = await histogramMean("cache_operation_duration_seconds", sel, base);
      const f = await histogramMean("cache_operation_duration_seconds", sel, bad);
      const hitRatio = async (w: TWindow) => {
        const hit = await increase('cache_requests_total{cache="catalog",result="hit"}', w);
        const miss = await increase('cache_requests_total{cache="catalog",result="miss"}', w);
        return hit / (hit + miss);
      };
      const hb = await hitRatio(base);
      const hf = await hitRatio(bad);
      console.log(
        `cache_backend_slow: redis get mean ${fmt(b * 1000)} → ${fmt(f * 1000)} ms; hit ratio ${fmt(hb)} → ${fmt(hf)}`,
      );
      expect(f - b).toBeGreaterThan(0.02);
      expect(Math.abs(hf - hb)).toBeLessThan(0.25);
    },
    60_000,
  );

  it.runIf(!REDIS_URL)("cache_backend_slow: without Redis the switch says it has no effect", async () => {
    const body = await fault("cache_backend_slow", 1);
    expect(String(body.note)).toMatch(/REDIS_URL/);
  });

  it("queue_backlog: the order-event queue's depth and lag grow", async () => {
    const base = await phase(3);
    await fault("queue_backlog", 1);
    const bad = await phase(4);
    const depth = '{queue="order-events"}';
    const b = max(await gaugeValues(`queue_depth${depth}`, base));
    const f = max(await gaugeValues(`queue_depth${depth}`, bad));
    const lb = max(await gaugeValues(`queue_consumer_lag_seconds${depth}`, base));
    const lf = max(await gaugeValues(`queue_consumer_lag_seconds${depth}`, bad));
    console.log(`queue_backlog: depth (max) ${b} → ${f}; lag (max) ${fmt(lb)} → ${fmt(lf)} s`);
    expect(f).toBeGreaterThan(b + 20);
    expect(lf).toBeGreaterThan(Math.max(1.5, lb * 2));
  }, 60_000);

  it("traffic_surge: the load generator multiplies its rate", async () => {
    // A low base rate leaves this (shared, busy) machine headroom for the surge.
    const base = await phase(3, 8);
    await fault("traffic_surge", 0.5);
    const bad = await phase(4, 8);
    // Requests Hotpath saw, per second of load.
    const rate = async (w: TWindow) =>
      (await increase("http_server_request_duration_seconds_count", w)) / ((w.loadEnd - w.from) / 1000);
    const b = await rate(base);
    const f = await rate(bad);
    console.log(
      `traffic_surge: request rate ${fmt(b)} → ${fmt(f)} /s (load generator x${bad.load.maxSurge}, sent ${base.load.achievedRate} → ${bad.load.achievedRate} /s)`,
    );
    expect(bad.load.maxSurge).toBe(3);
    expect(f).toBeGreaterThan(b * 1.5);
  }, 60_000);
});
