// The drill-down benchmark's spans, generated inside the database (INSERT … SELECT generate_series):
// traces of 10 spans over 24 hours, shaped like three instrumented data APIs. The catalog below (routes,
// statements, their weights and costs) is plain data; `insertTracesSql` turns it into one statement
// per chunk of traces, so PostgreSQL and PGlite run the same SQL.
//
// Per trace: a SERVER span of the entry service (15 routes over 3 services), a SERVER span of the
// service it calls, 5 DB CLIENT spans (3 by the entry service, 2 by the callee), 2 cache.get spans
// (memory, then redis) and 1 HTTP CLIENT span to a downstream dependency: 20 % server, 50 % DB,
// 20 % cache, 10 % client. Statements follow a long tail (Zipf-like weights, 20 per service, 60 in
// all) with IN-list variants that share a fingerprint, plus one unparameterised statement (token
// literals inlined, as some ORMs do) that yields ~3,000 distinct statements for one fingerprint.
// Start times increase with the trace number, as arriving spans do, so the heap is time-ordered.

export const SERVICES = ["shop-api", "catalog-api", "billing-api"] as const;
/** Per service: its database system and namespace (the Queries page's "Database" filter offers both). */
const DBS: { system: string; ns: string }[] = [
  { system: "postgresql", ns: "shop" },
  { system: "postgresql", ns: "catalog" },
  { system: "mysql", ns: "billing" },
];

type TRoute = { svc: number; method: string; route: string; baseMs: number; weight: number };
export const ROUTES: TRoute[] = [
  { svc: 0, method: "GET", route: "/orders/:id", baseMs: 12, weight: 14 },
  { svc: 0, method: "GET", route: "/customers/:id/orders", baseMs: 25, weight: 10 },
  { svc: 0, method: "POST", route: "/orders", baseMs: 40, weight: 6 },
  { svc: 0, method: "GET", route: "/cart", baseMs: 8, weight: 12 },
  { svc: 0, method: "POST", route: "/cart/items", baseMs: 15, weight: 7 },
  { svc: 0, method: "GET", route: "/checkout", baseMs: 20, weight: 4 },
  { svc: 0, method: "POST", route: "/checkout", baseMs: 60, weight: 3 },
  { svc: 1, method: "GET", route: "/products/:id", baseMs: 6, weight: 18 },
  { svc: 1, method: "GET", route: "/products", baseMs: 18, weight: 9 },
  { svc: 1, method: "GET", route: "/categories/:slug", baseMs: 14, weight: 5 },
  { svc: 1, method: "GET", route: "/search", baseMs: 45, weight: 4 },
  { svc: 1, method: "PUT", route: "/products/:id", baseMs: 22, weight: 2 },
  { svc: 2, method: "POST", route: "/payments", baseMs: 80, weight: 3 },
  { svc: 2, method: "GET", route: "/invoices/:id", baseMs: 10, weight: 2 },
  { svc: 2, method: "POST", route: "/refunds", baseMs: 70, weight: 1 },
];

type TStatementShape = {
  sql: string;
  /** Mean duration (ms) before the exponential spread. */
  baseMs: number;
  rows: number;
  /** IN-list lengths 1..variants, each a distinct stored statement with one fingerprint. */
  variants?: number;
  /** A sequential scan the plan shows (the Queries detail suggests an index for it). */
  seqScan?: { table: string; filter: string };
};

// `{in}` is replaced by an IN list; `?` placeholders for MySQL, `$n` for PostgreSQL.
const SHOP: TStatementShape[] = [
  { sql: "SELECT id, customer_id, status, total_cents, created_at FROM orders WHERE id = $1", baseMs: 0.4, rows: 1 },
  {
    sql: "SELECT o.id, o.status, o.total_cents, o.created_at FROM orders o WHERE o.customer_id = $1 ORDER BY o.created_at DESC LIMIT 20",
    baseMs: 28,
    rows: 12,
    seqScan: { table: "orders", filter: "(customer_id = 4211)" },
  },
  { sql: "SELECT product_id, qty, price_cents FROM order_items WHERE order_id = $1 ORDER BY id", baseMs: 0.6, rows: 3 },
  { sql: "SELECT id, name, email, region FROM customers WHERE id = $1", baseMs: 0.3, rows: 1 },
  {
    sql: "INSERT INTO orders (customer_id, status, total_cents) VALUES ($1, $2, $3) RETURNING id, created_at",
    baseMs: 1.8,
    rows: 1,
  },
  {
    sql: "INSERT INTO order_items (order_id, product_id, qty, price_cents) SELECT $1, unnest($2::int[]), unnest($3::int[]), unnest($4::int[])",
    baseMs: 2.2,
    rows: 3,
  },
  { sql: "SELECT c.id, c.items, c.updated_at FROM carts c WHERE c.session_id = $1", baseMs: 0.5, rows: 1 },
  {
    sql: "UPDATE carts SET items = items || $2::jsonb, updated_at = now() WHERE session_id = $1",
    baseMs: 1.1,
    rows: 1,
  },
  { sql: "SELECT id, sku, price_cents, stock FROM products WHERE id IN ({in})", baseMs: 0.9, rows: 4, variants: 12 },
  {
    sql: "UPDATE products SET stock = greatest(stock - $2, 0), updated_at = now() WHERE id = $1",
    baseMs: 0.8,
    rows: 1,
  },
  { sql: "SELECT count(*) FROM orders WHERE customer_id = $1 AND status = $2", baseMs: 9, rows: 1 },
  { sql: "BEGIN", baseMs: 0.05, rows: 0 },
  { sql: "COMMIT", baseMs: 0.6, rows: 0 },
  {
    sql: "SELECT coupon_code, discount_pct FROM coupons WHERE code = $1 AND valid_until > now()",
    baseMs: 0.4,
    rows: 1,
  },
  {
    sql: "SELECT a.line1, a.city, a.postcode, a.country FROM addresses a WHERE a.customer_id = $1 AND a.kind = $2",
    baseMs: 0.7,
    rows: 1,
  },
  {
    sql: "SELECT o.id, sum(i.qty * i.price_cents) AS total FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.created_at >= $1 GROUP BY o.id",
    baseMs: 45,
    rows: 800,
  },
  { sql: "DELETE FROM carts WHERE updated_at < $1", baseMs: 14, rows: 40 },
  {
    sql: "SELECT id FROM customers WHERE email = $1",
    baseMs: 6,
    rows: 1,
    seqScan: { table: "customers", filter: "((email)::text = 'a@example.com'::text)" },
  },
  { sql: "SELECT pg_advisory_xact_lock($1)", baseMs: 0.2, rows: 1 },
];
const CATALOG: TStatementShape[] = [
  {
    sql: 'SELECT p.id, p.sku, p.name, p.category, p.price_cents AS "priceCents", p.stock FROM products p WHERE p.id = $1',
    baseMs: 0.4,
    rows: 1,
  },
  {
    sql: "SELECT p.id, p.name, p.price_cents FROM products p WHERE p.category = $1 ORDER BY p.price_cents LIMIT $2",
    baseMs: 7,
    rows: 20,
    seqScan: { table: "products", filter: "((category)::text = 'books'::text)" },
  },
  { sql: "SELECT id, name, slug, parent_id FROM categories WHERE slug = $1", baseMs: 0.3, rows: 1 },
  {
    sql: "SELECT p.id, p.name, ts_rank(p.search, q) AS rank FROM products p, plainto_tsquery($1) q WHERE p.search @@ q ORDER BY rank DESC LIMIT 50",
    baseMs: 35,
    rows: 50,
  },
  { sql: "SELECT product_id, units FROM product_stats WHERE product_id IN ({in})", baseMs: 1.2, rows: 8, variants: 10 },
  {
    sql: "UPDATE products SET name = coalesce($2, name), price_cents = coalesce($3, price_cents), updated_at = now() WHERE id = $1 RETURNING id, category",
    baseMs: 1.5,
    rows: 1,
  },
  { sql: "SELECT id, url, alt FROM product_images WHERE product_id = $1 ORDER BY position", baseMs: 0.5, rows: 4 },
  {
    sql: "SELECT r.rating, r.body, r.created_at FROM reviews r WHERE r.product_id = $1 ORDER BY r.created_at DESC LIMIT 10",
    baseMs: 3,
    rows: 10,
  },
  { sql: "SELECT avg(rating)::float8, count(*) FROM reviews WHERE product_id = $1", baseMs: 4, rows: 1 },
  { sql: "SELECT warehouse_id, stock FROM inventory WHERE product_id = $1", baseMs: 0.6, rows: 3 },
  { sql: "SELECT id, name FROM brands WHERE id IN ({in})", baseMs: 0.5, rows: 3, variants: 6 },
  { sql: "SELECT count(*) FROM products WHERE category = $1", baseMs: 11, rows: 1 },
  { sql: "INSERT INTO product_views (product_id, viewed_at) VALUES ($1, now())", baseMs: 0.9, rows: 1 },
  { sql: "SELECT tag FROM product_tags WHERE product_id = $1", baseMs: 0.4, rows: 5 },
  {
    sql: "SELECT p.id, p.name FROM products p JOIN product_tags t ON t.product_id = p.id WHERE t.tag = $1 LIMIT 20",
    baseMs: 16,
    rows: 20,
  },
  {
    sql: "SELECT id, price_cents, starts_at, ends_at FROM promotions WHERE product_id = $1 AND now() BETWEEN starts_at AND ends_at",
    baseMs: 0.7,
    rows: 0,
  },
  { sql: "REFRESH MATERIALIZED VIEW CONCURRENTLY category_counts", baseMs: 400, rows: 0 },
  { sql: "SELECT slug, name FROM categories ORDER BY name", baseMs: 0.8, rows: 40 },
  { sql: "SELECT 1", baseMs: 0.1, rows: 1 },
];
const BILLING: TStatementShape[] = [
  {
    sql: "INSERT INTO payments (order_id, amount_cents, currency, provider_ref, status) VALUES (?, ?, ?, ?, ?)",
    baseMs: 2.5,
    rows: 1,
  },
  { sql: "SELECT id, status, amount_cents FROM payments WHERE order_id = ?", baseMs: 0.5, rows: 1 },
  { sql: "UPDATE payments SET status = ?, updated_at = NOW() WHERE id = ?", baseMs: 1.4, rows: 1 },
  { sql: "SELECT id, number, issued_at, total_cents FROM invoices WHERE id = ?", baseMs: 0.4, rows: 1 },
  {
    sql: "SELECT line_no, description, amount_cents FROM invoice_lines WHERE invoice_id = ? ORDER BY line_no",
    baseMs: 0.9,
    rows: 6,
  },
  { sql: "SELECT rate FROM tax_rates WHERE country = ? AND category = ?", baseMs: 0.3, rows: 1 },
  { sql: "INSERT INTO refunds (payment_id, amount_cents, reason) VALUES (?, ?, ?)", baseMs: 2, rows: 1 },
  { sql: "SELECT sum(amount_cents) FROM refunds WHERE payment_id = ?", baseMs: 3, rows: 1 },
  { sql: "SELECT id, amount_cents FROM payments WHERE customer_id = ? AND created_at > ?", baseMs: 24, rows: 15 },
  { sql: "SELECT id FROM payments WHERE provider_ref IN ({in})", baseMs: 1.1, rows: 5, variants: 8 },
  { sql: "START TRANSACTION", baseMs: 0.05, rows: 0 },
  { sql: "COMMIT", baseMs: 0.5, rows: 0 },
  { sql: "SELECT GET_LOCK(?, ?)", baseMs: 0.2, rows: 1 },
  { sql: "SELECT currency, rate FROM fx_rates WHERE day = ?", baseMs: 0.6, rows: 30 },
  { sql: "UPDATE invoices SET paid_at = NOW() WHERE id = ?", baseMs: 1.2, rows: 1 },
  {
    sql: "SELECT id, number FROM invoices WHERE customer_id = ? ORDER BY issued_at DESC LIMIT 20",
    baseMs: 5,
    rows: 20,
  },
  { sql: "SELECT COUNT(*) FROM payments WHERE status = ? AND created_at > ?", baseMs: 55, rows: 1 },
  { sql: "INSERT INTO audit_log (entity, entity_id, action, payload) VALUES (?, ?, ?, ?)", baseMs: 1, rows: 1 },
  { sql: "SELECT id, webhook_url FROM merchants WHERE id = ?", baseMs: 0.3, rows: 1 },
  { sql: "DELETE FROM idempotency_keys WHERE created_at < ?", baseMs: 30, rows: 100 },
];
const BY_SERVICE = [SHOP, CATALOG, BILLING];
/** Share of the entry service's DB spans issued by the unparameterised token lookup (shop-api only). */
const LITERAL_SHARE = 0.02;

type TStatement = {
  id: number;
  svc: number;
  text: string | null;
  op: string;
  baseMs: number;
  rows: number;
  plan: string | null;
  weight: number;
};

function inList(n: number, svc: number): string {
  return Array.from({ length: n }, (_, i) => (svc === 2 ? "?" : `$${i + 1}`)).join(", ");
}

function planJson(s: TStatementShape, baseMs: number): string | null {
  if (!s.seqScan) return null;
  const cost = Math.round(baseMs * 900);
  return JSON.stringify([
    {
      Plan: {
        "Node Type": "Limit",
        "Startup Cost": cost,
        "Total Cost": cost + 1,
        "Plan Rows": s.rows,
        Plans: [
          {
            "Node Type": "Sort",
            "Parent Relationship": "Outer",
            "Startup Cost": cost,
            "Total Cost": cost + 1,
            "Plan Rows": s.rows * 2,
            "Sort Key": ["created_at DESC"],
            Plans: [
              {
                "Node Type": "Seq Scan",
                "Parent Relationship": "Outer",
                "Relation Name": s.seqScan.table,
                Alias: s.seqScan.table,
                "Startup Cost": 0,
                "Total Cost": cost - 20,
                "Plan Rows": s.rows * 2,
                Filter: s.seqScan.filter,
              },
            ],
          },
        ],
      },
    },
  ]);
}

/** Every stored statement with its weight; id 0 is the unparameterised one (text built in SQL). */
export function statements(): TStatement[] {
  const out: TStatement[] = [{ id: 0, svc: 0, text: null, op: "SELECT", baseMs: 0.8, rows: 1, plan: null, weight: 0 }];
  BY_SERVICE.forEach((shapes, svc) => {
    shapes.forEach((s, rank) => {
      // Zipf-like within a service: the first statements are issued most.
      const w = 1 / (rank + 1) ** 1.1;
      const n = s.variants ?? 1;
      for (let v = 1; v <= n; v++) {
        out.push({
          id: out.length,
          svc,
          text: s.sql.replace("{in}", inList(v, svc)),
          op: (/^\s*(\w+)/.exec(s.sql)?.[1] ?? "QUERY").toUpperCase(),
          baseMs: s.baseMs,
          rows: s.rows,
          plan: planJson(s, s.baseMs),
          // Shorter IN lists are more common.
          weight: (w * (n - v + 1)) / ((n * (n + 1)) / 2),
        });
      }
    });
  });
  return out;
}

/** `size` slots per service filled with statement ids in proportion to their weights. */
function statementSlots(all: TStatement[], size: number): number[][] {
  return SERVICES.map((_, svc) => {
    const mine = all.filter((s) => s.svc === svc && s.id !== 0);
    const total = mine.reduce((a, s) => a + s.weight, 0);
    const literal = svc === 0 ? Math.round(size * LITERAL_SHARE) : 0;
    const slots: number[] = new Array(literal).fill(0);
    for (const s of mine) {
      const n = Math.max(1, Math.round(((size - literal) * s.weight) / total));
      for (let i = 0; i < n && slots.length < size; i++) slots.push(s.id);
    }
    while (slots.length < size) slots.push(mine[0]?.id ?? 1);
    return slots;
  });
}

function routeSlots(size: number): number[] {
  const total = ROUTES.reduce((a, r) => a + r.weight, 0);
  const slots: number[] = [];
  ROUTES.forEach((r, id) => {
    const n = Math.max(1, Math.round((size * r.weight) / total));
    for (let i = 0; i < n && slots.length < size; i++) slots.push(id);
  });
  while (slots.length < size) slots.push(0);
  return slots;
}

const lit = (s: string | null) => (s === null ? "NULL" : `'${s.replace(/'/g, "''")}'`);

export type TWorkload = { traces: number; endNs: bigint; rangeMs: number };

/**
 * One INSERT for traces [from, to) of `w.traces`, spread evenly (with jitter) over the `rangeMs`
 * ending at `endNs`. Ten spans per trace.
 */
export function insertTracesSql(w: TWorkload, from: number, to: number): string {
  const all = statements();
  const stSlots = statementSlots(all, 1000);
  const rtSlots = routeSlots(200);
  const rangeNs = BigInt(w.rangeMs) * 1_000_000n;
  const startNs = w.endNs - rangeNs;
  const stepNs = rangeNs / BigInt(w.traces);
  const st = all
    .map((s) => {
      const db = DBS[s.svc] as { system: string; ns: string };
      return `(${s.id}, ${s.svc}, ${lit(s.text)}, ${lit(db.system)}, ${lit(db.ns)}, ${lit(s.op)}, ${s.baseMs}::float8, ${s.rows}, ${lit(s.plan)})`;
    })
    .join(",\n      ");
  const rt = ROUTES.map((r, id) => `(${id}, ${r.svc}, ${lit(r.method)}, ${lit(r.route)}, ${r.baseMs}::float8)`).join(
    ",\n      ",
  );
  const svcNames = `ARRAY[${SERVICES.map(lit).join(", ")}]`;
  const exp = (u: string) => `(-ln(1 - ${u}))`;
  return `
WITH st(id, svc, text, db_system, ns, op, base_ms, nrows, plan) AS (VALUES
      ${st}),
  rt(id, svc, method, route, base_ms) AS (VALUES
      ${rt}),
  t AS (
    SELECT i, md5('hotpath-bench-' || i) AS trace_id,
      ${startNs}::bigint + ((i + random()) * ${stepNs})::bigint AS t0,
      (ARRAY[${rtSlots.join(",")}])[1 + floor(random() * ${rtSlots.length})::int] AS r,
      random() AS ud
    FROM generate_series(${from}, ${to - 1}) AS i
    OFFSET 0
  ),
  t2 AS (
    SELECT t.*, root.svc AS rs,
      CASE root.svc WHEN 1 THEN 12 + floor(ud * 3)::int ELSE 7 + floor(ud * 5)::int END AS d
    FROM t JOIN rt root ON root.id = t.r
  ),
  x AS (
    SELECT t2.*, down.svc AS ds, j,
      CASE WHEN j IN (1, 5, 6) THEN down.svc ELSE t2.rs END AS svc,
      random() AS u1, random() AS u2, random() AS u3, random() AS u4
    FROM t2 JOIN rt down ON down.id = t2.d CROSS JOIN generate_series(0, 9) AS j
    OFFSET 0
  ),
  y AS (
    SELECT x.*,
      CASE WHEN j BETWEEN 2 AND 6
        THEN (ARRAY[${stSlots.map((s) => `[${s.join(",")}]`).join(",")}])[svc + 1][1 + floor(u1 * 1000)::int]
      END AS sid,
      substr(md5(trace_id || '/0'), 1, 16) AS span0,
      substr(md5(trace_id || '/1'), 1, 16) AS span1
    FROM x
  ),
  z AS (
    SELECT y.*, st.db_system, st.ns, st.op, st.base_ms AS st_ms, st.nrows, st.plan,
      CASE WHEN st.id = 0
        THEN 'SELECT id, user_id, expires_at FROM sessions WHERE token = ''' || substr(md5(floor(u2 * 3000)::text), 1, 24) || ''''
        ELSE st.text END AS stmt,
      root.method || ' ' || root.route AS root_name, root.route AS root_route, root.base_ms AS root_ms,
      down.method || ' ' || down.route AS down_name, down.route AS down_route, down.base_ms AS down_ms,
      (CASE WHEN j IN (0, 1) THEN u3 < 0.02 WHEN j BETWEEN 2 AND 6 THEN u3 > 0.995 WHEN j = 9 THEN u3 < 0.01 ELSE false END) AS err
    FROM y LEFT JOIN st ON st.id = y.sid JOIN rt root ON root.id = y.r JOIN rt down ON down.id = y.d
  )
INSERT INTO span (trace_id, span_id, parent_span_id, service, name, kind, start_ns, duration_ns, status,
  status_message, route, db_system, db_statement, attributes, resource, events, scope)
SELECT trace_id,
  substr(md5(trace_id || '/' || j), 1, 16),
  CASE WHEN j = 0 THEN NULL WHEN j IN (5, 6) THEN span1 ELSE span0 END,
  (${svcNames})[svc + 1],
  CASE WHEN j = 0 THEN root_name WHEN j = 1 THEN down_name WHEN j BETWEEN 2 AND 6 THEN op || ' ' || ns
    WHEN j IN (7, 8) THEN 'cache.get' ELSE 'GET' END,
  CASE WHEN j IN (0, 1) THEN 'server' WHEN j IN (7, 8) THEN 'internal' ELSE 'client' END,
  t0 + CASE WHEN j = 0 THEN 0 ELSE j * 1500000 END,
  (1e6 * CASE
    WHEN j = 0 THEN 10 + root_ms * (0.4 + ${exp("u2")})
    WHEN j = 1 THEN 2 + down_ms * (0.4 + ${exp("u2")})
    WHEN j BETWEEN 2 AND 6 THEN st_ms * (0.3 + ${exp("u2")}) * (CASE WHEN u3 < 0.01 THEN 8 ELSE 1 END)
    WHEN j = 7 THEN 0.02 + 0.1 * ${exp("u2")}
    WHEN j = 8 THEN 0.3 + 0.8 * ${exp("u2")}
    ELSE 5 + 20 * ${exp("u2")} END)::bigint,
  CASE WHEN err THEN 'error' ELSE 'unset' END,
  CASE WHEN NOT err THEN ''
    WHEN j IN (0, 1) THEN 'Internal Server Error'
    WHEN j = 9 THEN 'connect ECONNREFUSED 10.0.3.7:8080'
    ELSE 'canceling statement due to statement timeout' END,
  CASE WHEN j = 0 THEN root_route WHEN j = 1 THEN down_route END,
  CASE WHEN j BETWEEN 2 AND 6 THEN db_system END,
  CASE WHEN j BETWEEN 2 AND 6 THEN stmt END,
  CASE
    WHEN j IN (0, 1) THEN jsonb_build_object(
      'http.route', CASE WHEN j = 0 THEN root_route ELSE down_route END,
      'http.request.method', split_part(CASE WHEN j = 0 THEN root_name ELSE down_name END, ' ', 1),
      'http.response.status_code', CASE WHEN err THEN 500 ELSE 200 END,
      'url.scheme', 'http', 'server.port', 8080,
      'user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36')
    WHEN j BETWEEN 2 AND 6 THEN jsonb_build_object(
      'db.system', db_system, 'db.system.name', db_system, 'db.namespace', ns, 'db.operation.name', op,
      'db.query.text', stmt, 'db.client.connection.pool.name', 'main',
      'db.response.returned_rows', floor(nrows * (0.5 + u4))::int)
      || CASE WHEN plan IS NOT NULL AND u4 < 0.002 THEN jsonb_build_object('db.plan', plan) ELSE '{}'::jsonb END
    WHEN j IN (7, 8) THEN jsonb_build_object(
      'cache.name', CASE svc WHEN 0 THEN 'sessions' WHEN 1 THEN 'catalog' ELSE 'rates' END,
      'cache.level', CASE WHEN j = 7 THEN 'memory' ELSE 'redis' END,
      'cache.hit', CASE WHEN j = 7 THEN u1 < 0.85 ELSE u1 < 0.6 END,
      'cache.key', 'product:' || floor(5000 * u2 ^ 3)::int)
    ELSE jsonb_build_object(
      'http.request.method', 'GET', 'url.full', 'http://inventory:8080/stock/' || floor(5000 * u2)::int,
      'server.address', 'inventory', 'server.port', 8080, 'peer.service', 'inventory-service',
      'http.response.status_code', CASE WHEN err THEN 503 ELSE 200 END)
  END,
  jsonb_build_object('service.name', (${svcNames})[svc + 1], 'service.instance.id', (${svcNames})[svc + 1] || '-' || (i % 4),
    'host.name', 'node-' || (i % 4), 'telemetry.sdk.name', 'opentelemetry', 'telemetry.sdk.language', 'nodejs',
    'telemetry.sdk.version', '2.12.0'),
  CASE WHEN err THEN jsonb_build_array(jsonb_build_object('name', 'exception', 'timeUnixNano', (t0 + j * 1500000)::text,
    'attributes', jsonb_build_object('exception.type', 'Error', 'exception.message', 'request failed')))
    ELSE '[]'::jsonb END,
  'hotpath-agent'
FROM z`;
}
