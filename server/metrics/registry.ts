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
