// Socket.IO payloads shared by the server (which emits them) and the browser (which validates them).
// Pure zod: importable from both sides of the Next/server line.
import { z } from "zod";

export const LIVE_ROOMS = { status: "status" } as const;

export const ZSubscribeSchema = z.object({ room: z.enum([LIVE_ROOMS.status]) });
export type TSubscribe = z.infer<typeof ZSubscribeSchema>;

export const ZStatusEventSchema = z.object({
  node: z.string(),
  at: z.number(),
  uptimeSeconds: z.number().nonnegative(),
  eventLoopLagMs: z.number().nonnegative(),
  requestRate: z.number().nonnegative(),
  store: z.enum(["pglite", "postgresql"]),
  redis: z.enum(["connected", "unavailable", "off"]),
});
export type TStatusEvent = z.infer<typeof ZStatusEventSchema>;
