// Span storage: one row per span, the attributes that views filter on lifted into columns.
import type { Prisma, PrismaClient } from "@prisma/client";
import type { TAttrValue, TSpanIn } from "./model";

function str(v: TAttrValue | undefined): string | null {
  return v === undefined || v === null ? null : String(v);
}

export function spanRow(s: TSpanIn): Prisma.SpanCreateManyInput {
  const a = s.attributes;
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? null,
    service: str(s.resource["service.name"]) ?? "unknown_service",
    name: s.name,
    kind: s.kind,
    startNs: s.startUnixNano,
    durationNs: s.endUnixNano - s.startUnixNano,
    status: s.status,
    statusMessage: s.statusMessage,
    route: str(a["http.route"]),
    dbSystem: str(a["db.system"] ?? a["db.system.name"]),
    dbStatement: str(a["db.query.text"] ?? a["db.statement"]),
    attributes: a as Prisma.InputJsonValue,
    resource: s.resource as Prisma.InputJsonValue,
    events: s.events.map((e) => ({ name: e.name, timeUnixNano: e.timeUnixNano.toString(), attributes: e.attributes })),
    scope: s.scope,
  };
}

/** Commits spans; a span id seen again (an exporter's retry) is kept once. */
export async function storeSpans(prisma: PrismaClient, spans: TSpanIn[]): Promise<number> {
  if (spans.length === 0) return 0;
  const res = await prisma.span.createMany({ data: spans.map(spanRow), skipDuplicates: true });
  return res.count;
}
