// Findings over HTTP: the list (open, resolved or all, ranked), one finding, and a user's
// acknowledge/mute. The analyzer's own view (live ranking) answers `open`; the store answers history.
import type { PrismaClient } from "@prisma/client";
import type { FastifyInstance } from "fastify";
import type { Server } from "socket.io";
import { ZFindingListQuerySchema, ZFindingPatchSchema } from "../../lib/contracts/findings";
import { LIVE_ROOMS } from "../../lib/contracts/live";
import { requireRight } from "../auth/guard";
import type { KeyStore } from "../auth/keys";
import { apiError, sendError } from "../http/errors";
import { Window } from "./detectors";
import type { Analyzer } from "./service";
import { toFinding } from "./service";
import { SEP } from "./signals";

export function registerFindingRoutes(
  api: FastifyInstance,
  deps: { prisma: PrismaClient; keys: KeyStore; analyzer: Analyzer; io: () => Server | undefined },
) {
  const read = requireRight(deps.keys, "read");
  const write = requireRight(deps.keys, "admin");

  api.get("/api/findings", { preHandler: read }, async (req, reply) => {
    const q = ZFindingListQuerySchema.safeParse(req.query);
    if (!q.success) {
      const issue = q.error.issues[0];
      return sendError(reply, apiError("validation_failed", `${issue?.path.join(".")}: ${issue?.message}`));
    }
    const rows = await deps.prisma.finding.findMany({
      where: q.data.status === "all" ? {} : { status: q.data.status },
      orderBy: q.data.status === "open" ? [{ impact: "desc" }] : [{ lastSeen: "desc" }],
      take: q.data.limit,
    });
    return { findings: rows.map(toFinding) };
  });

  // The analyzer's whole last ranking, under the threshold too: why something did or did not open.
  api.get("/api/analyzer/candidates", { preHandler: read }, async () => ({
    tickMs: deps.analyzer.lastTickMs,
    signals: deps.analyzer.signals.signalCount,
    candidates: deps.analyzer.lastRanking.map((c) => ({
      kind: c.kind,
      targetKey: c.targetKey,
      score: c.score,
      strength: c.strength,
      explainedBy: c.explainedBy ?? null,
      title: c.title,
    })),
  }));

  // Each signal's baseline and current value (per 5 s bucket: counters as increases), by key prefix.
  api.get("/api/analyzer/signals", { preHandler: read }, async (req) => {
    const prefix = String((req.query as { prefix?: string }).prefix ?? "").replaceAll("|", SEP);
    const w = new Window(deps.analyzer.signals, deps.analyzer.traces, Date.now());
    return {
      signals: deps.analyzer.signals
        .keys(prefix)
        .slice(0, 200)
        .map((key) => ({ key: key.replaceAll(SEP, "|"), ...w.compare((b) => w.value(key, b)) })),
    };
  });

  api.get("/api/findings/:id", { preHandler: read }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const row = await deps.prisma.finding.findUnique({ where: { id } });
    return row ? { finding: toFinding(row) } : sendError(reply, apiError("not_found", `no finding "${id}"`));
  });

  api.patch("/api/findings/:id", { preHandler: write }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const body = ZFindingPatchSchema.safeParse(req.body);
    if (!body.success) {
      return sendError(reply, apiError("validation_failed", `body: ${body.error.issues[0]?.message}`));
    }
    const exists = await deps.prisma.finding.findUnique({ where: { id }, select: { id: true } });
    if (!exists) return sendError(reply, apiError("not_found", `no finding "${id}"`));
    const row = await deps.prisma.finding.update({ where: { id }, data: body.data });
    const finding = toFinding(row);
    for (const f of deps.analyzer.current()) {
      if (f.id === id) Object.assign(f, body.data);
    }
    deps.io()?.to(LIVE_ROOMS.findings).emit("finding", { type: "updated", finding });
    return { finding };
  });
}
