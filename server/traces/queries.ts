// Span reads for the trace views: search by service/route/duration/status/time, and whole traces.
import type { Prisma, PrismaClient } from "@prisma/client";
import { z } from "zod";

export const ZTraceSearchSchema = z.object({
  service: z.string().trim().min(1).optional(),
  route: z.string().trim().min(1).optional(),
  operation: z.string().trim().min(1).optional(),
  status: z.enum(["unset", "ok", "error"]).optional(),
  minDurationMs: z.coerce.number().nonnegative().optional(),
  start: z.coerce.number().int().nonnegative().optional(),
  end: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type TTraceSearch = z.infer<typeof ZTraceSearchSchema>;

export type TSpanOut = {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  kind: string;
  startMs: number;
  durationMs: number;
  status: string;
  statusMessage: string;
  route: string | null;
  dbSystem: string | null;
  dbStatement: string | null;
  attributes: unknown;
  resource: unknown;
  events: unknown;
};

type TSpanRow = Prisma.SpanGetPayload<object>;

function toOut(r: TSpanRow): TSpanOut {
  return {
    traceId: r.traceId,
    spanId: r.spanId,
    parentSpanId: r.parentSpanId,
    service: r.service,
    name: r.name,
    kind: r.kind,
    startMs: Number(r.startNs / 1000n) / 1000,
    durationMs: Number(r.durationNs / 1000n) / 1000,
    status: r.status,
    statusMessage: r.statusMessage,
    route: r.route,
    dbSystem: r.dbSystem,
    dbStatement: r.dbStatement,
    attributes: r.attributes,
    resource: r.resource,
    events: r.events,
  };
}

export async function searchSpans(prisma: PrismaClient, q: TTraceSearch): Promise<TSpanOut[]> {
  const where: Prisma.SpanWhereInput = {
    ...(q.service ? { service: q.service } : {}),
    ...(q.route ? { route: q.route } : {}),
    ...(q.operation ? { name: q.operation } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(q.minDurationMs !== undefined ? { durationNs: { gte: BigInt(Math.round(q.minDurationMs * 1e6)) } } : {}),
    ...(q.start !== undefined || q.end !== undefined
      ? {
          startNs: {
            ...(q.start !== undefined ? { gte: BigInt(q.start) * 1_000_000n } : {}),
            ...(q.end !== undefined ? { lte: BigInt(q.end) * 1_000_000n } : {}),
          },
        }
      : {}),
  };
  const rows = await prisma.span.findMany({ where, orderBy: { startNs: "desc" }, take: q.limit });
  return rows.map(toOut);
}

export async function getTrace(prisma: PrismaClient, traceId: string): Promise<TSpanOut[]> {
  const rows = await prisma.span.findMany({ where: { traceId }, orderBy: { startNs: "asc" } });
  return rows.map(toOut);
}
