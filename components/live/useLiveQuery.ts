"use client";

// Live chart points over the shared socket (contract: lib/contracts/live.ts, "query:subscribe"). Points
// are folded into the chart's React Query cache entry with setQueryData, batched so a burst of events
// costs one render of the one chart that observes that entry. The caller polls while `status` is
// "paused" (socket down, or the server did not take the subscription).
import { type QueryKey, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { type TQueryPoints, ZQueryPointsSchema, ZQuerySubscribeAckSchema } from "../../lib/contracts/live";
import { appendLivePoints, type TRangeResult } from "../charts/series";
import { useLiveSocket } from "./useLiveSocket";

export type TLiveStatus = { status: "off" | "connecting" | "live" | "paused"; reason?: string };

const ACK_TIMEOUT_MS = 5_000;
const CONNECT_GRACE_MS = 5_000;
/** At most four cache writes (and chart renders) a second, however fast points arrive. */
const FLUSH_MS = 250;

export function useLiveQuery(opts: {
  enabled: boolean;
  query: string;
  stepMs: number;
  queryKey: QueryKey;
  /** Move the window with the newest point (a relative range). */
  slide: boolean;
}): TLiveStatus {
  const { enabled, query, stepMs, queryKey, slide } = opts;
  const queryClient = useQueryClient();
  const { socket } = useLiveSocket();
  const [state, setState] = useState<TLiveStatus>({ status: "off" });
  // The key is an array: compare it by value so a re-render with an equal key does not resubscribe.
  const keyJson = JSON.stringify(queryKey);

  useEffect(() => {
    if (!enabled || !socket || !query.trim()) {
      setState({ status: "off" });
      return;
    }
    const key = JSON.parse(keyJson) as QueryKey;
    let id: string | undefined;
    let closed = false;
    let pending: TQueryPoints[] = [];
    // Events can overtake the ack; they are kept until the id is known.
    let early: TQueryPoints[] = [];
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;

    const flush = () => {
      flushTimer = undefined;
      const batch = pending;
      pending = [];
      queryClient.setQueryData<TRangeResult>(key, (old) => appendLivePoints(old, batch, { slide }));
    };
    const accept = (p: TQueryPoints) => {
      pending.push(p);
      flushTimer ??= setTimeout(flush, FLUSH_MS);
    };
    const onPoints = (payload: unknown) => {
      const parsed = ZQueryPointsSchema.safeParse(payload);
      if (!parsed.success) return;
      if (id === undefined) early.push(parsed.data);
      else if (parsed.data.id === id) accept(parsed.data);
    };
    const subscribe = () => {
      clearTimeout(graceTimer);
      setState({ status: "connecting" });
      socket.timeout(ACK_TIMEOUT_MS).emit("query:subscribe", { query, stepMs }, (err: Error | null, ack: unknown) => {
        if (closed) {
          const late = ZQuerySubscribeAckSchema.safeParse(ack);
          if (late.success && late.data.ok) socket.emit("query:unsubscribe", { id: late.data.id });
          return;
        }
        if (err) {
          setState({
            status: "paused",
            reason: `the server did not answer query:subscribe within ${ACK_TIMEOUT_MS / 1000} s`,
          });
          return;
        }
        const parsed = ZQuerySubscribeAckSchema.safeParse(ack);
        if (!parsed.success) {
          setState({ status: "paused", reason: "unexpected answer to query:subscribe" });
        } else if (!parsed.data.ok) {
          setState({ status: "paused", reason: parsed.data.error.message });
        } else {
          id = parsed.data.id;
          for (const p of early) if (p.id === id) accept(p);
          early = [];
          setState({ status: "live" });
        }
      });
    };
    const onDisconnect = () => {
      id = undefined;
      setState({ status: "paused", reason: "the live connection dropped; reconnecting" });
    };

    socket.on("query:points", onPoints);
    socket.on("connect", subscribe);
    socket.on("disconnect", onDisconnect);
    if (socket.connected) subscribe();
    else {
      setState({ status: "connecting" });
      graceTimer = setTimeout(
        () => setState({ status: "paused", reason: "the live connection is down; reconnecting" }),
        CONNECT_GRACE_MS,
      );
    }
    return () => {
      closed = true;
      clearTimeout(graceTimer);
      if (flushTimer) {
        clearTimeout(flushTimer);
        flush();
      }
      socket.off("query:points", onPoints);
      socket.off("connect", subscribe);
      socket.off("disconnect", onDisconnect);
      if (id !== undefined && socket.connected) socket.emit("query:unsubscribe", { id });
    };
  }, [enabled, socket, query, stepMs, keyJson, slide, queryClient]);

  return enabled ? state : { status: "off" };
}
