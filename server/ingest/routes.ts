// Ingest endpoints: Prometheus text push, the Pushgateway API, remote write 1.0 and OTLP/HTTP. Each
// handler parses, authorizes, hands the model to the Ingestor and answers; bodies arrive as raw
// buffers so gzip, snappy and protobuf are handled here, not by Fastify's JSON parser.
import { gunzip } from "node:zlib";
import type { PrismaClient } from "@prisma/client";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { KeyStore } from "../auth/keys";
import { authorize } from "../auth/request";
import type { TConfig } from "../config/env";
import { apiError, sendError, type TApiErrorCode } from "../http/errors";
import type { LiveBus } from "../live/bus";
import type { Ingestor, TIngestError } from "./ingest";
import type { TParsedMetrics, TParseError } from "./model";
import { parseGroupingPath } from "./parse/grouping-path";
import { decodeOtlpMetrics } from "./parse/otlp-metrics";
import { decodeOtlpTraces } from "./parse/otlp-traces";
import { parsePromText } from "./parse/prom-text";
import { decodeRemoteWrite } from "./parse/remote-write";
import type { PushGroups } from "./push-groups";
import { storeSpans } from "./spans";

export type TIngestDeps = {
  config: TConfig;
  prisma: PrismaClient;
  keys: KeyStore;
  ingestor: Ingestor;
  pushGroups: PushGroups;
  bus: LiveBus;
  storeAvailable: () => boolean;
};

export function registerIngestRoutes(api: FastifyInstance, deps: TIngestDeps): void {
  // Encapsulated: the raw-buffer parser applies to these routes only.
  void api.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: deps.config.limits.maxBodyBytes },
      (_req, body, done) => done(null, body),
    );

    scope.addHook("preHandler", async (req, reply) => {
      const auth = await authorize(deps.keys, req, "ingest", {
        openCidrs: deps.config.ingestOpenCidrs,
        dashboardAllowed: false,
      });
      if (!auth.ok) return sendError(reply, apiError(auth.status === 401 ? "unauthorized" : "forbidden", auth.message));
    });

    scope.post("/api/v1/push", async (req, reply) => {
      const body = await readBody(req, reply, deps);
      if (body === undefined) return reply;
      const query = req.query as Record<string, string | undefined>;
      const extra: Record<string, string> = {};
      for (const k of ["job", "instance"]) if (query[k]) extra[k] = query[k] as string;
      const result = await deps.ingestor.ingestPromText(body.toString("utf8"), {
        extraLabels: extra,
        receivedAtMs: Date.now(),
        openMetrics: isOpenMetrics(req),
      });
      if (!result.ok) {
        return "parseError" in result
          ? sendParseError(reply, result.parseError, "Prometheus text")
          : sendIngestError(reply, result.error);
      }
      return reply.code(200).send({ status: "success", samples: result.samples, series: result.series });
    });

    const pushgateway = async (req: FastifyRequest, reply: FastifyReply) => {
      // The raw path: Fastify's decoded wildcard would turn an encoded "/" inside a value into a separator.
      const rawPath = (req.raw.url ?? "").split("?")[0] ?? "";
      const key = parseGroupingPath(rawPath.slice("/metrics".length));
      if (!key.ok) return sendParseError(reply, key.error, "grouping path");
      if (req.method === "DELETE") {
        await deps.pushGroups.remove(key.value.labels);
        return reply.code(202).send();
      }
      const body = await readBody(req, reply, deps);
      if (body === undefined) return reply;
      const parsed = parsePromText(body.toString("utf8"), { openMetrics: isOpenMetrics(req) });
      if (!parsed.ok) return sendParseError(reply, parsed.error, "Prometheus text");
      const ttl = parseTtl(req.headers["hotpath-ttl"]);
      if (ttl === "invalid") {
        return sendError(
          reply,
          apiError("bad_request", 'header Hotpath-TTL: expected seconds or a duration such as "90s" or "10m"'),
        );
      }
      const additive = String(req.headers["hotpath-push-mode"] ?? "").toLowerCase() === "additive";
      const result = await deps.ingestor.ingest(parsed.value, {
        extraLabels: key.value.labels,
        receivedAtMs: Date.now(),
        additiveCounters: additive,
      });
      if (!result.ok) return sendIngestError(reply, result.error);
      await deps.pushGroups.record({
        labels: key.value.labels,
        seriesIds: result.seriesIds,
        metricNames: new Set(parsed.value.samples.map((s) => s.name)),
        replaceAll: req.method === "PUT",
        ttlMs: ttl ?? deps.config.pushTtlMs,
        additive,
      });
      return reply.code(200).send();
    };
    scope.put("/metrics/job/*", pushgateway);
    scope.post("/metrics/job/*", pushgateway);
    scope.delete("/metrics/job/*", pushgateway);

    scope.post("/api/v1/write", async (req, reply) => {
      const body = await readBody(req, reply, deps, { snappyIsNative: true });
      if (body === undefined) return reply;
      const parsed = decodeRemoteWrite(body);
      if (!parsed.ok) return sendParseError(reply, parsed.error, "remote write");
      const result = await deps.ingestor.ingest(parsed.value, { receivedAtMs: Date.now() });
      if (!result.ok) return sendIngestError(reply, result.error);
      return reply.code(204).send();
    });

    scope.post("/v1/metrics", async (req, reply) => {
      const encoding = otlpEncoding(req);
      if (!encoding) return sendUnsupportedOtlp(reply, req);
      const body = await readBody(req, reply, deps);
      if (body === undefined) return reply;
      const parsed = decodeOtlpMetrics(body, encoding);
      if (!parsed.ok) return sendParseError(reply, parsed.error, "OTLP metrics");
      const result = await deps.ingestor.ingest(parsed.value as TParsedMetrics, { receivedAtMs: Date.now() });
      if (!result.ok) return sendIngestError(reply, result.error);
      return sendOtlpOk(reply, encoding);
    });

    scope.post("/v1/traces", async (req, reply) => {
      const encoding = otlpEncoding(req);
      if (!encoding) return sendUnsupportedOtlp(reply, req);
      const body = await readBody(req, reply, deps);
      if (body === undefined) return reply;
      const parsed = decodeOtlpTraces(body, encoding);
      if (!parsed.ok) return sendParseError(reply, parsed.error, "OTLP traces");
      if (!deps.storeAvailable()) {
        return sendIngestError(reply, {
          code: "store_unavailable",
          message: "the store is unavailable; nothing of this request was stored",
          retryAfterSeconds: 5,
        });
      }
      try {
        await storeSpans(deps.prisma, parsed.value);
      } catch (err) {
        req.log.warn({ err }, "span insert failed");
        return sendIngestError(reply, {
          code: "store_unavailable",
          message: `the store did not commit these spans (${(err as Error).message.split("\n").pop()}); retry`,
          retryAfterSeconds: 5,
        });
      }
      deps.bus.emit("spans", {
        spans: parsed.value.length,
        traceIds: [...new Set(parsed.value.map((s) => s.traceId))],
        services: [...new Set(parsed.value.map((s) => String(s.resource["service.name"] ?? "unknown_service")))],
        items: parsed.value,
      });
      return sendOtlpOk(reply, encoding);
    });
  });
}

async function readBody(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: TIngestDeps,
  opts: { snappyIsNative?: boolean } = {},
): Promise<Buffer | undefined> {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const encoding = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
  if (encoding === "identity" || (opts.snappyIsNative && encoding === "snappy")) return raw;
  if (encoding !== "gzip") {
    sendError(
      reply,
      apiError("unsupported_media_type", `Content-Encoding "${encoding}" is not supported; use gzip or none`),
    );
    return undefined;
  }
  try {
    // maxOutputLength keeps a small gzip bomb from expanding past the body limit.
    return await new Promise<Buffer>((resolve, reject) =>
      gunzip(raw, { maxOutputLength: deps.config.limits.maxBodyBytes }, (err, out) =>
        err ? reject(err) : resolve(out),
      ),
    );
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ERR_BUFFER_TOO_LARGE" || /maxOutputLength|Cannot create a Buffer larger/.test(e.message)) {
      sendError(
        reply,
        apiError(
          "payload_too_large",
          `the decompressed body exceeds ${deps.config.limits.maxBodyBytes} bytes (HOTPATH_MAX_BODY_BYTES)`,
        ),
      );
    } else {
      sendError(reply, apiError("bad_request", `body is not valid gzip: ${e.message}`));
    }
    return undefined;
  }
}

function isOpenMetrics(req: FastifyRequest): boolean {
  return String(req.headers["content-type"] ?? "")
    .toLowerCase()
    .startsWith("application/openmetrics-text");
}

function otlpEncoding(req: FastifyRequest): "json" | "protobuf" | undefined {
  const ct = String(req.headers["content-type"] ?? "").toLowerCase();
  if (ct.startsWith("application/json")) return "json";
  if (ct.startsWith("application/x-protobuf") || ct.startsWith("application/protobuf")) return "protobuf";
  return undefined;
}

function sendUnsupportedOtlp(reply: FastifyReply, req: FastifyRequest) {
  return sendError(
    reply,
    apiError(
      "unsupported_media_type",
      `Content-Type "${req.headers["content-type"] ?? ""}" is not OTLP/HTTP: use application/x-protobuf or application/json`,
    ),
  );
}

function sendOtlpOk(reply: FastifyReply, encoding: "json" | "protobuf") {
  // An empty Export*ServiceResponse: zero bytes in protobuf, {} in JSON (no partial success).
  if (encoding === "protobuf")
    return reply.code(200).header("content-type", "application/x-protobuf").send(Buffer.alloc(0));
  return reply.code(200).header("content-type", "application/json").send({});
}

function sendParseError(reply: FastifyReply, error: TParseError, what: string) {
  const where = "field" in error ? `field ${error.field}` : `line ${error.line}, column ${error.column}`;
  return sendError(
    reply,
    apiError("parse_error", `${what}: ${where}: ${error.message}`, { ...error, code: undefined }),
  );
}

function sendIngestError(reply: FastifyReply, error: TIngestError) {
  const { code, message, retryAfterSeconds, ...details } = error;
  const headers: Record<string, string> = retryAfterSeconds ? { "retry-after": String(retryAfterSeconds) } : {};
  return sendError(reply, apiError(code as TApiErrorCode, message, details), headers);
}

function parseTtl(header: string | string[] | undefined): number | undefined | "invalid" {
  if (header === undefined) return undefined;
  const v = String(header).trim();
  const m = /^(\d+)(s|m|h|d)?$/.exec(v);
  if (!m) return "invalid";
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? "s") as "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}
