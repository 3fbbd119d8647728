// The "Data API overview" dashboard, provisioned at start: it fills from the agent's conventions
// (README "Conventions"), so a service instrumented with agent/ shows up without any setup.
import type { TDashboardInput, TPanel } from "../../lib/contracts/dashboards";

export const OVERVIEW_UID = "data-api-overview";

const q = (expr: string, legend?: string) => ({ expr, ...(legend ? { legend } : {}) });
const hq = (p: number, metric: string, by: string) =>
  `histogram_quantile(${p}, sum by (le, ${by}) (rate(${metric}_bucket[1m])))`;

let y = 0;
const row = (panels: Omit<TPanel, "grid">[], h = 8): TPanel[] => {
  const w = Math.floor(12 / panels.length);
  const out = panels.map((p, i) => ({ ...p, grid: { x: i * w, y, w, h } }));
  y += h;
  return out;
};

export const OVERVIEW_DASHBOARD: TDashboardInput = {
  title: "Data API overview",
  description: "RED per route, cache hit ratio per cache and level, pool use and wait, runtime health.",
  spec: {
    timeRange: { from: "now-1h", to: "now" },
    panels: [
      ...row([
        {
          id: "req-rate",
          title: "Requests per second by route",
          kind: "timeseries",
          style: "stacked",
          unit: "reqps",
          queries: [q("sum by (route) (rate(http_server_request_duration_seconds_count[1m]))", "{{route}}")],
        },
        {
          id: "err-ratio",
          title: "Error ratio (5xx) by route",
          kind: "timeseries",
          unit: "percent",
          queries: [
            q(
              'sum by (route) (rate(http_server_request_duration_seconds_count{status=~"5.."}[1m])) / sum by (route) (rate(http_server_request_duration_seconds_count[1m]))',
              "{{route}}",
            ),
          ],
          thresholds: [0.01],
        },
      ]),
      ...row([
        {
          id: "latency",
          title: "Latency p50 / p95 / p99 by route",
          kind: "timeseries",
          unit: "s",
          queries: [
            q(hq(0.5, "http_server_request_duration_seconds", "route"), "p50 {{route}}"),
            q(hq(0.95, "http_server_request_duration_seconds", "route"), "p95 {{route}}"),
            q(hq(0.99, "http_server_request_duration_seconds", "route"), "p99 {{route}}"),
          ],
        },
        {
          id: "latency-heatmap",
          title: "Request duration distribution",
          kind: "heatmap",
          unit: "s",
          queries: [q("sum by (le) (rate(http_server_request_duration_seconds_bucket[1m]))")],
        },
      ]),
      ...row([
        {
          id: "cache-hit",
          title: "Cache hit ratio by cache and level",
          kind: "timeseries",
          unit: "percent",
          queries: [
            q(
              'sum by (cache, level) (rate(cache_requests_total{result="hit"}[1m])) / sum by (cache, level) (rate(cache_requests_total[1m]))',
              "{{cache}} {{level}}",
            ),
          ],
          thresholds: [0.8],
        },
        {
          id: "cache-evictions",
          title: "Cache evictions per second",
          kind: "timeseries",
          unit: "ops",
          queries: [q("sum by (cache, level) (rate(cache_evictions_total[1m]))", "{{cache}} {{level}}")],
        },
      ]),
      ...row([
        {
          id: "pool-use",
          title: "Connection pool use",
          kind: "timeseries",
          unit: "percent",
          queries: [
            q(
              'sum by (pool) (db_client_connection_count{state="used"}) / sum by (pool) (db_client_connection_max)',
              "{{pool}}",
            ),
          ],
          thresholds: [0.9],
        },
        {
          id: "pool-wait",
          title: "Pool wait p95 and pending requests",
          kind: "timeseries",
          unit: "s",
          queries: [q(hq(0.95, "db_client_connection_wait_time_seconds", "pool"), "wait p95 {{pool}}")],
        },
        {
          id: "db-latency",
          title: "DB operation p95",
          kind: "timeseries",
          unit: "s",
          queries: [q(hq(0.95, "db_client_operation_duration_seconds", "db_operation"), "{{db_operation}}")],
        },
      ]),
      ...row([
        {
          id: "eventloop",
          title: "Event-loop lag p99",
          kind: "timeseries",
          unit: "s",
          queries: [q("max by (job) (nodejs_eventloop_lag_p99_seconds)", "{{job}}")],
          thresholds: [0.1],
        },
        {
          id: "cpu",
          title: "CPU (cores)",
          kind: "timeseries",
          unit: "short",
          queries: [q("sum by (job) (rate(process_cpu_seconds_total[1m]))", "{{job}}")],
        },
        {
          id: "memory",
          title: "Heap used and RSS",
          kind: "timeseries",
          unit: "bytes",
          queries: [
            q("sum by (job) (nodejs_heap_size_used_bytes)", "heap {{job}}"),
            q("sum by (job) (process_resident_memory_bytes)", "rss {{job}}"),
          ],
        },
        {
          id: "gc",
          title: "GC time per second",
          kind: "timeseries",
          unit: "s",
          queries: [q("sum by (job) (rate(nodejs_gc_duration_seconds_sum[1m]))", "{{job}}")],
        },
      ]),
      ...row(
        [
          {
            id: "req-total",
            title: "Requests per second",
            kind: "stat",
            unit: "reqps",
            queries: [q("sum(rate(http_server_request_duration_seconds_count[1m]))")],
          },
          {
            id: "queue",
            title: "Queue depth",
            kind: "timeseries",
            unit: "short",
            queries: [q("sum by (queue) (queue_depth)", "{{queue}}")],
          },
          {
            id: "routes-table",
            title: "Routes by p95",
            kind: "table",
            unit: "s",
            queries: [q(`topk(10, ${hq(0.95, "http_server_request_duration_seconds", "route")})`, "{{route}}")],
          },
        ],
        6,
      ),
    ],
  },
};
