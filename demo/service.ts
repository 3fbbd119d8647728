// The demo data API ("demo-shop"): a catalog/orders service built the way a good data API is built
// (multi-level cache with write-through, a real connection pool, a batch job, a stream consumer with
// backpressure, a worker pool, a downstream dependency), instrumented by the Hotpath agent, with
// fault switches that reproduce the bottlenecks Hotpath is meant to find.
//
//   startDemo(opts) → { url, faults, stop() }                    (tests, benchmarks, demo/run.ts)
//   tsx demo/service.ts --port 4000 --fault slow_query:0.8       (HOTPATH_URL, HOTPATH_KEY from env)
import http from "node:http";
import { cpus } from "node:os";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { context, propagation, type Span, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { Redis } from "ioredis";
import pg from "pg";
import client from "prom-client";
import { z } from "zod";
import { createAgent, type HotpathAgent } from "../agent/index";
import { ProductStatsJob } from "./batch";
import { createLru, TieredCache } from "./cache";
import { DemoDb, PoolTimeoutError } from "./data";
import { CATEGORIES, INDEXES, openDatabase, prepareSchema, SEED, type TDemoDatabase } from "./db";
import { startDelayProxy, type TDelayProxy } from "./delay-proxy";
import {
  FAULT_CATALOG,
  FAULT_LABELS,
  FaultRegistry,
  parseFaultSpec,
  type TFaultLabel,
  ZFaultBodySchema,
  ZFaultLabelSchema,
} from "./faults";
import { startInventoryService, type TInventoryService } from "./inventory";
import { seededRandom } from "./random";
import { OrderStream } from "./stream";
import { burnCpu, requestCpuMs, Stressors } from "./stressors";
import { WorkerPool, WorkerPoolFullError } from "./workers";

export type TDemoOptions = {
  /** Port for the demo API (default 4000; 0 picks a free one). */
  port?: number;
  host?: string;
  /** Hotpath to push to (default HOTPATH_URL or http://127.0.0.1:3000) and its ingest key (HOTPATH_KEY). */
  hotpathUrl?: string;
  hotpathKey?: string;
  /** Service name in Hotpath (job label, span service). Default "demo-shop". */
  service?: string;
  instance?: string;
  pushIntervalMs?: number;
  /** PostgreSQL for the demo's own data (default DEMO_DATABASE_URL); unset = PGlite over a socket. */
  databaseUrl?: string;
  /** PGlite data directory (default: a temp dir removed on stop). */
  dataDir?: string;
  /** An already open database (see openDatabase in db.ts), owned by the caller: not closed on stop. */
  database?: TDemoDatabase;
  /** Redis for cache level 2 (default REDIS_URL); unset = LRU then database. */
  redisUrl?: string;
  /** Redis key namespace (default "demo-shop:v1:"). */
  cachePrefix?: string;
  poolMax?: number;
  lruMax?: number;
  workers?: number;
  batchIntervalMs?: number;
  /** Synthetic order events per second from other channels (default 20). */
  feedRate?: number;
  queueCapacity?: number;
  faults?: { label: TFaultLabel; intensity: number }[];
  seed?: number;
  /** Opt-in EXPLAIN of slow statements by the agent (ms). */
  explainSlowQueriesMs?: number;
  log?: (line: string) => void;
};

export type TDemo = {
  url: string;
  port: number;
  service: string;
  faults: FaultRegistry;
  agent: HotpathAgent;
  database: TDemoDatabase["kind"];
  redis: boolean;
  inventoryUrl: string;
  /** Internal figures (cache sources, pool, queues): what the demo itself knows, for tests. */
  stats(): TDemoStats;
  stop(): Promise<void>;
};

export type TDemoStats = {
  cache: Record<"memory" | "redis" | "db", number>;
  lruSize: number;
  pool: { total: number; idle: number; waiting: number; max: number; leaked: number };
  queue: { depth: number; lagSeconds: number; consumed: number; pauses: number };
  batch: { depth: number; runs: number; chunks: number };
  workers: { size: number; active: number; queued: number };
  eventLoopBlocks: number;
  leakedMb: number;
  inventoryRequests: number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ZIdSchema = z.coerce.number().int().positive().max(2_147_483_647);

const ZOrderBodySchema = z
  .object({
    customerId: z.number().int().positive(),
    items: z
      .array(z.object({ productId: z.number().int().positive(), qty: z.number().int().min(1).max(20) }).strict())
      .min(1)
      .max(20),
  })
  .strict();

const ZProductPatchSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    priceCents: z.number().int().min(1).max(100_000_000).optional(),
    stock: z.number().int().min(0).max(1_000_000).optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, "expected at least one of name, priceCents, stock");

type TProduct = {
  id: number;
  sku: string;
  name: string;
  category: string;
  priceCents: number;
  stock: number;
  updatedAt: string;
  unitsSold: number | null;
};

type TOrder = {
  id: number;
  customerId: number;
  status: string;
  totalCents: number;
  createdAt: string;
  items: { productId: number; qty: number; priceCents: number; name?: string }[];
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function parseId(raw: unknown, what: string): number {
  const p = ZIdSchema.safeParse(raw);
  if (!p.success)
    throw new HttpError(400, "bad_request", `${what} must be a positive integer, got ${JSON.stringify(raw)}`);
  return p.data;
}

function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
}

const PRODUCT_SQL = `SELECT p.id, p.sku, p.name, p.category, p.price_cents AS "priceCents", p.stock,
  p.updated_at AS "updatedAt", s.units::int AS "unitsSold"
FROM demo.products p LEFT JOIN demo.product_stats s ON s.product_id = p.id WHERE p.id = $1`;

const CATEGORY_SQL = `SELECT p.id, p.sku, p.name, p.category, p.price_cents AS "priceCents", p.stock,
  p.updated_at AS "updatedAt", s.units::int AS "unitsSold"
FROM demo.products p LEFT JOIN demo.product_stats s ON s.product_id = p.id
WHERE p.category = $1 ORDER BY p.price_cents LIMIT 100`;

const CUSTOMER_ORDERS_SQL = `SELECT o.id::int AS id, o.customer_id AS "customerId", o.status, o.total_cents::int AS "totalCents",
  o.created_at AS "createdAt",
  coalesce(json_agg(json_build_object('productId', i.product_id, 'qty', i.qty, 'priceCents', i.price_cents,
    'name', p.name) ORDER BY i.id) FILTER (WHERE i.id IS NOT NULL), '[]') AS items
FROM (SELECT id, customer_id, status, total_cents, created_at FROM demo.orders
      WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20) o
LEFT JOIN demo.order_items i ON i.order_id = o.id
LEFT JOIN demo.products p ON p.id = i.product_id
GROUP BY o.id, o.customer_id, o.status, o.total_cents, o.created_at
ORDER BY o.created_at DESC`;

// One round trip: every CTE sees the same snapshot, so `priced` reads stock before the update.
const PLACE_ORDER_SQL = `WITH req AS (
  SELECT * FROM unnest($2::int[], $3::int[]) AS t(product_id, qty)
), priced AS (
  SELECT req.product_id, req.qty, p.price_cents, p.stock FROM req JOIN demo.products p ON p.id = req.product_id
), o AS (
  INSERT INTO demo.orders (customer_id, status, total_cents)
  SELECT $1, CASE WHEN bool_or(stock < qty) THEN 'backordered' ELSE 'placed' END, sum(qty * price_cents) FROM priced
  HAVING count(*) > 0
  RETURNING id, status, total_cents, created_at
), items AS (
  INSERT INTO demo.order_items (order_id, product_id, qty, price_cents)
  SELECT o.id, priced.product_id, priced.qty, priced.price_cents FROM o, priced
), stock AS (
  UPDATE demo.products p SET stock = greatest(p.stock - req.qty, 0), updated_at = now()
  FROM req WHERE p.id = req.product_id AND EXISTS (SELECT 1 FROM o)
)
SELECT id, status, total_cents AS total, created_at FROM o`;

const ORDER_SQL = `SELECT o.id::int AS id, o.customer_id AS "customerId", o.status, o.total_cents::int AS "totalCents",
  o.created_at AS "createdAt",
  coalesce(json_agg(json_build_object('productId', i.product_id, 'qty', i.qty, 'priceCents', i.price_cents)
    ORDER BY i.id) FILTER (WHERE i.id IS NOT NULL), '[]') AS items
FROM demo.orders o LEFT JOIN demo.order_items i ON i.order_id = o.id
WHERE o.id = $1 GROUP BY o.id`;

export async function startDemo(opts: TDemoOptions = {}): Promise<TDemo> {
  const log = opts.log ?? ((line: string) => console.log(`demo: ${line}`));
  const service = opts.service ?? "demo-shop";
  const poolMax = opts.poolMax ?? 10;
  const lruMax = opts.lruMax ?? 5000;
  const random = seededRandom(opts.seed ?? 1);
  const faults = new FaultRegistry();
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`stop: ${(err as Error).message}`);
      }
    }
  };

  try {
    // ---- the database, behind a delay proxy (network_delay) -------------------------------------
    const databaseUrl = opts.databaseUrl ?? (process.env.DEMO_DATABASE_URL || undefined);
    const database = opts.database ?? (await openDatabase({ databaseUrl, dataDir: opts.dataDir }));
    if (!opts.database) cleanups.push(() => database.close());
    const prepared = await prepareSchema(database.admin);
    log(
      `database: ${database.kind}${prepared.seeded ? `, seeded ${SEED.products} products, ${SEED.customers} customers, ${SEED.orders} orders` : ""} (${Math.round(prepared.ms)} ms)`,
    );
    const jitter = () => 0.8 + random() * 0.4;
    const networkDelay = () =>
      faults.isOn("network_delay") ? (2 + 38 * faults.intensity("network_delay")) * jitter() : 0;
    const dbProxy = await startDelayProxy({ host: database.host, port: database.port }, networkDelay);
    cleanups.push(() => dbProxy.close());

    // ---- the agent -----------------------------------------------------------------------------
    const agent = createAgent({
      url: opts.hotpathUrl ?? (process.env.HOTPATH_URL || "http://127.0.0.1:3000"),
      key: opts.hotpathKey ?? (process.env.HOTPATH_KEY || process.env.HOTPATH_BOOTSTRAP_KEY || undefined),
      service,
      instance: opts.instance,
      pushIntervalMs: opts.pushIntervalMs ?? 2000,
      explainSlowQueriesMs: opts.explainSlowQueriesMs,
      // The demo exists to be looked at: more example traces than a production default.
      maxTracesPerSecond: 100,
      logger: (m) => log(`agent: ${m}`),
    });
    cleanups.push(() => agent.shutdown());
    const tracer = agent.tracer;
    const around = <T>(name: string, fn: () => Promise<T>): Promise<T> =>
      tracer.startActiveSpan(name, async (span: Span) => {
        try {
          return await fn();
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
          throw err;
        } finally {
          span.end();
        }
      });

    // ---- the pool ------------------------------------------------------------------------------
    const poolUrl = new URL(database.url);
    poolUrl.hostname = dbProxy.host;
    poolUrl.port = String(dbProxy.port);
    const pool = agent.wrapPgPool(
      new pg.Pool({
        connectionString: poolUrl.toString(),
        max: poolMax,
        connectionTimeoutMillis: 5000,
        idleTimeoutMillis: 30_000,
        application_name: service,
      }),
      { name: "shop-db", dbName: "demo" },
    );
    pool.on("error", (err) => log(`pool: idle client error: ${err.message}`));
    cleanups.push(() => pool.end());
    const db = new DemoDb(pool, faults, random, poolMax);
    cleanups.push(() => db.releaseLeaked());

    // ---- caches: LRU -> Redis -> database -------------------------------------------------------
    let lruWeight = 1;
    const lru = createLru(lruMax, () => lruWeight);
    const memory = agent.wrapLruCache(lru, { name: "catalog" });
    const redisUrl = opts.redisUrl ?? (process.env.REDIS_URL || undefined);
    const cachePrefix = opts.cachePrefix ?? "demo-shop:v1:";
    let redis: Redis | undefined;
    let redisProxy: TDelayProxy | undefined;
    if (redisUrl) {
      const u = new URL(redisUrl);
      redisProxy = await startDelayProxy(
        { host: u.hostname, port: Number(u.port || 6379) },
        () =>
          networkDelay() +
          (faults.isOn("cache_backend_slow") ? (5 + 95 * faults.intensity("cache_backend_slow")) * jitter() : 0),
      );
      cleanups.push(() => redisProxy?.close());
      u.hostname = redisProxy.host;
      u.port = String(redisProxy.port);
      const r = new Redis(u.toString(), { maxRetriesPerRequest: 2, connectionName: service });
      redis = r;
      r.on("error", (err) => log(`redis: ${err.message}`));
      cleanups.push(() => r.quit().catch(() => r.disconnect()));
      await r.ping();
    }
    const flushRedis = async () => {
      if (!redis) return 0;
      let cursor = "0";
      let n = 0;
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${cachePrefix}*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) n += await redis.unlink(...keys);
      } while (cursor !== "0");
      return n;
    };
    // A fresh PGlite is a fresh database: whatever Redis holds from an earlier run is stale.
    if (database.kind === "pglite") await flushRedis();
    const cacheSources = { memory: 0, redis: 0, db: 0 };
    const cache = new TieredCache({
      memory,
      redis: redis ? agent.wrapRedisCache(redis, { name: "catalog" }) : undefined,
      prefix: cachePrefix,
      ttlSeconds: 300,
      faults,
      random,
      onRedisError: (err) => log(`cache: redis unavailable, reading through: ${err.message}`),
    });
    const cached = async <T extends object>(key: string, load: () => Promise<T | undefined>) => {
      const r = await cache.get(key, load);
      cacheSources[r.source]++;
      return r.value;
    };

    // ---- the demo's own metrics (no convention exists for these) ------------------------------
    // The demo's own metrics, where no convention exists.
    const registers = [agent.registry];
    const batchRuns = new client.Counter({
      name: "batch_job_runs_total",
      help: "Batch job runs, by batch and result (ok, error, or skipped when too far behind).",
      labelNames: ["batch", "result"] as const,
      registers,
    });
    const batchDuration = new client.Histogram({
      name: "batch_job_duration_seconds",
      help: "Wall time of a whole batch job run.",
      labelNames: ["batch"] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    const ordersPlaced = new client.Counter({
      name: "demo_orders_placed_total",
      help: "Orders placed through POST /orders.",
      registers,
    });
    // ---- worker pool, stream, batch --------------------------------------------------------------
    const workers = new WorkerPool(opts.workers ?? Math.max(2, Math.min(4, cpus().length)));
    cleanups.push(() => workers.close());
    agent.workerPoolGauges("recommendations", () => workers.stats());

    const stream = new OrderStream({
      db,
      faults,
      random,
      capacity: opts.queueCapacity ?? 2000,
      feedRate: opts.feedRate ?? 20,
      around,
      onError: (err) => log(`order-events consumer: ${err.message}`),
    });
    agent.queueGauge(
      "order-events",
      () => stream.depth,
      () => stream.lagSeconds,
    );
    const batch = new ProductStatsJob({
      db,
      faults,
      intervalMs: opts.batchIntervalMs ?? 30_000,
      around,
      onRun: (r) => {
        batchRuns.inc({ batch: "product-stats", result: r.skipped ? "skipped" : r.ok ? "ok" : "error" });
        if (r.ok) batchDuration.observe({ batch: "product-stats" }, r.ms / 1000);
      },
      onError: (err) => log(`product-stats batch: ${err.message}`),
    });
    agent.queueGauge(
      "product-stats-batch",
      () => batch.depth,
      () => batch.lagSeconds,
    );

    new client.Gauge({
      name: "queue_producer_paused",
      help: "1 while a producer is paused by backpressure (queue full).",
      labelNames: ["queue"] as const,
      registers,
      collect() {
        this.set({ queue: "order-events" }, stream.paused ? 1 : 0);
      },
    });
    new client.Counter({
      name: "queue_consumed_total",
      help: "Items consumed from the queue.",
      labelNames: ["queue"] as const,
      registers,
      collect() {
        this.reset();
        this.inc({ queue: "order-events" }, stream.consumed);
        this.inc({ queue: "product-stats-batch" }, batch.chunksDone);
      },
    });
    new client.Gauge({
      name: "demo_fault_active",
      help: "Intensity (0..1) of each demo fault switch that is on; absent when off.",
      labelNames: ["fault"] as const,
      registers,
      collect() {
        this.reset();
        for (const f of faults.list()) this.set({ fault: f.label }, f.intensity);
      },
    });

    // ---- inventory-service and the stressors --------------------------------------------------
    const inventory: TInventoryService = await startInventoryService(faults, random);
    cleanups.push(() => inventory.close());
    const inventoryAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    cleanups.push(() => inventoryAgent.destroy());
    const stressors = new Stressors(faults, random);
    cleanups.push(() => stressors.stop());

    // ---- fault actions that happen once ---------------------------------------------------------
    faults.on("slow_query", async (intensity) => {
      const dropOrders = intensity !== undefined;
      const dropItems = intensity !== undefined && intensity >= 0.5;
      await database.admin.query(
        dropOrders ? `DROP INDEX IF EXISTS demo.${INDEXES.ordersCustomer.name}` : INDEXES.ordersCustomer.sql,
      );
      await database.admin.query(
        dropItems ? `DROP INDEX IF EXISTS demo.${INDEXES.itemsOrder.name}` : INDEXES.itemsOrder.sql,
      );
      log(
        `slow_query: ${dropOrders ? "dropped" : "restored"} ${INDEXES.ordersCustomer.name}; order_items index ${dropItems ? "dropped" : "present"}`,
      );
    });
    const flushCaches = async (why: string) => {
      lru.clear();
      const n = await flushRedis();
      log(`${why}: flushed the LRU and ${n} Redis keys`);
    };
    faults.on("cache_hit_collapse", (intensity, prev) => {
      if (prev === undefined || intensity === undefined) return flushCaches("cache_hit_collapse");
    });
    faults.on("cache_undersized", (intensity) => {
      // Each entry weighs more, so the same LRU (maxSize = lruMax) holds only 8..72 entries.
      const entries = intensity === undefined ? lruMax : Math.max(8, Math.round(8 + 64 * (1 - intensity)));
      lruWeight = Math.max(1, Math.floor(lruMax / entries));
    });

    // ---- HTTP ----------------------------------------------------------------------------------
    const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 256 * 1024, forceCloseConnections: true });
    agent.instrumentFastify(app);
    const internal = new Set(["/health", "/faults", "/faults/:label", "/stats"]);
    app.addHook("preHandler", async (req) => {
      if (internal.has(req.routeOptions.url ?? "")) return;
      const ms = requestCpuMs(faults);
      if (ms > 0) burnCpu(ms);
    });
    app.addHook("onResponse", async () => {
      if (faults.isOn("memory_leak")) stressors.leak(100);
    });
    app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply: FastifyReply) => {
      if (err instanceof HttpError)
        return reply.code(err.status).send({ error: { code: err.code, message: err.message } });
      if (err instanceof PoolTimeoutError || err instanceof WorkerPoolFullError) {
        return reply
          .code(503)
          .header("retry-after", "1")
          .send({ error: { code: "overloaded", message: err.message } });
      }
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        return reply.code(err.statusCode).send({ error: { code: err.code ?? "bad_request", message: err.message } });
      }
      log(`500: ${err.stack ?? err.message}`);
      return reply.code(500).send({ error: { code: "internal", message: err.message } });
    });
    app.setNotFoundHandler((req, reply) =>
      reply
        .code(404)
        .send({ error: { code: "not_found", message: `no route ${req.method} ${req.url.split("?")[0]}` } }),
    );

    const loadProduct = async (id: number) => (await db.query<TProduct>(PRODUCT_SQL, [id])).rows[0];
    const getProduct = (id: number) => cached<TProduct>(`product:${id}`, () => loadProduct(id));
    const getCategory = (category: string) =>
      cached<{ products: TProduct[] }>(`products:category:${category}`, async () => ({
        products: (await db.query<TProduct>(CATEGORY_SQL, [category])).rows,
      }));
    const getCustomer = (id: number) =>
      cached<{ id: number; name: string; region: string }>(`customer:${id}`, async () => {
        const r = await db.query<{ id: number; name: string; region: string }>(
          "SELECT id, name, region FROM demo.customers WHERE id = $1",
          [id],
        );
        return r.rows[0];
      });

    app.get("/products/:id", async (req) => {
      const id = parseId((req.params as { id: string }).id, "id");
      const p = await getProduct(id);
      if (!p) throw new HttpError(404, "not_found", `no product ${id}`);
      return p;
    });

    app.get("/products", async (req) => {
      const q = req.query as { category?: string; limit?: string };
      const category = q.category ?? "books";
      if (!(CATEGORIES as readonly string[]).includes(category)) {
        throw new HttpError(400, "bad_request", `category must be one of ${CATEGORIES.join(", ")}`);
      }
      const limit = q.limit === undefined ? 20 : Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw new HttpError(400, "bad_request", "limit must be an integer in 1..100");
      }
      const list = (await getCategory(category)) ?? { products: [] };
      return { category, products: list.products.slice(0, limit) };
    });

    app.get("/customers/:id/orders", async (req) => {
      const id = parseId((req.params as { id: string }).id, "customer id");
      if (!(await getCustomer(id))) throw new HttpError(404, "not_found", `no customer ${id}`);
      // Read through to the database: a customer expects to see the order they just placed.
      if (!faults.isOn("n_plus_one"))
        return { customerId: id, orders: (await db.query<TOrder>(CUSTOMER_ORDERS_SQL, [id])).rows };
      // The N+1 version: one query for the orders, then one per order (and one per item's product).
      const perProduct = faults.intensity("n_plus_one") >= 0.5;
      const orders = (
        await db.query<Omit<TOrder, "items">>(
          `SELECT id::int AS id, customer_id AS "customerId", status, total_cents::int AS "totalCents", created_at AS "createdAt"
           FROM demo.orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20`,
          [id],
        )
      ).rows;
      const out: TOrder[] = [];
      for (const o of orders) {
        const items = (
          await db.query<TOrder["items"][number]>(
            `SELECT product_id AS "productId", qty, price_cents AS "priceCents" FROM demo.order_items WHERE order_id = $1 ORDER BY id`,
            [o.id],
          )
        ).rows;
        if (perProduct) {
          for (const it of items) {
            const r = await db.query<{ name: string }>("SELECT name FROM demo.products WHERE id = $1", [it.productId]);
            it.name = r.rows[0]?.name;
          }
        }
        out.push({ ...o, items });
      }
      return { customerId: id, orders: out };
    });

    app.get("/orders/:id", async (req) => {
      const id = parseId((req.params as { id: string }).id, "order id");
      const o = await cached<TOrder>(`order:${id}`, async () => (await db.query<TOrder>(ORDER_SQL, [id])).rows[0]);
      if (!o) throw new HttpError(404, "not_found", `no order ${id}`);
      return o;
    });

    app.post("/orders", async (req, reply) => {
      const body = ZOrderBodySchema.safeParse(req.body);
      if (!body.success) throw new HttpError(400, "validation_failed", zodMessage(body.error));
      const { customerId } = body.data;
      // One line per product (a cart may list one twice).
      const qtyBy = new Map<number, number>();
      for (const it of body.data.items) qtyBy.set(it.productId, (qtyBy.get(it.productId) ?? 0) + it.qty);
      const ids = [...qtyBy.keys()];
      const qtys = ids.map((id) => qtyBy.get(id) as number);
      // Validation reads go through the cache; the write is one statement (one round trip, atomic):
      // the order, its items and the stock updates in data-modifying CTEs.
      if (!(await getCustomer(customerId)))
        throw new HttpError(400, "validation_failed", `customerId: no customer ${customerId}`);
      const products = await Promise.all(ids.map((id) => getProduct(id)));
      const missing = ids.filter((_, i) => !products[i]);
      if (missing.length > 0) throw new HttpError(400, "validation_failed", `items: no product ${missing.join(", ")}`);
      const inserted = await db.query<{ id: string; status: string; total: string; created_at: Date }>(
        PLACE_ORDER_SQL,
        [customerId, ids, qtys],
      );
      const row = inserted.rows[0];
      if (!row) throw new HttpError(400, "validation_failed", "items: no such products");
      const order = {
        id: Number(row.id),
        customerId,
        status: row.status,
        totalCents: Number(row.total),
        createdAt: row.created_at.toISOString(),
        items: ids.map((id, i) => ({
          productId: id,
          qty: qtys[i] as number,
          priceCents: (products[i] as TProduct).priceCents,
        })),
        categories: products.map((p) => (p as TProduct).category),
      };
      // After the commit: stock changed, so the products' cached copies go; the order is cached as is.
      const { categories, ...out } = order;
      await Promise.all([
        ...ids.map((id) => cache.invalidate(`product:${id}`)),
        cache.invalidate(`customer:${customerId}:profile`),
        cache.put(`order:${out.id}`, out),
      ]);
      ordersPlaced.inc();
      // Backpressure: when the event queue is full this waits, and the request with it.
      await stream.publish({
        orderId: out.id,
        customerId,
        category: categories[0] ?? "books",
        units: qtys.reduce((a, b) => a + b, 0),
        revenueCents: out.totalCents,
        at: Date.now(),
      });
      return reply.code(201).send(out);
    });

    app.put("/products/:id", async (req) => {
      const id = parseId((req.params as { id: string }).id, "id");
      const body = ZProductPatchSchema.safeParse(req.body);
      if (!body.success) throw new HttpError(400, "validation_failed", zodMessage(body.error));
      const b = body.data;
      const updated = await db.query<{ id: number; category: string }>(
        `UPDATE demo.products SET name = coalesce($2, name), price_cents = coalesce($3, price_cents),
           stock = coalesce($4, stock), updated_at = now()
         WHERE id = $1 RETURNING id, category`,
        [id, b.name ?? null, b.priceCents ?? null, b.stock ?? null],
      );
      const row = updated.rows[0];
      if (!row) throw new HttpError(404, "not_found", `no product ${id}`);
      // Write-through: the database first, then overwrite the product in both cache levels and
      // drop the category list that embeds it.
      const fresh = await loadProduct(id);
      if (fresh) await cache.put(`product:${id}`, fresh);
      await cache.invalidate(`products:category:${row.category}`);
      return fresh;
    });

    app.get("/recommendations/:customerId", async (req) => {
      const id = parseId((req.params as { customerId: string }).customerId, "customerId");
      if (!(await getCustomer(id))) throw new HttpError(404, "not_found", `no customer ${id}`);
      const profile = (await cached<{ categories: Record<string, number> }>(`customer:${id}:profile`, async () => {
        const r = await db.query<{ category: string; units: number }>(
          `SELECT p.category, sum(i.qty)::int AS units
             FROM demo.orders o JOIN demo.order_items i ON i.order_id = o.id JOIN demo.products p ON p.id = i.product_id
             WHERE o.customer_id = $1 GROUP BY p.category`,
          [id],
        );
        return { categories: Object.fromEntries(r.rows.map((x) => [x.category, x.units])) };
      })) ?? { categories: {} };
      const history = CATEGORIES.map((c) => profile.categories[c] ?? 0);
      const top = CATEGORIES.map((c, i) => [c, history[i] as number] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([c]) => c);
      const lists = await Promise.all(top.map((c) => getCategory(c)));
      const candidates = lists.flatMap((l) =>
        (l?.products ?? []).map(
          (p) =>
            [p.id, CATEGORIES.indexOf(p.category as (typeof CATEGORIES)[number]), p.priceCents, p.unitsSold ?? 0] as [
              number,
              number,
              number,
              number,
            ],
        ),
      );
      const cpu = faults.isOn("cpu_saturation") ? 1 + 10 * faults.intensity("cpu_saturation") : 1;
      const result = await workers.run({ history, candidates, rounds: Math.round(150 * cpu), limit: 10 });
      return { customerId: id, recommendations: result };
    });

    app.get("/inventory/:id", async (req) => {
      const id = parseId((req.params as { id: string }).id, "id");
      const product = await getProduct(id);
      if (!product) throw new HttpError(404, "not_found", `no product ${id}`);
      const stock = await callInventory(id);
      return { productId: id, sku: product.sku, stock: product.stock, warehouses: stock.warehouses };
    });

    const callInventory = (id: number) =>
      tracer.startActiveSpan(
        "GET /stock/:id",
        {
          kind: SpanKind.CLIENT,
          attributes: {
            "http.request.method": "GET",
            "server.address": "127.0.0.1",
            "url.full": `${inventory.url}/stock/${id}`,
            "url.template": "/stock/:id",
            "peer.service": "inventory-service",
          },
        },
        (span: Span) =>
          new Promise<{ warehouses: unknown[] }>((resolve, reject) => {
            const headers: Record<string, string> = {};
            propagation.inject(context.active(), headers);
            const fail = (status: number, code: string, message: string) => {
              span.setStatus({ code: SpanStatusCode.ERROR, message });
              span.end();
              reject(new HttpError(status, code, message));
            };
            const req = http.get(
              `${inventory.url}/stock/${id}`,
              { agent: inventoryAgent, headers, timeout: 3000 },
              (res) => {
                let body = "";
                res.setEncoding("utf8");
                res.on("data", (d: string) => {
                  body += d;
                });
                res.on("end", () => {
                  span.setAttribute("http.response.status_code", res.statusCode ?? 0);
                  if (res.statusCode !== 200)
                    return fail(502, "bad_gateway", `inventory-service answered ${res.statusCode}`);
                  span.end();
                  resolve(JSON.parse(body) as { warehouses: unknown[] });
                });
              },
            );
            req.on("timeout", () => req.destroy(new Error("timeout")));
            req.on("error", (err) =>
              fail(err.message === "timeout" ? 504 : 502, "bad_gateway", `inventory-service: ${err.message}`),
            );
          }),
      );

    const stats = (): TDemoStats => ({
      cache: { ...cacheSources },
      lruSize: lru.size,
      pool: {
        total: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
        max: pool.options.max,
        leaked: db.leakedCount,
      },
      queue: { depth: stream.depth, lagSeconds: stream.lagSeconds, consumed: stream.consumed, pauses: stream.pauses },
      batch: { depth: batch.depth, runs: batch.runs, chunks: batch.chunksDone },
      workers: workers.stats(),
      eventLoopBlocks: stressors.blocks,
      leakedMb: Math.round(stressors.leakedMb * 10) / 10,
      inventoryRequests: inventory.requests(),
    });

    app.get("/health", async (_req, reply) => {
      let dbOk = true;
      try {
        await Promise.race([
          pool.query("SELECT 1"),
          sleep(1000).then(() => {
            throw new Error("timeout");
          }),
        ]);
      } catch {
        dbOk = false;
      }
      return reply.code(dbOk ? 200 : 503).send({
        status: dbOk ? "ok" : "degraded",
        service,
        database: { kind: database.kind, ok: dbOk },
        redis: redis ? redis.status : "off",
        faults: faults.list(),
        ...stats(),
      });
    });
    app.get("/stats", async () => stats());

    // ---- fault switches -------------------------------------------------------------------------
    const notes = (label: TFaultLabel): string | undefined =>
      label === "cache_backend_slow" && !redis ? "no effect: REDIS_URL is not set, there is no Redis level" : undefined;
    app.get("/faults", async () => ({
      active: faults.list(),
      available: FAULT_LABELS.map((label) => ({ label, ...FAULT_CATALOG[label], note: notes(label) })),
    }));
    app.post("/faults/:label", async (req, reply) => {
      const label = ZFaultLabelSchema.safeParse((req.params as { label: string }).label);
      if (!label.success) {
        throw new HttpError(
          404,
          "unknown_fault",
          `no fault "${(req.params as { label: string }).label}": expected one of ${FAULT_LABELS.join(", ")}`,
        );
      }
      const body = ZFaultBodySchema.safeParse(req.body ?? {});
      if (!body.success) throw new HttpError(400, "validation_failed", zodMessage(body.error));
      const f = await faults.set(label.data, body.data.intensity);
      log(`fault on: ${label.data} (intensity ${f.intensity})`);
      return reply.code(200).send({ ...f, ...FAULT_CATALOG[label.data], note: notes(label.data) });
    });
    app.delete("/faults/:label", async (req, reply) => {
      const label = ZFaultLabelSchema.safeParse((req.params as { label: string }).label);
      if (!label.success)
        throw new HttpError(404, "unknown_fault", `no fault "${(req.params as { label: string }).label}"`);
      const was = await faults.clear(label.data);
      if (was) log(`fault off: ${label.data}`);
      return reply.code(200).send({ label: label.data, cleared: was });
    });
    app.delete("/faults", async () => {
      const labels = faults.list().map((f) => f.label);
      await faults.clearAll();
      if (labels.length > 0) log(`faults off: ${labels.join(", ")}`);
      return { cleared: labels };
    });

    // ---- start ---------------------------------------------------------------------------------
    cleanups.push(() => faults.clearAll());
    for (const f of opts.faults ?? []) await faults.set(f.label, f.intensity);
    const address = await app.listen({ port: opts.port ?? 4000, host: opts.host ?? "127.0.0.1" });
    // Closed first on stop (cleanups run in reverse): no new requests while the rest shuts down.
    cleanups.push(() => stream.stop());
    cleanups.push(() => batch.stop());
    // Faults off before the rest stops: indexes come back, leaked connections go back to the pool.
    cleanups.push(() => faults.clearAll());
    cleanups.push(() => app.close());
    agent.start();
    stream.start();
    batch.start();
    const port = Number(new URL(address).port);
    log(`serving on ${address} (service ${service}, pool max ${poolMax}, redis ${redis ? "on" : "off"})`);

    let stopping: Promise<void> | undefined;
    return {
      url: address,
      port,
      service,
      faults,
      agent,
      database: database.kind,
      redis: Boolean(redis),
      inventoryUrl: inventory.url,
      stats,
      stop: () => {
        stopping ??= cleanup();
        return stopping;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

// ---- CLI: tsx demo/service.ts --port 4000 --fault slow_query:0.8 ------------------------------------
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "4000" },
      host: { type: "string", default: "127.0.0.1" },
      fault: { type: "string", multiple: true, default: [] },
      seed: { type: "string", default: "1" },
      "data-dir": { type: "string" },
      "batch-interval": { type: "string", default: "30" },
      "explain-ms": { type: "string", default: "100" },
      "pool-max": { type: "string", default: "10" },
    },
    strict: true,
  });
  const bad = (flag: string, v: string, ok: (n: number) => boolean) => {
    if (ok(Number(v))) return;
    console.error(`demo: --${flag} ${JSON.stringify(v)} is not valid`);
    process.exit(2);
  };
  bad("port", values.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535);
  bad("pool-max", values["pool-max"], (n) => Number.isInteger(n) && n >= 2);
  bad("batch-interval", values["batch-interval"], (n) => n > 0);
  bad("explain-ms", values["explain-ms"], (n) => n >= 0);
  let faultSpecs: { label: TFaultLabel; intensity: number }[];
  try {
    faultSpecs = (values.fault ?? []).map(parseFaultSpec);
  } catch (err) {
    console.error(`demo: ${(err as Error).message}`);
    process.exit(2);
  }
  const demo = await startDemo({
    port: Number(values.port),
    host: values.host,
    faults: faultSpecs,
    seed: Number(values.seed),
    dataDir: values["data-dir"],
    batchIntervalMs: Number(values["batch-interval"]) * 1000,
    explainSlowQueriesMs: Number(values["explain-ms"]) > 0 ? Number(values["explain-ms"]) : undefined,
    poolMax: Number(values["pool-max"]),
  }).catch((err: Error) => {
    console.error(`demo: failed to start: ${err.stack ?? err.message}`);
    process.exit(1);
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`demo: ${signal} received, shutting down`);
    setTimeout(() => process.exit(1), 15_000).unref();
    void demo.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}
