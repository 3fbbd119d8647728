import { describe, expect, it } from "vitest";
import { MAX_RANGE_MS, type TCacheLevel } from "../../lib/contracts/drilldown";
import {
  bucketFor,
  cacheHierarchies,
  counterIncrements,
  coveredNs,
  detectCacheIssues,
  filterColumns,
  histogramQuantile,
  median,
  parsePlan,
  RangeError400,
  resolveRange,
  spanCategory,
} from "./queries";

describe("resolveRange", () => {
  it("defaults to the last hour and clamps to 30 days", () => {
    expect(resolveRange({}, 10_000_000)).toEqual({ start: 6_400_000, end: 10_000_000, clamped: false });
    expect(resolveRange({ start: 0, end: MAX_RANGE_MS + 5 })).toEqual({
      start: 5,
      end: MAX_RANGE_MS + 5,
      clamped: true,
    });
    expect(() => resolveRange({ start: 5, end: 5 })).toThrow(RangeError400);
  });

  it("cuts ranges into whole-second buckets", () => {
    expect(bucketFor({ start: 0, end: 3_600_000, clamped: false }, 30)).toBe(120_000);
    expect(bucketFor({ start: 0, end: 10_000, clamped: false }, 30)).toBe(1000);
    expect(bucketFor({ start: 0, end: 10_000, clamped: false }, 60, 15_000)).toBe(15_000);
  });
});

describe("parsePlan", () => {
  const analyzed = JSON.stringify([
    {
      Plan: {
        "Node Type": "Nested Loop",
        "Join Type": "Inner",
        "Startup Cost": 0.3,
        "Total Cost": 2210,
        "Plan Rows": 10,
        "Actual Total Time": 35,
        "Actual Rows": 10,
        "Actual Loops": 1,
        Plans: [
          {
            "Node Type": "Seq Scan",
            "Relation Name": "Order Items",
            Alias: "i",
            "Total Cost": 2100,
            "Plan Rows": 10,
            "Actual Total Time": 30,
            "Actual Rows": 10,
            "Actual Loops": 1,
            Filter: "((i.order_id = 7) AND (i.created_at > '2024-01-01'::date) AND ((i.state)::text = 'open'::text))",
            "Rows Removed by Filter": 99990,
          },
          {
            "Node Type": "Index Scan",
            "Relation Name": "products",
            Alias: "p",
            "Index Name": "products_pkey",
            "Total Cost": 8.3,
            "Actual Total Time": 0.4,
            "Actual Rows": 1,
            "Actual Loops": 10,
            "Index Cond": "(id = i.product_id)",
          },
        ],
      },
      "Planning Time": 0.2,
      "Execution Time": 35.1,
    },
  ]);

  it("flattens nodes, uses actual time when analyzed and marks the costliest", () => {
    const p = parsePlan(analyzed);
    expect(p?.analyzed).toBe(true);
    expect(p?.nodes.map((n) => [n.id, n.parentId, n.depth, n.nodeType])).toEqual([
      [0, null, 0, "Nested Loop"],
      [1, 0, 1, "Seq Scan"],
      [2, 0, 1, "Index Scan"],
    ]);
    // Index scan: 0.4 ms × 10 loops; nested loop: 35 - 30 - 4.
    expect(p?.nodes.map((n) => n.selfCost)).toEqual([1, 30, 4]);
    expect(p?.nodes[1]).toMatchObject({ costliest: true, costShare: 0.8571, rowsRemovedByFilter: 99990 });
    expect(p?.nodes[2]?.details).toEqual({ "Index Cond": "(id = i.product_id)" });
    expect(p?.costliestNodeId).toBe(1);
  });

  it("suggests an index with equality columns first, then one range column, quoting as needed", () => {
    const p = parsePlan(analyzed);
    expect(p?.suggestions).toEqual([
      {
        nodeId: 1,
        relation: "Order Items",
        columns: ["order_id", "state", "created_at"],
        filter: "((i.order_id = 7) AND (i.created_at > '2024-01-01'::date) AND ((i.state)::text = 'open'::text))",
        sql: 'CREATE INDEX ON "Order Items" (order_id, state, created_at)',
        reason: expect.stringContaining("discarded 99990 rows to return 10"),
      },
    ]);
  });

  it("accepts a bare plan object, a double-encoded string and rejects garbage", () => {
    const bare = { Plan: { "Node Type": "Seq Scan", "Relation Name": "t", "Total Cost": 5, Filter: "(a = $1)" } };
    expect(parsePlan(JSON.stringify(bare))?.suggestions[0]?.sql).toBe("CREATE INDEX ON t (a)");
    expect(parsePlan(JSON.stringify(JSON.stringify([bare])))?.nodes).toHaveLength(1);
    expect(parsePlan("not json")).toBeUndefined();
    expect(parsePlan("[]")).toBeUndefined();
  });
});

describe("filterColumns", () => {
  const names = { relation: "orders", alias: "o" };
  it.each([
    ["(customer_id = 42)", ["customer_id"]],
    ["((status)::text = 'shipped'::text)", ["status"]],
    ["(o.total > $1)", ["total"]],
    ["(id = ANY ('{1,2,3}'::integer[]))", ["id"]],
    ["((a > 1) AND (b = 2) AND (c < 3))", ["b", "a"]],
    ["(created_at > (now() - '1 day'::interval))", ["created_at"]],
    ['("Customer" = 3)', ['"Customer"']],
    ["((a = 1) OR (b = 2))", []],
    ["(o.customer_id = c.id)", []],
    ["(status <> 'done'::text)", []],
    ["(lower((email)::text) = 'x'::text)", []],
    ["(x.other = 1)", []],
  ])("%s → %j", (filter, expected) => {
    expect(filterColumns(filter, names)).toEqual(expected);
  });
});

describe("counter arithmetic", () => {
  it("takes increments between samples and treats a drop as a reset", () => {
    expect(counterIncrements([0, 10, 20, 30, 40], [5, 8, 2, 4, 4], 10, 40)).toEqual([
      { t: 10, inc: 3 },
      { t: 20, inc: 2 },
      { t: 30, inc: 2 },
      { t: 40, inc: 0 },
    ]);
    expect(counterIncrements([0, 10], [1, 2], 20, 30)).toEqual([]);
  });

  it("interpolates histogram quantiles as Prometheus does", () => {
    const b = [
      { le: 0.1, count: 50 },
      { le: 0.5, count: 90 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ];
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.7, b)).toBeCloseTo(0.3);
    expect(histogramQuantile(0.95, b)).toBe(0.5);
    expect(histogramQuantile(0.5, [{ le: Number.POSITIVE_INFINITY, count: 0 }])).toBeNull();
  });

  it("finds medians", () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe("cache detections", () => {
  const level = (over: Partial<TCacheLevel>): TCacheLevel => ({
    cache: "c",
    level: "memory",
    services: [],
    hits: 900,
    misses: 100,
    hitRatio: 0.9,
    hitsPerSec: 9,
    missesPerSec: 1,
    evictionsPerSec: 0,
    setsPerSec: null,
    p95Ms: null,
    entries: null,
    baselineHitRatio: 0.9,
    recentHitRatio: 0.9,
    series: Array.from({ length: 10 }, (_, i) => ({
      t: i * 1000,
      hitRatio: 0.9,
      hitsPerSec: 9,
      missesPerSec: 1,
      evictionsPerSec: 0,
      p95Ms: null,
      entries: null,
    })),
    detections: [],
    ...over,
  });
  const ctx = { baselineBuckets: 10, recentGets: 100, recentFrom: 0, sets: null, evictions: 0 };

  it("reports nothing for a steady cache", () => {
    expect(detectCacheIssues(level({}), ctx)).toEqual([]);
  });

  it("reports a hit-ratio drop against the baseline, but not on too few gets", () => {
    const dropped = level({ recentHitRatio: 0.5 });
    expect(detectCacheIssues(dropped, ctx).map((d) => [d.kind, d.severity])).toEqual([["hit_ratio_drop", "critical"]]);
    expect(detectCacheIssues(level({ recentHitRatio: 0.7 }), ctx).map((d) => d.severity)).toEqual(["warning"]);
    expect(detectCacheIssues(dropped, { ...ctx, recentGets: 5 })).toEqual([]);
  });

  it("does not call the misses of a sustained drop a storm", () => {
    const series = level({}).series.map((p, i) => (i >= 8 ? { ...p, missesPerSec: 8, hitRatio: 0.4 } : p));
    const dropped = level({ recentHitRatio: 0.4, series });
    expect(detectCacheIssues(dropped, { ...ctx, recentFrom: 8000 }).map((d) => d.kind)).toEqual(["hit_ratio_drop"]);
    expect(detectCacheIssues(level({ series }), { ...ctx, recentFrom: 8000 }).map((d) => d.kind)).toEqual([
      "miss_storm",
    ]);
  });

  it("reports a miss-rate spike and eviction churn", () => {
    const base = level({});
    const series = base.series.map((p, i) => (i === 7 ? { ...p, missesPerSec: 8 } : p));
    expect(detectCacheIssues(level({ series }), ctx).map((d) => d.kind)).toEqual(["miss_storm"]);
    const churn = level({ evictionsPerSec: 2 });
    expect(detectCacheIssues(churn, { ...ctx, sets: 1000, evictions: 950 }).map((d) => [d.kind, d.severity])).toEqual([
      ["eviction_churn", "critical"],
    ]);
    expect(detectCacheIssues(churn, { ...ctx, sets: 1000, evictions: 100 })).toEqual([]);
  });

  it("computes the effective hit ratio of a hierarchy from its first and last level", () => {
    const memory = level({ hitsPerSec: 8, missesPerSec: 2 });
    const redis = level({ level: "redis", hitsPerSec: 1.5, missesPerSec: 0.5 });
    const [h] = cacheHierarchies([redis, memory], [0]);
    expect(h).toMatchObject({ cache: "c", levels: ["memory", "redis"], getsPerSec: 10, dbReadsPerSec: 0.5 });
    expect(h?.effectiveHitRatio).toBeCloseTo(0.95);
  });
});

describe("traces", () => {
  it("colours spans by category", () => {
    const s = (kind: string, name: string, dbSystem: string | null, attributes: Record<string, unknown> = {}) =>
      spanCategory({ kind, name, dbSystem, attributes });
    expect(s("server", "GET /", null)).toBe("http");
    expect(s("client", "SELECT shop", "postgresql")).toBe("db");
    expect(s("internal", "pg.pool.connect", null)).toBe("db");
    expect(s("internal", "cache.get", null, { "cache.name": "p" })).toBe("cache");
    expect(s("client", "GET", "redis")).toBe("cache");
    expect(s("client", "GET", null, { "http.request.method": "GET" })).toBe("http");
    expect(s("internal", "work", null)).toBe("internal");
  });

  it("measures the union of child intervals inside the parent", () => {
    const k = (start: number, dur: number) => ({ startNs: BigInt(start), durationNs: BigInt(dur) });
    expect(coveredNs(0n, 100n, [k(10, 20), k(20, 20), k(90, 50), k(-5, 10)])).toBe(45n);
    expect(coveredNs(0n, 100n, [])).toBe(0n);
  });
});
