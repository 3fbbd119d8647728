// The demo's building blocks on their own: fault specs and registry, the delaying proxy, the PGlite
// wire server under concurrent pool traffic, the tiered cache and the seeded load generator's mix.
import http from "node:http";
import net from "node:net";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLru, TieredCache } from "./cache";
import { startDelayProxy } from "./delay-proxy";
import { FaultRegistry, parseFaultSpec } from "./faults";
import { createRequestPicker, runLoad } from "./load";
import { servePglite, type TPgliteServer } from "./pglite-server";
import { seededRandom } from "./random";

describe("fault switches", () => {
  it("parses CLI specs and names the valid labels on a bad one", () => {
    expect(parseFaultSpec("slow_query:0.8")).toEqual({ label: "slow_query", intensity: 0.8 });
    expect(parseFaultSpec("cache_hit_collapse")).toEqual({ label: "cache_hit_collapse", intensity: 1 });
    expect(() => parseFaultSpec("slow:1")).toThrow(/unknown fault "slow": expected one of slow_query/);
    expect(() => parseFaultSpec("slow_query:2")).toThrow(/0\.\.1/);
  });

  it("runs listeners on set, intensity change and clear, in order", async () => {
    const f = new FaultRegistry();
    const seen: string[] = [];
    f.on("pool_saturation", async (now, prev) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(`${prev}->${now}`);
    });
    await Promise.all([f.set("pool_saturation", 0.5), f.set("pool_saturation", 1), f.clear("pool_saturation")]);
    expect(seen).toEqual(["undefined->0.5", "0.5->1", "1->undefined"]);
    expect(f.isOn("pool_saturation")).toBe(false);
    expect(f.intensity("pool_saturation")).toBe(0);
    expect(await f.clear("pool_saturation")).toBe(false);
  });
});

describe("delay proxy", () => {
  let echo: net.Server;
  let port = 0;
  beforeAll(async () => {
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    port = (echo.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => echo.close(() => r())));

  it("adds its delay to a round trip and keeps chunks in order", async () => {
    let delay = 0;
    const proxy = await startDelayProxy({ host: "127.0.0.1", port }, () => delay);
    const sock = net.connect(proxy.port, proxy.host);
    await new Promise((r) => sock.once("connect", r));
    let got = "";
    sock.on("data", (d) => {
      got += d;
    });
    const roundTrip = async (msg: string) => {
      const t = performance.now();
      const want = got.length + msg.length;
      sock.write(msg);
      while (got.length < want) await new Promise((r) => setTimeout(r, 1));
      return performance.now() - t;
    };
    const fast = await roundTrip("a");
    delay = 60;
    const slow = await roundTrip("b");
    expect(slow).toBeGreaterThanOrEqual(55);
    expect(slow - fast).toBeGreaterThan(40);
    // Delay falling mid-stream must not let a later chunk overtake an earlier one.
    sock.write("c");
    delay = 0;
    sock.write("d");
    while (got.length < 4) await new Promise((r) => setTimeout(r, 1));
    expect(got).toBe("abcd");
    sock.destroy();
    await proxy.close();
  });
});

describe("PGlite over the wire protocol", () => {
  let db: PGlite;
  let server: TPgliteServer;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await PGlite.create();
    server = await servePglite(db);
    pool = new pg.Pool({ connectionString: `postgresql://postgres@${server.host}:${server.port}/postgres`, max: 8 });
    await pool.query("CREATE TABLE t (id int PRIMARY KEY, v text, c int)");
    await pool.query("INSERT INTO t SELECT g, 'v' || g, g % 10 FROM generate_series(1, 2000) g");
  }, 60_000);
  afterAll(async () => {
    await pool.end();
    await server.close();
    await db.close();
  });

  it("keeps each connection's messages and transactions together under concurrency", async () => {
    // Parameterized statements of different shapes and short transactions from 8 connections at once.
    // pglite-socket's stock queue interleaves connections message by message: that clobbers the
    // session's unnamed statement ("bind message supplies 1 parameters, but prepared statement ""
    // requires 2") and, with transactions in the mix, stalls for good.
    const wrong: string[] = [];
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        if (i % 5 === 0) {
          const c = await pool.connect();
          try {
            await c.query("BEGIN");
            await c.query("UPDATE t SET v = $2 WHERE id = $1", [i + 1, `v${i + 1}`]);
            await c.query("COMMIT");
          } finally {
            c.release();
          }
        } else if (i % 2) {
          const r = await pool.query<{ v: string }>("SELECT v FROM t WHERE id = $1", [i]);
          if (r.rows[0]?.v !== `v${i}`) wrong.push(`id ${i}`);
        } else {
          const r = await pool.query<{ n: number; x: number }>(
            "SELECT count(*)::int AS n, $2::int AS x FROM t WHERE c = $1",
            [i % 10, i],
          );
          if (r.rows[0]?.n !== 200 || r.rows[0]?.x !== i) wrong.push(`count ${i}`);
        }
      }),
    );
    expect(wrong).toEqual([]);
  }, 30_000);

  it("keeps a transaction to itself and rolls back a connection that dies inside one", async () => {
    const a = await pool.connect();
    await a.query("BEGIN");
    await a.query("UPDATE t SET v = 'in-tx' WHERE id = 1");
    // Another connection's statement waits for the transaction instead of running inside it.
    const other = pool.query<{ v: string }>("SELECT v FROM t WHERE id = 1");
    await new Promise((r) => setTimeout(r, 50));
    await a.query("ROLLBACK");
    a.release();
    expect((await other).rows[0]?.v).toBe("v1");

    const b = await pool.connect();
    await b.query("BEGIN");
    await b.query("UPDATE t SET v = 'lost' WHERE id = 2");
    b.release(true); // destroys the connection mid-transaction
    const after = await pool.query<{ v: string }>("SELECT v FROM t WHERE id = 2");
    expect(after.rows[0]?.v).toBe("v2");
  }, 30_000);
});

describe("tiered cache", () => {
  it("reads memory, then the loader once for concurrent misses; writes through; collapses under the fault", async () => {
    const faults = new FaultRegistry();
    let weight = 1;
    const lru = createLru(100, () => weight);
    const cache = new TieredCache({ memory: lru, prefix: "t:", ttlSeconds: 60, faults, random: seededRandom(3) });
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 10));
      return { v: 1 };
    };
    const [a, b] = await Promise.all([cache.get("k", load), cache.get("k", load)]);
    expect(loads).toBe(1);
    expect(a.value).toEqual({ v: 1 });
    expect(b.value).toEqual({ v: 1 });
    expect((await cache.get("k", load)).source).toBe("memory");
    await cache.put("k", { v: 2 });
    expect((await cache.get("k", load)).value).toEqual({ v: 2 });
    await faults.set("cache_hit_collapse", 1);
    expect((await cache.get("k", load)).source).toBe("db");
    // cache_undersized: heavier entries, same LRU, real evictions.
    await faults.clear("cache_hit_collapse");
    weight = 25;
    for (let i = 0; i < 10; i++) await cache.get(`x${i}`, load);
    expect(lru.size).toBeLessThanOrEqual(4);
  });
});

describe("load generator", () => {
  it("sends a seeded mix of reads and writes at about the asked rate and follows traffic_surge", async () => {
    const seen: string[] = [];
    let surge = false;
    const server = http.createServer((req, res) => {
      if (req.url === "/faults") {
        res.end(JSON.stringify({ active: surge ? [{ label: "traffic_surge", intensity: 0.25 }] : [] }));
        return;
      }
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(req.method === "POST" ? 201 : 200).end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    // The same seed, the same requests (at any rate); another seed, others.
    const take = (seed: number) => {
      const next = createRequestPicker(seed);
      return Array.from({ length: 400 }, () => next());
    };
    expect(take(7)).toEqual(take(7));
    expect(take(8)).not.toEqual(take(7));
    const a = await runLoad({ url, rate: 100, duration: 1.5, seed: 7 });
    const first = [...seen];
    expect(first.slice().sort()).toEqual(
      take(7)
        .slice(0, first.length)
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    );
    expect(a.errors).toBe(0);
    expect(a.requests).toBeGreaterThan(90);
    expect(a.requests).toBeLessThan(220);
    expect(first.some((r) => r.startsWith("POST /orders"))).toBe(true);
    expect(first.some((r) => r.startsWith("PUT /products/"))).toBe(true);
    expect(first.filter((r) => r.startsWith("GET")).length).toBeGreaterThan(first.length * 0.7);
    surge = true;
    const s = await runLoad({ url, rate: 100, duration: 1.5, seed: 8 });
    expect(s.maxSurge).toBe(2);
    expect(s.requests).toBeGreaterThan(a.requests * 1.4);
    await new Promise<void>((r) => server.close(() => r()));
  }, 30_000);
});
