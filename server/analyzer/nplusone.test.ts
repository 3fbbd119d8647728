import { describe, expect, it } from "vitest";
import { fingerprint } from "../sql/fingerprint";
import { detectNPlusOne, isBatchStatement, shortStatement } from "./nplusone";
import { traceBuilder } from "./test-trace";

const ITEMS = "SELECT id, name, price FROM items WHERE order_id = $1";
const PRICES = "SELECT amount FROM prices WHERE item_id = $1 AND currency = $2";

describe("detectNPlusOne", () => {
  it("finds 25 sequential lookups under one request", () => {
    const t = traceBuilder();
    const root = t.server(0, 200);
    t.sql(root, 1, 2, "SELECT id FROM orders WHERE id = $1");
    const ids = Array.from({ length: 25 }, (_, i) => t.sql(root, 10 + i * 6, 2, ITEMS));
    const { findings, skipped } = detectNPlusOne(t.spans);
    expect(skipped).toEqual([]);
    expect(findings).toEqual([
      {
        traceId: "trace-1",
        service: "api",
        route: "GET /orders/:id",
        scopeSpanId: root,
        fingerprint: fingerprint(ITEMS).id,
        fingerprintText: "SELECT id, name, price FROM items WHERE order_id = ?",
        statement: ITEMS,
        count: 25,
        totalMs: 50,
        wallMs: 50,
        shareOfTrace: 0.25,
        parallel: false,
        maxConcurrency: 1,
        spanIds: ids.slice(0, 5),
        recommendation:
          "batch the 25 lookups into one query with WHERE id = ANY($1) or a JOIN; " +
          "this route issues 25 × `SELECT … FROM items WHERE order_id = $1` per request",
      },
    ]);
  });

  it("sees through pool connects, per-item wrappers and a second repeated query between the repeats", () => {
    // What node-postgres' pool.query() produces (a pg.pool.connect span before every statement,
    // Sentry #93090) inside a loop that runs two queries per item (the "MN+1" of Sentry #41219).
    const t = traceBuilder();
    const root = t.server(0, 100);
    for (let i = 0; i < 6; i++) {
      const base = 10 + i * 10;
      const item = t.internal(root, base, 5, "loadItem");
      t.pool(item, base, 0.5);
      t.sql(item, base + 0.5, 2, ITEMS);
      t.pool(item, base + 2.5, 0.5);
      t.sql(item, base + 3, 1, PRICES);
      t.internal(item, base + 4, 1, "serialize");
    }
    const { findings } = detectNPlusOne(t.spans);
    expect(findings.map((f) => [f.fingerprintText, f.count, f.totalMs, f.wallMs, f.parallel])).toEqual([
      ["SELECT id, name, price FROM items WHERE order_id = ?", 6, 12, 12, false],
      ["SELECT amount FROM prices WHERE item_id = ? AND currency = ?", 6, 6, 6, false],
    ]);
    expect(findings[1]?.shareOfTrace).toBe(0.06);
  });

  it("finds repeats issued in parallel and says they compete for connections", () => {
    const t = traceBuilder();
    const root = t.server(0, 50);
    for (let i = 0; i < 10; i++) {
      const item = t.internal(root, 5, 30, "loadItem");
      t.sql(item, 5 + i * 0.5, 20, ITEMS);
    }
    const [f] = detectNPlusOne(t.spans).findings;
    expect(f).toMatchObject({ count: 10, totalMs: 200, wallMs: 24.5, shareOfTrace: 0.49, parallel: true });
    expect(f?.maxConcurrency).toBe(10);
    expect(f?.recommendation).toBe(
      "batch the 10 lookups into one query with WHERE id = ANY($1) or a JOIN; " +
        "this route issues 10 × `SELECT … FROM items WHERE order_id = $1` per request; " +
        "they run concurrently (up to 10 at once), so each also holds a pool connection",
    );
  });

  it("does not flag one IN-list query, nor chunked batches of them", () => {
    const t = traceBuilder();
    const root = t.server(0, 100);
    t.sql(root, 1, 4, "SELECT * FROM items WHERE order_id IN (...)", { "db.response.returned_rows": 25 });
    for (let i = 0; i < 6; i++) {
      t.sql(root, 10 + i * 5, 3, "SELECT * FROM items WHERE id = ANY($1)", { "db.response.returned_rows": 100 });
    }
    const { findings, skipped } = detectNPlusOne(t.spans);
    expect(findings).toEqual([]);
    expect(skipped).toEqual([
      {
        traceId: "trace-1",
        service: "api",
        route: "GET /orders/:id",
        fingerprint: fingerprint("SELECT * FROM items WHERE id = ANY($1)").id,
        statement: "SELECT * FROM items WHERE id = ANY($1)",
        count: 6,
        totalMs: 18,
        reason: "batch",
      },
    ]);
  });

  it("flags IN lists that each fetched at most one row: a loop wearing a list", () => {
    const t = traceBuilder();
    const root = t.server(0, 100);
    for (let i = 0; i < 6; i++) {
      t.sql(root, 10 + i * 5, 2, "SELECT * FROM items WHERE id IN (...)", { "db.response.returned_rows": i % 2 });
    }
    const { findings } = detectNPlusOne(t.spans);
    expect(findings.map((f) => [f.count, f.totalMs])).toEqual([[6, 12]]);
  });

  it("does not flag 3 repeats (below the default threshold of 5)", () => {
    const t = traceBuilder();
    const root = t.server(0, 100);
    for (let i = 0; i < 3; i++) t.sql(root, 10 + i * 20, 10, ITEMS);
    expect(detectNPlusOne(t.spans)).toEqual({ findings: [], skipped: [] });
    expect(detectNPlusOne(t.spans, { minRepeats: 3 }).findings.map((f) => f.count)).toEqual([3]);
  });

  it("groups the statements of per-item transactions, not BEGIN and COMMIT", () => {
    const t = traceBuilder();
    const root = t.server(0, 100, "POST /orders");
    for (let i = 0; i < 5; i++) {
      t.sql(root, 10 + i * 15, 3, "BEGIN");
      t.sql(root, 13 + i * 15, 5, "UPDATE stock SET qty = qty - $1 WHERE sku = $2");
      t.sql(root, 18 + i * 15, 3, "COMMIT");
    }
    const { findings, skipped } = detectNPlusOne(t.spans);
    expect(skipped).toEqual([]);
    expect(findings.map((f) => [f.fingerprintText, f.count, f.totalMs])).toEqual([
      ["UPDATE stock SET qty = qty - ? WHERE sku = ?", 5, 25],
    ]);
    expect(findings[0]?.recommendation).toBe(
      "batch the 5 updates into one UPDATE … WHERE id = ANY($1) (or UPDATE … FROM unnest(…) for per-row values); " +
        "this route issues 5 × `UPDATE stock SET qty = qty - $1 WHERE sku = $2` per request",
    );
  });

  it("reports negligible repeats as skipped, with their count", () => {
    const t = traceBuilder();
    const root = t.server(0, 100);
    for (let i = 0; i < 8; i++) t.sql(root, 10 + i, 0.25, ITEMS);
    const result = detectNPlusOne(t.spans);
    expect(result.findings).toEqual([]);
    expect(result.skipped.map((s) => [s.reason, s.count, s.totalMs])).toEqual([["negligible", 8, 2]]);
    expect(detectNPlusOne(t.spans, { minTotalMs: 1 }).findings.map((f) => f.count)).toEqual([8]);
  });

  it("counts per request: two services with 3 repeats each are not one N+1 of 6", () => {
    const t = traceBuilder();
    const a = t.server(0, 100);
    const call = t.client(a, 50, 40);
    const b = t.server(51, 38, "GET /quote", { parent: call, service: "pricing" });
    for (let i = 0; i < 3; i++) {
      t.sql(a, 5 + i * 10, 5, ITEMS);
      t.add({
        parent: b,
        service: "pricing",
        kind: "client",
        start: 55 + i * 10,
        dur: 5,
        attrs: { "db.system": "postgresql", "db.query.text": ITEMS },
      });
    }
    expect(detectNPlusOne(t.spans).findings).toEqual([]);
  });

  it("scopes a trace without a server span to its root and words the advice for writes", () => {
    const t = traceBuilder("job-1", "worker");
    const job = t.add({ name: "importBatch", start: 0, dur: 100 });
    for (let i = 0; i < 5; i++) t.sql(job, 10 + i * 10, 4, "INSERT INTO events (id, payload) VALUES ($1, $2)");
    const [f] = detectNPlusOne(t.spans).findings;
    expect(f).toMatchObject({ route: null, scopeSpanId: job, count: 5, totalMs: 20, shareOfTrace: 0.2 });
    expect(f?.recommendation).toBe(
      "batch the 5 inserts into one multi-row INSERT (VALUES (…), (…) or SELECT … FROM unnest($1)); " +
        "this trace issues 5 × `INSERT INTO events (id, payload) VALUES ($1, $2)`",
    );
  });
});

describe("isBatchStatement", () => {
  it.each([
    ["SELECT * FROM t WHERE id IN (...)", true],
    ["SELECT * FROM t WHERE id IN ($1, $2, $3)", true],
    ["SELECT * FROM t WHERE id IN (1, 2)", true],
    ["SELECT * FROM t WHERE id = ANY($1)", true],
    ["SELECT * FROM t WHERE id = ANY(ARRAY[...])", true],
    ["INSERT INTO t (a, b) VALUES ($1, $2), ...", true],
    ["INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)", true],
    ["INSERT INTO t (a) SELECT * FROM unnest($1::int[])", true],
    ["SELECT * FROM t WHERE id IN ($1)", false],
    ["SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE k = $1)", false],
    ["SELECT * FROM t WHERE id = $1", false],
    ["INSERT INTO t (a, b) VALUES ($1, $2)", false],
  ])("%s → %s", (sql, batch) => {
    expect(isBatchStatement(sql)).toBe(batch);
  });
});

describe("shortStatement", () => {
  it("elides a plain select list and keeps one with a subquery", () => {
    expect(shortStatement("SELECT a, b,\n  c FROM t WHERE x = $1")).toBe("SELECT … FROM t WHERE x = $1");
    expect(shortStatement("SELECT (SELECT 1 FROM u) AS a FROM t")).toBe("SELECT (SELECT 1 FROM u) AS a FROM t");
    expect(shortStatement(`SELECT 1 FROM t WHERE ${"a = 1 AND ".repeat(20)}b = 2`)).toHaveLength(120);
  });
});
