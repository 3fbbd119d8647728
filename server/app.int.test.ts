// The real server, started as users start it, on each store this run can reach.
import { io as connect } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIVE_ROOMS, type TStatusEvent, ZStatusEventSchema } from "../lib/contracts/live";
import { openStore } from "./store";
import { REDIS_URL, runServerToExit, STORES, startServerProcess, storeEnv, type TServerProcess } from "./test/harness";

for (const store of STORES) {
  describe.skipIf(!store.available)(`hotpath server on ${store.kind}`, () => {
    let server: TServerProcess;
    let env: Awaited<ReturnType<typeof storeEnv>>;

    beforeAll(async () => {
      env = await storeEnv(store.kind);
      server = await startServerProcess({ ...env.env, ...(REDIS_URL ? { REDIS_URL } : {}) });
    });
    afterAll(async () => {
      await server?.stop("SIGKILL");
      await env?.cleanup();
    });

    it("answers /api/health with the store kind, version and uptime", async () => {
      const res = await fetch(`${server.url}/api/health`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({ status: "ok", store: store.kind, checks: { store: { ok: true } } });
      expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
      expect(body.checks.redis).toEqual(
        REDIS_URL ? expect.objectContaining({ configured: true, ok: true }) : { configured: false },
      );
    });

    it("exports Node defaults and its own request histogram at /metrics", async () => {
      await fetch(`${server.url}/api/health`);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain("process_cpu_user_seconds_total");
      expect(text).toContain("nodejs_eventloop_lag_seconds");
      expect(text).toMatch(
        /hotpath_http_request_duration_seconds_count\{method="GET",route="\/api\/health",status="200"\} [1-9]/,
      );
    });

    it("answers unknown API paths with the error envelope", async () => {
      const res = await fetch(`${server.url}/api/nowhere`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: { code: "not_found", message: "no route for GET /api/nowhere", status: 404 },
      });
    });

    it("pushes a status event to subscribers every second", async () => {
      const socket = connect(server.url, { transports: ["websocket"], forceNew: true });
      const events: TStatusEvent[] = [];
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`got ${events.length} status events in 5 s`)), 5000);
          socket.on("connect", () => socket.emit("subscribe", { room: LIVE_ROOMS.status }));
          socket.on("status", (payload: unknown) => {
            events.push(ZStatusEventSchema.parse(payload));
            if (events.length === 2) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
      } finally {
        socket.close();
      }
      const [a, b] = events as [TStatusEvent, TStatusEvent];
      expect(a.store).toBe(store.kind);
      expect(b.at - a.at).toBeGreaterThanOrEqual(800);
      expect(b.at - a.at).toBeLessThanOrEqual(1500);
      expect(b.uptimeSeconds).toBeGreaterThanOrEqual(a.uptimeSeconds);
    });

    it("stops within 5 s on SIGTERM and leaves a store that opens cleanly", async () => {
      const { code, ms } = await server.stop("SIGTERM");
      expect(code).toBe(0);
      expect(ms).toBeLessThan(5000);
      const config =
        store.kind === "pglite"
          ? { kind: "pglite" as const, dataDir: env.env.HOTPATH_DATA_DIR as string }
          : { kind: "postgresql" as const, url: env.env.DATABASE_URL as string };
      const reopened = await openStore(config);
      try {
        expect(reopened.appliedMigrations).toEqual([]);
        expect(await reopened.prisma.series.count()).toBe(0);
      } finally {
        await reopened.close();
      }
    });
  });
}

describe("start-up failures", () => {
  it("names a bad PORT in one line and exits 2", async () => {
    const { code, stderr } = await runServerToExit({ PORT: "abc" });
    expect(code).toBe(2);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hotpath: Invalid configuration: PORT="abc": /);
  });

  it("names a bad DATABASE_URL in one line and exits 2", async () => {
    const { code, stderr } = await runServerToExit({ DATABASE_URL: "nonsense" });
    expect(code).toBe(2);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('DATABASE_URL="nonsense": expected a PostgreSQL URL');
  });

  it("refuses a second server on the same PGlite directory", async () => {
    const env = await storeEnv("pglite");
    const first = await startServerProcess(env.env);
    try {
      const { code, stderr } = await runServerToExit({ ...env.env, PORT: "0" });
      expect(code).toBe(1);
      expect(stderr).toMatch(/data directory is in use by process \d+/);
    } finally {
      await first.stop();
      await env.cleanup();
    }
  });
});
