"use client";

// What a panel draws: its queries over the shared range, rendered by kind. Used by the grid and by the
// panel editor's preview, so what the editor shows is what the dashboard will show.
import { memo, type ReactNode, useMemo } from "react";
import type { TPanel } from "../../lib/contracts/dashboards";
import { BarPanel } from "../charts/BarPanel";
import { HeatmapPanel } from "../charts/HeatmapPanel";
import { StatPanel } from "../charts/StatPanel";
import { toChartData } from "../charts/series";
import { TablePanel } from "../charts/TablePanel";
import { TimeSeriesChart } from "../charts/TimeSeriesChart";
import { chooseStepMs, isRelativeRange, rangeDurationMs, type TTimeRange } from "../common/time-range";
import { useQueryRangesQuery } from "../hooks/queries/useQueryRangeQuery";
import { GRID_COLUMNS } from "./layout";

/** Dashboards refresh relative ranges on a timer; the socket's live points are Explore's. */
export const DASHBOARD_REFRESH_MS = 30_000;
const DASHBOARD_WIDTH_PX = 1_400;

export const DashboardPanelBody = memo(function DashboardPanelBody({
  panel,
  range,
}: {
  panel: TPanel;
  range: TTimeRange;
}) {
  const stepMs = chooseStepMs(rangeDurationMs(range) ?? 3_600_000, (DASHBOARD_WIDTH_PX * panel.grid.w) / GRID_COLUMNS);
  const refetchInterval = isRelativeRange(range) ? DASHBOARD_REFRESH_MS : false;
  const exprs = useMemo(() => panel.queries.map((q) => q.expr), [panel.queries]);
  const q = useQueryRangesQuery({ queries: exprs, range, stepMs }, { refetchInterval });
  const chart = useMemo(
    () =>
      toChartData(panel.queries.map((pq, i) => ({ data: q.data?.results[i]?.data, legend: pq.legend, expr: pq.expr }))),
    [q.data, panel.queries],
  );
  const first = q.data?.results.find(Boolean);
  const errorMessages = q.error
    ? [q.error.message]
    : (q.data?.errors ?? []).flatMap((e, i) => (e ? [`query ${String.fromCharCode(65 + i)}: ${e.message}`] : []));
  const domain = useMemo<[number, number] | undefined>(() => (first ? [first.start, first.end] : undefined), [first]);

  if (panel.queries.every((q) => !q.expr.trim()))
    return <p className="muted chart-empty">Write a query to see it here.</p>;
  const errors = errorMessages.length > 0 && (
    <p role="alert" className="agents-error dash-panel-error" title={errorMessages.join("\n")}>
      {errorMessages[0]}
    </p>
  );
  if (!first) return errors || <div className="chart-placeholder muted">{q.isPending ? "Loading…" : "No data"}</div>;

  let body: ReactNode;
  switch (panel.kind) {
    case "stat":
      body = <StatPanel data={chart} unit={panel.unit} thresholds={panel.thresholds} />;
      break;
    case "table":
      body = <TablePanel data={chart} unit={panel.unit} title={panel.title} />;
      break;
    case "bar":
      body = <BarPanel data={chart} unit={panel.unit} />;
      break;
    case "heatmap":
      body = <HeatmapPanel data={first.data} unit={panel.unit} title={panel.title} domain={domain} stepMs={stepMs} />;
      break;
    default:
      body =
        chart.series.length === 0 ? (
          <p className="muted chart-empty">No data in this range.</p>
        ) : (
          <TimeSeriesChart
            data={chart}
            unit={panel.unit}
            style={panel.style ?? "line"}
            thresholds={panel.thresholds}
            domain={domain}
            height="fill"
            maxTicks={Math.max(2, Math.round(panel.grid.w / 1.5))}
          />
        );
  }
  return (
    <>
      {errors}
      {body}
    </>
  );
});
