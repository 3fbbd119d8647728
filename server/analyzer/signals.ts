// The analyzer's metric side: committed samples (the bus's columns) folded into 5 s buckets per
// derived signal, for the last 30 minutes, in memory. Counters become per-bucket increases (resets
// handled), gauges keep the bucket's last value. Only the metrics of the agent's conventions are kept
// (README "Conventions"), keyed by service (the `job` label) and the component's own labels, so memory
// is bounded by the number of routes, statements, caches, pools and queues, not by the input.
import type { TLabels } from "../ingest/model";
import { genericSignalOf } from "./generic";

export const BUCKET_MS = 5000;
/** The job label of Hotpath's self-ingested metrics (server/metrics/self-ingest.ts). */
export const SELF_JOB = "hotpath";
/** Separates a key's parts; a character that statements, routes and label values do not carry. */
export const SEP = "\u0001";
export const HISTORY_BUCKETS = 360; // 30 min

type TKind = "counter" | "gauge";
type TRoute = { kind: TKind; key: string } | null;

/** Which signal a series feeds, from its name and labels; null when the analyzer ignores it. */
export function signalOf(name: string, labels: TLabels): TRoute {
  const svc = labels.job ?? labels.service ?? "unknown";
  // Hotpath's own metrics (self-ingest): its load follows what it ingests, so a fault in a monitored
  // service would show up as a finding about Hotpath; its own health is on the status strip.
  if (svc === SELF_JOB) return null;
  switch (name) {
    case "http_server_request_duration_seconds_count": {
      const route = labels.route ?? labels.http_route ?? "unmatched";
      const status = Number(labels.status ?? labels.http_response_status_code ?? 0);
      return { kind: "counter", key: `${status >= 500 ? "http.err" : "http.ok"}${SEP}${svc}${SEP}${route}` };
    }
    case "http_server_request_duration_seconds_sum":
      return { kind: "counter", key: `http.sum${SEP}${svc}${SEP}${labels.route ?? labels.http_route ?? "unmatched"}` };
    case "db_client_operation_duration_seconds_count":
      return { kind: "counter", key: `db.count${SEP}${svc}${SEP}${labels.db_statement ?? labels.db_operation ?? "?"}` };
    case "db_client_operation_duration_seconds_sum":
      return { kind: "counter", key: `db.sum${SEP}${svc}${SEP}${labels.db_statement ?? labels.db_operation ?? "?"}` };
    case "db_client_connection_count":
      return labels.state === "used" || labels.state === "idle"
        ? { kind: "gauge", key: `pool.${labels.state}${SEP}${svc}${SEP}${labels.pool ?? "default"}` }
        : null;
    case "db_client_connection_max":
      return { kind: "gauge", key: `pool.max${SEP}${svc}${SEP}${labels.pool ?? "default"}` };
    case "db_client_connection_pending_requests":
      return { kind: "gauge", key: `pool.pending${SEP}${svc}${SEP}${labels.pool ?? "default"}` };
    case "db_client_connection_wait_time_seconds_sum":
      return { kind: "counter", key: `pool.wait.sum${SEP}${svc}${SEP}${labels.pool ?? "default"}` };
    case "db_client_connection_wait_time_seconds_count":
      return { kind: "counter", key: `pool.wait.count${SEP}${svc}${SEP}${labels.pool ?? "default"}` };
    case "cache_requests_total":
      return {
        kind: "counter",
        key: `cache.${labels.result === "hit" ? "hit" : "miss"}${SEP}${svc}${SEP}${labels.cache ?? "?"}${SEP}${labels.level ?? "?"}`,
      };
    case "cache_entries":
      return {
        kind: "gauge",
        key: `cache.entries${SEP}${svc}${SEP}${labels.cache ?? "?"}${SEP}${labels.level ?? "?"}`,
      };
    case "cache_evictions_total":
      return {
        kind: "counter",
        key: `cache.evict${SEP}${svc}${SEP}${labels.cache ?? "?"}${SEP}${labels.level ?? "?"}`,
      };
    case "cache_operation_duration_seconds_sum":
      return labels.operation === "get"
        ? { kind: "counter", key: `cache.op.sum${SEP}${svc}${SEP}${labels.cache ?? "?"}${SEP}${labels.level ?? "?"}` }
        : null;
    case "cache_operation_duration_seconds_count":
      return labels.operation === "get"
        ? { kind: "counter", key: `cache.op.count${SEP}${svc}${SEP}${labels.cache ?? "?"}${SEP}${labels.level ?? "?"}` }
        : null;
    case "process_cpu_seconds_total":
      return { kind: "counter", key: `cpu${SEP}${svc}` };
    case "nodejs_eventloop_lag_p99_seconds":
      return { kind: "gauge", key: `lag${SEP}${svc}` };
    case "nodejs_heap_size_used_bytes":
      return { kind: "gauge", key: `heap${SEP}${svc}` };
    case "nodejs_gc_duration_seconds_sum":
      return { kind: "counter", key: `gc${SEP}${svc}` };
    case "queue_depth":
      return { kind: "gauge", key: `queue.depth${SEP}${svc}${SEP}${labels.queue ?? "?"}` };
    case "queue_consumer_lag_seconds":
      return { kind: "gauge", key: `queue.lag${SEP}${svc}${SEP}${labels.queue ?? "?"}` };
    case "worker_pool_queued":
      return { kind: "gauge", key: `worker.queued${SEP}${svc}${SEP}${labels.pool ?? "?"}` };
    case "worker_pool_active":
      return { kind: "gauge", key: `worker.active${SEP}${svc}${SEP}${labels.pool ?? "?"}` };
    case "worker_pool_size":
      return { kind: "gauge", key: `worker.size${SEP}${svc}${SEP}${labels.pool ?? "?"}` };
    default:
      return genericSignalOf(name, labels);
  }
}

/** One signal's ring of buckets: values indexed by bucket number modulo the history length. */
class Ring {
  readonly values = new Float64Array(HISTORY_BUCKETS);
  readonly buckets = new Float64Array(HISTORY_BUCKETS).fill(-1);

  add(bucket: number, v: number, kind: TKind): void {
    const i = bucket % HISTORY_BUCKETS;
    if (this.buckets[i] !== bucket) {
      this.buckets[i] = bucket;
      this.values[i] = v;
      return;
    }
    this.values[i] = kind === "counter" ? (this.values[i] as number) + v : v;
  }

  get(bucket: number): number | undefined {
    const i = bucket % HISTORY_BUCKETS;
    return this.buckets[i] === bucket ? this.values[i] : undefined;
  }
}

type TSeriesState = { route: TRoute; lastTs: number; lastValue: number };

export type TDescribe = (id: number) => { name: string; labels: TLabels } | undefined;

export class SignalStore {
  private readonly rings = new Map<string, { kind: TKind; ring: Ring }>();
  private readonly series = new Map<number, TSeriesState>();

  constructor(private readonly describe: TDescribe) {}

  /** Folds one committed batch in (the bus's `columns`). */
  ingest(columns: { seriesIds: Int32Array; ts: Float64Array; values: Float64Array }): void {
    const { seriesIds, ts, values } = columns;
    for (let i = 0; i < seriesIds.length; i++) {
      this.sample(seriesIds[i] as number, ts[i] as number, values[i] as number);
    }
  }

  sample(id: number, t: number, v: number): void {
    let s = this.series.get(id);
    if (!s) {
      const meta = this.describe(id);
      s = { route: meta ? signalOf(meta.name, meta.labels) : null, lastTs: Number.NaN, lastValue: Number.NaN };
      this.series.set(id, s);
    }
    const route = s.route;
    if (!route || !Number.isFinite(v)) return;
    const bucket = Math.floor(t / BUCKET_MS);
    let entry = this.rings.get(route.key);
    if (!entry) {
      entry = { kind: route.kind, ring: new Ring() };
      this.rings.set(route.key, entry);
    }
    if (route.kind === "gauge") {
      if (!(t < s.lastTs)) entry.ring.add(bucket, v, "gauge");
    } else {
      // The first sample of a counter only sets its origin; an older one is a replay and is ignored.
      if (Number.isFinite(s.lastValue) && t > s.lastTs)
        entry.ring.add(bucket, v >= s.lastValue ? v - s.lastValue : v, "counter");
      else if (!Number.isFinite(s.lastValue)) entry.ring.add(bucket, 0, "counter");
    }
    if (!(t < s.lastTs)) {
      s.lastTs = t;
      s.lastValue = v;
    }
  }

  keys(prefix: string): string[] {
    const out: string[] = [];
    for (const k of this.rings.keys()) if (k.startsWith(prefix)) out.push(k);
    return out;
  }

  /** One bucket's value, undefined where nothing arrived (the detectors' per-bucket read). */
  at(key: string, bucket: number): number | undefined {
    return this.rings.get(key)?.ring.get(bucket);
  }

  /** Per-bucket values from `fromBucket` to `toBucket` inclusive; undefined where nothing arrived. */
  range(key: string, fromBucket: number, toBucket: number): (number | undefined)[] {
    const e = this.rings.get(key);
    const out: (number | undefined)[] = [];
    for (let b = fromBucket; b <= toBucket; b++) out.push(e?.ring.get(b));
    return out;
  }

  /** Sum of a counter's increases over buckets [from, to]; undefined when no bucket has data. */
  total(key: string, fromBucket: number, toBucket: number): number | undefined {
    const e = this.rings.get(key);
    if (!e) return undefined;
    let sum = 0;
    let seen = false;
    for (let b = fromBucket; b <= toBucket; b++) {
      const v = e.ring.get(b);
      if (v !== undefined) {
        sum += v;
        seen = true;
      }
    }
    return seen ? sum : undefined;
  }

  get signalCount(): number {
    return this.rings.size;
  }
}

/** Splits a signal key into its parts: kind, service, then the component's labels. */
export function keyParts(key: string): string[] {
  return key.split(SEP);
}

export function signalKey(...parts: string[]): string {
  return parts.join(SEP);
}
