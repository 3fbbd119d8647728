// Wording shared by the findings list and page.
import type { TFinding } from "../../lib/contracts/findings";

export const KIND_LABELS: Record<TFinding["kind"], string> = {
  slow_query: "Slow query",
  n_plus_one: "N+1 queries",
  cache_hit_collapse: "Cache hit-ratio collapse",
  cache_undersized: "Cache too small",
  pool_saturation: "Pool saturation",
  connection_leak: "Connection leak",
  cpu_saturation: "CPU saturation",
  event_loop_blocked: "Event loop blocked",
  memory_leak: "Memory leak",
  slow_dependency: "Slow dependency",
  network_delay: "Network delay",
  cache_backend_slow: "Slow cache backend",
  queue_backlog: "Queue backlog",
  traffic_surge: "Traffic surge",
  latency_regression: "Latency regression",
};

export function targetText(target: Record<string, string>): string {
  return Object.entries(target)
    .filter(([k]) => k !== "statement" && k !== "fingerprint")
    .map(([k, v]) => `${k} ${v}`)
    .join(" · ");
}

export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
