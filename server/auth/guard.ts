// The preHandler every dashboard-facing route uses: a key with `right`, or the dashboard's own
// same-origin calls; otherwise 401/403 in Hotpath's error envelope.
import type { FastifyReply, FastifyRequest } from "fastify";
import { apiError, sendError } from "../http/errors";
import type { KeyStore, TRight } from "./keys";
import { authorize } from "./request";

export function requireRight(keys: KeyStore, right: TRight) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const auth = await authorize(keys, req, right, { openCidrs: [], dashboardAllowed: true });
    if (!auth.ok) return sendError(reply, apiError(auth.status === 401 ? "unauthorized" : "forbidden", auth.message));
  };
}
