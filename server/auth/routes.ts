// Key management: list, create (the secret is in this response only), revoke. Admin right, or the
// dashboard's same-origin calls (the Agents page).
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { TConfig } from "../config/env";
import { apiError, sendError } from "../http/errors";
import type { PushGroups } from "../ingest/push-groups";
import { requireRight } from "./guard";
import type { KeyStore } from "./keys";
import { ZCreateKeySchema } from "./keys";

const ZKeyIdSchema = z.object({ id: z.coerce.number().int().positive() });

export function registerKeyRoutes(
  api: FastifyInstance,
  deps: { config: TConfig; keys: KeyStore; pushGroups: PushGroups },
) {
  const admin = requireRight(deps.keys, "admin");

  api.get("/api/keys", { preHandler: admin }, async () => ({ keys: await deps.keys.list() }));

  api.post("/api/keys", { preHandler: admin }, async (req, reply) => {
    const parsed = ZCreateKeySchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return sendError(
        reply,
        apiError("validation_failed", `${issue?.path.join(".") || "body"}: ${issue?.message}`, {
          field: issue?.path.join("."),
        }),
      );
    }
    const created = await deps.keys.create(parsed.data);
    return reply.code(201).send(created);
  });

  api.delete("/api/keys/:id", { preHandler: admin }, async (req, reply) => {
    const params = ZKeyIdSchema.safeParse(req.params);
    if (!params.success) return sendError(reply, apiError("validation_failed", "key id must be a positive integer"));
    const key = await deps.keys.revoke(params.data.id);
    if (!key) return sendError(reply, apiError("not_found", `no key with id ${params.data.id}`));
    return reply.send({ key });
  });

  api.get("/api/push-groups", { preHandler: admin }, async () => ({ groups: await deps.pushGroups.list() }));
}
