// Cache instrumentation for the two levels of a data API's cache: an in-process LRU (any object with
// lru-cache's get/set/delete/has/size shape) and Redis (ioredis or anything with get/set/del).

// The global `performance` is a lazy accessor run on every read (Node 20); this binding is not.
import { performance } from "node:perf_hooks";
import { type Span, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import type { TAgentMetrics } from "./metrics";
import type { CounterSeries, HistogramSeries } from "./series";

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
  // This cache's series, resolved on first use: a series is exported once it has a value, as prom-client does.
  const durations: Partial<Record<TOperation, HistogramSeries>> = {};
  let hits: CounterSeries | undefined;
  let misses: CounterSeries | undefined;
  return {
    /** `hit` only for lookups that answered; `error` when the operation threw. */
    op(operation: TOperation, started: number, hit?: boolean, error?: unknown): void {
      try {
        const end = performance.now();
        let duration = durations[operation];
        if (duration === undefined) {
          duration = metrics.cacheDuration.series(cache, level, operation);
          durations[operation] = duration;
        }
        duration.observe((end - started) / 1000);
        if (hit === true) {
          hits ??= metrics.cacheRequests.series(cache, level, "hit");
          hits.inc();
        } else if (hit === false) {
          misses ??= metrics.cacheRequests.series(cache, level, "miss");
          misses.inc();
        }
        const spanName = operation === "get" ? "cache.get" : level === "redis" ? `cache.${operation}` : undefined;
        if (!spanName) return;
        const span = cacheSpan(tracer, spanName, cache, level, started);
        if (!span) return;
        if (hit !== undefined) span.setAttribute("cache.hit", hit);
        if (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
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

  // The usual one-argument calls go without a spread: a spread call keeps V8 from inlining the cache's
  // own get() here and runs it through generic call stubs.
  const get = (key: unknown, ...rest: unknown[]) => {
    const started = performance.now();
    const getFn = c.get as (...a: unknown[]) => unknown;
    const v = rest.length === 0 ? getFn.call(c, key) : getFn.call(c, key, ...rest);
    obs.op("get", started, v !== undefined);
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
    const setFn = c.set as (...a: unknown[]) => unknown;
    const out = rest.length === 0 ? setFn.call(c, key, value) : setFn.call(c, key, value, ...rest);
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
    const deleteFn = c.delete as (...a: unknown[]) => unknown;
    const out = rest.length === 0 ? deleteFn.call(c, key) : deleteFn.call(c, key, ...rest);
    obs.op("delete", started);
    return out;
  };

  // Other methods are bound once per method, not on every property read.
  const bound = new Map<PropertyKey, { fn: (...a: unknown[]) => unknown; bound: (...a: unknown[]) => unknown }>();
  const proxy: C = new Proxy(cache, {
    get(target, prop) {
      if (prop === "get") return get;
      if (prop === "set") return set;
      if (prop === "delete") return del;
      const v = Reflect.get(target, prop, target);
      if (typeof v !== "function") return v;
      const known = bound.get(prop);
      if (known?.fn === v) return known.bound;
      const b = { fn: v as (...a: unknown[]) => unknown, bound: v.bind(target) };
      bound.set(prop, b);
      return b.bound;
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
        obs.op("get", started, v !== null && v !== undefined);
        return v;
      } catch (err) {
        obs.op("get", started, undefined, err);
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
        obs.op("set", started, undefined, err);
        throw err;
      }
    },
    async del(key: string): Promise<void> {
      const started = performance.now();
      try {
        await redis.del(prefix + key);
        obs.op("delete", started);
      } catch (err) {
        obs.op("delete", started, undefined, err);
        throw err;
      }
    },
  };
}
