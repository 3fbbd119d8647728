// Fault switches: named, combinable bottlenecks with an intensity in 0..1. The registry only records
// what is on; each subsystem of the demo reads `intensity(label)` on its hot path or subscribes to
// changes (for faults that must act once, such as dropping an index).
import { z } from "zod";

export const FAULT_LABELS = [
  "slow_query",
  "n_plus_one",
  "cache_hit_collapse",
  "cache_undersized",
  "pool_saturation",
  "connection_leak",
  "cpu_saturation",
  "event_loop_blocked",
  "memory_leak",
  "slow_dependency",
  "network_delay",
  "cache_backend_slow",
  "queue_backlog",
  "traffic_surge",
] as const;

export type TFaultLabel = (typeof FAULT_LABELS)[number];

export const ZFaultLabelSchema = z.enum(FAULT_LABELS);
export const ZFaultBodySchema = z
  .object({ intensity: z.number().min(0, "expected 0..1").max(1, "expected 0..1").default(1) })
  .strict();

/** What each switch breaks and where it shows; served by `GET /faults` and mirrored in demo/README.md. */
export const FAULT_CATALOG: Record<TFaultLabel, { bottleneck: string; signals: string }> = {
  slow_query: {
    bottleneck:
      "missing index: drops orders(customer_id) (and order_items(order_id) at intensity >= 0.5), so GET /customers/:id/orders seq-scans",
    signals:
      "db_client_operation_duration_seconds and http_server_request_duration_seconds{route=/customers/:id/orders} rise; db spans carry the orders query text",
  },
  n_plus_one: {
    bottleneck:
      "GET /customers/:id/orders loads items with one query per order (and one per item's product at intensity >= 0.5)",
    signals: "db operations per request jump (db op count rate >> http request rate); traces show dozens of db spans",
  },
  cache_hit_collapse: {
    bottleneck: "caches flushed and a broken key prefix (per request, probability = intensity) so gets miss",
    signals: "cache_requests_total{result=miss} rate jumps, hit ratio falls, db operation rate rises",
  },
  cache_undersized: {
    bottleneck: "the in-process LRU holds only 8..72 entries (smaller with intensity), so it evicts constantly",
    signals: "cache evictions rate jumps, memory-level hit ratio falls, redis/db traffic rises",
  },
  pool_saturation: {
    bottleneck:
      "pool max drops from 10 towards 2 and every query holds its connection 10..100 ms longer (work done while holding it)",
    signals: "db_client_connection_count{state=used} pinned at max, pending requests and connection wait time rise",
  },
  connection_leak: {
    bottleneck: "2..10 % of queries check out a client and never release it (released again when cleared)",
    signals: "used connections climb to max and stay there, idle -> 0, waits and timeouts (HTTP 503) rise",
  },
  cpu_saturation: {
    bottleneck: "busy loops: up to 12 ms per request on the main thread and up to 11x work per worker task",
    signals: "process_cpu_seconds_total rate rises, worker pool queue grows, request durations rise everywhere",
  },
  event_loop_blocked: {
    bottleneck: "the main thread is blocked synchronously for 50..300 ms every 0.5..1 s",
    signals: "nodejs_eventloop_lag_seconds / p99 rise, every route's tail latency rises together",
  },
  memory_leak: {
    bottleneck: "requests and a timer retain growing object graphs (capped at ~384 MB x intensity)",
    signals: "nodejs_heap_size_used_bytes and process_resident_memory_bytes climb, nodejs_gc_duration_seconds rises",
  },
  slow_dependency: {
    bottleneck: "the inventory-service answers after 100..1000 ms",
    signals: "client span to inventory-service and /inventory/:id duration rise; other routes unaffected",
  },
  network_delay: {
    bottleneck: "2..40 ms added to every round trip to the database and Redis (a delaying TCP proxy)",
    signals: "every db operation and redis cache get rises by a similar floor, whatever the query",
  },
  cache_backend_slow: {
    bottleneck: "Redis round trips slowed by 5..100 ms (needs REDIS_URL); hit ratio unchanged",
    signals: "redis-level cache latency and route durations rise while cache hit ratio stays the same",
  },
  queue_backlog: {
    bottleneck: "the order-event consumer and the product-stats batch slow down and fall behind",
    signals: "queue_depth and queue lag rise; the producer pauses (backpressure) when the queue is full",
  },
  traffic_surge: {
    bottleneck: "the load generator multiplies its rate by 1 + 4 x intensity",
    signals: "http request rate jumps; pools, caches and queues are stressed in proportion",
  },
};

export type TActiveFault = { label: TFaultLabel; intensity: number; since: string };
type TListener = (intensity: number | undefined, previous: number | undefined) => void | Promise<void>;

export class FaultRegistry {
  private readonly active = new Map<TFaultLabel, { intensity: number; since: number }>();
  private readonly listeners = new Map<TFaultLabel, TListener[]>();
  private chain: Promise<void> = Promise.resolve();

  /** 0 when the fault is off. Hot paths call this. */
  intensity(label: TFaultLabel): number {
    return this.active.get(label)?.intensity ?? 0;
  }

  isOn(label: TFaultLabel): boolean {
    return this.active.has(label);
  }

  list(): TActiveFault[] {
    return [...this.active].map(([label, f]) => ({
      label,
      intensity: f.intensity,
      since: new Date(f.since).toISOString(),
    }));
  }

  /** Runs `fn` on every change of `label` (set, intensity change, clear). Changes are serialised. */
  on(label: TFaultLabel, fn: TListener): void {
    const list = this.listeners.get(label) ?? [];
    list.push(fn);
    this.listeners.set(label, list);
  }

  async set(label: TFaultLabel, intensity = 1): Promise<TActiveFault> {
    const value = Math.min(1, Math.max(0, intensity));
    const prev = this.active.get(label);
    this.active.set(label, { intensity: value, since: prev?.since ?? Date.now() });
    await this.notify(label, value, prev?.intensity);
    return this.list().find((f) => f.label === label) as TActiveFault;
  }

  async clear(label: TFaultLabel): Promise<boolean> {
    const prev = this.active.get(label);
    if (!prev) return false;
    this.active.delete(label);
    await this.notify(label, undefined, prev.intensity);
    return true;
  }

  async clearAll(): Promise<void> {
    for (const label of [...this.active.keys()]) await this.clear(label);
  }

  private notify(label: TFaultLabel, now: number | undefined, prev: number | undefined): Promise<void> {
    const run = async () => {
      for (const fn of this.listeners.get(label) ?? []) await fn(now, prev);
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** `slow_query:0.8` or `cache_hit_collapse` (intensity 1). */
export function parseFaultSpec(spec: string): { label: TFaultLabel; intensity: number } {
  const [name = "", raw] = spec.split(":", 2);
  const label = ZFaultLabelSchema.safeParse(name.trim());
  if (!label.success) {
    throw new Error(`unknown fault "${name}": expected one of ${FAULT_LABELS.join(", ")}`);
  }
  if (raw === undefined || raw.trim() === "") return { label: label.data, intensity: 1 };
  const intensity = Number(raw);
  if (!Number.isFinite(intensity) || intensity < 0 || intensity > 1) {
    throw new Error(`fault "${spec}": intensity must be a number in 0..1`);
  }
  return { label: label.data, intensity };
}
