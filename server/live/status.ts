// The status strip's feed: one event a second to the `status` room, with this node's uptime,
// event-loop lag (p99 of the last second), request rate and store kind.
import { hostname } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Server } from "socket.io";
import { LIVE_ROOMS, type TStatusEvent } from "../../lib/contracts/live";
import type { RequestRate } from "../metrics/request-rate";
import type { TRedisState } from "../redis";
import type { TStoreKind } from "../store";

export function startStatusFeed(deps: {
  io: Server;
  startedAt: number;
  requestRate: RequestRate;
  store: TStoreKind;
  redisState: () => TRedisState;
  intervalMs?: number;
}): () => void {
  const node = `${hostname()}:${process.pid}`;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const timer = setInterval(() => {
    const event: TStatusEvent = {
      node,
      at: Date.now(),
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      eventLoopLagMs: Math.round((lag.percentile(99) / 1e6) * 100) / 100,
      requestRate: Math.round(deps.requestRate.perSecond() * 100) / 100,
      store: deps.store,
      redis: deps.redisState(),
    };
    lag.reset();
    deps.io.to(LIVE_ROOMS.status).emit("status", event);
  }, deps.intervalMs ?? 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    lag.disable();
  };
}
