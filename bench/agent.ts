// npm run bench:agent — the agent's cost inside a service: added latency per instrumented request
// (p50/p99) and CPU share at 1,000 requests/s. The same handler runs plain and instrumented, in
// alternating runs of the same length; the agent pushes metrics and spans to a local sink that
// accepts everything, so only the agent's own work is measured.
//   BENCH_SECONDS (default 10) per run, BENCH_RUNS (default 3) pairs, BENCH_WARMUP_SECONDS (default 5)
//   of the same load before each measured run.
// On a machine shared with other work the difference moves by a few % of a core from pair to pair:
// read the median, and several invocations rather than one.
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { figure, percentile, printTable, type TFigure, writeResult } from "./lib";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RATE = 1000;
// At least two of the target's push intervals (agent-target.ts: 2 s) and span exports: the first push
// and export load fetch, the OTLP exporter and zlib, and the new object shapes they bring make V8
// deoptimize and recompile Node's http and stream code. That happens once in a service's life; in the
// measured window it was most of the "added CPU" (TurboFan alone was a fifth of the instrumented
// target's samples).
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);

async function startSink(): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/x-protobuf" }).end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() };
}

async function startTarget(agent: boolean, sink: string) {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "agent-target.ts")], {
    env: { ...process.env, AGENT: agent ? "on" : "off", SINK_URL: sink },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve) => {
    child.stdout?.on("data", (d: Buffer) => {
      const m = /listening (\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}

const agentHttp = new http.Agent({ keepAlive: true, maxSockets: 64 });
function get(url: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: agentHttp }, (res) => {
        res.resume();
        res.on("end", () => resolve(performance.now() - started));
      })
      .on("error", reject);
  });
}

async function cpuMicros(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/cpu`, { agent: agentHttp }, (res) => {
        let body = "";
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve(JSON.parse(body).cpuMicros));
      })
      .on("error", reject);
  });
}

/** `total` requests at RATE per second; resolves with the wall time in seconds once all are answered. */
async function paced(url: string, total: number, latencies?: number[]): Promise<number> {
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(get(`${url}/products/${i}`).then((ms) => void latencies?.push(ms)));
  }
  await Promise.all(pending);
  return (performance.now() - t0) / 1000;
}

async function load(url: string): Promise<{ p50: number; p99: number; cpuShare: number; rate: number }> {
  // Warm-up: sockets and JIT first, then the measured load's own pattern through the agent's first
  // pushes and span exports.
  for (let i = 0; i < 500; i++) await get(`${url}/products/${i}`);
  await paced(url, Math.round(RATE * WARMUP_SECONDS));
  const cpu0 = await cpuMicros(url);
  const latencies: number[] = [];
  const total = RATE * SECONDS;
  const wall = await paced(url, total, latencies);
  const cpu = ((await cpuMicros(url)) - cpu0) / 1e6;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuShare: cpu / wall, rate: total / wall };
}

const startedAt = new Date();
const sink = await startSink();
const plain: Awaited<ReturnType<typeof load>>[] = [];
const withAgent: Awaited<ReturnType<typeof load>>[] = [];
for (let r = 0; r < RUNS; r++) {
  for (const instrumented of r % 2 === 0 ? [false, true] : [true, false]) {
    const target = await startTarget(instrumented, sink.url);
    try {
      (instrumented ? withAgent : plain).push(await load(target.url));
    } finally {
      target.stop();
    }
  }
}
sink.close();
agentHttp.destroy();

const figures: Record<string, TFigure> = {
  "plain.latency_p50": figure(
    plain.map((x) => x.p50 * 1000),
    "µs",
  ),
  "agent.latency_p50": figure(
    withAgent.map((x) => x.p50 * 1000),
    "µs",
  ),
  "added.latency_p50": figure(
    withAgent.map((x, i) => (x.p50 - (plain[i]?.p50 ?? 0)) * 1000),
    "µs",
  ),
  "added.latency_p99": figure(
    withAgent.map((x, i) => (x.p99 - (plain[i]?.p99 ?? 0)) * 1000),
    "µs",
  ),
  "plain.cpu_share": figure(
    plain.map((x) => x.cpuShare * 100),
    "% of a core",
  ),
  "agent.cpu_share": figure(
    withAgent.map((x) => x.cpuShare * 100),
    "% of a core",
  ),
  "added.cpu_share": figure(
    withAgent.map((x, i) => (x.cpuShare - (plain[i]?.cpuShare ?? 0)) * 100),
    "% of a core",
  ),
  "achieved.rate": figure(
    [...plain, ...withAgent].map((x) => x.rate),
    "req/s",
  ),
};
const file = await writeResult("agent", "none", startedAt, figures);
printTable(figures);
console.log(`\nwritten to ${file}`);
process.exit(0);
