// Hotpath down for a minute under a busy host, then restarted on the same port and store: the host
// keeps serving, the agent's memory stays bounded, its drops are counted, and data flows again by
// itself (no flush() call) within the back-off ceiling. HOTPATH_OUTAGE_SECONDS shortens the outage
// for local runs; CI runs the full minute.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { createServer } from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServerProcess, storeEnv, type TServerProcess } from "../server/test/harness";

const KEY = "agent-outage-key-0123456789abcdef";
const SERVICE = `agent-outage-${randomBytes(3).toString("hex")}`;
const OUTAGE_SECONDS = Number(process.env.HOTPATH_OUTAGE_SECONDS ?? 60);
const MAX_BUFFER = 64 * 1024;
const RATE = 100; // requests per second to the host

type THostStats = {
  pushes: number;
  failures: number;
  droppedBodies: number;
  droppedSamples: number;
  queuedBytes: number;
  queuedBodies: number;
  memory: { rss: number; heapUsed: number };
};

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

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 16 });
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: keepAlive }, (res) => {
        let body = "";
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

async function startHost(hotpathUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "test-host.ts")], {
    env: { ...process.env, HOTPATH_URL: hotpathUrl, HOTPATH_KEY: KEY, SERVICE, MAX_BUFFER_BYTES: String(MAX_BUFFER) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("test host did not start in 30 s")), 30_000);
    child.stdout?.on("data", (d: Buffer) => {
      const m = /listening (\d+)/.exec(String(d));
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function exportSeries(hotpathUrl: string, selector: string) {
  const res = await fetch(`${hotpathUrl}/api/v1/export?match[]=${encodeURIComponent(selector)}&start=0`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  expect(res.status).toBe(200);
  const text = (await res.text()).trim();
  return text ? text.split("\n").map((l) => JSON.parse(l) as { values: number[]; timestamps: number[] }) : [];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`agent through a ${OUTAGE_SECONDS} s Hotpath outage`, () => {
  let hotpath: TServerProcess | undefined;
  let store: Awaited<ReturnType<typeof storeEnv>> | undefined;
  let host: { url: string; child: ChildProcess } | undefined;
  let load: NodeJS.Timeout | undefined;

  afterAll(async () => {
    clearInterval(load);
    host?.child.kill("SIGKILL");
    keepAlive.destroy();
    await hotpath?.stop("SIGKILL");
    await store?.cleanup();
  });

  it(
    "keeps serving with bounded memory, counts drops, and delivers again after the restart",
    async () => {
      store = await storeEnv("pglite");
      const port = await freePort();
      const env = { ...store.env, PORT: String(port), HOTPATH_BOOTSTRAP_KEY: KEY };
      hotpath = await startServerProcess(env);
      const hotpathUrl = hotpath.url;
      host = await startHost(hotpathUrl);
      const hostUrl = host.url;

      let sent = 0;
      let failedRequests = 0;
      load = setInterval(() => {
        for (let i = 0; i < RATE / 10; i++) {
          sent++;
          get(`${hostUrl}/items/${sent}`).then(
            (r) => {
              if (r.status !== 200) failedRequests++;
            },
            () => failedRequests++,
          );
        }
      }, 100);
      const stats = async () => JSON.parse((await get(`${hostUrl}/stats`)).body) as THostStats;

      // Healthy first: request metrics arrive.
      const counter = `http_server_request_duration_seconds_count{job="${SERVICE}",route="/items/:id"}`;
      for (let i = 0; i < 60 && (await exportSeries(hotpathUrl, counter)).length === 0; i++) await sleep(500);
      expect(await exportSeries(hotpathUrl, counter)).toHaveLength(1);

      // Down: SIGKILL, as a crash or a node loss would be.
      await hotpath.stop("SIGKILL");
      hotpath = undefined;
      const downAt = Date.now();
      await sleep(3000);
      const early = await stats();
      const samples: THostStats[] = [];
      while (Date.now() - downAt < OUTAGE_SECONDS * 1000) {
        await sleep(2000);
        samples.push(await stats());
      }
      const late = samples.at(-1) as THostStats;
      expect(late.failures).toBeGreaterThan(early.failures);
      expect(late.droppedSamples).toBeGreaterThan(0);
      for (const s of samples) expect(s.queuedBytes).toBeLessThanOrEqual(MAX_BUFFER);
      // Bounded memory: the buffer is capped at 64 KiB; allow the GC its slack, not a leak's growth.
      const heapGrowth = Math.max(...samples.map((s) => s.memory.heapUsed)) - early.memory.heapUsed;
      expect(heapGrowth).toBeLessThan(24 * 1024 * 1024);
      console.log(
        `outage ${OUTAGE_SECONDS} s: heap growth ${(heapGrowth / 1048576).toFixed(1)} MiB, ` +
          `max buffer ${Math.max(...samples.map((s) => s.queuedBytes))} B, dropped ${late.droppedSamples} samples ` +
          `in ${late.droppedBodies} bodies, ${late.failures - early.failures} failed pushes, ${sent} requests served`,
      );
      expect(failedRequests).toBe(0);

      // Restarted on the same port and store.
      hotpath = await startServerProcess(env);
      const upAt = Date.now();
      // No flush(): the back-off (15 s ceiling, ±20 %) brings the agent back by itself.
      let after: number[] = [];
      for (let i = 0; i < 50 && after.length === 0; i++) {
        await sleep(500);
        const [series] = await exportSeries(hotpath.url, counter);
        after = (series?.timestamps ?? []).filter((t) => t >= upAt);
      }
      expect(after.length).toBeGreaterThan(0);
      console.log(`data again ${((Date.now() - upAt) / 1000).toFixed(1)} s after the restart`);
      const dropped = await exportSeries(hotpath.url, `hotpath_agent_dropped_samples_total{job="${SERVICE}"}`);
      expect(Math.max(...(dropped[0]?.values ?? [0]))).toBeGreaterThan(0);
      // Spans flow again too.
      let spansAfter = 0;
      for (let i = 0; i < 40 && spansAfter === 0; i++) {
        const res = await fetch(`${hotpath.url}/api/spans?service=${SERVICE}&start=${upAt}&limit=10`, {
          headers: { authorization: `Bearer ${KEY}` },
        });
        spansAfter = ((await res.json()) as { spans: unknown[] }).spans.length;
        if (spansAfter === 0) await sleep(500);
      }
      expect(spansAfter).toBeGreaterThan(0);
      expect(host.child.exitCode).toBeNull();
      expect(failedRequests).toBe(0);
    },
    OUTAGE_SECONDS * 1000 + 120_000,
  );
});
