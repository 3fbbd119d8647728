// Readers for the published fault-injection data replayed by `npm run bench:rca` (see bench/rca.ts for
// the sources and their licences). The data stay in ../shared/rca-data (RCA_DATA overrides it): this
// file only parses the CSV and JSON layouts described in that folder's README.
//
// Quirks of the source files handled here:
// - Nezha's `inject_timestamp` is wrong on the Train-Ticket days (off by ~8 h, and repeated on two
//   faults); `inject_time` agrees with the metrics' `Time` column and the trace file names, so that
//   is what is used (read as UTC, like `Time`).
// - One Online-Boutique pod file (adservice, 2022-08-22) has `TimeStamp` off by 2·10⁸ s; times are
//   read from the `Time` column for every file.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const DATA_DIR = path.resolve(
  process.env.RCA_DATA ?? path.resolve(import.meta.dirname, "../../shared/rca-data"),
);

/** Minimal CSV reader: the files have no quoted commas except PetShop's header names, handled below. */
export function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "") continue;
    out.push(line.split(","));
  }
  return out;
}

/** "2022-08-22 03:51:19.607158889 +0000 UTC m=+0.11" → Unix ms (UTC). */
export function parseGoTime(s: string): number {
  return Date.parse(`${s.slice(0, 10)}T${s.slice(11, 19)}Z`);
}

const podServices = new Map<string, string>();

/** Pod name minus its ReplicaSet and pod hashes: the service. */
export function serviceOfPod(pod: string): string {
  let svc = podServices.get(pod);
  if (svc === undefined) {
    const parts = pod.split("-");
    svc = parts.length > 2 ? parts.slice(0, -2).join("-") : pod;
    podServices.set(pod, svc);
  }
  return svc;
}

// ---- Nezha ---------------------------------------------------------------------------------------

export type TNezhaSystem = "OB" | "TT";
export type TNezhaFault = {
  day: string;
  system: TNezhaSystem;
  injectMs: number;
  pod: string;
  service: string;
  type: string;
};

/** One pod-metric row: time plus the numeric columns by header name. */
export type TPodRow = { tMs: number; values: Record<string, number> };

export type TNezhaDay = {
  day: string;
  system: TNezhaSystem;
  faults: TNezhaFault[];
  /** service → rows (one pod per service in this data). */
  pods: Map<string, { pod: string; rows: TPodRow[] }>;
  /** Entry-point SLI rows (front_service.csv). */
  front: TPodRow[];
  /** OB only: caller_callee → rows of p50 latency as the caller (source) or callee (destination) sees it. */
  edges: { source: Map<string, TPodRow[]>; destination: Map<string, TPodRow[]> };
  /** OB only: dependency.csv edges (caller, callee). */
  dependencies: [string, string][];
  firstMs: number;
  lastMs: number;
};

const NEZHA_DAYS: Record<string, TNezhaSystem> = {
  "2022-08-22": "OB",
  "2022-08-23": "OB",
  "2023-01-29": "TT",
  "2023-01-30": "TT",
};

export function nezhaDays(): string[] {
  return Object.keys(NEZHA_DAYS);
}

function readRows(file: string, timeCol: string, skip: Set<string>): TPodRow[] {
  const rows = parseCsv(readFileSync(file, "utf8"));
  const head = rows[0] ?? [];
  const ti = head.indexOf(timeCol);
  const out: TPodRow[] = [];
  for (const r of rows.slice(1)) {
    const tMs = ti >= 0 ? parseGoTime(r[ti] ?? "") : Number.NaN;
    if (!Number.isFinite(tMs)) continue;
    const values: Record<string, number> = {};
    head.forEach((h, i) => {
      if (i === ti || skip.has(h)) return;
      const v = Number(r[i]);
      if (r[i] !== "" && r[i] !== undefined && Number.isFinite(v)) values[h] = v;
    });
    out.push({ tMs, values });
  }
  return out.sort((a, b) => a.tMs - b.tMs);
}

export function loadNezhaDay(day: string): TNezhaDay {
  const system = NEZHA_DAYS[day];
  if (!system) throw new Error(`unknown Nezha day ${day}`);
  const dir = path.join(DATA_DIR, "nezha", "rca_data", day);
  const list = JSON.parse(readFileSync(path.join(dir, `${day}-fault_list.json`), "utf8")) as Record<
    string,
    { inject_time: string; inject_pod: string; inject_type: string }[]
  >;
  const faults: TNezhaFault[] = Object.values(list)
    .flat()
    .map((f) => ({
      day,
      system,
      injectMs: Date.parse(`${f.inject_time.replace(" ", "T")}Z`),
      pod: f.inject_pod,
      service: serviceOfPod(f.inject_pod),
      type: f.inject_type,
    }))
    .sort((a, b) => a.injectMs - b.injectMs);
  const mdir = path.join(dir, "metric");
  const pods = new Map<string, { pod: string; rows: TPodRow[] }>();
  const skip = new Set(["TimeStamp", "PodName", "ServiceName", "timestamp"]);
  for (const f of readdirSync(mdir)) {
    const m = /^(.*)_metric\.csv$/.exec(f);
    if (!m) continue;
    const pod = m[1] as string;
    pods.set(serviceOfPod(pod), { pod, rows: readRows(path.join(mdir, f), "Time", skip) });
  }
  const front = readRows(path.join(mdir, "front_service.csv"), "Time", skip);
  const edges = { source: new Map<string, TPodRow[]>(), destination: new Map<string, TPodRow[]>() };
  const dependencies: [string, string][] = [];
  for (const side of ["source", "destination"] as const) {
    const file = path.join(mdir, `${side}_50.csv`);
    if (!existsSync(file)) continue;
    const rows = readRows(file, "time", skip);
    // Pivot to one row list per edge.
    for (const r of rows) {
      for (const [k, v] of Object.entries(r.values)) {
        let l = edges[side].get(k);
        if (!l) {
          l = [];
          edges[side].set(k, l);
        }
        l.push({ tMs: r.tMs, values: { latency: v } });
      }
    }
  }
  const depFile = path.join(mdir, "dependency.csv");
  if (existsSync(depFile)) {
    for (const r of parseCsv(readFileSync(depFile, "utf8")).slice(1)) {
      if (r[0] && r[1]) dependencies.push([r[0], r[1]]);
    }
  }
  let firstMs = Number.POSITIVE_INFINITY;
  let lastMs = Number.NEGATIVE_INFINITY;
  for (const { rows } of pods.values()) {
    if (rows.length === 0) continue;
    firstMs = Math.min(firstMs, (rows[0] as TPodRow).tMs);
    lastMs = Math.max(lastMs, (rows.at(-1) as TPodRow).tMs);
  }
  return { day, system, faults, pods, front, edges, dependencies, firstMs, lastMs };
}

/** One span row of a Nezha Train-Ticket trace file. */
export type TNezhaSpan = {
  traceId: string;
  spanId: string;
  parentId: string | undefined;
  pod: string;
  name: string;
  startNs: bigint;
  endNs: bigint;
};

/** Trace files whose minute (HH_MM, UTC) lies in [fromMs, toMs). */
export function nezhaTraceFiles(day: string, fromMs: number, toMs: number): { file: string; minuteMs: number }[] {
  const out: { file: string; minuteMs: number }[] = [];
  for (const dir of [path.join(DATA_DIR, "nezha", "rca_data", day, "trace")]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      const m = /^(\d\d)_(\d\d)_trace\.csv$/.exec(f);
      if (!m) continue;
      const minuteMs = Date.parse(`${day}T${m[1]}:${m[2]}:00Z`);
      if (minuteMs >= fromMs && minuteMs < toMs) out.push({ file: path.join(dir, f), minuteMs });
    }
  }
  return out.sort((a, b) => a.minuteMs - b.minuteMs);
}

export function readNezhaTrace(file: string): TNezhaSpan[] {
  const out: TNezhaSpan[] = [];
  const rows = parseCsv(readFileSync(file, "utf8"));
  for (const r of rows.slice(1)) {
    if (r.length < 7) continue;
    const [traceId, spanId, parent, pod, name, start, end] = r as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!/^\d+$/.test(start) || !/^\d+$/.test(end)) continue;
    out.push({
      traceId,
      spanId,
      parentId: parent === "root" || parent === "" ? undefined : parent,
      pod,
      name,
      startNs: BigInt(start),
      endNs: BigInt(end),
    });
  }
  return out;
}

// ---- PetShop -------------------------------------------------------------------------------------

export type TPetColumn = { node: string; metric: string; statistic: string };
export type TPetMetrics = { columns: TPetColumn[]; times: number[]; values: (number | undefined)[][] };
export type TPetCase = {
  scenario: string;
  split: string;
  issue: string;
  /** The SLI symptom's time (Unix ms). */
  symptomMs: number;
  symptom: { node: string; metric: string };
  root: string;
  command: string;
  dir: string;
};

const PET_DIR = () => path.join(DATA_DIR, "petshop", "dataset");

/** Splits a CSV line, honouring double quotes (PetShop's node names are plain, but be safe). */
function splitQuoted(line: string): string[] {
  if (!line.includes('"')) return line.split(",");
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (ch === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function readPetMetrics(file: string): TPetMetrics {
  const lines = readFileSync(file, "utf8")
    .split(/\r?\n/)
    .filter((l) => l !== "")
    .map(splitQuoted);
  const [nodes, metrics, stats] = lines as [string[], string[], string[]];
  const columns: TPetColumn[] = [];
  for (let i = 1; i < nodes.length; i++) {
    columns.push({ node: nodes[i] ?? "", metric: metrics[i] ?? "", statistic: stats[i] ?? "" });
  }
  const times: number[] = [];
  const values: (number | undefined)[][] = [];
  for (const r of lines.slice(3)) {
    const t = Number(r[0]);
    if (!Number.isFinite(t)) continue; // the "unix_timestamp" label row
    times.push(t * 1000);
    values.push(columns.map((_, i) => (r[i + 1] === "" || r[i + 1] === undefined ? undefined : Number(r[i + 1]))));
  }
  return { columns, times, values };
}

/** Adjacency of graph.csv as (caller, callee) pairs: row = source, column = target. */
export function readPetGraph(scenario: string): [string, string][] {
  const rows = readFileSync(path.join(PET_DIR(), scenario, "graph.csv"), "utf8")
    .split(/\r?\n/)
    .filter((l) => l !== "")
    .map(splitQuoted);
  const head = rows[0] ?? [];
  const out: [string, string][] = [];
  for (const r of rows.slice(1)) {
    for (let j = 1; j < r.length; j++) if (Number(r[j]) > 0) out.push([r[0] as string, head[j] as string]);
  }
  return out;
}

export function petScenarios(): string[] {
  return readdirSync(PET_DIR()).filter((d) => existsSync(path.join(PET_DIR(), d, "graph.csv")));
}

export function petCases(): TPetCase[] {
  const out: TPetCase[] = [];
  for (const scenario of petScenarios()) {
    for (const split of ["train", "test"]) {
      const sdir = path.join(PET_DIR(), scenario, split);
      if (!existsSync(sdir)) continue;
      for (const issue of readdirSync(sdir).sort((a, b) => Number(a.split("_")[1]) - Number(b.split("_")[1]))) {
        const dir = path.join(sdir, issue);
        const t = JSON.parse(readFileSync(path.join(dir, "target.json"), "utf8")) as {
          target: { node: string; metric: string; timestamp: number };
          root_cause: { node: string };
          metadata?: { reproducibility?: { command?: string } };
        };
        out.push({
          scenario,
          split,
          issue,
          symptomMs: t.target.timestamp * 1000,
          symptom: { node: t.target.node, metric: t.target.metric },
          root: t.root_cause.node,
          command: t.metadata?.reproducibility?.command ?? "",
          dir,
        });
      }
    }
  }
  return out;
}

/** The fault-free recordings present (two of the four scenarios in this copy). */
export function petNoIssue(): { scenario: string; file: string }[] {
  return petScenarios()
    .map((scenario) => ({ scenario, file: path.join(PET_DIR(), scenario, "noissue", "metrics.csv") }))
    .filter((x) => existsSync(x.file));
}

/** The kind of fault a PetShop issue injected, from its reproduction command. */
export function petFaultType(c: TPetCase): string {
  const cmd = c.command;
  if (/delay|sleep/.test(cmd)) return "delay";
  if (/error|inject = true/.test(cmd)) return "error";
  if (/dynamo_db_requests/.test(cmd)) return "request_flood";
  return c.symptom.metric;
}
