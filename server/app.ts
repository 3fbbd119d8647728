// Hotpath's composition root: one Node http server that routes API paths to Fastify, Socket.IO's
// path to Socket.IO, and everything else to Next's request handler. `startHotpath` is what main.ts
// runs and what integration tests call to get a real server on a free port.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import type { Redis } from "ioredis";
import { registerAlertMetrics } from "./alerts/metrics";
import { registerAlertRoutes } from "./alerts/routes";
import { AlertService } from "./alerts/service";
import { registerFindingRoutes } from "./analyzer/routes";
import { Analyzer } from "./analyzer/service";
import { KeyStore, LOCAL_ADMIN_FILE } from "./auth/keys";
import { registerKeyRoutes } from "./auth/routes";
import { QueryCache } from "./cache/query-cache";
import { RollupCache } from "./cache/rollup-cache";
import type { TConfig } from "./config/env";
import { provisionDashboards } from "./dashboards/queries";
import { registerDashboardRoutes } from "./dashboards/routes";
import { registerDrilldownRoutes } from "./drilldown/routes";
import { apiError, sendError } from "./http/errors";
import { getHealth } from "./http/health";
import { Ingestor } from "./ingest/ingest";
import { PushGroups } from "./ingest/push-groups";
import { registerIngestRoutes } from "./ingest/routes";
import { SeriesRegistry } from "./ingest/series-registry";
import { LiveBus } from "./live/bus";
import { LiveQueries, type TLiveEvaluator } from "./live/queries";
import { createLiveServer } from "./live/socket";
import { startStatusFeed } from "./live/status";
import { createSelfMetrics, registerPipelineMetrics } from "./metrics/registry";
import { RequestRate } from "./metrics/request-rate";
import { startSelfIngest } from "./metrics/self-ingest";
import { BackgroundJobs } from "./pipeline/jobs";
import { BatchWriter } from "./pipeline/writer";
import { registerPromApi } from "./query/prom-api";
import { instantQuery, PromQLError } from "./query/promql/eval";
import { formatValue } from "./query/promql/format";
import { storeSource } from "./query/promql/store-source";
import { registerReadRoutes } from "./query/routes";
import { connectRedis, redisState } from "./redis";
import { openStore, type TStore } from "./store";
import { registerTraceRoutes } from "./traces/routes";

export const ROOT_DIR = path.resolve(import.meta.dirname, "..");
export const VERSION: string = JSON.parse(readFileSync(path.join(ROOT_DIR, "package.json"), "utf8")).version;

// Paths Fastify owns; the rest belongs to Next. /metrics covers /metrics/job/... (Pushgateway API).
const API_PREFIXES = ["/api/", "/metrics", "/v1/"];

export function isApiPath(url: string | undefined): boolean {
  const p = url ?? "/";
  return API_PREFIXES.some((prefix) => p === prefix.replace(/\/$/, "") || p.startsWith(prefix));
}

export type THotpath = {
  url: string;
  port: number;
  store: TStore;
  api: FastifyInstance;
  bus: LiveBus;
  analyzer: Analyzer;
  alerts: AlertService;
  writer: BatchWriter;
  jobs: BackgroundJobs;
  keys: KeyStore;
  close(): Promise<void>;
};

type TNextHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export async function startHotpath(config: TConfig): Promise<THotpath> {
  const startedAt = Date.now();
  const store = await openStore(config.store);
  const redis = config.redisUrl ? connectRedis(config.redisUrl, "main") : undefined;
  const redisPubSub = config.redisUrl
    ? { pub: connectRedis(config.redisUrl, "live-pub"), sub: connectRedis(config.redisUrl, "live-sub") }
    : undefined;
  const metrics = createSelfMetrics();
  const requestRate = new RequestRate();
  const bus = new LiveBus();
  const prisma = store.prisma;
  const keys = new KeyStore(prisma);
  if (config.bootstrapKey) await keys.ensureBootstrap(config.bootstrapKey);
  const localAdminFile = config.store.kind === "pglite" ? path.join(config.store.dataDir, LOCAL_ADMIN_FILE) : undefined;
  if (localAdminFile) {
    const secret = `hp_local_${randomBytes(24).toString("base64url")}`;
    keys.setLocalAdminSecret(secret);
    await writeFile(localAdminFile, JSON.stringify({ secret, pid: process.pid }), { mode: 0o600 });
  }
  const registry = new SeriesRegistry(prisma, {
    maxActiveSeries: config.limits.maxActiveSeries,
    maxSeriesPerMetric: config.limits.maxSeriesPerMetric,
  });
  await registry.warm(config.retention.rawMs);
  await provisionDashboards(prisma);
  const writer = new BatchWriter(
    (block) => store.appendBlock(block),
    bus,
    {
      maxBatchSamples: config.batch.maxSamples,
      maxWaitMs: config.batch.maxWaitMs,
      maxBufferedSamples: config.batch.maxBufferedSamples,
      maxInFlight: store.kind === "postgresql" ? 2 : 1,
    },
    () => store.ping(),
  );
  const ingestor = new Ingestor(registry, writer, config.limits);
  const pushGroups = new PushGroups(prisma);

  let nextApp: { close(): Promise<void> } | undefined;
  let nextHandler: TNextHandler | undefined;
  if (config.ui) {
    const { default: next } = await import("next");
    const app = next({ dev: config.dev, dir: ROOT_DIR, hostname: config.host, port: config.port });
    await app.prepare();
    nextApp = app;
    nextHandler = app.getRequestHandler();
  }

  const api = Fastify({
    logger: { level: config.logLevel },
    // Per-request log lines would drown the log under ingest load; /metrics has the figures.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    serverFactory: (fastifyHandler) =>
      http.createServer((req, res) => {
        requestRate.hit();
        if (nextHandler && !isApiPath(req.url)) {
          nextHandler(req, res).catch((err: Error) => {
            api.log.error({ err }, "next request failed");
            if (!res.headersSent) res.writeHead(500);
            res.end();
          });
          return;
        }
        fastifyHandler(req, res);
      }),
  });

  registerApi(api, { store, redis, metrics, startedAt });
  registerIngestRoutes(api, {
    config,
    prisma,
    keys,
    ingestor,
    pushGroups,
    bus,
    storeAvailable: () => writer.storeAvailable,
  });
  registerReadRoutes(api, { config, prisma, keys });
  const cacheRedis = config.redisUrl
    ? { client: connectRedis(config.redisUrl, "cache"), subscriber: connectRedis(config.redisUrl, "cache-sub") }
    : undefined;
  const queryCache = new QueryCache({
    name: "query_range",
    maxEntries: 5000,
    maxBytes: 64 * 1024 * 1024,
    ttlMs: 600_000,
    redis: cacheRedis,
    registry: metrics.registry,
  });
  const rollupCache = new RollupCache({ maxBytes: 256 * 1024 * 1024, registry: metrics.registry });
  queryCache.onInvalidate((inv) => rollupCache.invalidate(inv));
  bus.on("commit", (e) => queryCache.invalidate({ seriesIds: e.seriesIds, minTs: e.minTs, maxTs: e.maxTs }));
  registerPromApi(
    api,
    { prisma, keys },
    {
      cache: queryCache,
      retention: config.retention,
      rollupCache,
      // PGlite has one connection: statements side by side would only queue.
      readConcurrency: store.kind === "postgresql" ? 2 : 1,
    },
  );
  registerKeyRoutes(api, { config, keys, pushGroups });
  registerTraceRoutes(api, { prisma, keys });
  registerDashboardRoutes(api, { prisma, keys });
  registerDrilldownRoutes(api, { prisma, keys });
  const jobs = new BackgroundJobs(prisma, config, {
    compactEveryMs: 10_000,
    compactMinAgeMs: 20_000,
    retentionEveryMs: 300_000,
    log: api.log,
  });
  jobs.start();
  let liveIo: import("socket.io").Server | undefined;
  const analyzer = new Analyzer({
    prisma,
    bus,
    describe: (id) => registry.describe(id),
    io: () => liveIo,
    isLeader: () => jobs.isLeader,
    log: (msg, err) => api.log.warn({ err }, msg),
    evaluate: async (query, atMs) => {
      const r = await instantQuery(storeSource(prisma), query, atMs, { timeoutMs: 5000 });
      const v = r.resultType === "vector" ? r.result[0]?.value : r.resultType === "scalar" ? r.result : undefined;
      return typeof v === "number" && Number.isFinite(v) ? v : undefined;
    },
  });
  registerFindingRoutes(api, { prisma, keys, analyzer, io: () => liveIo });
  await analyzer.start();
  let serverUrl = "";
  const alerts = new AlertService({
    prisma,
    bus,
    describe: (id) => registry.describe(id),
    leader: { ensure: () => jobs.ensureLeadership(), held: () => jobs.isLeader },
    ruleFiles: config.ruleFiles,
    externalUrl: () => config.externalUrl ?? serverUrl,
    historyRetentionMs: config.retention.rawMs,
    log: api.log,
  });
  // Before listening: a rule file that does not load stops the start.
  await alerts.init();
  registerAlertRoutes(api, { keys, alerts });
  registerAlertMetrics(metrics.registry, alerts);
  registerPipelineMetrics(metrics.registry, {
    committedSamples: () => writer.stats.samples,
    committedBatches: () => writer.stats.batches,
    failedBatches: () => writer.stats.failedBatches,
    bufferedSamples: () => writer.bufferedSamples,
    activeSeries: () => registry.activeSeries,
    compactedSamples: () => jobs.stats.compactedSamples,
    rollupSealedTo: () => jobs.stats.sealedTo1m / 1000,
    storeAvailable: () => writer.storeAvailable,
  });

  await api.listen({ port: config.port, host: config.host });
  const evaluateLive: TLiveEvaluator = async (query, timeMs) => {
    const ids = new Set<number>();
    const source = storeSource(prisma, {
      onSeries: (found) => {
        for (const id of found) ids.add(id);
      },
    });
    try {
      const r = await instantQuery(source, query, timeMs, { timeoutMs: 5000 });
      const t = timeMs / 1000;
      const result =
        r.resultType === "vector"
          ? r.result.map((e) => ({ metric: e.labels, value: [t, formatValue(e.value)] as [number, string] }))
          : r.resultType === "scalar"
            ? [{ metric: {}, value: [t, formatValue(r.result)] as [number, string] }]
            : [];
      return { ok: true, result, seriesIds: ids };
    } catch (err) {
      if (err instanceof PromQLError) return { ok: false, error: { code: err.errorType, message: err.message } };
      throw err;
    }
  };
  let liveQueries: LiveQueries | undefined;
  const io = createLiveServer(api.server, redisPubSub, (socket) => liveQueries?.attach(socket));
  liveQueries = new LiveQueries(io, bus, evaluateLive);
  liveIo = io;
  const stopSelfIngest = startSelfIngest(metrics.registry, ingestor);
  const stopStatus = startStatusFeed({
    io,
    startedAt,
    requestRate,
    store: store.kind,
    redisState: () => redisState(redis),
  });

  const address = api.server.address() as AddressInfo;
  const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;
  serverUrl = `http://${hostForUrl}:${address.port}`;
  alerts.start(io);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopStatus();
      stopSelfIngest();
      analyzer.stop();
      liveQueries?.close();
      queryCache.close();
      // Stop accepting; requests already in flight still get their answer once their batch commits.
      api.server.close();
      api.server.closeIdleConnections();
      await writer.drain();
      await alerts.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await api.close();
      await jobs.stop();
      await keys.close();
      if (localAdminFile) await rm(localAdminFile, { force: true });
      await nextApp?.close().catch(() => undefined);
      await Promise.all(
        [redis, redisPubSub?.pub, redisPubSub?.sub, cacheRedis?.client, cacheRedis?.subscriber].map((r) =>
          r?.quit().catch(() => undefined),
        ),
      );
      await store.close();
    })();
    return closing;
  };

  return {
    url: `http://${hostForUrl}:${address.port}`,
    port: address.port,
    store,
    api,
    bus,
    analyzer,
    alerts,
    writer,
    jobs,
    keys,
    close,
  };
}

function registerApi(
  api: FastifyInstance,
  deps: {
    store: TStore;
    redis: Redis | undefined;
    metrics: ReturnType<typeof createSelfMetrics>;
    startedAt: number;
  },
) {
  api.addHook("onResponse", async (req, reply) => {
    deps.metrics.httpDuration
      .labels(req.method, req.routeOptions.url ?? "unmatched", String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  api.setNotFoundHandler((req, reply) =>
    sendError(reply, apiError("not_found", `no route for ${req.method} ${req.url.split("?")[0]}`)),
  );

  api.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return sendError(reply, apiError("payload_too_large", err.message));
    }
    if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return sendError(reply, apiError("unsupported_media_type", err.message));
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, apiError("bad_request", err.message));
    }
    req.log.error({ err }, "request failed");
    return sendError(reply, apiError("internal", "internal error; the server log has the details"));
  });

  api.get("/api/health", async (_req, reply) => {
    const health = await getHealth({
      store: deps.store,
      redis: deps.redis,
      version: VERSION,
      startedAt: deps.startedAt,
    });
    return reply.code(health.status === "down" ? 503 : 200).send(health);
  });

  api.get("/metrics", async (_req, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.header("content-type", deps.metrics.registry.contentType).send(body);
  });
}
