// The metric families the agent emits, by the conventions the analyzer and dashboards read (see
// agent/README.md). Gauges that mirror live objects (pools, caches, queues) read them at collect time
// through registered sources, so nothing polls between pushes.
import client from "prom-client";
import { SeriesCounter, SeriesHistogram } from "./series";

export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
export const DB_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const WAIT_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const CACHE_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

export type TPoolSource = { totalCount: number; idleCount: number; waitingCount: number; max: number };
export type TWorkerPoolReading = { size: number; active: number; queued: number };

/** Live objects read at collect time. A reader that throws is skipped for that collection. */
export type TSources = {
  pools: Map<string, () => TPoolSource>;
  memoryCaches: Map<string, () => number>;
  queues: Map<string, { depth: () => number; lag?: () => number }>;
  workerPools: Map<string, () => TWorkerPoolReading>;
  /** Async reads (Redis INFO) awaited when cache_evictions_total is collected. */
  beforeCollect: Set<() => Promise<void>>;
};

export type TAgentMetrics = ReturnType<typeof createMetrics>;

function safe<T>(read: () => T, onError: (err: unknown) => void): T | undefined {
  try {
    return read();
  } catch (err) {
    onError(err);
    return undefined;
  }
}

export function createMetrics(registry: client.Registry, onReadError: (what: string, err: unknown) => void) {
  const registers = [registry];
  const sources: TSources = {
    pools: new Map(),
    memoryCaches: new Map(),
    queues: new Map(),
    workerPools: new Map(),
    beforeCollect: new Set(),
  };

  // The families updated on every request, query or cache operation are Series* (series.ts): their
  // callers resolve a label set once and keep the series.
  const httpDuration = new SeriesHistogram({
    name: "http_server_request_duration_seconds",
    help: "Duration of HTTP server requests, by route template, method and status code.",
    labelNames: ["route", "method", "status"] as const,
    buckets: HTTP_BUCKETS,
    registers,
  });

  const dbDuration = new SeriesHistogram({
    name: "db_client_operation_duration_seconds",
    help: "Duration of database client operations (execution on a connection, pool wait excluded).",
    labelNames: ["db_system", "db_name", "db_operation", "db_statement"] as const,
    buckets: DB_BUCKETS,
    registers,
  });

  const onError = (what: string) => (err: unknown) => onReadError(what, err);
  /** A gauge filled at collect time from `fill` (every registry.metrics() call, the agent's or the user's). */
  const liveGauge = <T extends string>(
    name: string,
    help: string,
    labelNames: readonly T[],
    fill: (g: client.Gauge<T>) => void,
  ) =>
    new client.Gauge<T>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        fill(this);
      },
    });
  const poolReadings = (each: (pool: string, s: TPoolSource) => void) => {
    for (const [pool, read] of sources.pools) {
      const s = safe(read, onError(`pool ${pool}`));
      if (s) each(pool, s);
    }
  };
  const workerReadings = (each: (pool: string, w: TWorkerPoolReading) => void) => {
    for (const [pool, read] of sources.workerPools) {
      const w = safe(read, onError(`worker pool ${pool}`));
      if (w) each(pool, w);
    }
  };
  const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

  liveGauge("db_client_connection_count", "Connections in the pool, by state (used|idle).", ["pool", "state"], (g) =>
    poolReadings((pool, s) => {
      g.set({ pool, state: "used" }, Math.max(0, s.totalCount - s.idleCount));
      g.set({ pool, state: "idle" }, s.idleCount);
    }),
  );
  liveGauge("db_client_connection_max", "Largest number of connections the pool opens.", ["pool"], (g) =>
    poolReadings((pool, s) => g.set({ pool }, s.max)),
  );
  liveGauge("db_client_connection_pending_requests", "Callers waiting for a pool connection.", ["pool"], (g) =>
    poolReadings((pool, s) => g.set({ pool }, s.waitingCount)),
  );
  const connWait = new SeriesHistogram({
    name: "db_client_connection_wait_time_seconds",
    help: "Time from pool.connect()/query() until a connection was handed out.",
    labelNames: ["pool"] as const,
    buckets: WAIT_BUCKETS,
    registers,
  });
  const connCreate = new client.Counter({
    name: "db_client_connection_create_total",
    help: "Connections the pool opened (churn or leaks show as a steady rise).",
    labelNames: ["pool"] as const,
    registers,
  });

  const cacheRequests = new SeriesCounter({
    name: "cache_requests_total",
    help: "Cache lookups, by cache, level (memory|redis) and result (hit|miss).",
    labelNames: ["cache", "level", "result"] as const,
    registers,
  });
  const cacheEvictions = new client.Counter({
    name: "cache_evictions_total",
    help: "Entries evicted to make room (memory: size tracking; redis: the server's evicted_keys).",
    labelNames: ["cache", "level"] as const,
    registers,
    // Redis INFO reads: the only async source, and only this family depends on it.
    async collect() {
      await Promise.all([...sources.beforeCollect].map((f) => f().catch(onError("redis INFO"))));
    },
  });
  const cacheDuration = new SeriesHistogram({
    name: "cache_operation_duration_seconds",
    help: "Duration of cache operations, by cache, level and operation (get|set|delete).",
    labelNames: ["cache", "level", "operation"] as const,
    buckets: CACHE_BUCKETS,
    registers,
  });
  liveGauge("cache_entries", "Entries held by the cache, where knowable.", ["cache", "level"], (g) => {
    for (const [cache, read] of sources.memoryCaches) {
      const n = safe(read, onError(`cache ${cache}`));
      if (finite(n)) g.set({ cache, level: "memory" }, n);
    }
  });

  liveGauge("queue_depth", "Items waiting in the queue.", ["queue"], (g) => {
    for (const [queue, q] of sources.queues) {
      const d = safe(q.depth, onError(`queue ${queue}`));
      if (finite(d)) g.set({ queue }, d);
    }
  });
  liveGauge("queue_consumer_lag_seconds", "Age of the oldest unconsumed item.", ["queue"], (g) => {
    for (const [queue, q] of sources.queues) {
      if (!q.lag) continue;
      const l = safe(q.lag, onError(`queue ${queue} lag`));
      if (finite(l)) g.set({ queue }, l);
    }
  });
  liveGauge("worker_pool_size", "Workers in the pool.", ["pool"], (g) =>
    workerReadings((pool, w) => g.set({ pool }, w.size)),
  );
  liveGauge("worker_pool_active", "Workers busy with a task.", ["pool"], (g) =>
    workerReadings((pool, w) => g.set({ pool }, w.active)),
  );
  liveGauge("worker_pool_queued", "Tasks waiting for a worker.", ["pool"], (g) =>
    workerReadings((pool, w) => g.set({ pool }, w.queued)),
  );

  const droppedSamples = new client.Counter({
    name: "hotpath_agent_dropped_samples_total",
    help: "Samples the agent dropped (buffer full while Hotpath was unreachable, or refused as bad data).",
    registers,
  });
  const pushFailures = new client.Counter({
    name: "hotpath_agent_push_failures_total",
    help: "Failed pushes to Hotpath (network errors, timeouts, non-2xx answers).",
    registers,
  });
  const queuedBytes = new client.Gauge({
    name: "hotpath_agent_buffer_bytes",
    help: "Compressed bytes of unsent pushes waiting in the agent's buffer.",
    registers,
  });

  return {
    registry,
    sources,
    httpDuration,
    dbDuration,
    connWait,
    connCreate,
    cacheRequests,
    cacheEvictions,
    cacheDuration,
    droppedSamples,
    pushFailures,
    queuedBytes,
  };
}
