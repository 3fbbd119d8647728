"use client";

// Alerts arriving while the user looks elsewhere: the shell mounts <AlertToasts /> once (it joins the
// "alerts" room, refreshes the alert queries on every event and shows a toast when an alert fires)
// and <AlertsNavBadge /> next to the Alerts link (firing alerts that are not silenced). While the
// socket is down the badge polls instead.
import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { ALERT_EVENT, type TAlertView, ZAlertEventSchema } from "../../lib/contracts/alerts";
import { LIVE_ROOMS } from "../../lib/contracts/live";
import { useAlertsQuery } from "../hooks/queries/useAlertsQuery";
import { useLiveSocket } from "../live/useLiveSocket";
import { formatAlertValue, labelsText } from "./alerts-format";

const TOAST_MS = 20_000;
const MAX_TOASTS = 4;
const POLL_MS = 15_000;

type TToast = { id: string; alert: TAlertView; at: number };

export function AlertToasts() {
  const { socket } = useLiveSocket();
  const queryClient = useQueryClient();
  const [toasts, setToasts] = useState<TToast[]>([]);

  useEffect(() => {
    if (!socket) return;
    const subscribe = () => socket.emit("subscribe", { room: LIVE_ROOMS.alerts });
    const refresh = () => {
      void queryClient.invalidateQueries({ queryKey: ["alerts"] });
      void queryClient.invalidateQueries({ queryKey: ["alert-rules"] });
      void queryClient.invalidateQueries({ queryKey: ["alert-history"] });
      void queryClient.invalidateQueries({ queryKey: ["silences"] });
    };
    const onAlert = (payload: unknown) => {
      const parsed = ZAlertEventSchema.safeParse(payload);
      if (!parsed.success) return;
      refresh();
      const e = parsed.data;
      if (e.to !== "firing" || e.alert.silenced) return;
      setToasts((ts) => [{ id: `${e.alert.key}@${e.at}`, alert: e.alert, at: e.at }, ...ts].slice(0, MAX_TOASTS));
    };
    socket.on("connect", subscribe);
    socket.on(ALERT_EVENT, onAlert);
    socket.on("alerts:changed", refresh);
    if (socket.connected) subscribe();
    return () => {
      socket.off("connect", subscribe);
      socket.off(ALERT_EVENT, onAlert);
      socket.off("alerts:changed", refresh);
      socket.emit("unsubscribe", { room: LIVE_ROOMS.alerts });
    };
  }, [socket, queryClient]);

  useEffect(() => {
    if (toasts.length === 0) return;
    const oldest = Math.min(...toasts.map((t) => t.at));
    const timer = setTimeout(
      () => setToasts((ts) => ts.filter((t) => Date.now() - t.at < TOAST_MS)),
      Math.max(0, oldest + TOAST_MS - Date.now()) + 50,
    );
    return () => clearTimeout(timer);
  }, [toasts]);

  if (toasts.length === 0) return null;
  return (
    <div className="al-toasts" aria-live="assertive">
      {toasts.map((t) => (
        <div key={t.id} role="alert" className={`al-toast ${t.alert.severity}`} data-testid="alert-toast">
          <div className="al-toast-head">
            <strong>Firing: {t.alert.ruleName}</strong>
            <button
              type="button"
              className="al-toast-close"
              aria-label="Dismiss"
              onClick={() => setToasts((ts) => ts.filter((x) => x.id !== t.id))}
            >
              ✕
            </button>
          </div>
          {t.alert.annotations.summary && <p>{t.alert.annotations.summary}</p>}
          <p className="muted">
            {labelsText(t.alert.labels)} · value {formatAlertValue(t.alert.triggerValue)}
            {t.alert.threshold !== null && ` (threshold ${formatAlertValue(t.alert.threshold)})`}
          </p>
          <div className="al-toast-links">
            <Link href={t.alert.chartUrl}>Chart</Link>
            <Link href="/alerts">All alerts</Link>
          </div>
        </div>
      ))}
    </div>
  );
}

export function AlertsNavBadge() {
  const { connected } = useLiveSocket();
  const q = useAlertsQuery({ refetchInterval: connected ? false : POLL_MS });
  const firing = q.data?.alerts.filter((a) => a.state === "firing" && !a.silenced).length ?? 0;
  if (firing === 0) return null;
  return (
    <span className="al-badge" data-testid="alerts-badge" title={`${firing} firing`}>
      {firing}
      <span className="agents-sr-only"> firing</span>
    </span>
  );
}
