// A two-level cache (memory LRU, then Redis) whose entries are invalidated by new data. Each entry
// records the series ids and [start, end] window it was computed from; a commit touching any of
// those series within the window removes it. Across nodes, commits are published (coalesced) on a
// Redis channel and every node drops the matching entries it holds or wrote.
import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import client from "prom-client";

export type TCacheLevel = "memory" | "redis";
export type TDependency = { seriesIds: ArrayLike<number>; startMs: number; endMs: number };
export type TInvalidation = { seriesIds: ArrayLike<number>; minTs: number; maxTs: number };

type TEntry = { value: string; dep: { ids: number[]; startMs: number; endMs: number } };

const CHANNEL = "hotpath:cache:invalidate";

export type TQueryCacheOptions = {
  name: string;
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
  redis?: { client: Redis; subscriber: Redis };
  registry: client.Registry;
};

export class QueryCache {
  private readonly memory: LRUCache<string, TEntry>;
  // series id → keys that depend on it (memory entries and Redis keys this node wrote).
  private readonly bySeries = new Map<number, Set<string>>();
  private readonly redisDeps = new Map<string, TEntry["dep"]>();
  private readonly requests: client.Counter<"cache" | "level" | "result">;
  private pending: { ids: Set<number>; minTs: number; maxTs: number } | undefined;
  private publishTimer: NodeJS.Timeout | undefined;
  private readonly listeners: ((inv: TInvalidation) => void)[] = [];

  constructor(private readonly opts: TQueryCacheOptions) {
    this.memory = new LRUCache<string, TEntry>({
      max: opts.maxEntries,
      maxSize: opts.maxBytes,
      sizeCalculation: (e) => e.value.length * 2 + 64,
      ttl: opts.ttlMs,
      dispose: (entry, key) => this.unindex(key, entry.dep.ids),
    });
    this.requests =
      (opts.registry.getSingleMetric("cache_requests_total") as client.Counter<"cache" | "level" | "result">) ??
      new client.Counter({
        // The agent's cache convention, so Hotpath's own cache shows on its Caches page like any other.
        name: "cache_requests_total",
        help: "Lookups in Hotpath's own query cache, by level and result.",
        labelNames: ["cache", "level", "result"] as const,
        registers: [opts.registry],
      });
    if (opts.redis) {
      const sub = opts.redis.subscriber;
      void sub.subscribe(CHANNEL).catch(() => undefined);
      sub.on("message", (channel, message) => {
        if (channel !== CHANNEL) return;
        try {
          const m = JSON.parse(message) as { ids: number[]; minTs: number; maxTs: number };
          this.invalidateLocal({ seriesIds: m.ids, minTs: m.minTs, maxTs: m.maxTs });
        } catch {
          // A malformed message from another version: ignore rather than crash the subscriber.
        }
      });
    }
  }

  async get(key: string): Promise<{ value: string; level: TCacheLevel } | undefined> {
    const hit = this.memory.get(key);
    if (hit) {
      this.requests.inc({ cache: this.cacheLabel, level: "memory", result: "hit" });
      return { value: hit.value, level: "memory" };
    }
    this.requests.inc({ cache: this.cacheLabel, level: "memory", result: "miss" });
    const redis = this.opts.redis?.client;
    if (redis?.status !== "ready") return undefined;
    const raw = await redis.get(this.redisKey(key)).catch(() => null);
    if (!raw) {
      this.requests.inc({ cache: this.cacheLabel, level: "redis", result: "miss" });
      return undefined;
    }
    this.requests.inc({ cache: this.cacheLabel, level: "redis", result: "hit" });
    const entry = JSON.parse(raw) as TEntry;
    this.setMemory(key, entry);
    return { value: entry.value, level: "redis" };
  }

  async set(key: string, value: string, dep: TDependency): Promise<void> {
    const entry: TEntry = { value, dep: { ids: Array.from(dep.seriesIds), startMs: dep.startMs, endMs: dep.endMs } };
    this.setMemory(key, entry);
    const redis = this.opts.redis?.client;
    if (redis && redis.status === "ready") {
      this.redisDeps.set(key, entry.dep);
      this.index(key, entry.dep.ids);
      await redis.set(this.redisKey(key), JSON.stringify(entry), "PX", this.opts.ttlMs).catch(() => undefined);
    }
  }

  /** New data committed on this node: drop what it touches here, and tell the other nodes. */
  invalidate(inv: TInvalidation): void {
    this.invalidateLocal(inv);
    if (!this.opts.redis) return;
    this.pending ??= { ids: new Set(), minTs: inv.minTs, maxTs: inv.maxTs };
    for (let i = 0; i < inv.seriesIds.length; i++) this.pending.ids.add(inv.seriesIds[i] as number);
    this.pending.minTs = Math.min(this.pending.minTs, inv.minTs);
    this.pending.maxTs = Math.max(this.pending.maxTs, inv.maxTs);
    // Coalesced: at ingest rates a message per commit would flood the channel.
    this.publishTimer ??= setTimeout(() => {
      this.publishTimer = undefined;
      const p = this.pending;
      this.pending = undefined;
      if (!p) return;
      const message = JSON.stringify({ ids: [...p.ids], minTs: p.minTs, maxTs: p.maxTs });
      void this.opts.redis?.client.publish(CHANNEL, message).catch(() => undefined);
    }, 100);
  }

  get size(): number {
    return this.memory.size;
  }

  /**
   * Also tells `listener` of every invalidation this node applies, its own and other nodes' (over
   * Redis): caches of data below query results (server/cache/rollup-cache.ts) follow the same events.
   */
  onInvalidate(listener: (inv: TInvalidation) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    if (this.publishTimer) clearTimeout(this.publishTimer);
  }

  private invalidateLocal(inv: TInvalidation): void {
    for (const l of this.listeners) l(inv);
    const doomed = new Set<string>();
    for (let i = 0; i < inv.seriesIds.length; i++) {
      const keys = this.bySeries.get(inv.seriesIds[i] as number);
      if (!keys) continue;
      for (const key of keys) {
        const dep = this.memory.peek(key)?.dep ?? this.redisDeps.get(key);
        if (dep && dep.endMs >= inv.minTs && dep.startMs <= inv.maxTs) doomed.add(key);
      }
    }
    const redis = this.opts.redis?.client;
    for (const key of doomed) {
      this.memory.delete(key);
      if (this.redisDeps.has(key)) {
        const dep = this.redisDeps.get(key);
        this.redisDeps.delete(key);
        if (dep) this.unindex(key, dep.ids);
        void redis?.del(this.redisKey(key)).catch(() => undefined);
      }
    }
  }

  private setMemory(key: string, entry: TEntry): void {
    this.memory.set(key, entry);
    this.index(key, entry.dep.ids);
  }

  private index(key: string, ids: number[]): void {
    for (const id of ids) {
      let keys = this.bySeries.get(id);
      if (!keys) {
        keys = new Set();
        this.bySeries.set(id, keys);
      }
      keys.add(key);
    }
  }

  private unindex(key: string, ids: number[]): void {
    if (this.redisDeps.has(key)) return; // still needed to invalidate the Redis copy
    for (const id of ids) {
      const keys = this.bySeries.get(id);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.bySeries.delete(id);
    }
  }

  private get cacheLabel(): string {
    return `hotpath_${this.opts.name}`;
  }

  private redisKey(key: string): string {
    return `hotpath:cache:${this.opts.name}:${key}`;
  }
}
