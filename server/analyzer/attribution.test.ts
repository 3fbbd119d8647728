import { describe, expect, it } from "vitest";
import {
  aggregateAttribution,
  attributeTrace,
  compareAttribution,
  formatDeltaMs,
  type TParts,
  type TRequestAttribution,
} from "./attribution";
import { traceBuilder } from "./test-trace";

const parts = (p: Partial<TParts>): TParts => ({
  cache_memory: 0,
  cache_redis: 0,
  pool_wait: 0,
  sql: 0,
  downstream: 0,
  own: 0,
  ...p,
});

describe("attributeTrace", () => {
  it("splits a sequential request into its layers", () => {
    const t = traceBuilder();
    const root = t.server(0, 100);
    t.cache(root, "memory", 1, 1);
    t.cache(root, "redis", 2, 4);
    t.pool(root, 6, 10);
    t.sql(root, 16, 30, "SELECT * FROM orders WHERE id = $1");
    t.add({ parent: root, name: "cache.set", start: 46, dur: 2, attrs: { "cache.level": "redis" } });
    t.client(root, 50, 30);
    const [row] = attributeTrace(t.spans);
    expect(row).toEqual({
      traceId: "trace-1",
      spanId: root,
      service: "api",
      route: "GET /orders/:id",
      status: "unset",
      startNs: 0,
      totalMs: 100,
      parts: parts({ cache_memory: 1, cache_redis: 6, pool_wait: 10, sql: 30, downstream: 30, own: 23 }),
    });
  });

  it("counts parallel children once and gives overlaps to the higher-precedence part", () => {
    const t = traceBuilder();
    const root = t.server(0, 100);
    t.pool(root, 5, 10); // [5,15] overlaps q1 and q2: pool wait wins
    t.sql(root, 10, 40, "SELECT a"); // [10,50]
    t.sql(root, 10, 40, "SELECT b"); // [10,50], in parallel
    t.sql(root, 20, 40, "SELECT c"); // [20,60]
    t.client(root, 40, 40); // [40,80]: downstream only once SQL is done, at 60
    t.internal(root, 85, 10); // own code, but SQL from 90
    t.sql(root, 90, 40, "SELECT d"); // outlives the request: counted up to 100
    const [row] = attributeTrace(t.spans);
    expect(row?.totalMs).toBe(100);
    expect(row?.parts).toEqual(parts({ pool_wait: 10, sql: 55, downstream: 20, own: 15 }));
  });

  it("gives each instant of nested cache → redis → db spans to the innermost one", () => {
    const t = traceBuilder();
    const root = t.server(0, 100);
    const load = t.internal(root, 5, 90, "loadProduct");
    const memory = t.cache(load, "memory", 10, 70); // read-through wrapper [10,80]
    const redis = t.cache(memory, "redis", 12, 58); // its miss path [12,70]
    t.pool(redis, 20, 10); // [20,30]
    t.sql(redis, 30, 30, "SELECT * FROM products WHERE id = $1"); // [30,60]
    const [row] = attributeTrace(t.spans);
    expect(row?.parts).toEqual(parts({ cache_memory: 12, cache_redis: 18, pool_wait: 10, sql: 30, own: 30 }));
  });

  it("stops at the service boundary: a downstream service's SQL is downstream time for the caller", () => {
    const t = traceBuilder();
    const a = t.server(0, 100);
    const call = t.client(a, 10, 50);
    const b = t.server(15, 40, "GET /quote", { parent: call, service: "pricing" });
    t.add({
      parent: b,
      service: "pricing",
      kind: "client",
      start: 20,
      dur: 30,
      attrs: { "db.system": "postgresql", "db.query.text": "SELECT price FROM prices WHERE sku = $1" },
    });
    const rows = attributeTrace(t.spans);
    expect(rows.map((r) => [r.service, r.route, r.totalMs, r.parts])).toEqual([
      ["api", "GET /orders/:id", 100, parts({ downstream: 50, own: 50 })],
      ["pricing", "GET /quote", 40, parts({ sql: 30, own: 10 })],
    ]);
  });

  it("keeps sub-millisecond parts to the microsecond, summing to the total", () => {
    const t = traceBuilder();
    const root = t.server(0, 1.5);
    t.cache(root, "memory", 0.1, 0.0125);
    t.sql(root, 0.2, 0.3333, "SELECT 1");
    const [row] = attributeTrace(t.spans);
    expect(row?.parts).toEqual(parts({ cache_memory: 0.013, sql: 0.333, own: 1.154 }));
  });

  it("returns nothing for a trace without server spans", () => {
    const t = traceBuilder();
    const job = t.add({ name: "job", start: 0, dur: 10 });
    t.sql(job, 1, 5, "SELECT 1");
    expect(attributeTrace(t.spans)).toEqual([]);
    expect(attributeTrace([])).toEqual([]);
  });
});

/** Requests of one route: [pool wait, sql, own] ms each, laid out in sequence. */
function requests(route: string, shapes: [number, number, number][]): TRequestAttribution[] {
  return shapes.flatMap(([pool, sql, own], i) => {
    const t = traceBuilder(`${route}-${i}-${pool}`);
    const root = t.server(i * 1000, pool + sql + own, route);
    t.pool(root, i * 1000 + own / 2, pool);
    t.sql(root, i * 1000 + own / 2 + pool, sql, "SELECT * FROM stock WHERE sku = $1");
    return attributeTrace(t.spans);
  });
}

describe("aggregateAttribution", () => {
  it("averages each part per (service, route)", () => {
    const rows = [
      ...requests("GET /stock", [
        [2, 20, 18],
        [4, 22, 18],
      ]),
      ...requests("GET /health", [[0, 0, 1]]),
    ];
    expect(aggregateAttribution(rows)).toEqual([
      { service: "api", route: "GET /stock", count: 2, totalMs: 42, parts: parts({ pool_wait: 3, sql: 21, own: 18 }) },
      { service: "api", route: "GET /health", count: 1, totalMs: 1, parts: parts({ own: 1 }) },
    ]);
  });
});

describe("compareAttribution", () => {
  it("blames pool wait, not SQL, when the pool is what grew", () => {
    const before = aggregateAttribution(
      requests("GET /stock", [
        [1, 19, 18],
        [3, 21, 18],
      ]),
    );
    const after = aggregateAttribution(
      requests("GET /stock", [
        [172, 22, 18],
        [192, 26, 18],
      ]),
    );
    const [change] = compareAttribution(before, after);
    expect(change).toMatchObject({
      route: "GET /stock",
      countBefore: 2,
      countAfter: 2,
      totalDeltaMs: 184,
      deltaMs: parts({ pool_wait: 180, sql: 4 }),
      dominant: "pool_wait",
      dominantDeltaMs: 180,
      runnerUp: "sql",
      runnerUpDeltaMs: 4,
    });
    expect(change?.share).toBeCloseTo(180 / 184, 12);
    expect(change?.verdict).toBe("pool wait +180 ms/request (98 % of the increase), not SQL execution (+4 ms)");
  });

  it("still rules out SQL when another part is the runner-up", () => {
    const before = aggregateAttribution(requests("GET /stock", [[2, 20, 18]]));
    const after = aggregateAttribution(requests("GET /stock", [[182, 24, 53]]));
    const [change] = compareAttribution(before, after);
    expect(change?.runnerUp).toBe("own");
    expect(change?.verdict).toBe(
      "pool wait +180 ms/request (82 % of the increase), not own code (+35 ms), nor SQL execution (+4 ms)",
    );
  });

  it("blames SQL when queries got slower and the pool did not", () => {
    const before = aggregateAttribution(requests("GET /stock", [[2, 20, 18]]));
    const after = aggregateAttribution(requests("GET /stock", [[2.5, 140, 18]]));
    const [change] = compareAttribution(before, after);
    expect(change?.dominant).toBe("sql");
    expect(change?.verdict).toBe("SQL execution +120 ms/request (100 % of the increase), not pool wait (+0.5 ms)");
  });

  it("says so when a route got faster, and skips routes seen on one side only", () => {
    const before = aggregateAttribution([
      ...requests("GET /stock", [[10, 20, 18]]),
      ...requests("GET /old", [[1, 1, 1]]),
    ]);
    const after = aggregateAttribution([
      ...requests("GET /stock", [[2, 20, 18]]),
      ...requests("GET /new", [[1, 1, 1]]),
    ]);
    const changes = compareAttribution(before, after);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      route: "GET /stock",
      totalDeltaMs: -8,
      dominant: null,
      share: null,
      runnerUp: null,
      verdict: "no slowdown (-8 ms/request)",
    });
  });
});

describe("formatDeltaMs", () => {
  it.each([
    [180, "+180"],
    [4, "+4"],
    [4.24, "+4.2"],
    [0.456, "+0.46"],
    [-12.4, "-12"],
    [0, "0"],
    [0.001, "0"],
  ])("%s → %s", (ms, text) => {
    expect(formatDeltaMs(ms)).toBe(text);
  });
});
