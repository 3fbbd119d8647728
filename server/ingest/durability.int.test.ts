// What a 2xx promises: acknowledged samples survive SIGKILL, overload answers 429/503 with
// Retry-After instead of losing data, limits refuse whole requests, and garbage never crashes ingest.
import net from "node:net";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freshPostgres,
  POSTGRES_URL,
  STORES,
  startServerProcess,
  storeEnv,
  type TServerProcess,
} from "../test/harness";

const KEY = "durability-secret-0123456789abcdef";
const auth = { authorization: `Bearer ${KEY}` };

async function exportValues(url: string, match: string): Promise<number[]> {
  const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ "match[]": match, start: "0" })}`, {
    headers: auth,
  });
  const lines = (await res.text()).split("\n").filter(Boolean);
  return lines.flatMap((l) => (JSON.parse(l) as { values: number[] }).values);
}

for (const store of STORES) {
  describe.skipIf(!store.available)(`durability on ${store.kind}`, () => {
    it("keeps every acknowledged sample when the server is killed mid-push", { timeout: 120_000 }, async () => {
      const env = await storeEnv(store.kind);
      try {
        let server = await startServerProcess({ ...env.env, HOTPATH_BOOTSTRAP_KEY: KEY });
        const acked: number[] = [];
        let stop = false;
        // Four clients push distinct sequence numbers as fast as the server acknowledges them.
        const client = async (c: number) => {
          for (let i = 0; !stop && i < 100_000; i++) {
            const seq = c * 1_000_000 + i;
            const body = Array.from(
              { length: 50 },
              (_, s) => `kill_probe{client="${c}",slot="${s}"} ${seq} ${1_700_000_000_000 + i}`,
            ).join("\n");
            try {
              const res = await fetch(`${server.url}/api/v1/push`, { method: "POST", headers: auth, body });
              if (res.status === 200) acked.push(seq);
            } catch {
              return; // the connection died with the server
            }
          }
        };
        const clients = [0, 1, 2, 3].map(client);
        await new Promise((r) => setTimeout(r, 1500));
        await server.stop("SIGKILL");
        stop = true;
        await Promise.all(clients);
        expect(acked.length).toBeGreaterThan(20);

        server = await startServerProcess({ ...env.env, HOTPATH_BOOTSTRAP_KEY: KEY });
        try {
          const stored = new Set(await exportValues(server.url, 'kill_probe{slot="0"}'));
          const lost = acked.filter((seq) => !stored.has(seq));
          expect(lost).toEqual([]);
        } finally {
          await server.stop();
        }
      } finally {
        await env.cleanup();
      }
    });
  });
}

describe("overload, limits and bad input", () => {
  let server: TServerProcess;
  let env: Awaited<ReturnType<typeof storeEnv>>;
  beforeAll(async () => {
    env = await storeEnv("pglite");
    server = await startServerProcess({
      ...env.env,
      HOTPATH_BOOTSTRAP_KEY: KEY,
      HOTPATH_MAX_SERIES_PER_METRIC: "20",
      HOTPATH_MAX_BODY_BYTES: "65536",
      HOTPATH_INGEST_BUFFER_SAMPLES: "300",
      HOTPATH_BATCH_MAX_WAIT_MS: "50",
    });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await env?.cleanup();
  });

  it("refuses a cardinality explosion with 429 naming the metric and the label", async () => {
    const body = Array.from({ length: 25 }, (_, i) => `user_requests_total{route="/a",user_id="u${i}"} 1`).join("\n");
    const res = await fetch(`${server.url}/api/v1/push`, { method: "POST", headers: auth, body });
    expect(res.status).toBe(429);
    const { error } = await res.json();
    expect(error).toMatchObject({
      code: "cardinality_limit",
      metric: "user_requests_total",
      label: "user_id",
      limit: 20,
    });
    expect(await exportValues(server.url, "user_requests_total")).toEqual([]);
  });

  it("answers 413 for a body or a gzip bomb over the limit", async () => {
    const big = "x".repeat(70_000);
    const plain = await fetch(`${server.url}/api/v1/push`, { method: "POST", headers: auth, body: big });
    expect(plain.status).toBe(413);
    expect((await plain.json()).error.code).toBe("payload_too_large");
    const bomb = gzipSync(Buffer.alloc(10_000_000, "a"));
    const res = await fetch(`${server.url}/api/v1/push`, {
      method: "POST",
      headers: { ...auth, "content-encoding": "gzip" },
      body: bomb,
    });
    expect(res.status).toBe(413);
    expect((await res.json()).error.message).toContain("decompressed body exceeds 65536 bytes");
  });

  it("answers 429 with Retry-After when the buffer is full, and stores what it acknowledged", async () => {
    const sends = Array.from({ length: 30 }, (_, i) =>
      fetch(`${server.url}/api/v1/push`, {
        method: "POST",
        headers: auth,
        // 10 series x 10 timestamps: volume without new series.
        body: Array.from(
          { length: 100 },
          (_, s) => `burst{s="${s % 10}"} ${i} ${1_700_000_000_000 + i * 100 + Math.floor(s / 10)}`,
        ).join("\n"),
      }),
    );
    const responses = await Promise.all(sends);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const refused = responses.find((r) => r.status === 429);
    expect(refused?.headers.get("retry-after")).toBe("1");
    expect((await (refused as Response).json()).error.code).toBe("buffer_full");
    const ackedRounds = statuses.flatMap((s, i) => (s === 200 ? [i] : []));
    const stored = new Set(await exportValues(server.url, 'burst{s="0"}'));
    for (const round of ackedRounds) expect(stored.has(round)).toBe(true);
  });

  it("never crashes on random or truncated text: always 200 or 400", async () => {
    const valid = '# TYPE a counter\na{x="1",y="two\\"q"} 1 1700000000000\nb 2.5\nc{le="+Inf"} NaN\n';
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
          fc
            .tuple(fc.nat({ max: valid.length - 1 }), fc.string({ minLength: 1, maxLength: 3 }))
            .map(([at, junk]) => valid.slice(0, at) + junk + valid.slice(at + 1)),
        ),
        async (body) => {
          const res = await fetch(`${server.url}/api/v1/push?job=fuzz`, { method: "POST", headers: auth, body });
          await res.arrayBuffer();
          return res.status === 200 || res.status === 400;
        },
      ),
      { numRuns: 150 },
    );
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });
});

describe.skipIf(!POSTGRES_URL)("store outage on postgresql", () => {
  it("answers 503 with Retry-After while PostgreSQL is unreachable and recovers by itself", async () => {
    const db = await freshPostgres();
    const target = new URL(db.url);
    // A TCP proxy in front of PostgreSQL that the test can cut and restore.
    const sockets = new Set<net.Socket>();
    let open = true;
    const proxy = net.createServer((client) => {
      if (!open) return client.destroy();
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const proxied = new URL(db.url);
    proxied.host = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const server = await startServerProcess({ DATABASE_URL: proxied.toString(), HOTPATH_BOOTSTRAP_KEY: KEY });
    try {
      const push = (v: number) =>
        fetch(`${server.url}/api/v1/push`, {
          method: "POST",
          headers: auth,
          body: `outage_probe 1 ${1_700_000_000_000 + v}\n`,
        });
      expect((await push(1)).status).toBe(200);
      open = false;
      for (const s of sockets) s.destroy();
      const during = await push(2);
      expect(during.status).toBe(503);
      expect(during.headers.get("retry-after")).toBe("5");
      expect((await during.json()).error.code).toBe("store_unavailable");
      open = true;
      let recovered = 0;
      for (let i = 0; i < 40 && recovered !== 200; i++) {
        await new Promise((r) => setTimeout(r, 500));
        recovered = (await push(3)).status;
      }
      expect(recovered).toBe(200);
      const values = (await exportValues(server.url, "outage_probe")).length;
      expect(values).toBe(2);
    } finally {
      await server.stop("SIGKILL");
      for (const s of sockets) s.destroy();
      proxy.close();
      await db.drop();
    }
  });
});
