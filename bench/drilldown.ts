// npm run bench:drilldown — latency of the Queries page over 1,000,000 spans (target: p95 ≤ 300 ms on
// PostgreSQL): each API call the page and the query detail page make (the hooks' exact parameters), the
// server-rendered /queries HTML, and the time until a browser shows the table.
//
//   STORE=postgresql (default; BENCH_DATABASE_URL, else DATABASE_URL_TEST, else the local server;
//   bench/results/drilldown.json) or STORE=pglite (bench/results/drilldown-pglite.json);
//   BENCH_SPANS (default 1,000,000 on PostgreSQL, 100,000 on PGlite), BENCH_RUNS (30 per API figure,
//   after 3 warm-up calls), BENCH_PAGE_RUNS (10 browser loads), BENCH_UI=off to skip the page figures
//   (no Next build, no browser), BENCH_PG_JIT=off to run with PostgreSQL's JIT off (set on the
//   benchmark's database), for comparison with the default.
//
// How the spans get there: generated inside the database (bench/drilldown-workload.ts, INSERT … SELECT
// generate_series), not pushed as OTLP. What is measured is reading; the rows are those ingest would
// store (spanRow: the same columns and attributes, trace trees, 24 h of arrival-ordered timestamps), and
// generating them takes ~25 s for a million on PostgreSQL where pushing them through ingest (createMany
// at ~10k rows/s, plus OTLP encoding and decoding) would take minutes. bench:ingest measures writing.
// After loading, VACUUM ANALYZE: the state autovacuum brings an insert-only table to shortly after.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { chromium } from "@playwright/test";
import pg from "pg";
import { buildIfStale } from "../scripts/build-if-stale";
import { insertTracesSql, SERVICES } from "./drilldown-workload";
import { figure, printTable, type TFigure, writeResult } from "./lib";

const STORE = process.env.STORE === "pglite" ? "pglite" : "postgresql";
const SPANS = Number(process.env.BENCH_SPANS ?? (STORE === "pglite" ? 100_000 : 1_000_000));
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const WARMUP = 3;
const PAGE_RUNS = Number(process.env.BENCH_PAGE_RUNS ?? 10);
const UI = process.env.BENCH_UI !== "off";
const JIT_OFF = process.env.BENCH_PG_JIT === "off";
const SPANS_PER_TRACE = 10;
const CHUNK_TRACES = 20_000;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const KEY = `bench-${randomBytes(12).toString("hex")}`;

// The harness reads DATABASE_URL_TEST when it loads, so it is imported once that is settled.
process.env.DATABASE_URL_TEST ||= process.env.BENCH_DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
const { freshPostgres, startServerProcess, tempDir } = await import("../server/test/harness");

type TServer = Awaited<ReturnType<typeof startServerProcess>>;

function serverEnv(store: Record<string, string>): Record<string, string> {
  return {
    ...store,
    HOTPATH_BOOTSTRAP_KEY: KEY,
    HOTPATH_LOG_LEVEL: "error",
    HOTPATH_UI: UI ? "on" : "off",
    NEXT_TELEMETRY_DISABLED: "1",
    // The data ends now and covers 24 h, the default raw retention: keep the compactor from deleting
    // the oldest spans while the figures are taken, so every run reads the same million.
    HOTPATH_RAW_RETENTION: "2d",
  };
}

async function load(exec: (sql: string) => Promise<unknown>, spans: number): Promise<number> {
  const traces = Math.ceil(spans / SPANS_PER_TRACE);
  const w = { traces, endNs: BigInt(Date.now()) * 1_000_000n, rangeMs: DAY_MS };
  const t0 = performance.now();
  for (let from = 0; from < traces; from += CHUNK_TRACES) {
    await exec(insertTracesSql(w, from, Math.min(traces, from + CHUNK_TRACES)));
    process.stdout.write(`\rloading spans: ${Math.min(traces, from + CHUNK_TRACES) * SPANS_PER_TRACE}`);
  }
  const ms = performance.now() - t0;
  console.log(` in ${(ms / 1000).toFixed(1)} s (${Math.round((traces * SPANS_PER_TRACE) / (ms / 1000))} spans/s)`);
  return ms;
}

/** A Hotpath on a fresh store holding the generated spans. */
async function prepare(): Promise<{ server: TServer; loadMs: number; spans: number; cleanup(): Promise<void> }> {
  if (STORE === "postgresql") {
    const db = await freshPostgres();
    if (JIT_OFF) {
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      await admin.query(`ALTER DATABASE "${new URL(db.url).pathname.slice(1)}" SET jit = off`);
      await admin.end();
    }
    const server = await startServerProcess(serverEnv({ DATABASE_URL: db.url }), 180_000);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const loadMs = await load((sql) => client.query(sql), SPANS);
      await client.query("VACUUM ANALYZE span");
      const spans = Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM span")).rows[0]?.n);
      return { server, loadMs, spans, cleanup: db.drop };
    } finally {
      await client.end();
    }
  }
  // PGlite has one writer: start Hotpath once for its migrations, stop it, load the directory in this
  // process, then start Hotpath on it again.
  const tmp = await tempDir("hotpath-bench-dd-");
  const env = serverEnv({ HOTPATH_DATA_DIR: tmp.dir });
  await (await startServerProcess({ ...env, HOTPATH_UI: "off" })).stop();
  const db = await PGlite.create(path.join(tmp.dir, "pglite"));
  let loadMs: number;
  let spans: number;
  try {
    loadMs = await load((sql) => db.exec(sql), SPANS);
    await db.exec("VACUUM ANALYZE span");
    spans = Number((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM span")).rows[0]?.n);
  } finally {
    await db.close();
  }
  const server = await startServerProcess(env, 180_000);
  return { server, loadMs, spans, cleanup: tmp.remove };
}

// ---------------------------------------------------------------- the calls the pages make

type TCall = { name: string; path: (now: number) => string };

/** What useQueryStatsQuery sends: `{ service, db, sort, limit: 200, start, end }`, unset ones left out. */
function queriesCall(name: string, rangeMs: number, o: { sort?: string; service?: string; db?: string } = {}): TCall {
  return {
    name,
    path: (now) => {
      const qs = new URLSearchParams();
      if (o.service) qs.set("service", o.service);
      if (o.db) qs.set("db", o.db);
      qs.set("sort", o.sort ?? "total");
      qs.set("limit", "200");
      qs.set("start", String(now - rangeMs));
      qs.set("end", String(now));
      return `/api/queries?${qs}`;
    },
  };
}

/** What useQueryDetailQuery sends for a fingerprint: `{ start, end }`. */
function detailCall(name: string, fingerprint: string, rangeMs: number): TCall {
  return { name, path: (now) => `/api/queries/${fingerprint}?start=${now - rangeMs}&end=${now}` };
}

async function get(base: string, p: string): Promise<{ ms: number; status: number; body: string }> {
  const started = performance.now();
  const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${KEY}`, accept: "application/json" } });
  const body = await res.text();
  return { ms: performance.now() - started, status: res.status, body };
}

async function timeCall(base: string, call: TCall): Promise<number[]> {
  const runs: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const r = await get(base, call.path(Date.now()));
    if (r.status !== 200) throw new Error(`${call.name}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
    if (i >= WARMUP) runs.push(r.ms);
  }
  return runs;
}

/** Plain GETs of the server-rendered page (no browser): what the first byte of a visit costs. */
async function timeHtml(base: string, p: string): Promise<number[]> {
  const runs: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const started = performance.now();
    const res = await fetch(`${base}${p}`);
    const html = await res.text();
    if (res.status !== 200 || !html.includes("</html>")) throw new Error(`${p}: HTTP ${res.status}`);
    if (i >= WARMUP) runs.push(performance.now() - started);
  }
  return runs;
}

type TBrowserRuns = { rendered: number[]; apiSentAt: number[]; api: number[]; afterApi: number[] };

/**
 * Browser loads of `p` until `ready` is visible (one context, so the JS bundles are cached as for a
 * returning user; 2 loads of warm-up), split into: until the page sends its call to `apiPrefix`
 * (HTML, scripts, hydration), the call as the browser saw it, and from its answer to `ready` (render).
 */
async function timeBrowser(
  base: string,
  p: string,
  ready: (page: import("@playwright/test").Page) => import("@playwright/test").Locator,
  apiPrefix: string,
): Promise<TBrowserRuns> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
  const out: TBrowserRuns = { rendered: [], apiSentAt: [], api: [], afterApi: [] };
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    for (let i = 0; i < 2 + PAGE_RUNS; i++) {
      const page = await context.newPage();
      const apiDone = page.waitForEvent("requestfinished", {
        predicate: (r) => new URL(r.url()).pathname.startsWith(apiPrefix),
        timeout: 60_000,
      });
      const startedEpoch = Date.now();
      const started = performance.now();
      await page.goto(`${base}${p}`, { waitUntil: "commit" });
      await ready(page).waitFor({ state: "visible", timeout: 60_000 });
      const ms = performance.now() - started;
      const t = (await apiDone).timing();
      if (i >= 2) {
        const sentAt = t.startTime - startedEpoch;
        out.rendered.push(ms);
        out.apiSentAt.push(sentAt);
        out.api.push(t.responseEnd);
        out.afterApi.push(ms - sentAt - t.responseEnd);
      }
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return out;
}

function browserFigures(figures: Record<string, TFigure>, prefix: string, runs: TBrowserRuns) {
  figures[`${prefix}.rendered`] = figure(runs.rendered, "ms", true);
  figures[`${prefix}.api_sent_at`] = figure(runs.apiSentAt, "ms", true);
  figures[`${prefix}.api_in_browser`] = figure(runs.api, "ms", true);
  figures[`${prefix}.render_after_api`] = figure(runs.afterApi, "ms", true);
}

// ---------------------------------------------------------------- run

if (UI) buildIfStale();
const startedAt = new Date();
console.log(`bench:drilldown on ${STORE}${JIT_OFF ? " (jit off)" : ""}, ${SPANS.toLocaleString("en-US")} spans`);
const { server, loadMs, spans, cleanup } = await prepare();
// Ctrl-C must not leave a Hotpath (and its database) behind.
process.once(
  "SIGINT",
  () =>
    void server
      .stop()
      .then(cleanup, cleanup)
      .finally(() => process.exit(130)),
);
const figures: Record<string, TFigure> = {};
try {
  const base = server.url;
  const top = JSON.parse((await get(base, queriesCall("", DAY_MS).path(Date.now()))).body) as {
    queries: { fingerprint: string; text: string }[];
    fingerprints: number;
    totalCalls: number;
  };
  const fp = top.queries[0]?.fingerprint;
  if (!fp) throw new Error("no fingerprint in the last 24 h: the spans did not load");
  // The most called statement too: its detail reads the most spans (the costliest is rarer).
  const busiest = (
    JSON.parse((await get(base, queriesCall("", DAY_MS, { sort: "calls" }).path(Date.now()))).body) as {
      queries: { fingerprint: string }[];
    }
  ).queries[0]?.fingerprint as string;
  console.log(
    `${spans.toLocaleString("en-US")} spans stored; last 24 h: ${top.fingerprints} fingerprints, ${top.totalCalls.toLocaleString("en-US")} DB calls; top: ${top.queries[0]?.text.slice(0, 80)}`,
  );
  figures["dataset.spans"] = figure([spans], "spans");
  figures["dataset.load"] = figure([loadMs / 1000], "s");

  const calls: TCall[] = [
    // The Queries page on load: default range (last hour), sorted by total time.
    queriesCall("api.queries.1h.default", HOUR_MS),
    queriesCall("api.queries.1h.service", HOUR_MS, { service: SERVICES[0] }),
    queriesCall("api.queries.1h.db", HOUR_MS, { db: "catalog" }),
    queriesCall("api.queries.1h.sort_p95", HOUR_MS, { sort: "p95" }),
    detailCall("api.query_detail.1h", fp, HOUR_MS),
    detailCall("api.query_detail.1h.most_called", busiest, HOUR_MS),
    // "Last 24 hours": the whole million.
    queriesCall("api.queries.24h", DAY_MS),
    queriesCall("api.queries.24h.service", DAY_MS, { service: SERVICES[0] }),
    queriesCall("api.queries.24h.db", DAY_MS, { db: "catalog" }),
    queriesCall("api.queries.24h.sort_p95", DAY_MS, { sort: "p95" }),
    detailCall("api.query_detail.24h", fp, DAY_MS),
  ];
  for (const call of calls) {
    figures[call.name] = figure(await timeCall(base, call), "ms", true);
    const f = figures[call.name] as TFigure;
    console.log(`${call.name}: median ${f.median.toFixed(1)} ms, p95 ${f.p95?.toFixed(1)} ms`);
  }
  if (UI) {
    figures["page.queries.html"] = figure(await timeHtml(base, "/queries"), "ms", true);
    const list = await timeBrowser(
      base,
      "/queries",
      (page) => page.getByRole("table", { name: "Queries by fingerprint" }).locator("tbody tr").first(),
      "/api/queries",
    );
    browserFigures(figures, "page.queries", list);
    const detail = await timeBrowser(
      base,
      `/queries/${fp}`,
      (page) => page.getByRole("heading", { name: "Plan", level: 2 }),
      `/api/queries/${fp}`,
    );
    browserFigures(figures, "page.query_detail", detail);
  }
} finally {
  await server.stop();
  await cleanup();
}
// One file per store, so that a PGlite run does not replace the PostgreSQL figures.
const file = await writeResult(
  STORE === "pglite" ? "drilldown-pglite" : "drilldown",
  STORE === "postgresql" && JIT_OFF ? "postgresql (jit off)" : STORE,
  startedAt,
  figures,
);
console.log("");
printTable(figures);
const over = Object.entries(figures).filter(([k, f]) => k.startsWith("api.") && (f.p95 ?? 0) > 300);
if (STORE === "postgresql") {
  console.log(
    over.length === 0
      ? "\nevery API call: p95 ≤ 300 ms"
      : `\np95 > 300 ms: ${over.map(([k, f]) => `${k} (${f.p95?.toFixed(0)} ms)`).join(", ")}`,
  );
}
console.log(`written to ${file}`);
