import client from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { connectRedis } from "../redis";
import { REDIS_URL } from "../test/harness";
import { QueryCache } from "./query-cache";

function memoryOnly() {
  return new QueryCache({
    name: "t",
    maxEntries: 100,
    maxBytes: 1_000_000,
    ttlMs: 60_000,
    registry: new client.Registry(),
  });
}

describe("QueryCache (memory)", () => {
  it("serves what it stored and drops it when new data touches its series and window", async () => {
    const c = memoryOnly();
    const seen: number[][] = [];
    c.onInvalidate((inv) => seen.push(Array.from(inv.seriesIds)));
    await c.set("q1", "result-1", { seriesIds: [1, 2], startMs: 1000, endMs: 2000 });
    await c.set("q2", "result-2", { seriesIds: [3], startMs: 1000, endMs: 2000 });
    expect(await c.get("q1")).toEqual({ value: "result-1", level: "memory" });
    c.invalidate({ seriesIds: [2], minTs: 5000, maxTs: 6000 }); // outside the window: kept
    expect(await c.get("q1")).toBeDefined();
    c.invalidate({ seriesIds: [2], minTs: 1500, maxTs: 1500 });
    expect(await c.get("q1")).toBeUndefined();
    expect(await c.get("q2")).toBeDefined();
    expect(seen).toEqual([[2], [2]]);
  });

  it("counts hits and misses per level", async () => {
    const registry = new client.Registry();
    const c = new QueryCache({ name: "m", maxEntries: 10, maxBytes: 10_000, ttlMs: 60_000, registry });
    await c.get("absent");
    await c.set("k", "v", { seriesIds: [1], startMs: 0, endMs: 1 });
    await c.get("k");
    const text = await registry.metrics();
    expect(text).toContain('cache_requests_total{cache="hotpath_m",level="memory",result="hit"} 1');
    expect(text).toContain('cache_requests_total{cache="hotpath_m",level="memory",result="miss"} 1');
  });
});

describe.skipIf(!REDIS_URL)("QueryCache (memory + Redis, two nodes)", () => {
  const clients = Array.from({ length: 4 }, (_, i) => connectRedis(REDIS_URL as string, `cache-test-${i}`));
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  it("shares entries through Redis and invalidates them from the other node", async () => {
    const name = `t${Date.now()}`;
    const make = (i: number) =>
      new QueryCache({
        name,
        maxEntries: 100,
        maxBytes: 1_000_000,
        ttlMs: 60_000,
        registry: new client.Registry(),
        redis: { client: clients[i * 2] as never, subscriber: clients[i * 2 + 1] as never },
      });
    const a = make(0);
    const b = make(1);
    // Caches below the query cache (rollup segments) follow every invalidation a node applies.
    const seenByA: number[][] = [];
    a.onInvalidate((inv) => seenByA.push(Array.from(inv.seriesIds)));
    await new Promise((r) => setTimeout(r, 300)); // subscriptions settle
    await a.set("q", "shared", { seriesIds: [7], startMs: 0, endMs: 10_000 });
    expect(await b.get("q")).toEqual({ value: "shared", level: "redis" });
    expect(await b.get("q")).toEqual({ value: "shared", level: "memory" });
    b.invalidate({ seriesIds: [7], minTs: 5_000, maxTs: 5_000 });
    await new Promise((r) => setTimeout(r, 400)); // coalesced publish + delivery
    expect(await a.get("q")).toBeUndefined();
    expect(await b.get("q")).toBeUndefined();
    expect(seenByA).toEqual([[7]]);
    a.close();
    b.close();
  });
});
