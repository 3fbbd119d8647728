"use client";

import type { TPanel } from "../../lib/contracts/dashboards";
import type { TTimeRange } from "../common/time-range";
import { DashboardPanel, type TPanelAction } from "./DashboardPanel";

/** 12 columns, rows of a fixed height: a panel's h is its height in rows, as in Grafana. */
export function DashboardGrid({
  panels,
  range,
  editing,
  onAction,
}: {
  panels: TPanel[];
  range: TTimeRange;
  editing: boolean;
  onAction: (id: string, action: TPanelAction) => void;
}) {
  if (panels.length === 0) {
    return (
      <div className="panel muted dash-empty">
        {editing
          ? "No panels yet: add one with “Add panel”."
          : "This dashboard has no panels yet: press Edit to add one."}
      </div>
    );
  }
  return (
    <div className={`dash-grid${editing ? " editing" : ""}`} data-testid="dashboard-grid">
      {panels.map((p) => (
        <DashboardPanel key={p.id} panel={p} range={range} editing={editing} onAction={onAction} />
      ))}
    </div>
  );
}
