// npm run bench:analyzer — the analyzer against the demo's fault switches. One Hotpath (embedded
// store, or PostgreSQL with STORE=postgresql) and one demo service under load; after a healthy
// warm-up (its findings are the healthy run's false alarms), each fault is switched on alone, at a
// seeded intensity, until the analyzer's ranking is read, then off until its findings resolve.
//
// Scores: AC@1 (the top finding opened since the fault went on has the fault's kind and names the
// demo service), AC@3, time from fault on to the first finding of the right kind, and findings of
// warning severity or above during the healthy run. The ranking is read 10 s after the first finding
// of any kind opens (or at the end of the window), not when the right one appears.
//
//   --short           one run per fault (CI); exits 1 if AC@1 < 0.8 or the healthy run warned
//   RUNS (default 3)  runs per fault otherwise, with different seeds and intensities
//   WARMUP_S (150), FAULT_S (45), RECOVER_S (90): the phases' bounds in seconds
//   FAULTS=slow_query,n_plus_one   only these labels (for tuning a detector)
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { FAULT_LABELS, type TFaultLabel } from "../demo/faults";
import { runLoad } from "../demo/load";
import type { TFinding } from "../lib/contracts/findings";
import { mulberry32 } from "../lib/random";
import { startServerProcess, storeEnv } from "../server/test/harness";
import { figure, printTable, type TFigure, writeResult } from "./lib";

const { values } = parseArgs({ options: { short: { type: "boolean", default: false } }, strict: true });
const SHORT = values.short;
const RUNS = SHORT ? 1 : Number(process.env.RUNS ?? 3);
const WARMUP_S = Number(process.env.WARMUP_S ?? (SHORT ? 120 : 150));
const FAULT_S = Number(process.env.FAULT_S ?? 45);
const RECOVER_S = Number(process.env.RECOVER_S ?? 90);
const READ_AFTER_FIRST_S = 10;
const STORE = (process.env.STORE ?? "pglite") as "pglite" | "postgresql";
const REDIS = process.env.REDIS_URL;
const KEY = `bench-analyzer-${randomBytes(8).toString("hex")}`;
const SERVICE = "demo-shop";
const ROOT = path.resolve(import.meta.dirname, "..");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

async function startDemo(hotpathUrl: string, seed: number): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(ROOT, "demo/service.ts"),
      "--port",
      String(port),
      "--seed",
      String(seed),
      "--explain-ms",
      "20",
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        HOTPATH_URL: hotpathUrl,
        HOTPATH_KEY: KEY,
        ...(REDIS ? { REDIS_URL: REDIS } : { REDIS_URL: "" }),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stderr?.on("data", (d) => {
    out += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start in 120 s:\n${out}`)), 120_000);
    child.stdout?.on("data", (d: Buffer) => {
      out += d;
      if (/serving on/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`demo exited with ${code}:\n${out}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/** fetch with a few retries: a busy machine drops the odd connection, which must not end a 20-minute run. */
async function fetchRetry(url: string, init?: RequestInit): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (err) {
      if (attempt >= 3) throw err;
      await sleep(1000);
    }
  }
}

async function openFindings(hotpathUrl: string): Promise<TFinding[]> {
  const res = await fetchRetry(`${hotpathUrl}/api/findings?status=all&limit=200`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  if (!res.ok) throw new Error(`GET /api/findings: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { findings: TFinding[] }).findings;
}

const matches = (f: TFinding, label: TFaultLabel) => f.kind === label && f.target.service === SERVICE;

type TScenario = {
  label: TFaultLabel;
  run: number;
  intensity: number;
  top: string[];
  at1: boolean;
  at3: boolean;
  detectS: number | null;
};

const startedAt = new Date();
const store = await storeEnv(STORE);
const hotpath = await startServerProcess(
  { ...store.env, HOTPATH_BOOTSTRAP_KEY: KEY, HOTPATH_LOG_LEVEL: "warn" },
  120_000,
);
const demo = await startDemo(hotpath.url, 1);
// Interrupted: the children go too (an orphaned Hotpath or demo would load the next run's machine).
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    demo.child.kill("SIGKILL");
    void hotpath.stop("SIGKILL").finally(() => process.exit(130));
  });
}
const abort = new AbortController();
const load = runLoad({ url: demo.url, rate: 40, duration: 0, seed: 7, signal: abort.signal });
const fault = async (label: TFaultLabel, intensity?: number) => {
  const res = await fetchRetry(`${demo.url}/faults/${label}`, {
    method: intensity === undefined ? "DELETE" : "POST",
    headers: intensity === undefined ? {} : { "content-type": "application/json" },
    body: intensity === undefined ? undefined : JSON.stringify({ intensity }),
  });
  if (!res.ok) throw new Error(`fault ${label}: ${res.status} ${await res.text()}`);
};

const scenarios: TScenario[] = [];
/** The analyzer's own cost: milliseconds of one detection pass (it runs once a second). */
const tickMs: number[] = [];
let healthyWarnings: TFinding[] = [];
try {
  console.log(`warm-up: ${WARMUP_S} s of healthy load (the analyzer learns its baselines)`);
  const healthySince = Date.now() + 60_000; // the first minute has no baseline to judge by
  await sleep(WARMUP_S * 1000);
  healthyWarnings = (await openFindings(hotpath.url)).filter(
    (f) => Date.parse(f.firstSeen) >= healthySince && f.severity !== "info",
  );
  console.log(`healthy run: ${healthyWarnings.length} findings of warning or above`);
  for (const f of healthyWarnings) console.log(`  ${f.severity} ${f.kind} ${f.targetKey}: ${f.title}`);

  const random = mulberry32(42);
  const only = process.env.FAULTS?.split(",").filter(Boolean);
  const labels = FAULT_LABELS.filter((l) => (l !== "cache_backend_slow" || REDIS) && (!only || only.includes(l)));
  if (!REDIS) console.log("cache_backend_slow left out: it needs REDIS_URL (the demo's Redis level)");
  for (let run = 0; run < RUNS; run++) {
    for (const label of labels) {
      const intensity = SHORT ? 0.8 : Math.round((0.5 + random() * 0.5) * 100) / 100;
      const onAt = Date.now();
      await fault(label, intensity);
      let detectS: number | null = null;
      let firstAt: number | null = null;
      let ranked: TFinding[] = [];
      while (Date.now() - onAt < FAULT_S * 1000) {
        await sleep(1000);
        const fresh = (await openFindings(hotpath.url)).filter(
          (f) => f.status === "open" && Date.parse(f.firstSeen) >= onAt,
        );
        if (fresh.length > 0 && firstAt === null) firstAt = Date.now();
        const hit = fresh.find((f) => matches(f, label));
        if (hit && detectS === null) detectS = (Date.parse(hit.firstSeen) - onAt) / 1000;
        ranked = fresh.sort((a, b) => b.impact - a.impact);
        if (firstAt !== null && Date.now() - firstAt >= READ_AFTER_FIRST_S * 1000) break;
      }
      const top = ranked.slice(0, 3);
      const res = await fetchRetry(`${hotpath.url}/api/analyzer/candidates`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      const body = (await res.json()) as {
        tickMs: number;
        candidates: { kind: string; targetKey: string; score: number; title: string }[];
      };
      tickMs.push(body.tickMs);
      if (process.env.VERBOSE) {
        for (const c of body.candidates.slice(0, 8))
          console.log(`    ${c.score.toFixed(2)} ${c.kind} ${c.targetKey}: ${c.title}`);
        const prefixes: Partial<Record<TFaultLabel, string>> = {
          connection_leak: "pool.",
          slow_query: "db.",
          cpu_saturation: "cpu",
          memory_leak: "heap",
          event_loop_blocked: "lag",
          network_delay: "db.sum",
          cache_backend_slow: "cache.op",
          traffic_surge: "http.ok",
        };
        const prefix = prefixes[label];
        if (prefix) {
          const sig = await fetch(`${hotpath.url}/api/analyzer/signals?prefix=${encodeURIComponent(prefix)}`, {
            headers: { authorization: `Bearer ${KEY}` },
          });
          const signals = (
            (await sig.json()) as { signals: { key: string; base?: number; cur?: number; mad?: number }[] }
          ).signals;
          for (const x of signals.slice(0, 12)) {
            console.log(
              `      ${x.key.slice(0, 90)}  base ${x.base?.toPrecision(3)} mad ${x.mad?.toPrecision(3)} cur ${x.cur?.toPrecision(3)}`,
            );
          }
        }
      }
      const s: TScenario = {
        label,
        run,
        intensity,
        top: top.map((f) => `${f.kind}:${f.targetKey}@${f.impact.toFixed(2)}`),
        at1: top[0] !== undefined && matches(top[0], label),
        at3: top.some((f) => matches(f, label)),
        detectS,
      };
      scenarios.push(s);
      console.log(
        `${label.padEnd(20)} run ${run} i=${intensity}: ${s.at1 ? "AC@1" : s.at3 ? "AC@3" : "miss"}  detect ${detectS ?? "-"} s  top: ${s.top.join(", ") || "(none)"}`,
      );
      await fault(label);
      // Recovery: until nothing the fault opened is still open (or the bound), then a quiet moment.
      const offAt = Date.now();
      while (Date.now() - offAt < RECOVER_S * 1000) {
        await sleep(2000);
        const still = (await openFindings(hotpath.url)).filter((f) => f.status === "open");
        if (still.length === 0 && Date.now() - offAt >= 10_000) break;
      }
    }
  }
} finally {
  abort.abort();
  await load.catch(() => undefined);
  demo.child.kill("SIGTERM");
  await hotpath.stop("SIGTERM");
  await store.cleanup();
}

const rate = (xs: boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : Number.NaN);
const detects = scenarios.map((s) => s.detectS).filter((x): x is number => x !== null);
const figures: Record<string, TFigure> = {
  "ac@1": figure([rate(scenarios.map((s) => s.at1))], "ratio"),
  "ac@3": figure([rate(scenarios.map((s) => s.at3))], "ratio"),
  time_to_detect: figure(detects, "s", true),
  healthy_warnings: figure([healthyWarnings.length], "findings"),
  analyzer_tick: figure(tickMs, "ms per 1 s tick", true),
};
for (const label of FAULT_LABELS) {
  const mine = scenarios.filter((s) => s.label === label);
  if (mine.length) figures[`ac@1.${label}`] = figure([rate(mine.map((s) => s.at1))], "ratio");
}
const file = await writeResult("analyzer", STORE, startedAt, figures);
printTable(figures);
console.log(`\nwritten to ${file}`);
const ac1 = rate(scenarios.map((s) => s.at1));
if (SHORT && (ac1 < 0.8 || healthyWarnings.length > 0)) {
  console.error(`FAIL: AC@1 ${ac1.toFixed(2)} (need ≥ 0.8), healthy warnings ${healthyWarnings.length} (need 0)`);
  process.exit(1);
}
process.exit(0);
