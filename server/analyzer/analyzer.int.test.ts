// The analyzer end to end on a real server: 15 minutes of a healthy service's metrics pushed with their
// timestamps, then a statement that turns slow; the finding opens by itself, arrives over Socket.IO,
// is listed ranked on /api/findings with its evidence and recommendation, can be acknowledged, and
// resolves once the statement is fast again.
import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TFinding, type TFindingEvent, ZFindingSchema } from "../../lib/contracts/findings";
import { STORES, startServerProcess, storeEnv, type TServerProcess } from "../test/harness";

const KEY = "analyzer-int-key-0123456789abcdef";
const auth = { authorization: `Bearer ${KEY}` };
const SLOW = "SELECT * FROM orders WHERE customer_id = $1";
const FAST = ["SELECT * FROM products WHERE id = $1", "SELECT * FROM customers WHERE id = $1"];

/** Cumulative counters for three statements, one line set per 5 s step from `fromMs` to `toMs`. */
function exposition(fromMs: number, toMs: number, state: { totals: number[] }, slowMean: (t: number) => number) {
  const lines = ["# TYPE db_client_operation_duration_seconds histogram"];
  for (let t = fromMs; t <= toMs; t += 5000) {
    [SLOW, ...FAST].forEach((stmt, i) => {
      const calls = 100;
      const mean = i === 0 ? slowMean(t) : 0.002 + 0.0002 * Math.sin(t / 7000 + i);
      state.totals[2 * i] = (state.totals[2 * i] ?? 0) + calls;
      state.totals[2 * i + 1] = (state.totals[2 * i + 1] ?? 0) + calls * mean;
      const labels = `db_system="postgresql",db_statement="${stmt}"`;
      lines.push(`db_client_operation_duration_seconds_count{${labels}} ${state.totals[2 * i]} ${t}`);
      lines.push(`db_client_operation_duration_seconds_sum{${labels}} ${state.totals[2 * i + 1]} ${t}`);
    });
  }
  return `${lines.join("\n")}\n`;
}

for (const store of STORES) {
  describe.skipIf(!store.available)(`analyzer on ${store.kind}`, () => {
    let server: TServerProcess;
    let env: Awaited<ReturnType<typeof storeEnv>>;
    let socket: Socket;
    const events: TFindingEvent[] = [];
    const state = { totals: [] as number[] };
    let last = 0;

    const push = async (body: string) => {
      const res = await fetch(`${server.url}/api/v1/push?job=shop-api&instance=web-1`, {
        method: "POST",
        headers: { ...auth, "content-type": "text/plain; version=0.0.4" },
        body,
      });
      expect(res.status, await res.text()).toBe(200);
    };
    const findings = async (status: string): Promise<TFinding[]> => {
      const res = await fetch(`${server.url}/api/findings?status=${status}`, { headers: auth });
      expect(res.status).toBe(200);
      return ((await res.json()) as { findings: unknown[] }).findings.map((f) => ZFindingSchema.parse(f));
    };
    const waitFor = async <T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const v = await f();
        if (v !== undefined) return v;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`timed out waiting for ${what}`);
    };

    beforeAll(async () => {
      env = await storeEnv(store.kind);
      server = await startServerProcess({ ...env.env, HOTPATH_BOOTSTRAP_KEY: KEY });
      socket = connect(server.url, { transports: ["websocket"] });
      socket.on("finding", (e: TFindingEvent) => events.push(e));
      await new Promise<void>((resolve) => socket.on("connect", () => resolve()));
      socket.emit("subscribe", { room: "findings" });
      const now = Date.now() - (Date.now() % 5000);
      last = now;
      await push(exposition(now - 15 * 60_000, now, state, () => 0.002));
    });
    afterAll(async () => {
      socket?.close();
      await server?.stop("SIGKILL");
      await env?.cleanup();
    });

    it("stays quiet on the healthy history", async () => {
      await new Promise((r) => setTimeout(r, 3000));
      expect(await findings("all")).toEqual([]);
    });

    it("opens a slow_query finding with evidence and a fix, live and on the API", async () => {
      // 25 s of the slow statement at 30 ms per call, pushed as it happens (one push per 5 s step).
      const feed = async (mean: number, steps: number) => {
        for (let i = 0; i < steps; i++) {
          const t = last + 5000;
          await new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
          await push(exposition(t, t, state, () => mean));
          last = t;
        }
      };
      await feed(0.03, 5);
      const open = await waitFor("an open finding", async () => (await findings("open"))[0]);
      expect(open.kind).toBe("slow_query");
      expect(open.target.service).toBe("shop-api");
      expect(open.target.statement).toContain("orders");
      expect(open.severity).not.toBe("info");
      expect(open.evidence.series[0]?.baseline).toBeCloseTo(0.002, 3);
      expect(open.evidence.series[0]?.current).toBeCloseTo(0.03, 3);
      expect(open.recommendation).toMatch(/EXPLAIN|index/i);
      expect(events.some((e) => e.type === "opened" && e.finding.id === open.id)).toBe(true);

      const ack = await fetch(`${server.url}/api/findings/${open.id}`, {
        method: "PATCH",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ acknowledged: true }),
      });
      expect(ack.status).toBe(200);
      expect(ZFindingSchema.parse(((await ack.json()) as { finding: unknown }).finding).acknowledged).toBe(true);
      const bad = await fetch(`${server.url}/api/findings/${open.id}`, {
        method: "PATCH",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ acknowledged: "yes" }),
      });
      expect(bad.status).toBe(400);

      // Fast again: the finding resolves by itself, with its impact report.
      await feed(0.002, 10);
      const resolved = await waitFor(
        "the finding to resolve",
        async () => (await findings("resolved")).find((f) => f.id === open.id),
        60_000,
      );
      expect(resolved.resolvedAt).not.toBeNull();
      expect(resolved.impactReport?.[0]?.before).toBeCloseTo(0.002, 3);
      expect(resolved.impactReport?.[0]?.during).toBeCloseTo(0.03, 3);
      expect(events.some((e) => e.type === "resolved" && e.finding.id === open.id)).toBe(true);
    }, 120_000);
  });
}
