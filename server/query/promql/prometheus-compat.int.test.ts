// Compatibility with the real thing: the same synthetic samples (counters with resets, gauges with a
// gap, a classic histogram) are remote-written to Prometheus 2.42 and to Hotpath, and
// /api/v1/query_range and /api/v1/query must agree for every query below (values within 1e-9
// relative), including which series and timestamps are present.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 as rng } from "../../../lib/random";
import { encodeRemoteWrite, type TRemoteWriteRequestIn } from "../../ingest/parse/remote-write";
import { tempDir } from "../../test/harness";
import { startQueryServer, type TQueryServer } from "./test-support";

const PROMETHEUS = "/usr/bin/prometheus";
const HAVE_PROMETHEUS = existsSync(PROMETHEUS);
const KEY = "compat-bootstrap-secret-0123456789";

if (!HAVE_PROMETHEUS) {
  const bar = "!".repeat(78);
  console.warn(
    `\n${bar}\n!! SKIPPED the PromQL compatibility tests: ${PROMETHEUS} is missing (apt-get install -y prometheus)\n${bar}\n`,
  );
}

const STEP_S = 15;
const SAMPLES = 121; // 30 minutes every 15 s

type TSeries = { labels: Record<string, string>; samples: { timestamp: number; value: number }[] };

function generate(baseMs: number): TSeries[] {
  const rand = rng(42);
  const at = (i: number) => baseMs + i * STEP_S * 1000 + Math.floor(rand() * 1000) - 500;
  const out: TSeries[] = [];
  const series = (labels: Record<string, string>, value: (i: number) => number | undefined) => {
    const samples: TSeries["samples"] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t = at(i);
      const v = value(i);
      if (v !== undefined) samples.push({ timestamp: t, value: v });
    }
    out.push({ labels, samples });
  };
  const counter = (resets: number[], startAt = 0, scale = 20) => {
    let c = 0;
    return (i: number) => {
      if (i < startAt) return undefined;
      if (resets.includes(i)) c = Math.floor(rand() * 3);
      else c += Math.floor(rand() * scale);
      return c;
    };
  };
  series({ __name__: "http_requests_total", job: "api", instance: "a", method: "GET" }, counter([40, 90]));
  series({ __name__: "http_requests_total", job: "api", instance: "b", method: "POST" }, counter([], 0, 7));
  series({ __name__: "http_requests_total", job: "worker", instance: "c", method: "GET" }, counter([60], 10, 50));
  series({ __name__: "http_requests_total", job: "worker", instance: "c", method: "PUT" }, counter([], 30, 3));
  const gauge = (lo: number, hi: number, gap?: [number, number]) => (i: number) =>
    gap && i >= gap[0] && i < gap[1] ? undefined : Math.round((lo + rand() * (hi - lo)) * 1000) / 1000;
  series({ __name__: "temperature_celsius", job: "api", instance: "a" }, gauge(10, 30));
  series({ __name__: "temperature_celsius", job: "api", instance: "b" }, gauge(-5, 25));
  series({ __name__: "temperature_celsius", job: "worker", instance: "c" }, gauge(15, 35, [50, 75]));
  series({ __name__: "memory_bytes", job: "api", instance: "a" }, () => Math.floor(1e9 + rand() * 1e8));
  series({ __name__: "memory_bytes", job: "api", instance: "b" }, () => Math.floor(5e8 + rand() * 1e8));
  series({ __name__: "up", job: "api", instance: "a" }, () => 1);
  series({ __name__: "up", job: "api", instance: "b" }, (i) => (i % 20 < 15 ? 1 : 0));
  series({ __name__: "build_info", job: "api", instance: "a", version: "1.2.3" }, () => 1);
  series({ __name__: "build_info", job: "api", instance: "b", version: "1.3.0" }, () => 1);
  series({ __name__: "build_info", job: "worker", instance: "c", version: "0.9" }, () => 1);

  // Special values: NaN and infinities now and then, and two series with equal values (ties).
  const special = (i: number, k: number) =>
    (i + k) % 17 === 0
      ? Number.NaN
      : (i + k) % 23 === 0
        ? Number.POSITIVE_INFINITY
        : (i + k) % 29 === 0
          ? -1 / 0
          : i % 7;
  series({ __name__: "odd_values", job: "x", instance: "a" }, (i) => special(i, 0));
  series({ __name__: "odd_values", job: "x", instance: "b" }, (i) => special(i, 5));
  series({ __name__: "odd_values", job: "x", instance: "c" }, (i) => special(i, 11));
  series({ __name__: "tied", job: "x", instance: "a" }, (i) => i % 3);
  series({ __name__: "tied", job: "x", instance: "b" }, (i) => i % 3);
  series({ __name__: "tied", job: "x", instance: "c" }, (i) => (i + 1) % 3);

  // A classic histogram per instance; instance b's process restarts at sample 80.
  const bounds = ["0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"];
  for (const instance of ["a", "b"]) {
    const counts = bounds.map(() => [] as number[]);
    const sums: number[] = [];
    let cum = bounds.map(() => 0);
    let sum = 0;
    for (let i = 0; i < SAMPLES; i++) {
      if (instance === "b" && i === 80) {
        cum = bounds.map(() => 0);
        sum = 0;
      }
      const n = Math.floor(rand() * 30);
      for (let k = 0; k < n; k++) {
        const obs = rand() ** 2 * 3;
        sum += obs;
        bounds.forEach((b, j) => {
          if (obs <= Number(b === "+Inf" ? Number.POSITIVE_INFINITY : b)) cum[j] = (cum[j] as number) + 1;
        });
      }
      bounds.forEach((_, j) => {
        (counts[j] as number[]).push(cum[j] as number);
      });
      sums.push(sum);
    }
    const times = Array.from({ length: SAMPLES }, (_, i) => at(i));
    bounds.forEach((le, j) => {
      out.push({
        labels: { __name__: "request_duration_seconds_bucket", job: "api", instance, le },
        samples: times.map((t, i) => ({ timestamp: t, value: (counts[j] as number[])[i] as number })),
      });
    });
    out.push({
      labels: { __name__: "request_duration_seconds_sum", job: "api", instance },
      samples: times.map((t, i) => ({ timestamp: t, value: sums[i] as number })),
    });
    out.push({
      labels: { __name__: "request_duration_seconds_count", job: "api", instance },
      samples: times.map((t, i) => ({ timestamp: t, value: (counts[bounds.length - 1] as number[])[i] as number })),
    });
  }
  return out;
}

/** Time-ordered batches (Prometheus refuses samples far behind its head), labels sorted. */
function batches(series: TSeries[], baseMs: number, batchMs: number): TRemoteWriteRequestIn[] {
  const out: TRemoteWriteRequestIn[] = [];
  for (let from = baseMs - 1000; from < baseMs + SAMPLES * STEP_S * 1000 + 1000; from += batchMs) {
    const timeseries = series
      .map((s) => ({
        labels: Object.keys(s.labels)
          .sort()
          .map((name) => ({ name, value: s.labels[name] as string })),
        samples: s.samples.filter((x) => x.timestamp >= from && x.timestamp < from + batchMs),
      }))
      .filter((s) => s.samples.length > 0);
    if (timeseries.length > 0) out.push({ timeseries });
  }
  return out;
}

async function remoteWrite(url: string, req: TRemoteWriteRequestIn, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      ...headers,
      "content-type": "application/x-protobuf",
      "content-encoding": "snappy",
      "x-prometheus-remote-write-version": "0.1.0",
    },
    body: new Uint8Array(encodeRemoteWrite(req)),
  });
  if (res.status !== 204 && res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

type TPromResponse = {
  status: string;
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown };
};

type TMatrixEntry = { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] };

const REL_TOLERANCE = 1e-9;

function sameValue(a: string, b: string): boolean {
  if (a === b) return true;
  const x = Number(a);
  const y = Number(b);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  return Math.abs(x - y) <= REL_TOLERANCE * Math.max(Math.abs(x), Math.abs(y));
}

/** Differences between two successful answers, as readable lines (empty when they agree). */
function compare(prom: TPromResponse, hot: TPromResponse): string[] {
  const diffs: string[] = [];
  if (prom.status !== "success") return [`prometheus failed: ${prom.error}`];
  if (hot.status !== "success") return [`hotpath failed: ${hot.errorType}: ${hot.error}`];
  const pd = prom.data as NonNullable<TPromResponse["data"]>;
  const hd = hot.data as NonNullable<TPromResponse["data"]>;
  if (pd.resultType !== hd.resultType) return [`resultType ${hd.resultType}, Prometheus says ${pd.resultType}`];
  if (pd.resultType === "scalar" || pd.resultType === "string") {
    const [pt, pv] = pd.result as [number, string];
    const [ht, hv] = hd.result as [number, string];
    if (pt !== ht || !(pd.resultType === "string" ? pv === hv : sameValue(pv, hv))) {
      diffs.push(`result ${JSON.stringify(hd.result)}, Prometheus says ${JSON.stringify(pd.result)}`);
    }
    return diffs;
  }
  const key = (m: Record<string, string>) =>
    JSON.stringify(
      Object.keys(m)
        .sort()
        .map((k) => [k, m[k]]),
    );
  const points = (e: TMatrixEntry) => e.values ?? (e.value ? [e.value] : []);
  const pm = new Map((pd.result as TMatrixEntry[]).map((e) => [key(e.metric), points(e)]));
  const hm = new Map((hd.result as TMatrixEntry[]).map((e) => [key(e.metric), points(e)]));
  for (const k of pm.keys()) if (!hm.has(k)) diffs.push(`missing series ${k}`);
  for (const k of hm.keys()) if (!pm.has(k)) diffs.push(`extra series ${k}`);
  for (const [k, pv] of pm) {
    const hv = hm.get(k);
    if (!hv) continue;
    const pTimes = pv.map((p) => p[0]).join(",");
    const hTimes = hv.map((p) => p[0]).join(",");
    if (pTimes !== hTimes) {
      diffs.push(`series ${k}: timestamps [${hTimes}], Prometheus has [${pTimes}]`);
      continue;
    }
    pv.forEach((p, i) => {
      const h = hv[i] as [number, string];
      if (!sameValue(p[1], h[1])) diffs.push(`series ${k} at ${p[0]}: ${h[1]}, Prometheus says ${p[1]}`);
    });
  }
  return diffs;
}

// Every range query is run over the whole data set at a 30 s step (and the ones marked with a
// second step also at 7 s, which falls between samples).
const RANGE_QUERIES: string[] = [
  "http_requests_total",
  "rate(http_requests_total[5m])",
  "rate(http_requests_total[1m])",
  "rate(http_requests_total[20s])",
  "irate(http_requests_total[1m])",
  "increase(http_requests_total[10m])",
  "increase(http_requests_total[2m])",
  "delta(temperature_celsius[5m])",
  "idelta(temperature_celsius[2m])",
  "deriv(temperature_celsius[5m])",
  "predict_linear(temperature_celsius[10m], 600)",
  "changes(temperature_celsius[5m])",
  "resets(http_requests_total[15m])",
  "sum by (job) (rate(http_requests_total[5m]))",
  "sum(rate(http_requests_total[5m])) by (job, method)",
  "sum without (instance, method) (rate(http_requests_total[5m]))",
  "sum(http_requests_total)",
  "avg by (job) (temperature_celsius)",
  "avg(temperature_celsius)",
  "min(temperature_celsius)",
  "max by (job) (temperature_celsius)",
  "count by (job) (temperature_celsius)",
  "count without (instance) (http_requests_total)",
  "stddev(temperature_celsius)",
  "stdvar by (job) (temperature_celsius)",
  "quantile(0.75, temperature_celsius)",
  "quantile by (job) (0.5, rate(http_requests_total[5m]))",
  "group by (job) (temperature_celsius)",
  'count_values("v", up)',
  "avg_over_time(temperature_celsius[5m])",
  "sum_over_time(temperature_celsius[5m])",
  "min_over_time(temperature_celsius[10m])",
  "max_over_time(temperature_celsius[10m])",
  "count_over_time(temperature_celsius[5m])",
  "last_over_time(temperature_celsius[10m])",
  "quantile_over_time(0.9, temperature_celsius[10m])",
  "stddev_over_time(temperature_celsius[5m])",
  "stdvar_over_time(memory_bytes[5m])",
  "present_over_time(temperature_celsius[1m])",
  'absent_over_time(temperature_celsius{instance="c"}[1m])',
  'absent(temperature_celsius{instance="c", job="worker"})',
  "histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
  "histogram_quantile(0.5, rate(request_duration_seconds_bucket[5m]))",
  "histogram_quantile(0.99, sum by (job, le) (increase(request_duration_seconds_bucket[10m])))",
  "histogram_quantile(0.25, request_duration_seconds_bucket)",
  "rate(request_duration_seconds_sum[5m]) / rate(request_duration_seconds_count[5m])",
  "topk(2, temperature_celsius)",
  "topk by (job) (1, temperature_celsius)",
  "bottomk(1, rate(http_requests_total[5m]))",
  "bottomk(2, memory_bytes)",
  "temperature_celsius * 2 + 1",
  "2 * temperature_celsius - 3 / temperature_celsius",
  "memory_bytes / 1024 / 1024",
  "memory_bytes % 1000",
  "2 ^ (temperature_celsius / 10)",
  "-temperature_celsius",
  "temperature_celsius * on(job, instance) group_left(version) build_info",
  "build_info * on(job, instance) group_right(version) temperature_celsius",
  "rate(http_requests_total[5m]) / on(job, instance) group_left sum by (job, instance) (rate(http_requests_total[5m]))",
  "temperature_celsius - ignoring(instance) group_left avg without (instance) (temperature_celsius)",
  "memory_bytes / on(instance) temperature_celsius",
  "memory_bytes / ignoring(job) temperature_celsius",
  "temperature_celsius + memory_bytes",
  "temperature_celsius > 20",
  "temperature_celsius > bool 20",
  "20 < temperature_celsius",
  "20 >= bool temperature_celsius",
  "temperature_celsius != 15.5",
  "temperature_celsius == bool temperature_celsius",
  "temperature_celsius > on(job, instance) (memory_bytes / 5e7)",
  "count(temperature_celsius > 15)",
  "1 > bool 2",
  "temperature_celsius and on(instance) up == 1",
  "temperature_celsius or on(job) up",
  'temperature_celsius unless on(instance) up{instance="a"}',
  "up or temperature_celsius",
  "scalar(sum(up))",
  "temperature_celsius * scalar(count(up))",
  "vector(1) + 1",
  "time()",
  "time() - timestamp(temperature_celsius)",
  "timestamp(temperature_celsius offset 2m)",
  "temperature_celsius offset 5m",
  "temperature_celsius offset -1m",
  "rate(http_requests_total[5m] offset 10m)",
  "abs(temperature_celsius - 20)",
  "sgn(temperature_celsius - 20)",
  "clamp_min(temperature_celsius, 15)",
  "clamp_max(temperature_celsius, 15)",
  "clamp(temperature_celsius, 12, 25)",
  "round(temperature_celsius, 0.5)",
  "round(temperature_celsius)",
  "ceil(temperature_celsius)",
  "floor(temperature_celsius)",
  "sqrt(memory_bytes)",
  "ln(memory_bytes)",
  "log2(memory_bytes)",
  "log10(memory_bytes)",
  "exp(temperature_celsius / 10)",
  'label_replace(temperature_celsius, "host", "h-$1", "instance", "(.*)")',
  'label_join(temperature_celsius, "id", "/", "job", "instance")',
  "minute(timestamp(temperature_celsius))",
  "hour()",
  "sum(rate(http_requests_total[5m])) + sum(rate(http_requests_total[1m]))",
  "(temperature_celsius)",
  'sum by (job) (rate(http_requests_total{method=~"G.*|P.*", job!="nope"}[5m]))',
  '{__name__=~"temperature_.*", instance!~"b"}',
  "memory_bytes atan2 temperature_celsius",
  "odd_values",
  "sum(odd_values)",
  "avg(odd_values)",
  "max(odd_values)",
  "min(odd_values)",
  "stddev(odd_values)",
  "quantile(0.5, odd_values)",
  "topk(1, odd_values)",
  "bottomk(2, odd_values)",
  "odd_values > 3",
  "odd_values / 0",
  "odd_values % 2",
  "-odd_values ^ 2",
  "avg_over_time(odd_values[2m])",
  "sum_over_time(odd_values[2m])",
  "max_over_time(odd_values[2m])",
  "min_over_time(odd_values[2m])",
  "stddev_over_time(odd_values[2m])",
  "quantile_over_time(0.3, odd_values[2m])",
  "rate(odd_values[1m])",
  "delta(odd_values[1m])",
  "deriv(odd_values[2m])",
  "changes(odd_values[3m])",
  "clamp(odd_values, 1, 5)",
  "round(odd_values / 3, 0.1)",
  "topk(1, tied)",
  "topk(2, tied)",
  "bottomk(1, tied)",
  "bottomk(2, tied)",
  "sort_desc(tied)",
  "sum + count_values",
  'sum by (job) (rate(http_requests_total{job=~"(?i)API|Worker"}[5m]))',
];
const SECOND_STEP = new Set([
  "rate(http_requests_total[5m])",
  "irate(http_requests_total[1m])",
  "increase(http_requests_total[2m])",
  "temperature_celsius",
  "temperature_celsius offset 5m",
  "avg_over_time(temperature_celsius[5m])",
  "histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
  "topk(2, temperature_celsius)",
]);
RANGE_QUERIES.push("temperature_celsius");

// At a 60 s step Hotpath answers from 1 m rollups (server/query/resolution.ts); on the minute grid that
// must still be Prometheus's answer, counter resets, gaps and special values included.
const ROLLUP_QUERIES = [
  "rate(http_requests_total[5m])",
  "increase(http_requests_total[2m])",
  "sum by (job) (rate(http_requests_total[5m]))",
  "delta(temperature_celsius[5m])",
  "temperature_celsius",
  "temperature_celsius offset 5m",
  "avg_over_time(temperature_celsius[5m])",
  "min_over_time(temperature_celsius[3m])",
  "max_over_time(temperature_celsius[3m])",
  "sum_over_time(temperature_celsius[2m])",
  "count_over_time(temperature_celsius[5m])",
  "last_over_time(temperature_celsius[1m])",
  "present_over_time(temperature_celsius[1m])",
  "max_over_time(odd_values[2m])",
  "min_over_time(odd_values[2m])",
  "count_over_time(odd_values[3m])",
  "histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
  "histogram_quantile(0.5, rate(request_duration_seconds_bucket[2m]))",
];

// Broken queries whose error message (text and position) must be Prometheus's. Hotpath differs on
// purpose for subqueries and `@` (unsupported) and in the wording of regular-expression errors.
const PARSE_ERRORS = [
  "rate(foo)",
  "sum(",
  "foo{a=}",
  "1 > 2",
  "foo offset 5m offset 1m",
  "topk(3)",
  "rate(foo[5m]}",
  "foo{",
  "foo)",
  "(foo",
  "foo[5m",
  "sum by (a (foo)",
  'foo{a="b" c="d"}',
  "1 +",
  "foo bar",
  "rate(foo[5m], 1)",
  "unknown_fn(foo)",
  "foo[5m] + 1",
  "sum(foo[5m])",
  "foo and 1",
  "foo + on(a) group_left(a) bar",
  "foo and on(a) group_left bar",
  "$",
  "foo[5x]",
  "foo[1.5m]",
  "foo offset 5m[1m]",
  "(foo)[5m]",
  "(foo) offset 5m",
  "round(foo, 1, 2)",
  "label_join(foo)",
  "histogram_quantile(foo, bar)",
  'foo{__name__="bar"}',
  "{}",
  '"unterminated',
  "sum without(a) (foo) by (b)",
  "foo\n  + )",
  "sum()",
  "foo offset 0s",
  "foo =~ bar",
  "0x",
  "on",
  "scalar(foo[5m])",
];

const INSTANT_QUERIES: string[] = [
  "temperature_celsius",
  "temperature_celsius[2m]",
  "rate(http_requests_total[5m])",
  "topk(3, memory_bytes)",
  "1 + 1",
  '"hello"',
  "scalar(up)",
  "sort(odd_values)",
  "sort_desc(odd_values)",
  "topk(2, tied)",
  "bottomk(2, tied)",
  "sort(tied)",
  "sort_desc(tied)",
  "histogram_quantile(0.5, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
];

describe.skipIf(!HAVE_PROMETHEUS)("PromQL compatibility with Prometheus 2.42", () => {
  let prom: ChildProcess | undefined;
  let promUrl = "";
  let promOutput = "";
  let hotpath: TQueryServer;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let baseMs = 0;
  const stats = { compared: 0, matched: 0 };

  beforeAll(async () => {
    tmp = await tempDir("hotpath-promcompat-");
    const config = path.join(tmp.dir, "prometheus.yml");
    await writeFile(config, "global:\n  scrape_interval: 1h\nscrape_configs: []\n");
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(tmp.dir, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--web.enable-remote-write-receiver",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prom.stdout?.on("data", (d) => {
      promOutput += d;
    });
    prom.stderr?.on("data", (d) => {
      promOutput += d;
    });
    hotpath = await startQueryServer("pglite", KEY);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`${promUrl}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`prometheus did not become ready:\n${promOutput}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // 35 minutes ago, on a whole second: the data runs from there for 30 minutes.
    baseMs = Math.floor(Date.now() / 1000) * 1000 - 35 * 60_000;
    const data = generate(baseMs);
    for (const req of batches(data, baseMs, 5 * 60_000)) {
      await remoteWrite(`${promUrl}/api/v1/write`, req);
      await remoteWrite(`${hotpath.ingestUrl}/api/v1/write`, req, { authorization: `Bearer ${KEY}` });
    }
  }, 120_000);

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom?.once("exit", r));
      prom.kill("SIGTERM");
      await exited;
    }
    await hotpath?.stop();
    await tmp?.remove();
    if (stats.compared > 0) {
      console.log(
        `PromQL compatibility: ${stats.matched} of ${stats.compared} query evaluations matched Prometheus 2.42`,
      );
    }
  });

  const get = async (url: string, params: Record<string, string>, auth = false): Promise<TPromResponse> => {
    const res = await fetch(`${url}?${new URLSearchParams(params)}`, {
      headers: auth ? { authorization: `Bearer ${KEY}` } : {},
    });
    return (await res.json()) as TPromResponse;
  };

  const check = async (endpoint: string, params: Record<string, string>) => {
    const [p, h] = await Promise.all([
      get(`${promUrl}${endpoint}`, params),
      get(`${hotpath.queryUrl}${endpoint}`, params, true),
    ]);
    stats.compared++;
    // A comparison of two empty answers proves little: every query here has data somewhere.
    if (p.status === "success" && params.query !== "sum + count_values") {
      expect(JSON.stringify(p.data?.result), `${params.query}: Prometheus's answer is empty`).not.toBe("[]");
    }
    const diffs = compare(p, h);
    // sort, sort_desc, topk and bottomk also fix the order of an instant vector.
    if (endpoint === "/api/v1/query" && /^(sort|topk|bottomk)/.test(params.query ?? "")) {
      const order = (r: TPromResponse) =>
        JSON.stringify(((r.data?.result ?? []) as TMatrixEntry[]).map((e) => e.metric));
      if (order(p) !== order(h)) diffs.push(`order ${order(h)}, Prometheus has ${order(p)}`);
    }
    if (diffs.length === 0) stats.matched++;
    expect(diffs.slice(0, 10), `${params.query}: ${diffs.length} differences`).toEqual([]);
  };

  for (const query of RANGE_QUERIES) {
    it(`query_range ${query}`, async () => {
      const start = String((baseMs + 3 * 60_000 + 250) / 1000);
      const end = String((baseMs + 33 * 60_000) / 1000);
      await check("/api/v1/query_range", { query, start, end, step: "30" });
      if (SECOND_STEP.has(query)) await check("/api/v1/query_range", { query, start, end, step: "7s" });
    });
  }

  for (const query of ROLLUP_QUERIES) {
    it(`query_range ${query} from 1 m rollups`, async () => {
      const start = String((Math.ceil((baseMs + 3 * 60_000) / 60_000) * 60_000) / 1000);
      const end = String((Math.floor((baseMs + 33 * 60_000) / 60_000) * 60_000) / 1000);
      await check("/api/v1/query_range", { query, start, end, step: "60" });
    });
  }

  for (const query of INSTANT_QUERIES) {
    it(`query ${query}`, async () => {
      for (const offsetMin of [12.3, 29.99]) {
        await check("/api/v1/query", { query, time: String((baseMs + offsetMin * 60_000) / 1000) });
      }
    });
  }

  it("reports the same parse errors for a few broken queries", async () => {
    for (const query of PARSE_ERRORS) {
      const [p, h] = await Promise.all([
        get(`${promUrl}/api/v1/query`, { query }),
        get(`${hotpath.queryUrl}/api/v1/query`, { query }, true),
      ]);
      expect(h.errorType).toBe(p.errorType);
      expect({ query, error: h.error }).toEqual({ query, error: p.error });
    }
  });
});
