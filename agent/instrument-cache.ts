// Cache instrumentation for the two levels of a data API's cache: an in-process LRU (any object with
// lru-cache's get/set/delete/has/size shape) and Redis (ioredis or anything with get/set/del).
import { type Span, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import type { TAgentMetrics } from "./metrics";

export type TCacheDeps = { tracer: Tracer; metrics: TAgentMetrics; log: (message: string) => void };

/** The part of lru-cache (v7–v11) the wrapper relies on; a Map-backed LRU fits too. */
export type TLruLike<K, V> = {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
  delete(key: K): boolean;
  has(key: K): boolean;
  readonly size: number;
  readonly max?: number;
};

/** The part of an ioredis client the Redis wrapper uses (INFO is optional, for evictions). */
export type TRedisLike = {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  set(key: string, value: string, secondsToken: "EX", seconds: number): Promise<unknown>;
  del(key: string): Promise<number>;
  info?(section: string): Promise<string>;
  readonly status?: string;
};

export type TRedisCache = {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  del(key: string): Promise<void>;
};

type TLevel = "memory" | "redis";
type TOperation = "get" | "set" | "delete";

/** A cache span only inside a traced request: a background lookup alone would be noise. */
function cacheSpan(tracer: Tracer, name: string, cache: string, level: TLevel, startTime: number): Span | undefined {
  const parent = trace.getActiveSpan();
  if (!parent?.isRecording()) return undefined;
  return tracer.startSpan(name, { startTime, attributes: { "cache.name": cache, "cache.level": level } });
}

function observer(deps: TCacheDeps, cache: string, level: TLevel) {
  const { metrics, tracer } = deps;
  return {
    op(operation: TOperation, started: number, extra?: { hit?: boolean; error?: unknown }): void {
      try {
        const end = performance.now();
        metrics.cacheDuration.observe({ cache, level, operation }, (end - started) / 1000);
        if (extra?.hit !== undefined) {
          metrics.cacheRequests.inc({ cache, level, result: extra.hit ? "hit" : "miss" });
        }
        const spanName = operation === "get" ? "cache.get" : level === "redis" ? `cache.${operation}` : undefined;
        if (!spanName) return;
        const span = cacheSpan(tracer, spanName, cache, level, started);
        if (!span) return;
        if (extra?.hit !== undefined) span.setAttribute("cache.hit", extra.hit);
        if (extra?.error) {
          span.recordException(extra.error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (extra.error as Error).message });
        }
        span.end(end);
      } catch (err) {
        deps.log(`cache instrumentation: ${(err as Error).message}`);
      }
    },
  };
}

/**
 * Returns a Proxy with the cache's own interface whose get/set/delete are timed and counted. Evictions
 * are found by size tracking: a set() of a new key that does not grow the cache evicted something.
 * Other members pass through, bound to the real cache (lru-cache uses private fields).
 */
export function wrapLruCache<C extends object>(deps: TCacheDeps, cache: C, opts: { name: string }): C {
  const c = cache as unknown as TLruLike<unknown, unknown>;
  const name = opts.name;
  const obs = observer(deps, name, "memory");
  deps.metrics.sources.memoryCaches.set(name, () => c.size);
  const evictions = deps.metrics.cacheEvictions;

  const get = (key: unknown, ...rest: unknown[]) => {
    const started = performance.now();
    const v = (c.get as (...a: unknown[]) => unknown).call(c, key, ...rest);
    obs.op("get", started, { hit: v !== undefined });
    return v;
  };
  const set = (key: unknown, value: unknown, ...rest: unknown[]) => {
    const started = performance.now();
    let had = true;
    let before = 0;
    try {
      had = c.has(key);
      before = c.size;
    } catch {}
    const out = (c.set as (...a: unknown[]) => unknown).call(c, key, value, ...rest);
    try {
      if (!had && value !== undefined) {
        const evicted = before + 1 - c.size;
        if (evicted > 0) evictions.inc({ cache: name, level: "memory" }, evicted);
      }
    } catch {}
    obs.op("set", started);
    // lru-cache returns the cache itself for chaining: keep returning the instrumented one.
    return out === cache ? proxy : out;
  };
  const del = (key: unknown, ...rest: unknown[]) => {
    const started = performance.now();
    const out = (c.delete as (...a: unknown[]) => unknown).call(c, key, ...rest);
    obs.op("delete", started);
    return out;
  };

  const proxy: C = new Proxy(cache, {
    get(target, prop) {
      if (prop === "get") return get;
      if (prop === "set") return set;
      if (prop === "delete") return del;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return proxy;
}

/** Per Redis connection: the last evicted_keys read and the cache name it is reported under. */
const redisEvictionState = new WeakMap<object, { last?: number; cache: string }>();

export function wrapRedisCache(
  deps: TCacheDeps,
  redis: TRedisLike,
  opts: { name: string; prefix?: string },
): TRedisCache {
  const name = opts.name;
  const prefix = opts.prefix ?? "";
  const obs = observer(deps, name, "redis");

  // Evictions are a server-wide figure (INFO stats evicted_keys); they are reported under the first
  // cache wrapped on a connection so that two wrappers do not count them twice.
  if (typeof redis.info === "function" && !redisEvictionState.has(redis)) {
    const state: { last?: number; cache: string } = { cache: name };
    redisEvictionState.set(redis, state);
    deps.metrics.sources.beforeCollect.add(async () => {
      if (redis.status !== undefined && redis.status !== "ready") return;
      let timer: NodeJS.Timeout | undefined;
      const info = await Promise.race([
        (redis.info as (s: string) => Promise<string>).call(redis, "stats"),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), 250);
          timer.unref();
        }),
      ]).finally(() => clearTimeout(timer));
      if (typeof info !== "string") return;
      const m = /^evicted_keys:(\d+)/m.exec(info);
      if (!m) return;
      const now = Number(m[1]);
      if (state.last !== undefined && now > state.last) {
        deps.metrics.cacheEvictions.inc({ cache: state.cache, level: "redis" }, now - state.last);
      }
      state.last = now;
    });
  }

  return {
    async get(key: string): Promise<string | null> {
      const started = performance.now();
      try {
        const v = await redis.get(prefix + key);
        obs.op("get", started, { hit: v !== null && v !== undefined });
        return v;
      } catch (err) {
        obs.op("get", started, { error: err });
        throw err;
      }
    },
    async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
      const started = performance.now();
      try {
        if (ttlSeconds !== undefined && ttlSeconds > 0) {
          await redis.set(prefix + key, value, "EX", Math.max(1, Math.ceil(ttlSeconds)));
        } else {
          await redis.set(prefix + key, value);
        }
        obs.op("set", started);
      } catch (err) {
        obs.op("set", started, { error: err });
        throw err;
      }
    },
    async del(key: string): Promise<void> {
      const started = performance.now();
      try {
        await redis.del(prefix + key);
        obs.op("delete", started);
      } catch (err) {
        obs.op("delete", started, { error: err });
        throw err;
      }
    },
  };
}
