"use client";

import { useEffect, useState } from "react";
import { LIVE_ROOMS, type TStatusEvent, ZStatusEventSchema } from "../../lib/contracts/live";
import { formatDuration } from "../common/format";
import { useLiveSocket } from "./useLiveSocket";

export function StatusStrip() {
  const { socket, connected } = useLiveSocket();
  const [status, setStatus] = useState<TStatusEvent>();

  useEffect(() => {
    if (!socket) return;
    const subscribe = () => socket.emit("subscribe", { room: LIVE_ROOMS.status });
    const onStatus = (payload: unknown) => {
      const parsed = ZStatusEventSchema.safeParse(payload);
      if (parsed.success) setStatus(parsed.data);
    };
    socket.on("connect", subscribe);
    socket.on("status", onStatus);
    if (socket.connected) subscribe();
    return () => {
      socket.off("connect", subscribe);
      socket.off("status", onStatus);
      socket.emit("unsubscribe", { room: LIVE_ROOMS.status });
    };
  }, [socket]);

  const lagClass = !status ? "" : status.eventLoopLagMs > 100 ? "bad" : status.eventLoopLagMs > 30 ? "warn" : "ok";
  return (
    <dl className="strip" data-testid="status-strip" aria-live="polite">
      <div className="strip-item">
        <span className={`dot ${connected ? "ok" : "bad"}`} />
        <dd data-testid="strip-connection">{connected ? "live" : "reconnecting…"}</dd>
      </div>
      <div className="strip-item">
        <dt>uptime</dt>
        <dd data-testid="strip-uptime">{status ? formatDuration(status.uptimeSeconds) : "–"}</dd>
      </div>
      <div className="strip-item">
        <dt>event-loop lag p99</dt>
        <dd data-testid="strip-lag">
          {status ? (
            <>
              <span className={`dot ${lagClass}`} /> {status.eventLoopLagMs.toFixed(1)} ms
            </>
          ) : (
            "–"
          )}
        </dd>
      </div>
      <div className="strip-item">
        <dt>requests</dt>
        <dd data-testid="strip-rate">{status ? `${status.requestRate.toFixed(1)}/s` : "–"}</dd>
      </div>
      <div className="strip-item">
        <dt>store</dt>
        <dd data-testid="strip-store">{status?.store ?? "–"}</dd>
      </div>
      <div className="strip-item">
        <dt>redis</dt>
        <dd data-testid="strip-redis">{status?.redis ?? "–"}</dd>
      </div>
    </dl>
  );
}
