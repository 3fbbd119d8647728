// The read path of a good data API: an in-process LRU (level "memory"), then Redis when configured
// (level "redis"), then the database; concurrent misses for one key share a single load, and writes
// go to the database first and then overwrite (or delete) both cache levels.
import { LRUCache } from "lru-cache";
import type { FaultRegistry } from "./faults";

/** The part of lru-cache's interface the tiered cache uses (the agent's wrapper keeps it). */
export type TMemoryLevel = {
  get(key: string): object | undefined;
  set(key: string, value: object): unknown;
  delete(key: string): boolean;
  clear(): void;
  readonly size: number;
};

/** The agent's Redis wrapper: strings in, strings out. */
export type TRedisLevel = {
  get(key: string): Promise<string | null | undefined>;
  set(key: string, value: string, ttlSeconds?: number): Promise<unknown>;
  del(key: string): Promise<unknown>;
};

/**
 * An LRU whose entries all weigh `weight()`: normally 1, so it holds `max` entries. The
 * cache_undersized fault raises the weight so the same LRU holds only a handful and evicts through
 * its own policy (dispose hooks, eviction counters and `size` all see real evictions).
 */
export function createLru(max: number, weight: () => number): LRUCache<string, object> {
  return new LRUCache<string, object>({ max, maxSize: max, sizeCalculation: () => weight(), ttl: 5 * 60_000 });
}

export type TCacheSource = "memory" | "redis" | "db";

export class TieredCache {
  private readonly inflight = new Map<string, Promise<object | undefined>>();

  constructor(
    private readonly opts: {
      memory: TMemoryLevel;
      redis?: TRedisLevel;
      /** Key namespace for both levels, e.g. "shop:v1:". */
      prefix: string;
      ttlSeconds: number;
      faults: FaultRegistry;
      random: () => number;
      /** Redis failing is not the request's failure: the read goes through to the database. */
      onRedisError?: (err: Error) => void;
    },
  ) {}

  private async redisGet(k: string): Promise<string | null | undefined> {
    try {
      return await this.opts.redis?.get(k);
    } catch (err) {
      this.opts.onRedisError?.(err as Error);
      return undefined;
    }
  }

  private async redisSet(k: string, value: object): Promise<void> {
    try {
      await this.opts.redis?.set(k, JSON.stringify(value), this.opts.ttlSeconds);
    } catch (err) {
      this.opts.onRedisError?.(err as Error);
    }
  }

  /**
   * The key actually used. Under cache_hit_collapse a share of requests (= intensity) build it with
   * a per-request prefix, as a bad deploy that put a timestamp in the namespace would: every get misses.
   */
  private k(key: string): string {
    const broken = this.opts.faults.intensity("cache_hit_collapse");
    if (this.opts.faults.isOn("cache_hit_collapse") && this.opts.random() < Math.max(broken, 0.05)) {
      return `${this.opts.prefix}${Date.now().toString(36)}${Math.floor(this.opts.random() * 1e9).toString(36)}:${key}`;
    }
    return `${this.opts.prefix}${key}`;
  }

  async get<T extends object>(
    key: string,
    load: () => Promise<T | undefined>,
  ): Promise<{ value: T | undefined; source: TCacheSource }> {
    const k = this.k(key);
    const mem = this.opts.memory.get(k);
    if (mem !== undefined) return { value: mem as T, source: "memory" };
    let source: TCacheSource = "db";
    let pending = this.inflight.get(k);
    if (!pending) {
      pending = (async () => {
        if (this.opts.redis) {
          const raw = await this.redisGet(k);
          if (raw !== null && raw !== undefined) {
            const value = JSON.parse(raw) as T;
            this.opts.memory.set(k, value);
            source = "redis";
            return value;
          }
        }
        const value = await load();
        if (value !== undefined) {
          this.opts.memory.set(k, value);
          await this.redisSet(k, value);
        }
        return value;
      })().finally(() => this.inflight.delete(k));
      this.inflight.set(k, pending);
    }
    return { value: (await pending) as T | undefined, source };
  }

  /** Write-through: the caller has committed `value` to the database; overwrite both levels. */
  async put(key: string, value: object): Promise<void> {
    const k = `${this.opts.prefix}${key}`;
    this.inflight.delete(k);
    this.opts.memory.set(k, value);
    await this.redisSet(k, value);
  }

  /** Invalidation after a write whose new value is not at hand (lists, aggregates). */
  async invalidate(key: string): Promise<void> {
    const k = `${this.opts.prefix}${key}`;
    this.inflight.delete(k);
    this.opts.memory.delete(k);
    try {
      await this.opts.redis?.del(k);
    } catch (err) {
      // A stale entry would outlive the write: surface it (the caller's request fails loudly).
      this.opts.onRedisError?.(err as Error);
      throw err;
    }
  }
}
