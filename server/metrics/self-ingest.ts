// Hotpath watches itself: its own registry (HTTP, pipeline, cache, Node runtime) is ingested into its
// own store every interval as job="hotpath", through the same pipeline as any agent's push, so its
// dashboards, Caches page and analyzer can show Hotpath like any other service.
import { hostname } from "node:os";
import type client from "prom-client";
import type { Ingestor } from "../ingest/ingest";

export function startSelfIngest(registry: client.Registry, ingestor: Ingestor, intervalMs = 10_000): () => void {
  const instance = `${hostname()}:${process.pid}`;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    registry
      .metrics()
      .then((text) =>
        ingestor.ingestPromText(text, { extraLabels: { job: "hotpath", instance }, receivedAtMs: Date.now() }),
      )
      .catch(() => undefined) // a store outage is visible at /api/health; nothing to add here
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
