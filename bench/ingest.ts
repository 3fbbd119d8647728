// npm run bench:ingest — committed samples/s and push latency for Prometheus text pushes shaped like
// a data API (HTTP histograms by service/route/method/status, DB and cache counters, runtime gauges),
// 1,000 and 10,000 active series, 1 and 4 clients, on PGlite and PostgreSQL (when BENCH_DATABASE_URL
// or DATABASE_URL_TEST is set). A 2xx means committed, so acknowledged samples are committed samples.
//   BENCH_SECONDS (default 8) per run, BENCH_RUNS (default 3).
import { freshPostgres, POSTGRES_URL, startServerProcess, storeEnv } from "../server/test/harness";
import { dataApiSeries, pushBodies } from "./ingest-workload";
import { figure, percentile, printTable, rssOfPid, type TFigure, writeResult } from "./lib";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const KEY = "bench-secret-0123456789abcdef";
const PG_URL = process.env.BENCH_DATABASE_URL || POSTGRES_URL;

type TRun = { samplesPerSec: number; p50: number; p99: number; rss: number; pushes: number; errors: number };

async function runLoad(
  url: string,
  pid: number,
  seriesCount: number,
  clients: number,
  ratePerSec?: number,
): Promise<TRun> {
  // Each client is its own instance, so series = seriesCount in total.
  const perClient = Math.ceil(seriesCount / clients);
  const latencies: number[] = [];
  let samples = 0;
  let errors = 0;
  let maxRss = 0;
  const push = (body: string) =>
    fetch(`${url}/api/v1/push`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "text/plain; version=0.0.4" },
      body,
    });
  const bodiesOf = Array.from({ length: clients }, (_, c) => pushBodies(dataApiSeries(perClient, `bench-${c}`)));
  // First sight of a client's series creates them (one insert per new series): a one-off cost, not
  // steady-state ingest, so those pushes go before the clock starts.
  await Promise.all(bodiesOf.map((b) => push(b[0] as string).then((r) => r.arrayBuffer())));
  const deadline = performance.now() + SECONDS * 1000;
  const rssTimer = setInterval(() => void rssOfPid(pid).then((r) => (maxRss = Math.max(maxRss, r))), 500);
  const client = async (c: number) => {
    const bodies = bodiesOf[c] as string[];
    const perPush = perClient;
    const interval = ratePerSec ? (perClient * clients * 1000) / ratePerSec : 0;
    let next = performance.now();
    for (let seq = 0; performance.now() < deadline; seq++) {
      if (interval > 0) {
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        next += interval;
      }
      const body = bodies[seq % bodies.length] as string;
      const started = performance.now();
      const res = await push(body);
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      if (res.status === 200) samples += perPush;
      else errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(rssTimer);
  latencies.sort((a, b) => a - b);
  return {
    samplesPerSec: samples / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    rss: Math.max(maxRss, await rssOfPid(pid)) / 1024 / 1024,
    pushes: latencies.length,
    errors,
  };
}

async function benchStore(kind: "pglite" | "postgresql", figures: Record<string, TFigure>) {
  for (const seriesCount of [1000, 10_000]) {
    for (const clients of [1, 4]) {
      const runs: TRun[] = [];
      for (let r = 0; r < RUNS; r++) {
        // A fresh store per run: every run measures the same thing (first sight of series, then steady).
        const env = kind === "pglite" ? await storeEnv("pglite") : await pgEnv();
        const server = await startServerProcess({ ...env.env, HOTPATH_BOOTSTRAP_KEY: KEY, HOTPATH_LOG_LEVEL: "error" });
        try {
          runs.push(await runLoad(server.url, server.child.pid as number, seriesCount, clients));
        } finally {
          await server.stop();
          await env.cleanup();
        }
      }
      const k = `${kind}.${seriesCount}series.${clients}clients`;
      figures[`${k}.samples_per_s`] = figure(
        runs.map((x) => x.samplesPerSec),
        "samples/s",
      );
      figures[`${k}.push_p50`] = figure(
        runs.map((x) => x.p50),
        "ms",
      );
      figures[`${k}.push_p99`] = figure(
        runs.map((x) => x.p99),
        "ms",
      );
      figures[`${k}.rss`] = figure(
        runs.map((x) => x.rss),
        "MiB",
      );
      const errs = runs.reduce((a, x) => a + x.errors, 0);
      if (errs > 0) console.warn(`${k}: ${errs} non-2xx pushes`);
      console.log(`${k}: ${Math.round(figures[`${k}.samples_per_s`]?.median ?? 0)} samples/s`);
    }
  }
  // p99 latency at half the best 4-client rate for 10k series.
  const best = figures[`${kind}.10000series.4clients.samples_per_s`]?.median ?? 0;
  const half: TRun[] = [];
  for (let r = 0; r < RUNS; r++) {
    const env = kind === "pglite" ? await storeEnv("pglite") : await pgEnv();
    const server = await startServerProcess({ ...env.env, HOTPATH_BOOTSTRAP_KEY: KEY, HOTPATH_LOG_LEVEL: "error" });
    try {
      half.push(await runLoad(server.url, server.child.pid as number, 10_000, 4, best / 2));
    } finally {
      await server.stop();
      await env.cleanup();
    }
  }
  figures[`${kind}.10000series.4clients.half_rate.samples_per_s`] = figure(
    half.map((x) => x.samplesPerSec),
    "samples/s",
  );
  figures[`${kind}.10000series.4clients.half_rate.push_p99`] = figure(
    half.map((x) => x.p99),
    "ms",
  );
}

async function pgEnv() {
  const db = await freshPostgres();
  return { env: { DATABASE_URL: db.url }, cleanup: db.drop };
}

const startedAt = new Date();
const figures: Record<string, TFigure> = {};
await benchStore("pglite", figures);
if (PG_URL) await benchStore("postgresql", figures);
else console.warn("PostgreSQL not benchmarked: set BENCH_DATABASE_URL or DATABASE_URL_TEST");
const file = await writeResult("ingest", PG_URL ? "pglite+postgresql" : "pglite", startedAt, figures);
printTable(figures);
console.log(`\nwritten to ${file}`);
