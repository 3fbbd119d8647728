// A pushed sample reaches a browser subscribed to a query over Socket.IO, and a bad query is refused.
import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZQueryPointsSchema, ZQuerySubscribeAckSchema } from "../../lib/contracts/live";
import { startServerProcess, storeEnv, type TServerProcess } from "../test/harness";

const KEY = "live-query-secret-0123456789";

describe("live queries", () => {
  let server: TServerProcess;
  let env: Awaited<ReturnType<typeof storeEnv>>;
  let socket: Socket;
  beforeAll(async () => {
    env = await storeEnv("pglite");
    server = await startServerProcess({ ...env.env, HOTPATH_BOOTSTRAP_KEY: KEY });
    socket = connect(server.url, { transports: ["websocket"], forceNew: true });
    await new Promise<void>((r) => socket.on("connect", () => r()));
  });
  afterAll(async () => {
    socket?.close();
    await server?.stop("SIGKILL");
    await env?.cleanup();
  });

  const push = (body: string) =>
    fetch(`${server.url}/api/v1/push?job=live`, { method: "POST", headers: { authorization: `Bearer ${KEY}` }, body });

  it("streams a new point within 2 s of the push that carries it", async () => {
    expect((await push("live_temp 20\n")).status).toBe(200);
    const ack = ZQuerySubscribeAckSchema.parse(
      await socket.emitWithAck("query:subscribe", { query: 'max(live_temp{job="live"})', stepMs: 15_000 }),
    );
    if (!ack.ok) throw new Error(ack.error.message);
    const got = new Promise<number>((resolve) => {
      socket.on("query:points", (payload: unknown) => {
        const p = ZQueryPointsSchema.parse(payload);
        const v = Number(p.result[0]?.value[1]);
        if (p.id === ack.id && v === 42) resolve(performance.now());
      });
    });
    const pushed = performance.now();
    expect((await push("live_temp 42\n")).status).toBe(200);
    const arrived = await got;
    expect(arrived - pushed).toBeLessThan(2000);
  });

  it("refuses a query that does not parse, with Prometheus's message", async () => {
    const ack = ZQuerySubscribeAckSchema.parse(
      await socket.emitWithAck("query:subscribe", { query: "sum(", stepMs: 15_000 }),
    );
    expect(ack.ok).toBe(false);
    if (!ack.ok) expect(ack.error.code).toBe("bad_data");
  });
});
