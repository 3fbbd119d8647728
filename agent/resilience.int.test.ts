// Hotpath unreachable, then up: the agent never throws, keeps its buffer under maxBufferBytes while
// counting what it drops, and delivers again (with the buffered bodies at their collection times) once
// a server answers on its URL.
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import client from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { startServerProcess, storeEnv, type TServerProcess } from "../server/test/harness";
import { createAgent, type HotpathAgent } from "./index";

const KEY = "agent-resilience-key-0123456789";
const SERVICE = `agent-resil-${randomBytes(3).toString("hex")}`;
const MAX_BUFFER = 16 * 1024;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe("agent while Hotpath is down", () => {
  let hotpath: TServerProcess | undefined;
  let store: Awaited<ReturnType<typeof storeEnv>> | undefined;
  let agent: HotpathAgent | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);

  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await agent?.shutdown();
    await hotpath?.stop("SIGKILL");
    await store?.cleanup();
  });

  it("buffers within its bound, counts drops, never throws, and recovers when a server appears", async () => {
    process.on("unhandledRejection", onUnhandled);
    const port = await freePort();
    let collections = 0;
    agent = createAgent({
      url: `http://127.0.0.1:${port}`,
      key: KEY,
      service: SERVICE,
      instance: "r-1",
      pushIntervalMs: 100,
      maxBufferBytes: MAX_BUFFER,
      logger: false,
    });
    new client.Gauge({
      name: "resilience_collections",
      help: "How many times the registry was collected.",
      registers: [agent.registry],
      collect() {
        this.set(++collections);
      },
    });
    // Traced work while nothing listens: the span exporter fails too, quietly.
    agent.tracer.startActiveSpan("work while down", (span) => span.end());
    agent.start();

    // Start Hotpath on the agent's port; it takes seconds, during which every push fails.
    store = await storeEnv("pglite");
    const downSince = Date.now();
    let maxQueued = 0;
    const watch = setInterval(() => {
      maxQueued = Math.max(maxQueued, agent?.stats.queuedBytes ?? 0);
    }, 20);
    const starting = startServerProcess({ ...store.env, PORT: String(port), HOTPATH_BOOTSTRAP_KEY: KEY });
    // At least 3 s of outage even if the server starts fast.
    await new Promise((r) => setTimeout(r, 3000));
    const during = { ...agent.stats };
    expect(during.pushes).toBe(0);
    expect(during.failures).toBeGreaterThanOrEqual(2);
    expect(during.lastError).toMatch(/ECONNREFUSED|fetch failed/);
    expect(during.droppedBodies).toBeGreaterThan(0);
    expect(during.droppedSamples).toBeGreaterThan(during.droppedBodies);
    expect(during.queuedBytes).toBeLessThanOrEqual(MAX_BUFFER);
    expect(during.queuedBodies).toBeGreaterThan(1);

    hotpath = await starting;
    clearInterval(watch);
    const upAt = Date.now();
    expect(maxQueued).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(MAX_BUFFER);

    // The back-off may have grown to many seconds; flush() sends now, and the interval takes over.
    await agent.flush();
    expect(agent.stats.lastError).toBeUndefined();
    expect(agent.stats.queuedBodies).toBe(0);
    const pushes = agent.stats.pushes;
    expect(pushes).toBeGreaterThan(1); // the buffered bodies and the fresh one
    await new Promise((r) => setTimeout(r, 600));
    expect(agent.stats.pushes).toBeGreaterThan(pushes);

    const res = await fetch(
      `${hotpath.url}/api/v1/export?match[]=${encodeURIComponent(`resilience_collections{job="${SERVICE}"}`)}&start=0`,
      { headers: { authorization: `Bearer ${KEY}` } },
    );
    expect(res.status).toBe(200);
    const [series] = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { values: number[]; timestamps: number[] });
    // Buffered bodies arrived with the time they were collected, before the server was up.
    expect(series?.timestamps.some((t) => t >= downSince && t < upAt)).toBe(true);
    // Early bodies were dropped: the series does not start at the first collection.
    expect(Math.min(...(series?.values ?? []))).toBeGreaterThan(1);
    const dropped = await fetch(
      `${hotpath.url}/api/v1/export?match[]=${encodeURIComponent(`hotpath_agent_dropped_samples_total{job="${SERVICE}"}`)}&start=0`,
      { headers: { authorization: `Bearer ${KEY}` } },
    );
    const droppedSeries = JSON.parse((await dropped.text()).trim().split("\n").pop() as string) as {
      values: number[];
    };
    expect(Math.max(...droppedSeries.values)).toBeGreaterThan(0);

    // Down again, for good: still no throw, and shutdown is bounded.
    await hotpath.stop("SIGKILL");
    hotpath = undefined;
    const failures = agent.stats.failures;
    await new Promise((r) => setTimeout(r, 300));
    await agent.flush();
    expect(agent.stats.failures).toBeGreaterThan(failures);
    const t = performance.now();
    await agent.shutdown();
    expect(performance.now() - t).toBeLessThan(7000);
    expect(unhandled).toEqual([]);
  });
});
