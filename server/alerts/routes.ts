// Alerting's HTTP API. Hotpath's own under /api/alerts (rules, alerts, history, silences, channels,
// the editor's preview), Prometheus's read endpoints /api/v1/rules and /api/v1/alerts in Prometheus's
// envelope. Handlers parse, authorize (read for GET, admin for changes), delegate to AlertService and
// answer; the logic lives in service.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { requireRight } from "../auth/guard";
import type { KeyStore, TRight } from "../auth/keys";
import { authorize } from "../auth/request";
import { apiError, sendError, type TApiError } from "../http/errors";
import type { AlertService } from "./service";

const ZHistoryQuerySchema = z.object({
  ruleId: z.string().min(1).optional(),
  limit: z.coerce
    .number({ message: "limit must be a number" })
    .int("limit must be a whole number")
    .min(1, "limit must be 1 to 1000")
    .max(1000, "limit must be 1 to 1000")
    .default(200),
  since: z.coerce.number({ message: "since must be Unix milliseconds" }).int().nonnegative().optional(),
});

type TOutcome<T> = { ok: true; value: T } | { ok: false; error: TApiError };

export function registerAlertRoutes(api: FastifyInstance, deps: { keys: KeyStore; alerts: AlertService }) {
  const need = (right: TRight) => requireRight(deps.keys, right);
  const svc = deps.alerts;
  const idOf = (req: FastifyRequest) => (req.params as { id: string }).id;
  const answer = <T>(reply: FastifyReply, r: TOutcome<T>, status = 200) =>
    r.ok ? reply.code(status).send(r.value) : sendError(reply, r.error);

  api.get("/api/alerts", { preHandler: need("read") }, async () => ({
    alerts: await svc.listAlerts(),
    evaluating: svc.evaluating,
  }));

  api.get("/api/alerts/history", { preHandler: need("read") }, async (req, reply) => {
    const p = ZHistoryQuerySchema.safeParse(req.query);
    if (!p.success) {
      const i = p.error.issues[0];
      return sendError(reply, apiError("validation_failed", `${i?.path.join(".")}: ${i?.message}`));
    }
    return { events: await svc.history({ ruleId: p.data.ruleId, limit: p.data.limit, sinceMs: p.data.since }) };
  });

  // Rules
  api.get("/api/alerts/rules", { preHandler: need("read") }, async () => ({ rules: await svc.listRules() }));
  api.get("/api/alerts/rules/:id", { preHandler: need("read") }, async (req, reply) =>
    answer(reply, await svc.getRule(idOf(req))),
  );
  api.post("/api/alerts/rules", { preHandler: need("admin") }, async (req, reply) =>
    answer(reply, await svc.createRule(req.body), 201),
  );
  api.put("/api/alerts/rules/:id", { preHandler: need("admin") }, async (req, reply) =>
    answer(reply, await svc.updateRule(idOf(req), req.body)),
  );
  api.delete("/api/alerts/rules/:id", { preHandler: need("admin") }, async (req, reply) => {
    const r = await svc.deleteRule(idOf(req));
    return r.ok ? reply.code(204).send() : sendError(reply, r.error);
  });
  // The editor checks a draft as it is typed: the same validation as a save, nothing stored.
  api.post("/api/alerts/rules/validate", { preHandler: need("read") }, async (req, reply) => {
    const r = await svc.checkRule(req.body);
    return r.ok ? { ok: true } : sendError(reply, r.error);
  });
  api.post("/api/alerts/rules/preview", { preHandler: need("read") }, async (req, reply) =>
    answer(reply, await svc.preview(req.body)),
  );

  // Silences
  api.get("/api/alerts/silences", { preHandler: need("read") }, async () => ({ silences: await svc.listSilences() }));
  api.post("/api/alerts/silences", { preHandler: need("admin") }, async (req, reply) =>
    answer(reply, await svc.createSilence(req.body), 201),
  );
  api.delete("/api/alerts/silences/:id", { preHandler: need("admin") }, async (req, reply) =>
    answer(reply, await svc.expireSilence(idOf(req))),
  );

  // Channels
  api.get("/api/alerts/channels", { preHandler: need("read") }, async () => ({ channels: await svc.listChannels() }));
  api.post("/api/alerts/channels", { preHandler: need("admin") }, async (req, reply) =>
    answer(reply, await svc.createChannel(req.body), 201),
  );
  api.put("/api/alerts/channels/:id", { preHandler: need("admin") }, async (req, reply) =>
    answer(reply, await svc.updateChannel(idOf(req), req.body)),
  );
  api.delete("/api/alerts/channels/:id", { preHandler: need("admin") }, async (req, reply) => {
    const r = await svc.deleteChannel(idOf(req));
    return r.ok ? reply.code(204).send() : sendError(reply, r.error);
  });
  api.post("/api/alerts/channels/:id/test", { preHandler: need("admin") }, async (req, reply) =>
    answer(reply, await svc.testChannel(idOf(req))),
  );

  // Prometheus-compatible reads, in Prometheus's envelope.
  const promGuard = async (req: FastifyRequest, reply: FastifyReply) => {
    const auth = await authorize(deps.keys, req, "read", { openCidrs: [], dashboardAllowed: true });
    if (!auth.ok)
      return reply
        .code(auth.status)
        .send({ status: "error", errorType: auth.status === 401 ? "unauthorized" : "forbidden", error: auth.message });
  };
  api.get("/api/v1/rules", { preHandler: promGuard }, async (req) => {
    const query = req.query as Record<string, string | string[] | undefined>;
    const names = query["rule_name[]"];
    return {
      status: "success",
      data: await svc.promRules({
        type: typeof query.type === "string" ? query.type : undefined,
        names: names === undefined ? undefined : Array.isArray(names) ? names : [names],
      }),
    };
  });
  api.get("/api/v1/alerts", { preHandler: promGuard }, async () => ({
    status: "success",
    data: await svc.promAlerts(),
  }));
}
