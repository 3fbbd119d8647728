import type { PrismaClient } from "@prisma/client";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import { ZDashboardInputSchema, ZDashboardUpdateSchema } from "../../lib/contracts/dashboards";
import { requireRight } from "../auth/guard";
import type { KeyStore, TRight } from "../auth/keys";
import { apiError, sendError } from "../http/errors";
import { createDashboard, deleteDashboard, getDashboard, listDashboards, updateDashboard } from "./queries";

export function registerDashboardRoutes(api: FastifyInstance, deps: { prisma: PrismaClient; keys: KeyStore }) {
  const need = (right: TRight) => requireRight(deps.keys, right);
  const parse = <S extends z.ZodType>(schema: S, body: unknown, reply: FastifyReply): z.infer<S> | undefined => {
    const r = schema.safeParse(body);
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    const field = issue?.path.join(".") ?? "";
    sendError(reply, apiError("validation_failed", `${field || "body"}: ${issue?.message}`, { field }));
    return undefined;
  };
  const uidOf = (req: FastifyRequest) => (req.params as { uid: string }).uid;

  api.get("/api/dashboards", { preHandler: need("read") }, async () => ({
    dashboards: await listDashboards(deps.prisma),
  }));

  api.get("/api/dashboards/:uid", { preHandler: need("read") }, async (req, reply) => {
    const d = await getDashboard(deps.prisma, uidOf(req));
    return d ?? sendError(reply, apiError("not_found", `no dashboard "${uidOf(req)}"`));
  });

  api.post("/api/dashboards", { preHandler: need("admin") }, async (req, reply) => {
    const input = parse(ZDashboardInputSchema, req.body, reply);
    if (!input) return reply;
    return reply.code(201).send(await createDashboard(deps.prisma, input));
  });

  api.put("/api/dashboards/:uid", { preHandler: need("admin") }, async (req, reply) => {
    const input = parse(ZDashboardUpdateSchema, req.body, reply);
    if (!input) return reply;
    const r = await updateDashboard(deps.prisma, uidOf(req), input);
    if (r.ok) return r.dashboard;
    if (r.reason === "not_found") return sendError(reply, apiError("not_found", `no dashboard "${uidOf(req)}"`));
    return sendError(
      reply,
      apiError(
        "conflict",
        `the dashboard changed since you opened it (now version ${r.current}, yours ${input.version}); reload and apply your edit again`,
        { currentVersion: r.current },
      ),
    );
  });

  api.post("/api/dashboards/:uid/duplicate", { preHandler: need("admin") }, async (req, reply) => {
    const d = await getDashboard(deps.prisma, uidOf(req));
    if (!d) return sendError(reply, apiError("not_found", `no dashboard "${uidOf(req)}"`));
    const copy = await createDashboard(deps.prisma, {
      title: `${d.title} (copy)`,
      description: d.description,
      spec: d.spec,
    });
    return reply.code(201).send(copy);
  });

  api.delete("/api/dashboards/:uid", { preHandler: need("admin") }, async (req, reply) => {
    if (!(await deleteDashboard(deps.prisma, uidOf(req)))) {
      return sendError(reply, apiError("not_found", `no dashboard "${uidOf(req)}"`));
    }
    return reply.code(204).send();
  });
}
