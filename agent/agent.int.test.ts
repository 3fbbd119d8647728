// The agent inside a small service (node:http + Fastify + pg + LRU + Redis), pushing to a real Hotpath
// server; everything is read back through /api/v1/export and /api/spans.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import http, { type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  POSTGRES_URL,
  REDIS_URL,
  ROOT,
  startServerProcess,
  storeEnv,
  type TServerProcess,
} from "../server/test/harness";
import { createAgent, type HotpathAgent } from "./index";
import { MiniLru } from "./test-lru";

const KEY = "agent-int-test-key-0123456789";
const SERVICE = `agent-it-${randomBytes(3).toString("hex")}`;
const AUTH = { authorization: `Bearer ${KEY}` };

type TSeries = { metric: Record<string, string>; values: (number | string)[]; timestamps: number[] };
type TSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  kind: string;
  durationMs: number;
  status: string;
  route: string | null;
  dbSystem: string | null;
  dbStatement: string | null;
  attributes: Record<string, unknown>;
};

let hotpath: TServerProcess;
let store: Awaited<ReturnType<typeof storeEnv>>;
let agent: HotpathAgent;

async function exportSeries(selector: string): Promise<TSeries[]> {
  const res = await fetch(`${hotpath.url}/api/v1/export?match[]=${encodeURIComponent(selector)}&start=0`, {
    headers: AUTH,
  });
  expect(res.status, await res.clone().text()).toBe(200);
  const text = await res.text();
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as TSeries);
}

/** The latest value of the one series matching `selector` (fails when there is not exactly one). */
async function last(selector: string): Promise<number> {
  const series = await exportSeries(selector);
  expect(series, `series for ${selector}`).toHaveLength(1);
  const values = (series[0] as TSeries).values;
  return Number(values[values.length - 1]);
}

async function spans(query = ""): Promise<TSpan[]> {
  const res = await fetch(`${hotpath.url}/api/spans?service=${SERVICE}&limit=1000${query}`, { headers: AUTH });
  expect(res.status).toBe(200);
  return ((await res.json()) as { spans: TSpan[] }).spans;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

beforeAll(async () => {
  store = await storeEnv("pglite");
  hotpath = await startServerProcess({ ...store.env, HOTPATH_BOOTSTRAP_KEY: KEY });
  agent = createAgent({
    url: hotpath.url,
    key: KEY,
    service: SERVICE,
    instance: "it-1",
    pushIntervalMs: 60_000,
    explainSlowQueriesMs: 40,
    // Every request's trace is checked here: no sampling (the default records 10 new traces a second).
    maxTracesPerSecond: 100_000,
    logger: false,
  });
  agent.start();
});

afterAll(async () => {
  await agent?.shutdown();
  await hotpath?.stop("SIGKILL");
  await store?.cleanup();
});

describe("agent → Hotpath: HTTP, Fastify and the in-memory cache", () => {
  let nodeUrl: string;
  let fastifyUrl: string;
  let nodeServer: Server;
  let app: FastifyInstance;
  const lru = new MiniLru<string, string>({ max: 2 });
  let cache: MiniLru<string, string>;

  beforeAll(async () => {
    cache = agent.wrapLruCache(lru, { name: "items" });
    // A router-less node:http service: the route template comes from routeOf.
    nodeServer = http.createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0] ?? "";
      const m = /^\/items\/([^/]+)$/.exec(path);
      if (m) {
        const id = m[1] as string;
        const hit = cache.get(id);
        if (!hit) cache.set(id, `item ${id}`);
        setTimeout(() => res.end(JSON.stringify({ id, cached: Boolean(hit) })), 5);
        return;
      }
      if (path === "/boom") {
        res.statusCode = 500;
        res.end("boom");
        return;
      }
      res.statusCode = 404;
      res.end("not found");
    });
    agent.httpServerHook(nodeServer, (req: IncomingMessage) => {
      const path = (req.url ?? "").split("?")[0] ?? "";
      if (/^\/items\/[^/]+$/.test(path)) return "/items/:id";
      if (path === "/boom") return "/boom";
      return undefined;
    });
    nodeUrl = await listen(nodeServer);

    app = Fastify();
    await app.register(agent.fastifyPlugin());
    app.get("/orders/:id", async (req) => {
      const { id } = req.params as { id: string };
      cache.get(`order:${id}`);
      return { id };
    });
    app.post("/orders", async (req, reply) => {
      await new Promise((r) => setTimeout(r, 2));
      cache.get("order:new");
      return reply.code(201).send({ created: (req.body as { n: number }).n });
    });
    fastifyUrl = await app.listen({ port: 0, host: "127.0.0.1" });
  });

  afterAll(async () => {
    await new Promise((r) => nodeServer?.close(r));
    await app?.close();
  });

  it("records route templates, methods and statuses, and server spans with cache children", async () => {
    for (const id of ["1", "1", "2", "3", "1"]) expect((await fetch(`${nodeUrl}/items/${id}`)).status).toBe(200);
    expect((await fetch(`${nodeUrl}/boom`)).status).toBe(500);
    expect((await fetch(`${nodeUrl}/no/such/path`)).status).toBe(404);
    expect((await fetch(`${fastifyUrl}/orders/17`)).status).toBe(200);
    expect((await fetch(`${fastifyUrl}/orders/18`)).status).toBe(200);
    const post = await fetch(`${fastifyUrl}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n: 5 }),
    });
    expect(post.status).toBe(201);
    expect((await fetch(`${fastifyUrl}/nowhere`)).status).toBe(404);

    await agent.flush();
    expect(agent.stats.lastError).toBeUndefined();
    expect(agent.stats.pushes).toBeGreaterThanOrEqual(1);

    const base = `job="${SERVICE}",instance="it-1"`;
    const h = "http_server_request_duration_seconds";
    expect(await last(`${h}_count{${base},route="/items/:id",method="GET",status="200"}`)).toBe(5);
    expect(await last(`${h}_count{${base},route="/boom",method="GET",status="500"}`)).toBe(1);
    expect(await last(`${h}_count{${base},route="unmatched",method="GET",status="404"}`)).toBe(2);
    expect(await last(`${h}_count{${base},route="/orders/:id",method="GET",status="200"}`)).toBe(2);
    expect(await last(`${h}_count{${base},route="/orders",method="POST",status="201"}`)).toBe(1);
    const sum = await last(`${h}_sum{${base},route="/items/:id",method="GET",status="200"}`);
    expect(sum).toBeGreaterThan(5 * 0.004);
    expect(sum).toBeLessThan(5);
    expect(await last(`${h}_bucket{${base},route="/items/:id",method="GET",status="200",le="10"}`)).toBe(5);
    // never the raw URL
    const routes = (await exportSeries(`${h}_count{${base}}`)).map((s) => s.metric.route);
    expect(routes.sort()).toEqual(["/boom", "/items/:id", "/orders", "/orders/:id", "unmatched"]);

    // the LRU: ids 1,1,2,3,1 with max 2 → misses 1,2,3,1 (1 was evicted by 3), hit on the second 1
    const c = `cache="items",level="memory"`;
    expect(await last(`cache_requests_total{${base},${c},result="hit"}`)).toBe(1);
    expect(await last(`cache_requests_total{${base},${c},result="miss"}`)).toBe(4 + 3);
    expect(await last(`cache_evictions_total{${base},${c}}`)).toBe(2);
    expect(await last(`cache_entries{${base},${c}}`)).toBe(2);
    expect(await last(`cache_operation_duration_seconds_count{${base},${c},operation="get"}`)).toBe(8);
    expect(await last(`cache_operation_duration_seconds_count{${base},${c},operation="set"}`)).toBe(4);
    // default metrics and the agent's own
    expect(await last(`process_cpu_user_seconds_total{${base}}`)).toBeGreaterThan(0);
    expect(await last(`hotpath_agent_dropped_samples_total{${base}}`)).toBe(0);

    const all = await spans();
    const server = all.filter((s) => s.kind === "server");
    const items = server.filter((s) => s.name === "GET /items/:id");
    expect(items).toHaveLength(5);
    expect(items[0]?.route).toBe("/items/:id");
    expect(items[0]?.attributes).toMatchObject({
      "http.route": "/items/:id",
      "http.request.method": "GET",
      "http.response.status_code": 200,
    });
    const boom = server.find((s) => s.name === "GET /boom");
    expect(boom?.status).toBe("error");
    expect(server.find((s) => s.name === "GET unmatched")?.attributes["http.response.status_code"]).toBe(404);
    const fastifyPost = server.find((s) => s.name === "POST /orders");
    expect(fastifyPost?.attributes["http.response.status_code"]).toBe(201);

    // cache.get spans are children of their request's span, also after Fastify read the body
    const gets = all.filter((s) => s.name === "cache.get");
    expect(gets.length).toBe(8);
    for (const g of gets) {
      const parent = all.find((s) => s.spanId === g.parentSpanId);
      expect(parent?.kind, `parent of cache.get ${g.spanId}`).toBe("server");
      expect(parent?.traceId).toBe(g.traceId);
      expect(g.attributes).toMatchObject({ "cache.name": "items", "cache.level": "memory" });
      expect(typeof g.attributes["cache.hit"]).toBe("boolean");
    }
    const postGet = gets.find((g) => g.parentSpanId === fastifyPost?.spanId);
    expect(postGet?.attributes["cache.hit"]).toBe(false);
  });
});

describe.skipIf(!POSTGRES_URL)("agent → Hotpath: pg pool", () => {
  let pool: pg.Pool;
  let url: string;
  let server: Server;
  let dbName: string;
  const table = `agent_it_${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    const u = new URL(POSTGRES_URL as string);
    dbName = u.pathname.slice(1) || "postgres";
    pool = agent.wrapPgPool(new pg.Pool({ connectionString: POSTGRES_URL, max: 2 }), { name: "main" });
    await pool.query(`CREATE TABLE ${table} (id int primary key, name text)`);
    await pool.query(`INSERT INTO ${table} SELECT g, 'n' || g FROM generate_series(1, 50) g`);
    server = http.createServer(async (req, res) => {
      try {
        if (req.url?.startsWith("/one/")) {
          const id = Number(req.url.slice(5));
          const r = await pool.query(`SELECT name FROM ${table} WHERE id = $1`, [id]);
          // a literal, an IN list, and the callback API on a checked-out client
          await pool.query(`SELECT count(*) FROM ${table} WHERE id IN (1, 2, ${id}) AND name <> 'x'`);
          const client = await pool.connect();
          await new Promise<void>((resolve, reject) =>
            client.query(`UPDATE ${table} SET name = name WHERE id = $1`, [id], (err) =>
              err ? reject(err) : resolve(),
            ),
          );
          client.release();
          res.end(JSON.stringify(r.rows[0]));
        } else if (req.url === "/burst") {
          // 6 concurrent slow queries on a pool of 2: four of them wait
          await Promise.all(Array.from({ length: 6 }, () => pool.query("SELECT pg_sleep(0.05)")));
          res.end("ok");
        } else if (req.url === "/bad") {
          await pool.query("SELECT * FROM no_such_table_here").catch(() => {});
          res.statusCode = 500;
          res.end();
        } else {
          res.statusCode = 404;
          res.end();
        }
      } catch (err) {
        res.statusCode = 500;
        res.end(String(err));
      }
    });
    agent.httpServerHook(server, (req) =>
      req.url?.startsWith("/one/")
        ? "/one/:id"
        : req.url === "/burst"
          ? "/burst"
          : req.url === "/bad"
            ? "/bad"
            : undefined,
    );
    url = await listen(server);
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await pool?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await pool?.end();
  });

  it("times statements by normalized text, pool waits and connections; DB spans are request children", async () => {
    for (const id of [3, 4, 5]) expect((await fetch(`${url}/one/${id}`)).status).toBe(200);
    expect((await fetch(`${url}/burst`)).status).toBe(200);
    expect((await fetch(`${url}/bad`)).status).toBe(500);
    await agent.flush();
    expect(agent.stats.lastError).toBeUndefined();

    const base = `job="${SERVICE}",db_system="postgresql",db_name="${dbName}"`;
    const d = "db_client_operation_duration_seconds";
    expect(
      await last(`${d}_count{${base},db_operation="SELECT",db_statement="SELECT name FROM ${table} WHERE id = $1"}`),
    ).toBe(3);
    expect(
      await last(
        `${d}_count{${base},db_operation="SELECT",db_statement="SELECT count(*) FROM ${table} WHERE id IN (...) AND name <> $1"}`,
      ),
    ).toBe(3);
    expect(
      await last(
        `${d}_count{${base},db_operation="UPDATE",db_statement="UPDATE ${table} SET name = name WHERE id = $1"}`,
      ),
    ).toBe(3);
    const sleepSum = await last(`${d}_sum{${base},db_statement="SELECT pg_sleep($1)"}`);
    expect(sleepSum).toBeGreaterThan(6 * 0.045);
    expect(sleepSum).toBeLessThan(6 * 2);

    const p = `job="${SERVICE}",pool="main"`;
    expect(await last(`db_client_connection_max{${p}}`)).toBe(2);
    const used = await last(`db_client_connection_count{${p},state="used"}`);
    const idle = await last(`db_client_connection_count{${p},state="idle"}`);
    expect(used + idle).toBeLessThanOrEqual(2);
    expect(await last(`db_client_connection_pending_requests{${p}}`)).toBe(0);
    expect(await last(`db_client_connection_create_total{${p}}`)).toBeGreaterThanOrEqual(1);
    const waits = await last(`db_client_connection_wait_time_seconds_count{${p}}`);
    expect(waits).toBeGreaterThanOrEqual(3 * 3 + 6 + 1);
    // four of the burst waited for a busy connection (≥ one 50 ms query)
    const waitedLong = await last(`db_client_connection_wait_time_seconds_bucket{${p},le="0.025"}`);
    expect(waits - waitedLong).toBeGreaterThanOrEqual(2);

    const all = await spans();
    const one = all.filter((s) => s.name === "GET /one/:id");
    expect(one).toHaveLength(3);
    for (const req of one) {
      const children = all.filter((s) => s.parentSpanId === req.spanId);
      const db = children.filter((s) => s.kind === "client");
      expect(db.map((s) => s.attributes["db.operation.name"]).sort()).toEqual(["SELECT", "SELECT", "UPDATE"]);
      for (const s of db) {
        expect(s.traceId).toBe(req.traceId);
        expect(s.dbSystem).toBe("postgresql");
        expect(s.attributes["db.namespace"]).toBe(dbName);
        expect(s.dbStatement).toBe(s.attributes["db.query.text"]);
      }
      expect(db.map((s) => s.dbStatement)).toContain(`SELECT name FROM ${table} WHERE id = $1`);
      const connects = children.filter((s) => s.name === "pg.pool.connect");
      expect(connects).toHaveLength(3);
      for (const c of connects) expect(typeof c.attributes["db.client.connection.wait_ms"]).toBe("number");
    }
    const burst = all.find((s) => s.name === "GET /burst") as TSpan;
    const burstConnects = all.filter((s) => s.parentSpanId === burst.spanId && s.name === "pg.pool.connect");
    expect(burstConnects).toHaveLength(6);
    const waited = burstConnects.filter((s) => Number(s.attributes["db.client.connection.wait_ms"]) >= 30);
    expect(waited.length).toBeGreaterThanOrEqual(2);
    // the slow statement got its plan (sampled: at least one)
    const sleeps = all.filter((s) => s.parentSpanId === burst.spanId && s.kind === "client");
    expect(sleeps).toHaveLength(6);
    const planned = sleeps.filter((s) => typeof s.attributes["db.plan"] === "string");
    expect(planned.length).toBeGreaterThanOrEqual(1);
    const plan = JSON.parse(planned[0]?.attributes["db.plan"] as string) as [{ Plan: { "Node Type": string } }];
    expect(plan[0].Plan["Node Type"]).toBe("Result");
    // a failed statement is an error span
    const bad = all.find((s) => s.name === "GET /bad") as TSpan;
    const failed = all.find((s) => s.parentSpanId === bad.spanId && s.kind === "client");
    expect(failed?.status).toBe("error");
    expect(failed?.attributes["error.type"]).toBe("42P01");
  });
});

describe.skipIf(!REDIS_URL)("agent → Hotpath: Redis cache", () => {
  let redis: Redis;
  let server: Server;
  let url: string;
  const prefix = `agent-it:${randomBytes(3).toString("hex")}:`;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL as string, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const cache = agent.wrapRedisCache(redis, { name: "l2", prefix });
    server = http.createServer(async (req, res) => {
      const key = (req.url ?? "/").slice(1);
      const v = await cache.get(key);
      if (v === null) await cache.set(key, `value of ${key}`, 30);
      if (key === "gone") await cache.del(key);
      res.end(v ?? "miss");
    });
    agent.httpServerHook(server, () => "/:key");
    url = await listen(server);
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    if (redis) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it("counts hits and misses per level and times get/set/delete, with cache.get spans", async () => {
    for (const k of ["a", "a", "b", "a", "gone"]) await fetch(`${url}/${k}`);
    expect(await redis.ttl(`${prefix}a`)).toBeGreaterThan(0);
    await agent.flush();
    expect(agent.stats.lastError).toBeUndefined();
    const c = `job="${SERVICE}",cache="l2",level="redis"`;
    expect(await last(`cache_requests_total{${c},result="hit"}`)).toBe(2);
    expect(await last(`cache_requests_total{${c},result="miss"}`)).toBe(3);
    expect(await last(`cache_operation_duration_seconds_count{${c},operation="get"}`)).toBe(5);
    expect(await last(`cache_operation_duration_seconds_count{${c},operation="set"}`)).toBe(3);
    expect(await last(`cache_operation_duration_seconds_count{${c},operation="delete"}`)).toBe(1);
    const all = await spans();
    const gets = all.filter((s) => s.name === "cache.get" && s.attributes["cache.level"] === "redis");
    expect(gets).toHaveLength(5);
    expect(gets.filter((s) => s.attributes["cache.hit"] === true)).toHaveLength(2);
    for (const g of gets) expect(all.find((s) => s.spanId === g.parentSpanId)?.name).toBe("GET /:key");
    expect(all.filter((s) => s.name === "cache.set")).toHaveLength(3);
  });
});

describe("bridge → Hotpath", () => {
  it("scrapes a /metrics endpoint on its interval, pushes it, and exits 0 on SIGTERM", async () => {
    let scrapes = 0;
    const target = http.createServer((_req, res) => {
      scrapes++;
      res.setHeader("content-type", "text/plain; version=0.0.4");
      res.end(
        `# HELP target_scrapes_total Scrapes served.\n# TYPE target_scrapes_total counter\ntarget_scrapes_total ${scrapes}\n` +
          `# TYPE federated gauge\nfederated{job="elsewhere",instance="x:1"} 7\n`,
      );
    });
    const targetUrl = await listen(target);
    const job = `bridge-it-${randomBytes(3).toString("hex")}`;
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "agent/bridge.ts",
        "--scrape",
        `${targetUrl}/metrics`,
        "--hotpath",
        hotpath.url,
        "--key",
        KEY,
        "--job",
        job,
        "--interval",
        "200ms",
      ],
      { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const instance = new URL(targetUrl).host;
      await expect
        .poll(
          async () => {
            const s = await exportSeries(`target_scrapes_total{job="${job}",instance="${instance}"}`);
            return s[0]?.values.length ?? 0;
          },
          { timeout: 15_000, interval: 200 },
        )
        .toBeGreaterThanOrEqual(3);
      expect(await last(`up{job="${job}",instance="${instance}"}`)).toBe(1);
      expect(await last(`scrape_samples_scraped{job="${job}"}`)).toBe(2);
      // the target's own job/instance labels are kept as exported_*
      expect(await last(`federated{job="${job}",exported_job="elsewhere",exported_instance="x:1"}`)).toBe(7);
      const t = performance.now();
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(performance.now() - t).toBeLessThan(6000);
      expect(stderr).toContain("SIGTERM, pushing what is left and exiting");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await new Promise((r) => target.close(r));
    }
  });
});
