// Drill-down API: services (RED), query fingerprints and their detail, caches, span search and the
// trace view. All reads: a key with the "read" right, or the dashboard itself.
import type { PrismaClient } from "@prisma/client";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { TRangeOut } from "../../lib/contracts/drilldown";
import { requireRight } from "../auth/guard";
import type { KeyStore } from "../auth/keys";
import { apiError, sendError } from "../http/errors";
import { FINGERPRINT_ID_RE } from "../sql/fingerprint";
import {
  getCaches,
  getQueryDetail,
  getTraceView,
  listQueries,
  listServices,
  RangeError400,
  resolveRange,
  searchSpanHits,
  ZCachesQuerySchema,
  ZQueryDetailQuerySchema,
  ZQueryListQuerySchema,
  ZServicesQuerySchema,
  ZSpanSearchQuerySchema,
} from "./queries";

export function registerDrilldownRoutes(api: FastifyInstance, deps: { prisma: PrismaClient; keys: KeyStore }) {
  const read = requireRight(deps.keys, "read");

  /** Validates the query string and resolves its range; on failure the 400 is already sent. */
  const parse = <S extends z.ZodType<{ start?: number; end?: number }>>(
    schema: S,
    req: FastifyRequest,
    reply: FastifyReply,
  ): { q: z.infer<S>; range: TRangeOut } | undefined => {
    const r = schema.safeParse(req.query);
    if (!r.success) {
      const issue = r.error.issues[0];
      const field = issue?.path.join(".") ?? "";
      sendError(reply, apiError("validation_failed", `${field || "query"}: ${issue?.message}`, { field }));
      return undefined;
    }
    try {
      return { q: r.data, range: resolveRange(r.data as { start?: number; end?: number }) };
    } catch (e) {
      if (!(e instanceof RangeError400)) throw e;
      sendError(reply, apiError("validation_failed", e.message, { field: "start" }));
      return undefined;
    }
  };

  api.get("/api/services", { preHandler: read }, async (req, reply) => {
    const p = parse(ZServicesQuerySchema, req, reply);
    if (!p) return reply;
    return listServices(deps.prisma, p.range);
  });

  api.get("/api/queries", { preHandler: read }, async (req, reply) => {
    const p = parse(ZQueryListQuerySchema, req, reply);
    if (!p) return reply;
    return listQueries(deps.prisma, p.range, p.q);
  });

  api.get("/api/queries/:fingerprintId", { preHandler: read }, async (req, reply) => {
    const { fingerprintId } = req.params as { fingerprintId: string };
    if (!FINGERPRINT_ID_RE.test(fingerprintId)) {
      return sendError(
        reply,
        apiError("validation_failed", "fingerprintId must be 16 lower-case hex characters", { field: "fingerprintId" }),
      );
    }
    const p = parse(ZQueryDetailQuerySchema, req, reply);
    if (!p) return reply;
    const detail = await getQueryDetail(deps.prisma, p.range, fingerprintId, { service: p.q.service });
    if (!detail) {
      return sendError(
        reply,
        apiError(
          "not_found",
          `no statement with fingerprint ${fingerprintId} between ${iso(p.range.start)} and ${iso(p.range.end)}`,
        ),
      );
    }
    return detail;
  });

  api.get("/api/caches", { preHandler: read }, async (req, reply) => {
    const p = parse(ZCachesQuerySchema, req, reply);
    if (!p) return reply;
    return getCaches(deps.prisma, p.range);
  });

  api.get("/api/drilldown/spans", { preHandler: read }, async (req, reply) => {
    const p = parse(ZSpanSearchQuerySchema, req, reply);
    if (!p) return reply;
    return searchSpanHits(deps.prisma, p.range, p.q);
  });

  api.get("/api/drilldown/traces/:traceId", { preHandler: read }, async (req, reply) => {
    const { traceId } = req.params as { traceId: string };
    if (!/^[0-9a-f]{32}$/.test(traceId)) {
      return sendError(
        reply,
        apiError("validation_failed", "traceId must be 32 lower-case hex characters", { field: "traceId" }),
      );
    }
    const view = await getTraceView(deps.prisma, traceId);
    if (!view) return sendError(reply, apiError("not_found", `no spans stored for trace ${traceId}`));
    return view;
  });
}

const iso = (ms: number) => new Date(ms).toISOString();
