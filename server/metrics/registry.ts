// Hotpath's own metrics, exported at /metrics in Prometheus text format so Hotpath can watch itself.
import client from "prom-client";

export type TSelfMetrics = {
  registry: client.Registry;
  httpDuration: client.Histogram<"method" | "route" | "status">;
};

export function createSelfMetrics(): TSelfMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const httpDuration = new client.Histogram({
    name: "hotpath_http_request_duration_seconds",
    help: "Duration of HTTP requests served by Hotpath's API, by route template.",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, httpDuration };
}

export type TPipelineFigures = {
  committedSamples(): number;
  committedBatches(): number;
  failedBatches(): number;
  bufferedSamples(): number;
  activeSeries(): number;
  compactedSamples(): number;
  rollupSealedTo(): number;
  storeAvailable(): boolean;
};

/** Pipeline figures read at scrape time: no bookkeeping on the ingest path. */
export function registerPipelineMetrics(registry: client.Registry, f: TPipelineFigures): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new client.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge("hotpath_ingest_committed_samples", "Samples committed to the store since start.", f.committedSamples);
  gauge("hotpath_ingest_committed_batches", "Group-commit batches committed since start.", f.committedBatches);
  gauge("hotpath_ingest_failed_batches", "Batches the store refused since start.", f.failedBatches);
  gauge(
    "hotpath_ingest_buffered_samples",
    "Samples accepted and waiting for their batch to commit.",
    f.bufferedSamples,
  );
  gauge("hotpath_active_series", "Series known to the cardinality guard.", f.activeSeries);
  gauge(
    "hotpath_compacted_samples",
    "Samples moved from ingest blocks into chunks and rollups since start.",
    f.compactedSamples,
  );
  gauge(
    "hotpath_rollup_sealed_to_seconds",
    "1-minute rollups before this time are packed into segments (0: not sealed yet, or not the leader).",
    f.rollupSealedTo,
  );
  gauge("hotpath_store_available", "1 while the store accepts writes.", () => (f.storeAvailable() ? 1 : 0));
}
