// The datasets as generic series (see the mapping in rca-replay.ts): samples between two times, for
// the replay to queue.
import type { TLabels } from "../server/ingest/model";
import { nezhaTraceFiles, readNezhaTrace, type TNezhaDay, type TPetMetrics } from "./rca-data";
import { nezhaTraces, type SeriesRegistry, type TSample } from "./rca-replay";

type TColumnMap = { name: string; scale: number; skipZero: boolean };

const POD_COLUMNS: Record<string, TColumnMap> = {
  "CpuUsageRate(%)": { name: "service_cpu_usage_ratio", scale: 0.01, skipZero: false },
  "MemoryUsageRate(%)": { name: "service_memory_usage_ratio", scale: 0.01, skipZero: false },
  NetworkReceiveBytes: { name: "service_network_receive_bytes_per_second", scale: 1, skipZero: false },
  NetworkTransmitBytes: { name: "service_network_transmit_bytes_per_second", scale: 1, skipZero: false },
  "PodServerLatencyP90(s)": { name: "service_server_latency_p90_seconds", scale: 1, skipZero: true },
  "PodServerLatencyP95(s)": { name: "service_server_latency_p95_seconds", scale: 1, skipZero: true },
  "PodServerLatencyP99(s)": { name: "service_server_latency_p99_seconds", scale: 1, skipZero: true },
  "PodClientLatencyP90(s)": { name: "service_client_latency_p90_seconds", scale: 1, skipZero: true },
  "PodClientLatencyP95(s)": { name: "service_client_latency_p95_seconds", scale: 1, skipZero: true },
  "PodClientLatencyP99(s)": { name: "service_client_latency_p99_seconds", scale: 1, skipZero: true },
  "PodWorkload(Ops)": { name: "service_requests_per_second", scale: 1, skipZero: false },
  "PodSuccessRate(%)": { name: "service_success_ratio", scale: 0.01, skipZero: false },
};

/** Columns that are 0 on every row of a pod were not collected. */
function collected(rows: { values: Record<string, number> }[], col: string): boolean {
  return rows.some((r) => (r.values[col] ?? 0) !== 0);
}

/** Nezha metrics in [fromMs, toMs] as samples. */
export function nezhaSamples(day: TNezhaDay, reg: SeriesRegistry, fromMs: number, toMs: number): TSample[] {
  const out: TSample[] = [];
  for (const [service, { pod, rows }] of day.pods) {
    const labels: TLabels = { service, pod };
    const cols = Object.keys(POD_COLUMNS)
      .filter((c) => collected(rows, c))
      .map((c) => {
        const m = POD_COLUMNS[c] as TColumnMap;
        return { c, m, id: reg.id(m.name, labels) };
      });
    for (const r of rows) {
      if (r.tMs < fromMs || r.tMs > toMs) continue;
      for (const { c, m, id } of cols) {
        const v = r.values[c];
        if (v === undefined || (m.skipZero && v === 0)) continue;
        out.push({ tMs: r.tMs, id, value: v * m.scale });
      }
    }
  }
  for (const side of ["source", "destination"] as const) {
    for (const [edge, rows] of day.edges[side]) {
      const [caller, callee] = edge.split("_") as [string, string];
      const id = reg.id("service_call_latency_p50_seconds", {
        service: caller,
        peer: callee,
        side: side === "source" ? "client" : "server",
      });
      for (const r of rows) {
        const v = r.values.latency;
        if (r.tMs < fromMs || r.tMs > toMs || v === undefined) continue;
        out.push({ tMs: r.tMs, id, value: v });
      }
    }
  }
  if (day.dependencies.length > 0) {
    // A service map is current state: sent once a minute, like any scraped gauge.
    const first = Math.max(fromMs, day.firstMs);
    for (let t = Math.ceil(first / 60_000) * 60_000; t <= Math.min(toMs, day.lastMs); t += 60_000) {
      for (const [a, b] of day.dependencies) {
        out.push({ tMs: t, id: reg.id("service_dependency_info", { service: a, peer: b }), value: 1 });
      }
    }
  }
  return out;
}

type TTraces = ReturnType<typeof nezhaTraces>;
/** Converted trace files, newest kept: consecutive cases share most of their windows. */
const traceCache = new Map<string, TTraces>();
const TRACE_CACHE_FILES = 16;

/** Nezha Train-Ticket traces of the minutes in [fromMs, toMs). */
export function nezhaTraceSamples(day: TNezhaDay, fromMs: number, toMs: number): TTraces {
  return nezhaTraceFiles(day.day, fromMs, toMs).flatMap((f) => {
    let t = traceCache.get(f.file);
    if (!t) {
      t = nezhaTraces(readNezhaTrace(f.file));
      traceCache.set(f.file, t);
      if (traceCache.size > TRACE_CACHE_FILES) traceCache.delete(traceCache.keys().next().value as string);
    }
    return t;
  });
}

const PET_LATENCY: Record<string, string> = { Average: "mean", p50: "p50", p90: "p90", p95: "p95", p99: "p99" };
/** PetShop's metrics are 5-minute CloudWatch periods. */
export const PET_PERIOD_MS = 300_000;

/** PetShop metrics (and the service map) in [fromMs, toMs] as samples. */
export function petSamples(
  m: TPetMetrics,
  graph: [string, string][],
  reg: SeriesRegistry,
  fromMs = Number.NEGATIVE_INFINITY,
  toMs = Number.POSITIVE_INFINITY,
): TSample[] {
  // X-Ray's "…_remote" nodes are endpoints without their own segments: their latency is what their
  // caller measured, i.e. the latency of the caller's calls to them.
  const callers = new Map<string, string[]>();
  for (const [a, b] of graph) callers.set(b, [...(callers.get(b) ?? []), a]);
  const ids = m.columns.map((c) => {
    const labels = { service: c.node };
    const caller = c.node.endsWith("_remote") ? callers.get(c.node) : undefined;
    if (c.metric === "latency" && PET_LATENCY[c.statistic] && caller?.length === 1) {
      const name = `service_call_latency_${PET_LATENCY[c.statistic]}_seconds`;
      return { id: reg.id(name, { service: caller[0] as string, peer: c.node, side: "client" }), scale: 1 };
    }
    if (c.metric === "latency" && PET_LATENCY[c.statistic]) {
      return { id: reg.id(`service_server_latency_${PET_LATENCY[c.statistic]}_seconds`, labels), scale: 1 };
    }
    if (c.metric === "requests" && c.statistic === "Sum") {
      return { id: reg.id("service_requests_per_second", labels), scale: 1 / (PET_PERIOD_MS / 1000) };
    }
    if (c.metric === "availability" && c.statistic === "Average") {
      return { id: reg.id("service_success_ratio", labels), scale: 0.01 };
    }
    return undefined;
  });
  const deps = graph.map(([a, b]) => reg.id("service_dependency_info", { service: a, peer: b }));
  const out: TSample[] = [];
  m.times.forEach((tMs, row) => {
    if (tMs < fromMs || tMs > toMs) return;
    const values = m.values[row] as (number | undefined)[];
    ids.forEach((x, i) => {
      const v = values[i];
      if (x && v !== undefined && Number.isFinite(v)) out.push({ tMs, id: x.id, value: v * x.scale });
    });
    for (const id of deps) out.push({ tMs, id, value: 1 });
  });
  return out;
}
