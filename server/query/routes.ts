// Read-back: /api/v1/series (Prometheus's format and envelope) and /api/v1/export (JSON lines, one
// series per line, as VictoriaMetrics exports). Both need a key with read rights, or the dashboard.
import type { PrismaClient } from "@prisma/client";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { KeyStore } from "../auth/keys";
import { authorize } from "../auth/request";
import type { TConfig } from "../config/env";
import { findSeries, readSamples } from "./raw";
import { parseSelector, type TSelector } from "./selector";

const MAX_SERIES = 10_000;

type TPromError = { status: "error"; errorType: "bad_data" | "unauthorized" | "forbidden"; error: string };

function promError(reply: FastifyReply, status: number, errorType: TPromError["errorType"], error: string) {
  return reply.code(status).send({ status: "error", errorType, error } satisfies TPromError);
}

/** Prometheus accepts RFC 3339 or Unix seconds (with fractions) for start and end. */
export function parseTime(v: string | undefined, fallback: number): number | undefined {
  if (v === undefined || v === "") return fallback;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

function selectorsFrom(req: FastifyRequest): { ok: true; value: TSelector[] } | { ok: false; message: string } {
  const q = req.query as Record<string, string | string[] | undefined>;
  const raw = q["match[]"];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) return { ok: false, message: 'no match[] parameter given, e.g. match[]=up{job="api"}' };
  const out: TSelector[] = [];
  for (const m of list) {
    const p = parseSelector(m);
    if (!p.ok) return { ok: false, message: `match[] "${m}": column ${p.error.column}: ${p.error.message}` };
    out.push(p.value);
  }
  return { ok: true, value: out };
}

export function registerReadRoutes(
  api: FastifyInstance,
  deps: { config: TConfig; prisma: PrismaClient; keys: KeyStore },
) {
  const guard = async (req: FastifyRequest, reply: FastifyReply) => {
    const auth = await authorize(deps.keys, req, "read", { openCidrs: [], dashboardAllowed: true });
    if (!auth.ok)
      return promError(reply, auth.status, auth.status === 401 ? "unauthorized" : "forbidden", auth.message);
  };

  const range = (req: FastifyRequest) => {
    const q = req.query as Record<string, string | undefined>;
    const now = Date.now();
    const end = parseTime(q.end, now);
    const start = parseTime(q.start, (end ?? now) - 3_600_000);
    return { start, end };
  };

  api.get("/api/v1/series", { preHandler: guard }, async (req, reply) => {
    const sel = selectorsFrom(req);
    if (!sel.ok) return promError(reply, 400, "bad_data", sel.message);
    const series = await findSeries(deps.prisma, sel.value, MAX_SERIES);
    return reply.send({ status: "success", data: series.map((s) => ({ __name__: s.name, ...s.labels })) });
  });

  api.get("/api/v1/export", { preHandler: guard }, async (req, reply) => {
    const sel = selectorsFrom(req);
    if (!sel.ok) return promError(reply, 400, "bad_data", sel.message);
    const { start, end } = range(req);
    if (start === undefined || end === undefined) {
      return promError(reply, 400, "bad_data", "start and end must be RFC 3339 times or Unix seconds");
    }
    if (end < start) return promError(reply, 400, "bad_data", "end is before start");
    const series = await findSeries(deps.prisma, sel.value, MAX_SERIES);
    const samples = await readSamples(
      deps.prisma,
      series.map((s) => s.id),
      start,
      end,
    );
    let body = "";
    for (const s of series) {
      const data = samples.get(s.id);
      if (!data || data.ts.length === 0) continue;
      body += `${JSON.stringify({ metric: { __name__: s.name, ...s.labels }, values: data.values.map(jsonFloat), timestamps: data.ts })}\n`;
    }
    return reply.header("content-type", "application/stream+json").send(body);
  });
}

// JSON has no NaN or Infinity; VictoriaMetrics writes them as these strings, and so do we.
function jsonFloat(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
}
