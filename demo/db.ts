// The demo's own database (never Hotpath's): PostgreSQL when DEMO_DATABASE_URL is set, otherwise an
// in-process PGlite served over the PostgreSQL wire protocol on 127.0.0.1, so that a real pg.Pool
// (and its queueing, connection limits and leaks) sits in front of it either way.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import pg from "pg";

export const CATEGORIES = [
  "books",
  "electronics",
  "garden",
  "toys",
  "kitchen",
  "sports",
  "beauty",
  "music",
  "office",
  "pets",
  "tools",
  "games",
] as const;

export const SEED = { products: 5000, customers: 2000, orders: 50_000 } as const;

export type TDemoDatabase = {
  kind: "pglite" | "postgresql";
  /** Where the app connects (host, port, and a full URL); the demo puts a delay proxy in front. */
  host: string;
  port: number;
  url: string;
  /** A direct, uninstrumented connection for schema changes (seed, fault DDL). */
  admin: pg.Client;
  close(): Promise<void>;
};

export async function openDatabase(opts: { databaseUrl?: string; dataDir?: string }): Promise<TDemoDatabase> {
  if (opts.databaseUrl) {
    const u = new URL(opts.databaseUrl);
    const admin = new pg.Client({ connectionString: opts.databaseUrl });
    await admin.connect();
    return {
      kind: "postgresql",
      host: u.hostname,
      port: Number(u.port || 5432),
      url: opts.databaseUrl,
      admin,
      close: () => admin.end(),
    };
  }
  const tmp = opts.dataDir ? undefined : await mkdtemp(path.join(tmpdir(), "hotpath-demo-db-"));
  const dataDir = opts.dataDir ?? (tmp as string);
  // PGlite and its wire-protocol server run on a worker thread (pglite-worker.ts): queries execute
  // there, so they never block this thread's event loop.
  const thread = await startPgliteThread(dataDir);
  const { host, port } = thread;
  const url = `postgresql://postgres@${host}:${port}/postgres`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  return {
    kind: "pglite",
    host,
    port,
    url,
    admin,
    close: async () => {
      await admin.end().catch(() => undefined);
      await thread.close();
      if (tmp) await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** Index names the slow_query fault drops and restores. */
export const INDEXES = {
  ordersCustomer: {
    name: "orders_customer_id_idx",
    sql: "CREATE INDEX IF NOT EXISTS orders_customer_id_idx ON demo.orders (customer_id)",
  },
  itemsOrder: {
    name: "order_items_order_id_idx",
    sql: "CREATE INDEX IF NOT EXISTS order_items_order_id_idx ON demo.order_items (order_id)",
  },
} as const;

const SCHEMA = `
CREATE SCHEMA IF NOT EXISTS demo;
CREATE TABLE IF NOT EXISTS demo.products (
  id integer PRIMARY KEY,
  sku text NOT NULL UNIQUE,
  name text NOT NULL,
  category text NOT NULL,
  price_cents integer NOT NULL,
  stock integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS demo.customers (
  id integer PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name text NOT NULL,
  region text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS demo.orders (
  id bigserial PRIMARY KEY,
  customer_id integer NOT NULL,
  status text NOT NULL,
  total_cents bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS demo.order_items (
  id bigserial PRIMARY KEY,
  order_id bigint NOT NULL,
  product_id integer NOT NULL,
  qty integer NOT NULL,
  price_cents integer NOT NULL
);
CREATE TABLE IF NOT EXISTS demo.product_stats (
  product_id integer PRIMARY KEY REFERENCES demo.products (id),
  orders integer NOT NULL,
  units bigint NOT NULL,
  revenue_cents bigint NOT NULL,
  computed_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS demo.sales_by_category (
  category text NOT NULL,
  minute timestamptz NOT NULL,
  orders integer NOT NULL,
  units integer NOT NULL,
  revenue_cents bigint NOT NULL,
  PRIMARY KEY (category, minute)
);`;

const INDEX_SQL = [
  "CREATE INDEX IF NOT EXISTS products_category_idx ON demo.products (category, price_cents)",
  INDEXES.ordersCustomer.sql,
  "CREATE INDEX IF NOT EXISTS orders_created_at_idx ON demo.orders (created_at)",
  INDEXES.itemsOrder.sql,
  "CREATE INDEX IF NOT EXISTS order_items_product_id_idx ON demo.order_items (product_id)",
];

const categoriesArray = `ARRAY[${CATEGORIES.map((c) => `'${c}'`).join(",")}]`;

// generate_series seeding: one round trip per table, deterministic thanks to setseed().
const SEED_SQL = [
  "SELECT setseed(0.42)",
  `INSERT INTO demo.products (id, sku, name, category, price_cents, stock)
   SELECT g, 'SKU-' || lpad(g::text, 5, '0'), 'Product ' || g,
          (${categoriesArray})[1 + (g % ${CATEGORIES.length})],
          199 + floor(random() * 20000)::int, floor(random() * 500)::int
   FROM generate_series(1, ${SEED.products}) g`,
  `INSERT INTO demo.customers (id, email, name, region, created_at)
   SELECT g, 'customer' || g || '@example.com', 'Customer ' || g,
          (ARRAY['eu','us','apac','latam'])[1 + (g % 4)], now() - random() * interval '3 years'
   FROM generate_series(1, ${SEED.customers}) g`,
  // Items first (skewed towards low product ids, so some products are hot: what makes caches worth
  // having), then orders with their totals; foreign keys are added afterwards, validated in bulk.
  `INSERT INTO demo.order_items (order_id, product_id, qty, price_cents)
   SELECT o, 1 + floor(power(random(), 2) * ${SEED.products})::int, 1 + floor(random() * 3)::int,
          199 + floor(random() * 20000)::int
   FROM generate_series(1, ${SEED.orders}) o, generate_series(1, 1 + (o % 4)) k`,
  `INSERT INTO demo.orders (id, customer_id, status, total_cents, created_at)
   SELECT s.order_id, 1 + floor(random() * ${SEED.customers})::int,
          (ARRAY['placed','paid','shipped','delivered','delivered','delivered'])[1 + floor(random() * 6)::int],
          s.total, now() - random() * interval '365 days'
   FROM (SELECT order_id, sum(qty * price_cents) AS total FROM demo.order_items GROUP BY order_id) s`,
  `SELECT setval('demo.orders_id_seq', ${SEED.orders})`,
  "ALTER TABLE demo.orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES demo.customers (id)",
  "ALTER TABLE demo.order_items ADD CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES demo.orders (id)",
  "ALTER TABLE demo.order_items ADD CONSTRAINT order_items_product_fk FOREIGN KEY (product_id) REFERENCES demo.products (id)",
];

/** Creates the schema, seeds it when empty and makes sure every index exists (slow_query drops some). */
export async function prepareSchema(admin: pg.Client): Promise<{ seeded: boolean; ms: number }> {
  const started = performance.now();
  await admin.query(SCHEMA);
  const { rows } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM demo.products");
  const seeded = (rows[0]?.n ?? 0) === 0;
  if (seeded) {
    await admin.query("BEGIN");
    try {
      for (const sql of SEED_SQL) await admin.query(sql);
      await admin.query("COMMIT");
    } catch (err) {
      await admin.query("ROLLBACK");
      throw err;
    }
  }
  for (const sql of INDEX_SQL) await admin.query(sql);
  if (seeded) await admin.query("ANALYZE demo.products, demo.customers, demo.orders, demo.order_items");
  return { seeded, ms: performance.now() - started };
}

// The worker loads TypeScript through tsx's API, so it runs the same under tsx, vitest or a build.
const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
import("tsx/esm/api").then(({ register }) => { register(); return import(workerData.file); });
`;

async function startPgliteThread(dataDir: string): Promise<{ host: string; port: number; close(): Promise<void> }> {
  const file = new URL("./pglite-worker.ts", import.meta.url).href;
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { file, dataDir } });
  const ready = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`PGlite worker exited with ${code} before serving`));
    worker.once("error", reject);
    worker.once("exit", onExit);
    worker.on("message", (m: { type: string; host: string; port: number }) => {
      if (m.type !== "ready") return;
      worker.off("exit", onExit);
      resolve(m);
    });
  });
  return {
    ...ready,
    close: async () => {
      const closed = new Promise<void>((resolve) => {
        worker.on("message", (m: { type: string }) => m.type === "closed" && resolve());
        worker.once("exit", () => resolve());
        setTimeout(resolve, 5000).unref();
      });
      worker.postMessage({ type: "close" });
      await closed;
      await worker.terminate();
    },
  };
}
