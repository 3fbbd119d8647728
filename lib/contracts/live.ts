// Socket.IO payloads shared by the server (which emits them) and the browser (which validates them).
// Pure zod: importable from both sides of the Next/server line.
import { z } from "zod";

export const LIVE_ROOMS = { status: "status", alerts: "alerts", findings: "findings" } as const;

export const ZSubscribeSchema = z.object({ room: z.enum([LIVE_ROOMS.status, LIVE_ROOMS.alerts, LIVE_ROOMS.findings]) });
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

/**
 * Live query: `emit("query:subscribe", { query, stepMs }, ack)` answers `{ ok: true, id }` (or
 * `{ ok: false, error: { code, message } }` for a bad query); while subscribed the server emits
 * `query:points` for that id whenever committed data touches the query's series, at most a few times
 * per second (coalesced). `emit("query:unsubscribe", { id })` stops it.
 */
export const ZQuerySubscribeSchema = z.object({
  query: z.string().trim().min(1).max(10_000),
  stepMs: z.number().int().min(1000).max(86_400_000),
});
export type TQuerySubscribe = z.infer<typeof ZQuerySubscribeSchema>;

export const ZQuerySubscribeAckSchema = z.union([
  z.object({ ok: z.literal(true), id: z.string() }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);

/** One evaluation at `t` (Unix seconds, the time of evaluation), in Prometheus's vector shape: a chart replaces its last point when `t` falls in the same step, and appends otherwise. */
export const ZQueryPointsSchema = z.object({
  id: z.string(),
  t: z.number(),
  result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
});
export type TQueryPoints = z.infer<typeof ZQueryPointsSchema>;
