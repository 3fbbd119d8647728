// npm run bench:query — range queries over 24 h at a 60 s step (rate and histogram_quantile, each
// reading 100 or 1,000 series), with the query cache cold and warm, on PGlite and PostgreSQL; and the
// time from a pushed sample to its point on an open chart (a live query over Socket.IO, as the Explore
// page subscribes). Targets on PostgreSQL: cold p95 ≤ 150 ms for 100 series, warm p95 ≤ 10 ms,
// push → chart p95 ≤ 1 s.
//
//   BENCH_STORES (default "pglite,postgresql"; PostgreSQL at BENCH_DATABASE_URL, else DATABASE_URL_TEST,
//   else the local server), BENCH_SETS (default "100,1000"), BENCH_RUNS (30 per figure; 1,000-series
//   figures on PGlite run a third of that), BENCH_LIVE_RUNS (40), BENCH_RAW=off to skip the raw-sample
//   baseline, BENCH_KEEP=1 to keep the figures of stores not run this time from bench/results/query.json
//   (one store per run on a busy machine; `store` then names both).
//
// How the data gets there: 24 h of samples every 15 s, with historical timestamps, pushed as remote
// write through the real ingest endpoint (bench/query-workload.ts), then the server's own compactor
// moves them into chunks and 1 m / 1 h rollups (the bench waits until hotpath_compacted_samples covers
// everything pushed) and its sealer packs the past hours into segments (hotpath_rollup_sealed_to_seconds).
// The minutes between the start of the load and the first query are pushed last and left to the
// compactor's normal pace, so queries meet an uncompacted tail as in production.
//
// Three figures per query, each timing the whole HTTP exchange from this process:
//   cold      nocache=1: neither the query cache nor the rollup segment cache is read or written, so
//             all 24 h come from the store; each run also asks for a window one second earlier.
//   refresh   a window one second earlier each run, caches on: the query cache (whose key holds start
//             and end) never has it, as for a dashboard's "last 24 h" on every refresh; sealed hours
//             come from the rollup segment cache (server/cache/rollup-cache.ts), which the first run
//             fills.
//   warm      the same request repeated: answered by the query cache.
// With each, the CPU time the server process and the database's backends spent per query (mean over
// the runs; /proc, 10 ms ticks): on a busy machine wall times stretch, CPU times much less.
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { io as connect } from "socket.io-client";
import { ZQueryPointsSchema, ZQuerySubscribeAckSchema } from "../lib/contracts/live";
import { figure, printTable, readResult, rssOfPid, type TFigure, writeResult } from "./lib";
import { newSet, queries, sliceBody, type TSet } from "./query-workload";

const STORES = (process.env.BENCH_STORES ?? "pglite,postgresql").split(",") as ("pglite" | "postgresql")[];
const SETS: TSet[] = (process.env.BENCH_SETS ?? "100,1000")
  .split(",")
  .map((n) => ({ name: `s${n}`, series: Number(n) }));
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const LIVE_RUNS = Number(process.env.BENCH_LIVE_RUNS ?? 40);
const RAW_BASELINE = process.env.BENCH_RAW !== "off";
const KEY = `bench-${randomBytes(12).toString("hex")}`;
const DAY_MS = 86_400_000;
const auth = { authorization: `Bearer ${KEY}` };

process.env.DATABASE_URL_TEST ||= process.env.BENCH_DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
const { startServerProcess, storeEnv } = await import("../server/test/harness");

/** User + system CPU time (ms) per process, from /proc (Linux; empty elsewhere). */
async function cpuOf(pids: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (!stat) continue;
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out.set(pid, (Number(f[11] ?? 0) + Number(f[12] ?? 0)) * 10);
  }
  return out;
}

/** CPU spent between two snapshots by the processes alive at the second (a closed connection's is lost). */
function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
  return ms;
}

let storeDb = "";
/** The PostgreSQL backends serving the benchmark's database (PGlite runs inside the server). */
async function storePids(): Promise<number[]> {
  if (!storeDb) return [];
  const pids: number[] = [];
  for (const d of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = await readFile(`/proc/${d}/cmdline`, "utf8").catch(() => "");
    if (cmd.startsWith("postgres:") && cmd.includes(` ${storeDb} `)) pids.push(Number(d));
  }
  return pids;
}

/**
 * fetch, retried on a connection reset: a keep-alive connection the server closed while its event loop
 * was busy (PGlite compacting a backlog in-process) fails the next request sent on it.
 */
async function fetchRetry(url: string, init?: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetchRetry(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return Number(m?.[1] ?? Number.NaN);
}

/** Pushes [fromMs, toMs) of every set, a slice per request, two requests in flight. */
async function push(url: string, states: ReturnType<typeof newSet>[], fromMs: number, toMs: number, sliceMs: number) {
  let samples = 0;
  const inFlight = new Set<Promise<void>>();
  for (let t = fromMs; t < toMs; t += sliceMs) {
    for (const st of states) {
      const { body, samples: n } = sliceBody(st, t, Math.min(toMs, t + sliceMs));
      samples += n;
      const p = (async () => {
        for (;;) {
          const res = await fetchRetry(`${url}/api/v1/write`, {
            method: "POST",
            headers: { ...auth, "content-type": "application/x-protobuf", "content-encoding": "snappy" },
            body: new Uint8Array(body),
          });
          await res.arrayBuffer();
          if (res.status === 204 || res.status === 200) return;
          if (res.status !== 429 && res.status !== 503) throw new Error(`remote write answered ${res.status}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= 2) await Promise.race(inFlight);
    }
    process.stdout.write(`\r  pushed up to ${new Date(Math.min(toMs, t + sliceMs)).toISOString()}`);
  }
  await Promise.all(inFlight);
  process.stdout.write("\n");
  return samples;
}

async function waitCompacted(url: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  const target = await metric(url, "hotpath_ingest_committed_samples");
  for (;;) {
    const done = await metric(url, "hotpath_compacted_samples");
    process.stdout.write(`\r  compacted ${done} of ${target} samples`);
    if (done >= target) break;
    if (performance.now() - started > timeoutMs) throw new Error("compaction did not catch up in time");
    await new Promise((r) => setTimeout(r, 1000));
  }
  process.stdout.write("\n");
  // And the sealer: every hour that ended five minutes ago (its grace) is packed into segments.
  for (;;) {
    const sealed = (await metric(url, "hotpath_rollup_sealed_to_seconds")) * 1000;
    const due = Math.floor((Date.now() - 5 * 60_000) / 3_600_000) * 3_600_000;
    if (sealed >= due) break;
    if (performance.now() - started > timeoutMs) throw new Error("the rollup sealer did not catch up in time");
    await new Promise((r) => setTimeout(r, 1000));
  }
  return (performance.now() - started) / 1000;
}

type TRange = { query: string; start: number; end: number; step: number; extra?: Record<string, string> };

async function queryRange(url: string, r: TRange): Promise<{ ms: number; body: string }> {
  const qs = new URLSearchParams({
    query: r.query,
    start: String(r.start / 1000),
    end: String(r.end / 1000),
    step: String(r.step / 1000),
    ...r.extra,
  });
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/query_range?${qs}`, { headers: auth });
  const body = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`query_range ${r.query}: ${res.status} ${body.slice(0, 300)}`);
  return { ms, body };
}

type TMatrix = { metric: Record<string, string>; values: [number, string][] }[];

/** Largest relative difference between two matrix answers with the same series and timestamps. */
function maxRelDiff(a: string, b: string): number {
  const ra = (JSON.parse(a) as { data: { result: TMatrix } }).data.result;
  const rb = (JSON.parse(b) as { data: { result: TMatrix } }).data.result;
  if (JSON.stringify(ra.map((s) => s.metric)) !== JSON.stringify(rb.map((s) => s.metric))) return Number.NaN;
  let worst = 0;
  ra.forEach((s, i) => {
    const o = rb[i] as TMatrix[number];
    if (s.values.length !== o.values.length) worst = Number.POSITIVE_INFINITY;
    s.values.forEach(([t, v], k) => {
      const [t2, v2] = o.values[k] ?? [Number.NaN, "NaN"];
      if (t !== t2) worst = Number.POSITIVE_INFINITY;
      const x = Number(v);
      const y = Number(v2);
      if (x !== y) worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)));
    });
  });
  return worst;
}

/** Push → point on an open chart: a live query subscription, a push, the event carrying its value. */
async function pushToChart(url: string, runs: number): Promise<number[]> {
  const pushLine = (v: number) =>
    fetch(`${url}/api/v1/push?job=bench_live`, {
      method: "POST",
      headers: auth,
      body: `bench_live_gauge{set="live"} ${v}\n`,
    }).then(async (r) => {
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`push answered ${r.status}`);
    });
  // The series must exist when subscribing: a live query re-runs on commits touching what it read.
  await pushLine(0);
  const socket = connect(url, { transports: ["websocket"], forceNew: true });
  await new Promise<void>((r) => socket.on("connect", () => r()));
  const ack = ZQuerySubscribeAckSchema.parse(
    await socket.emitWithAck("query:subscribe", { query: 'bench_live_gauge{set="live"}', stepMs: 15_000 }),
  );
  if (!ack.ok) throw new Error(ack.error.message);
  const waiting = new Map<number, (t: number) => void>();
  socket.on("query:points", (payload: unknown) => {
    const p = ZQueryPointsSchema.parse(payload);
    if (p.id !== ack.id) return;
    const v = Number(p.result[0]?.value[1]);
    waiting.get(v)?.(performance.now());
  });
  const out: number[] = [];
  for (let i = 1; i <= runs; i++) {
    // Agents push every 10–15 s; a second apart keeps each run clear of the previous evaluation.
    await new Promise((r) => setTimeout(r, 1000 + Math.random() * 200));
    const arrived = new Promise<number>((resolve, reject) => {
      waiting.set(i, resolve);
      setTimeout(() => reject(new Error(`no point for value ${i} within 10 s`)), 10_000);
    });
    const t0 = performance.now();
    await pushLine(i);
    out.push((await arrived) - t0);
    waiting.delete(i);
  }
  socket.close();
  return out;
}

async function benchStore(kind: "pglite" | "postgresql", figures: Record<string, TFigure>) {
  console.log(`\n${kind}:`);
  const env = await storeEnv(kind);
  storeDb = env.env.DATABASE_URL ? new URL(env.env.DATABASE_URL).pathname.slice(1) : "";
  const server = await startServerProcess(
    {
      ...env.env,
      HOTPATH_BOOTSTRAP_KEY: KEY,
      HOTPATH_LOG_LEVEL: "error",
      // The data ends now and spans 24 h, the default raw retention: keep the oldest raw samples for
      // the raw baseline while the figures are taken.
      HOTPATH_RAW_RETENTION: "3d",
    },
    180_000,
  );
  server.child.on("exit", (code, signal) => {
    if (code !== 0) console.error(`\nthe server exited (${code ?? signal}):\n${server.output().slice(-4000)}`);
  });
  try {
    const loadStart = Date.now();
    const from = loadStart - DAY_MS;
    const states = SETS.map((s, i) => newSet(s, from, i + 1));
    const t0 = performance.now();
    const pushed = await push(server.url, states, from, loadStart, 20 * 60_000);
    const loadS = (performance.now() - t0) / 1000;
    console.log(`  ${pushed} samples in ${loadS.toFixed(1)} s (${Math.round(pushed / loadS)} samples/s)`);
    figures[`${kind}.load.samples_per_s`] = figure([pushed / loadS], "samples/s");
    const compactS = await waitCompacted(server.url, 1_800_000);
    figures[`${kind}.load.compaction_wait`] = figure([compactS], "s");
    // The minutes spent loading: pushed now and left to the compactor's normal pace.
    await push(server.url, states, loadStart, Date.now(), 20 * 60_000);

    for (const set of SETS) {
      const runs = kind === "pglite" && set.series >= 1000 ? Math.max(5, Math.round(RUNS / 3)) : RUNS;
      for (const [name, query] of Object.entries(queries(set))) {
        const k = `${kind}.${set.series}series.${name}`;
        // Correctness on the real data: on the minute grid, rollups answer what raw samples answer.
        // (Over 2 h for 1,000 series: raw samples of a whole day take PGlite past the 30 s query timeout.)
        const aligned = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
        const span = set.series > 100 ? 2 * 3_600_000 : DAY_MS - 3_600_000;
        const grid = { query, start: aligned - span, end: aligned, step: 60_000 };
        const viaRollups = await queryRange(server.url, grid);
        const viaRaw = await queryRange(server.url, { ...grid, extra: { max_source_resolution: "raw" } });
        const diff = maxRelDiff(viaRollups.body, viaRaw.body);
        console.log(`  ${k}: rollups vs raw samples on the grid, max relative difference ${diff}`);
        if (!(diff <= 1e-9)) throw new Error(`${k}: rollup answer differs from raw samples (${diff})`);

        const anchor = Date.now();
        /** Times `runs` requests; records wall times and the mean CPU per request of server and store. */
        const measure = async (name: string, n: number, range: (i: number) => TRange) => {
          const wall: number[] = [];
          const cpu0 = await cpu();
          for (let i = 0; i < n; i++) wall.push((await queryRange(server.url, range(i))).ms);
          const cpu1 = await cpu();
          figures[`${k}.${name}`] = figure(wall, "ms", true);
          figures[`${k}.${name}.cpu_server`] = figure([cpuSince(cpu0.server, cpu1.server) / n], "ms/query");
          figures[`${k}.${name}.cpu_store`] = figure([cpuSince(cpu0.store, cpu1.store) / n], "ms/query");
        };
        const cpu = async () => ({
          server: await cpuOf([server.child.pid as number]),
          store: await cpuOf(await storePids()),
        });
        await measure("cold", runs, (i) => {
          const end = anchor - (i + 0.5) * 1000;
          return { query, start: end - DAY_MS, end, step: 60_000, extra: { nocache: "1" } };
        });
        await measure("refresh", runs, (i) => {
          const end = anchor - i * 1000;
          return { query, start: end - DAY_MS, end, step: 60_000 };
        });
        const warmRange = { query, start: anchor + 500 - DAY_MS, end: anchor + 500, step: 60_000 };
        await queryRange(server.url, warmRange);
        await measure("warm", runs, () => warmRange);
        if (RAW_BASELINE && set.series <= 100) {
          const raw: number[] = [];
          for (let i = 0; i < 5; i++) {
            const end = anchor - (runs + i) * 1000;
            const extra = { max_source_resolution: "raw", nocache: "1" };
            const r = { query, start: end - DAY_MS, end, step: 60_000, extra };
            raw.push((await queryRange(server.url, r)).ms);
          }
          figures[`${k}.cold_raw_samples`] = figure(raw, "ms", true);
        }
        const f = (x: string) =>
          `${x} p50 ${figures[`${k}.${x}`]?.median.toFixed(1)} / p95 ${figures[`${k}.${x}`]?.p95?.toFixed(1)} ms (cpu ${figures[`${k}.${x}.cpu_server`]?.median.toFixed(0)} + ${figures[`${k}.${x}.cpu_store`]?.median.toFixed(0)} ms)`;
        console.log(`  ${k}: ${f("cold")}, ${f("refresh")}, ${f("warm")}`);
      }
    }
    // Memory after every query ran (the rollup segment cache holds the sealed hours read).
    figures[`${kind}.server_rss_after_queries`] = figure(
      [(await rssOfPid(server.child.pid as number)) / 2 ** 20],
      "MiB",
    );
    figures[`${kind}.push_to_chart`] = figure(await pushToChart(server.url, LIVE_RUNS), "ms", true);
  } catch (err) {
    console.error(`server output:\n${server.output().slice(-4000)}`);
    throw err;
  } finally {
    await server.stop();
    await env.cleanup();
  }
}

const startedAt = new Date();
const figures: Record<string, TFigure> = {};
// Other work on the machine skews every figure: say how busy it was.
const { loadavg } = await import("node:os");
const loads: number[] = [];
const loadTimer = setInterval(() => loads.push(loadavg()[0] as number), 5000);
for (const kind of STORES) await benchStore(kind, figures);
clearInterval(loadTimer);
figures[`machine.${STORES.join("+")}.load_average_1m`] = figure(
  loads.length > 0 ? loads : [loadavg()[0] as number],
  "runnable",
);
let stores = STORES.join("+");
if (process.env.BENCH_KEEP === "1") {
  const previous = (await readResult("query").catch(() => undefined)) as
    | { store: string; figures: Record<string, TFigure> }
    | undefined;
  for (const [k, f] of Object.entries(previous?.figures ?? {})) {
    if (!STORES.some((s) => k.startsWith(`${s}.`) || k.startsWith(`machine.${s}`))) figures[k] ??= f;
  }
  const all = new Set([...(previous?.store.split("+") ?? []), ...STORES]);
  stores = ["pglite", "postgresql"].filter((s) => all.has(s)).join("+");
}
const file = await writeResult("query", stores, startedAt, figures);
printTable(figures);
if (STORES.includes("postgresql")) {
  const check = (name: string, limit: number) => {
    const f = figures[name];
    if (f?.p95 === undefined) return;
    console.log(`${f.p95 <= limit ? "ok  " : "MISS"} ${name} p95 ${f.p95.toFixed(1)} ms (target ≤ ${limit} ms)`);
  };
  console.log("");
  for (const q of ["rate", "histogram_quantile"]) {
    check(`postgresql.100series.${q}.cold`, 150);
    check(`postgresql.100series.${q}.refresh`, 150);
    check(`postgresql.100series.${q}.warm`, 10);
  }
  check("postgresql.push_to_chart", 1000);
}
console.log(`\nwritten to ${file}`);
