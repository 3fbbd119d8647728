// The Hotpath agent: runs inside a user's Node service, pushes its prom-client registry to Hotpath
// as gzip'd Prometheus text on an interval, exports OTel spans over OTLP/HTTP, and instruments the
// usual parts of a data API (HTTP server, pg pool, LRU and Redis caches, queues, worker pools) by the
// conventions the analyzer reads (agent/README.md). It never throws into or blocks the host: timers
// are unref'd, errors are caught and counted, and memory is bounded while Hotpath is unreachable.

import type { IncomingMessage, Server } from "node:http";
import { hostname } from "node:os";
import { type Tracer, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-node";
import type { FastifyInstance, FastifyPluginCallback } from "fastify";
import type pg from "pg";
import client from "prom-client";
import { rewriteExposition } from "./exposition";
import {
  type TCacheDeps,
  type TLruLike,
  type TRedisCache,
  type TRedisLike,
  wrapLruCache,
  wrapRedisCache,
} from "./instrument-cache";
import {
  explicitRoutes,
  fastifyPlugin,
  instrumentFastify,
  instrumentHttpServer,
  type THttpDeps,
  type TRouteOf,
} from "./instrument-http";
import { type TPgDeps, type TWrapPgOptions, wrapPgPool } from "./instrument-pg";
import { createMetrics, type TAgentMetrics, type TWorkerPoolReading } from "./metrics";
import { errorMessage, PeriodicPusher, type TPushStats } from "./push";
import { RateLimitingSampler } from "./sampler";

export type { TLruLike, TRedisCache, TRedisLike } from "./instrument-cache";
export type { TPushStats } from "./push";
export { normalizeSql, sqlOperation } from "./sql";

export const AGENT_VERSION = "0.1.0";

export type THotpathAgentOptions = {
  /** Hotpath base URL, e.g. http://127.0.0.1:3000 */
  url: string;
  /** Bearer key with the ingest right. */
  key?: string;
  /** Becomes job=<service> and the OTel resource service.name. */
  service: string;
  /** Default `${hostname}:${pid}`. */
  instance?: string;
  /** Default 5000. */
  pushIntervalMs?: number;
  /** Queued unsent bodies (compressed bytes), default 8 MiB; oldest dropped first. */
  maxBufferBytes?: number;
  /** prom-client collectDefaultMetrics, default true. */
  defaultMetrics?: boolean;
  /** Default true: OTel tracer exporting to <url>/v1/traces. */
  traces?: boolean;
  /**
   * Opt-in: run EXPLAIN (FORMAT JSON) on sampled statements slower than this and attach the plan to the
   * span as attribute `db.plan` (JSON string). Default off.
   */
  explainSlowQueriesMs?: number;
  /**
   * New traces recorded per second at most (children follow their root); default 10, as Datadog's
   * agent: each recorded trace costs ~0.8 ms of CPU in the OTel SDK (bench/agent.ts), untraced
   * requests a few µs.
   */
  maxTracesPerSecond?: number;
  /** For tests. */
  fetch?: typeof fetch;
  /** Where the agent's few log lines go (default console.warn with a prefix); false silences them. */
  logger?: ((message: string) => void) | false;
};

export type THotpathAgentStats = TPushStats;

type TPgPoolOptions = TWrapPgOptions;

/** Creates the agent. Call start() to begin periodic pushes. Throws only on invalid options. */
export function createAgent(opts: THotpathAgentOptions): HotpathAgent {
  return new HotpathAgent(opts);
}

export class HotpathAgent {
  /** The service's own registry: add your metrics here (`registers: [agent.registry]`). */
  readonly registry: client.Registry;
  readonly tracer: Tracer;
  readonly stats: THotpathAgentStats;
  readonly service: string;
  readonly instance: string;

  private readonly metrics: TAgentMetrics;
  private readonly pusher: PeriodicPusher;
  private readonly provider: NodeTracerProvider | undefined;
  private readonly log: (message: string) => void;
  private readonly pendingExplains = new Set<Promise<void>>();
  private readonly deps: THttpDeps & TCacheDeps & TPgDeps;
  private readonly loggedReadErrors = new Set<string>();
  private shutDown: Promise<void> | undefined;
  private canStartTrace: (now?: number) => boolean = () => false;

  constructor(opts: THotpathAgentOptions) {
    const base = parseBaseUrl(opts.url);
    if (typeof opts.service !== "string" || opts.service.trim() === "") {
      throw new TypeError("hotpath agent: `service` must be a non-empty string");
    }
    this.service = opts.service.trim();
    this.instance = opts.instance?.trim() || `${hostname()}:${process.pid}`;
    const intervalMs = positive(opts.pushIntervalMs, 5000, "pushIntervalMs");
    const maxBufferBytes = positive(opts.maxBufferBytes, 8 * 1024 * 1024, "maxBufferBytes");
    if (opts.explainSlowQueriesMs !== undefined) positive(opts.explainSlowQueriesMs, 0, "explainSlowQueriesMs");
    this.log =
      opts.logger === false ? () => {} : (opts.logger ?? ((m: string) => console.warn(`[hotpath-agent] ${m}`)));

    this.registry = new client.Registry();
    this.metrics = createMetrics(this.registry, (what, err) => {
      if (this.loggedReadErrors.has(what) || this.loggedReadErrors.size > 100) return;
      this.loggedReadErrors.add(what);
      this.log(`reading ${what} failed (logged once): ${errorMessage(err)}`);
    });
    if (opts.defaultMetrics !== false) {
      try {
        client.collectDefaultMetrics({ register: this.registry });
      } catch (err) {
        this.log(`default metrics unavailable: ${errorMessage(err)}`);
      }
    }

    const auth: Record<string, string> = opts.key ? { authorization: `Bearer ${opts.key}` } : {};
    const pushUrl = `${base}/api/v1/push?job=${encodeURIComponent(this.service)}&instance=${encodeURIComponent(this.instance)}`;
    this.pusher = new PeriodicPusher({
      url: pushUrl,
      headers: { ...auth, "user-agent": `hotpath-agent/${AGENT_VERSION}` },
      fetch: opts.fetch,
      maxBufferBytes,
      intervalMs,
      log: this.log,
      onFailure: () => this.metrics.pushFailures.inc(),
      onDrop: (_bodies, samples) => this.metrics.droppedSamples.inc(samples),
      collect: async (nowMs) => {
        this.metrics.queuedBytes.set(this.pusher.stats.queuedBytes);
        const text = await this.registry.metrics();
        return {
          text: rewriteExposition(text, { timestampMs: nowMs }).text,
          contentType: "text/plain; version=0.0.4; charset=utf-8",
        };
      },
    });
    this.stats = this.pusher.stats;

    if (opts.traces !== false) {
      const exporter = new LoggingSpanExporter(
        new OTLPTraceExporter({ url: `${base}/v1/traces`, headers: { ...auth }, timeoutMillis: 5000 }),
        this.log,
      );
      const perSecond = positive(opts.maxTracesPerSecond, 10, "maxTracesPerSecond");
      const rootSampler = new RateLimitingSampler(perSecond);
      this.canStartTrace = (now) => rootSampler.canSample(now);
      this.provider = new NodeTracerProvider({
        sampler: new ParentBasedSampler({ root: rootSampler }),
        resource: resourceFromAttributes({
          "service.name": this.service,
          "service.instance.id": this.instance,
          "telemetry.sdk.name": "hotpath-agent",
        }),
        spanProcessors: [
          new BatchSpanProcessor(exporter, {
            scheduledDelayMillis: Math.min(intervalMs, 5000),
            maxQueueSize: 4096,
            maxExportBatchSize: 512,
            exportTimeoutMillis: 5000,
          }),
        ],
      });
      // Registers the AsyncLocalStorage context manager and W3C propagator (a no-op where the service
      // registered its own already, which is fine: the agent keeps its own tracer either way).
      this.provider.register();
      this.tracer = this.provider.getTracer("hotpath-agent", AGENT_VERSION);
    } else {
      this.tracer = trace.getTracer("hotpath-agent", AGENT_VERSION);
    }

    this.deps = {
      tracer: this.tracer,
      canStartTrace: this.canStartTrace,
      metrics: this.metrics,
      log: this.log,
      explainSlowQueriesMs: opts.explainSlowQueriesMs,
      pendingExplains: this.pendingExplains,
    };
  }

  /** Begins periodic pushes (the timer is unref'd: it never keeps the process alive). */
  start(): void {
    this.pusher.start();
  }

  /** Pushes now (ignoring back-off, though not a server's Retry-After) and exports pending spans. */
  async flush(): Promise<void> {
    try {
      if (this.pendingExplains.size > 0) await Promise.allSettled([...this.pendingExplains]);
      await Promise.all([this.pusher.flush(), this.provider?.forceFlush().catch(() => {})]);
    } catch (err) {
      this.log(`flush failed: ${errorMessage(err)}`);
    }
  }

  /** A final push and span export (bounded to ~5 s), then stops timers. Never throws. */
  shutdown(): Promise<void> {
    this.shutDown ??= (async () => {
      try {
        if (this.pendingExplains.size > 0) await Promise.allSettled([...this.pendingExplains]);
        await Promise.all([
          this.pusher.shutdown(5000),
          this.provider ? withTimeout(this.provider.shutdown(), 6000).catch(() => {}) : undefined,
        ]);
      } catch (err) {
        this.log(`shutdown: ${errorMessage(err)}`);
      }
    })();
    return this.shutDown;
  }

  // ---- instrumentation helpers -------------------------------------------------------------------

  /** Times every request of a Node http server. `routeOf` returns the route template, else "unmatched". */
  httpServerHook(server: Server, routeOf?: (req: IncomingMessage) => string | undefined): void {
    instrumentHttpServer(this.deps, server, routeOf as TRouteOf | undefined);
  }

  /** Sets the route template of a request from inside its handler (for servers without a router). */
  setRoute(req: IncomingMessage, route: string): void {
    explicitRoutes.set(req, route);
  }

  /** `app.register(agent.fastifyPlugin())`: instruments every route of the app. */
  fastifyPlugin(): FastifyPluginCallback {
    return fastifyPlugin(this.deps);
  }

  /** The same as the plugin, called directly on an app: `agent.instrumentFastify(app)`. */
  instrumentFastify(app: FastifyInstance): void {
    instrumentFastify(this.deps, app);
  }

  /** Instruments a pg Pool in place and returns it. */
  wrapPgPool<P extends pg.Pool>(pool: P, opts: TPgPoolOptions): P {
    return wrapPgPool(this.deps, pool, opts);
  }

  /** Returns the cache behind a Proxy with the same interface; get/set/delete are instrumented. */
  wrapLruCache<K, V, C extends TLruLike<K, V> = TLruLike<K, V>>(cache: C, opts: { name: string }): C {
    return wrapLruCache(this.deps, cache, opts);
  }

  /** A string cache over Redis (ioredis) with instrumented get/set/del. Errors reach the caller. */
  wrapRedisCache(redis: TRedisLike, opts: { name: string; prefix?: string }): TRedisCache {
    return wrapRedisCache(this.deps, redis, opts);
  }

  /** queue_depth{queue} (and queue_consumer_lag_seconds{queue}) read at each push. */
  queueGauge(queue: string, depth: () => number, lagSeconds?: () => number): void {
    this.metrics.sources.queues.set(queue, { depth, lag: lagSeconds });
  }

  /** worker_pool_size/active/queued{pool} read at each push. */
  workerPoolGauges(pool: string, read: () => TWorkerPoolReading): void {
    this.metrics.sources.workerPools.set(pool, read);
  }
}

type TExportCallback = Parameters<SpanExporter["export"]>[1];

/** The OTLP exporter, with one log line when span export starts failing and one when it recovers. */
class LoggingSpanExporter implements SpanExporter {
  private failing = false;

  constructor(
    private readonly inner: SpanExporter,
    private readonly log: (message: string) => void,
  ) {}

  export(spans: ReadableSpan[], done: TExportCallback): void {
    try {
      this.inner.export(spans, (result) => {
        // ExportResultCode: 0 = SUCCESS, 1 = FAILED
        if (result.code !== 0 && !this.failing) {
          this.failing = true;
          this.log(`span export failed (${errorMessage(result.error)}); spans are dropped while it fails`);
        } else if (result.code === 0 && this.failing) {
          this.failing = false;
          this.log("span export recovered");
        }
        done(result);
      });
    } catch (err) {
      done({ code: 1, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function parseBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`hotpath agent: \`url\` is not a valid URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new TypeError(`hotpath agent: \`url\` must be http or https, got ${u.protocol}`);
  }
  return `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
}

function positive(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw new TypeError(`hotpath agent: \`${name}\` must be a positive number`);
  return v;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<undefined>((resolve) => {
      t = setTimeout(() => resolve(undefined), ms);
      t.unref();
    }),
  ]).finally(() => clearTimeout(t));
}
