import type { PrismaClient } from "@prisma/client";
import type { FastifyInstance } from "fastify";
import { requireRight } from "../auth/guard";
import type { KeyStore } from "../auth/keys";
import { apiError, sendError } from "../http/errors";
import { getTrace, searchSpans, ZTraceSearchSchema } from "./queries";

export function registerTraceRoutes(api: FastifyInstance, deps: { prisma: PrismaClient; keys: KeyStore }) {
  const read = requireRight(deps.keys, "read");

  api.get("/api/spans", { preHandler: read }, async (req, reply) => {
    const q = ZTraceSearchSchema.safeParse(req.query);
    if (!q.success) {
      const issue = q.error.issues[0];
      return sendError(reply, apiError("validation_failed", `${issue?.path.join(".")}: ${issue?.message}`));
    }
    return { spans: await searchSpans(deps.prisma, q.data) };
  });

  api.get("/api/traces/:traceId", { preHandler: read }, async (req, reply) => {
    const { traceId } = req.params as { traceId: string };
    if (!/^[0-9a-f]{32}$/.test(traceId)) {
      return sendError(reply, apiError("validation_failed", "traceId must be 32 lower-case hex characters"));
    }
    const spans = await getTrace(deps.prisma, traceId);
    if (spans.length === 0) return sendError(reply, apiError("not_found", `no spans stored for trace ${traceId}`));
    return { traceId, spans };
  });
}
