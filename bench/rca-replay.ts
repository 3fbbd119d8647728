// Replays recorded metrics and spans into a real Analyzer on a virtual clock, through the analyzer's
// normal inputs: samples go out as the live bus's `commit` events (series ids resolved by a describe
// map, as the pipeline does) and spans as `spans` events; the analyzer ticks at virtual times and
// its findings land in an in-memory stand-in for the `finding` table.
//
// Series follow the generic convention of server/analyzer/generic.ts. What each source maps to:
// - Nezha pod metrics (one pod per service): CpuUsageRate(%)/100 → service_cpu_usage_ratio,
//   MemoryUsageRate(%)/100 → service_memory_usage_ratio, NetworkReceive/TransmitBytes →
//   service_network_{receive,transmit}_bytes_per_second, PodServer/ClientLatencyP90/P95/P99(s) →
//   service_{server,client}_latency_p{90,95,99}_seconds, PodWorkload(Ops) →
//   service_requests_per_second, PodSuccessRate(%)/100 → service_success_ratio. A latency of
//   exactly 0 means "no request that minute" and is skipped; a column that is 0 all day was not
//   collected (PodSuccessRate everywhere) and is not sent. Syscall and node columns are not mapped.
// - Nezha Online-Boutique `source_50`/`destination_50` (median latency of caller_callee calls, seen
//   from the caller or the callee) → service_call_latency_p50_seconds{side=client|server};
//   dependency.csv and PetShop's graph.csv → service_dependency_info{service, peer}.
// - Nezha Train-Ticket spans → OTel spans: service.name = pod minus its two hash parts; a span whose
//   parent is in another service (or absent) is SERVER with http.route = its name, a span with a
//   child in another service is CLIENT with server.address = that service, `SELECT …`/`INSERT …`
//   spans are CLIENT with db.system = mysql, the rest INTERNAL. A trace is sent when its last span
//   ends, as a collector that forwards whole traces would.
// - PetShop: latency Average/p50/p90/p95/p99 → service_server_latency_{mean,p50,…}_seconds,
//   requests Sum / 300 → service_requests_per_second, availability Average / 100 →
//   service_success_ratio, per node (service = the node's name); the latency of a "…_remote" node
//   (an endpoint X-Ray only sees from its caller) with one caller in graph.csv →
//   service_call_latency_<stat>_seconds{service=caller, peer=node, side="client"}.
import type { PrismaClient } from "@prisma/client";
import type { Server } from "socket.io";
import type { TFinding, TFindingEvent } from "../lib/contracts/findings";
import type { TScored } from "../server/analyzer/rank";
import { Analyzer } from "../server/analyzer/service";
import type { TLabels, TSpanIn, TSpanKind } from "../server/ingest/model";
import { LiveBus } from "../server/live/bus";
import { serviceOfPod, type TNezhaSpan } from "./rca-data";

export type TSample = { tMs: number; id: number; value: number };

/** Series ids for (name, labels), and the describe function the SignalStore resolves them with. */
export class SeriesRegistry {
  private readonly ids = new Map<string, number>();
  private readonly meta: { name: string; labels: TLabels }[] = [];

  id(name: string, labels: TLabels): number {
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.meta.length;
      this.meta.push({ name, labels });
      this.ids.set(key, id);
    }
    return id;
  }

  readonly describe = (id: number) => this.meta[id];
}

/** The two `finding` methods the analyzer calls, in memory. */
function fakePrisma(): PrismaClient {
  const finding = {
    findMany: async () => [],
    upsert: async () => ({ acknowledged: false, muted: false }),
  };
  return { finding } as unknown as PrismaClient;
}

export type TOpened = { atMs: number; finding: TFinding };

/**
 * One analyzer fed on a virtual clock. `feed` queues samples and traces; `runUntil` advances the
 * clock in ticks, emitting on the bus whatever has happened by then, and calls `onTick` after each.
 */
export class Replay {
  readonly bus = new LiveBus();
  readonly analyzer: Analyzer;
  readonly opened: TOpened[] = [];
  now: number;
  private samples: TSample[] = [];
  private sampleAt = 0;
  private traces: { endMs: number; spans: TSpanIn[] }[] = [];
  private traceAt = 0;

  constructor(
    readonly registry: SeriesRegistry,
    startMs: number,
    readonly tickMs = 5000,
  ) {
    this.now = startMs;
    const io = {
      to: () => ({
        emit: (_event: string, e: TFindingEvent) => {
          if (e.type === "opened") this.opened.push({ atMs: this.now, finding: structuredClone(e.finding) });
        },
      }),
    } as unknown as Server;
    this.analyzer = new Analyzer({
      prisma: fakePrisma(),
      bus: this.bus,
      describe: registry.describe,
      io: () => io,
      isLeader: () => true,
      log: (msg, err) => console.error(msg, err),
      now: () => this.now,
      // The replay ticks on its virtual clock; a wall-clock tick in between would see half-fed data.
      tickEveryMs: 0,
    });
  }

  async start(): Promise<void> {
    await this.analyzer.start();
    // start() also arms the 1 s wall-clock timer; the replay drives tick() itself on virtual time.
    clearInterval((this.analyzer as unknown as { timer?: NodeJS.Timeout }).timer);
  }

  stop(): void {
    this.analyzer.stop();
  }

  /** Queues samples (any order) and traces; call before running past their times. */
  feed(samples: TSample[], traces: { endMs: number; spans: TSpanIn[] }[] = []): void {
    this.samples = this.samples
      .slice(this.sampleAt)
      .concat(samples)
      .sort((a, b) => a.tMs - b.tMs);
    this.sampleAt = 0;
    this.traces = this.traces
      .slice(this.traceAt)
      .concat(traces)
      .sort((a, b) => a.endMs - b.endMs);
    this.traceAt = 0;
  }

  private emitUntil(t: number): void {
    const from = this.sampleAt;
    while (this.sampleAt < this.samples.length && (this.samples[this.sampleAt] as TSample).tMs <= t) this.sampleAt++;
    const n = this.sampleAt - from;
    if (n > 0) {
      const seriesIds = new Int32Array(n);
      const ts = new Float64Array(n);
      const values = new Float64Array(n);
      let minTs = Number.POSITIVE_INFINITY;
      let maxTs = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const s = this.samples[from + i] as TSample;
        seriesIds[i] = s.id;
        ts[i] = s.tMs;
        values[i] = s.value;
        minTs = Math.min(minTs, s.tMs);
        maxTs = Math.max(maxTs, s.tMs);
      }
      this.bus.emit("commit", {
        seriesIds: Int32Array.from(new Set(seriesIds)),
        minTs,
        maxTs,
        samples: n,
        columns: { seriesIds, ts, values },
      });
    }
    const items: TSpanIn[] = [];
    while (this.traceAt < this.traces.length && (this.traces[this.traceAt] as { endMs: number }).endMs <= t) {
      items.push(...(this.traces[this.traceAt] as { spans: TSpanIn[] }).spans);
      this.traceAt++;
    }
    if (items.length > 0) {
      this.bus.emit("spans", {
        spans: items.length,
        traceIds: [...new Set(items.map((s) => s.traceId))],
        services: [...new Set(items.map((s) => String(s.resource["service.name"])))],
        items,
      });
    }
  }

  /** Advances to `endMs` tick by tick; `onTick` sees each tick's ranked findings (score ≥ MIN_SCORE). */
  async runUntil(endMs: number, onTick?: (nowMs: number, ranked: TScored[]) => void): Promise<void> {
    while (this.now + this.tickMs <= endMs) {
      this.now += this.tickMs;
      this.emitUntil(this.now);
      const ranked = await this.analyzer.tick(this.now);
      onTick?.(this.now, ranked);
    }
  }
}

// ---- Nezha spans → OTel spans ----------------------------------------------------------------------

const DB_SPAN = /^(SELECT|INSERT|UPDATE|DELETE|REPLACE)\b/;

/** Converts one file's span rows into whole traces (TSpanIn), each with the time its last span ended. */
export function nezhaTraces(rows: TNezhaSpan[]): { endMs: number; spans: TSpanIn[] }[] {
  const byId = new Map<string, TNezhaSpan>();
  const childService = new Map<string, string>();
  for (const r of rows) byId.set(r.spanId, r);
  for (const r of rows) {
    if (!r.parentId) continue;
    const p = byId.get(r.parentId);
    const svc = serviceOfPod(r.pod);
    if (p && serviceOfPod(p.pod) !== svc) childService.set(p.spanId, svc);
  }
  const traces = new Map<string, { endNs: bigint; spans: TSpanIn[] }>();
  for (const r of rows) {
    const svc = serviceOfPod(r.pod);
    const parent = r.parentId ? byId.get(r.parentId) : undefined;
    const callee = childService.get(r.spanId);
    let kind: TSpanKind = "internal";
    const attributes: Record<string, string> = {};
    if (!parent || serviceOfPod(parent.pod) !== svc) {
      kind = "server";
      attributes["http.route"] = r.name;
    } else if (callee) {
      kind = "client";
      attributes["server.address"] = callee;
    } else if (DB_SPAN.test(r.name)) {
      kind = "client";
      attributes["db.system"] = "mysql";
    } else if (r.name.startsWith("HTTP ")) {
      kind = "client";
    }
    const span: TSpanIn = {
      traceId: r.traceId,
      spanId: r.spanId,
      parentSpanId: r.parentId,
      name: r.name,
      kind,
      startUnixNano: r.startNs,
      endUnixNano: r.endNs,
      status: "unset",
      statusMessage: "",
      attributes,
      resource: { "service.name": svc, "k8s.pod.name": r.pod },
      scope: "nezha-replay",
      events: [],
    };
    let t = traces.get(r.traceId);
    if (!t) {
      t = { endNs: r.endNs, spans: [] };
      traces.set(r.traceId, t);
    }
    if (r.endNs > t.endNs) t.endNs = r.endNs;
    t.spans.push(span);
  }
  return [...traces.values()].map((t) => ({ endMs: Number(t.endNs / 1_000_000n), spans: t.spans }));
}
