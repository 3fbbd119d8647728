import { z } from "zod";

export const ZHealthSchema = z.object({
  status: z.enum(["ok", "degraded", "down"]),
  version: z.string(),
  uptimeSeconds: z.number(),
  store: z.enum(["pglite", "postgresql"]),
  checks: z.object({
    store: z.object({ ok: z.boolean(), latencyMs: z.number().optional(), error: z.string().optional() }),
    redis: z.object({
      configured: z.boolean(),
      ok: z.boolean().optional(),
      latencyMs: z.number().optional(),
      error: z.string().optional(),
    }),
  }),
});
export type THealthResponse = z.infer<typeof ZHealthSchema>;
