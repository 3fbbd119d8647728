// Alerting's own figures on /metrics (and so on Hotpath's own dashboard, through self-ingest): how
// many rules run, how much time their evaluation takes, the windows' size, deliveries.
import client from "prom-client";
import type { AlertService } from "./service";

export function registerAlertMetrics(registry: client.Registry, alerts: AlertService): void {
  const gauge = (name: string, help: string, read: () => number | undefined) =>
    new client.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read() ?? 0);
      },
    });
  gauge(
    "hotpath_alert_rules_evaluated",
    "Enabled alert rules this node evaluates (0 on a follower).",
    () => alerts.stats?.rules,
  );
  gauge(
    "hotpath_alert_evaluations",
    "Alert rule evaluations since this node started evaluating.",
    () => alerts.stats?.evaluations,
  );
  gauge(
    "hotpath_alert_evaluation_seconds",
    "CPU time spent on alerting since this node started evaluating: rule runs, the 1 s tick, feeding commits into the windows.",
    () => (alerts.stats ? (alerts.stats.evalMs + alerts.stats.tickMs + alerts.stats.commitMs) / 1000 : 0),
  );
  gauge(
    "hotpath_alert_evaluation_errors",
    "Alert rule evaluations that failed since start.",
    () => alerts.stats?.errors,
  );
  gauge(
    "hotpath_alert_window_series",
    "Series kept in the alert evaluator's in-memory windows.",
    () => alerts.stats?.windowSeries,
  );
  gauge(
    "hotpath_alert_window_samples",
    "Samples kept in the alert evaluator's in-memory windows.",
    () => alerts.stats?.windowSamples,
  );
  gauge("hotpath_alert_notifications_sent", "Webhook notifications delivered since start.", () => alerts.stats?.sent);
  gauge(
    "hotpath_alert_notifications_failed",
    "Webhook notifications given up on since start.",
    () => alerts.stats?.failed,
  );
  new client.Gauge({
    name: "hotpath_alerts",
    help: "Alert instances by state (this node's evaluator).",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      this.reset();
      const s = alerts.stats;
      this.set({ state: "firing" }, s?.firing ?? 0);
      this.set({ state: "pending" }, s?.pending ?? 0);
    },
  });
}
