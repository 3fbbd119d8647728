"use client";

// The graph and everything that feeds it: the range query, the live subscription and the polling
// fallback. Memoized and the only observer of its cache entry, so a live point re-renders this and the
// chart, not the page; the page re-renders only when the URL changes.
import { memo, useEffect, useMemo, useRef } from "react";
import { type TRangeResult, toChartData } from "../charts/series";
import { TimeSeriesChart } from "../charts/TimeSeriesChart";
import {
  chooseStepMs,
  formatDurationShort,
  isRelativeRange,
  rangeDurationMs,
  type TTimeRange,
} from "../common/time-range";
import type { TUnit } from "../common/units";
import { queryRangeKey, useQueryRangeQuery } from "../hooks/queries/useQueryRangeQuery";
import { useLiveQuery } from "../live/useLiveQuery";

/** About the chart's drawing width: one point per two pixels of it (time-range.ts chooseStepMs). */
const GRAPH_WIDTH_PX = 1_200;
export const POLL_MS = 10_000;

type Props = {
  expr: string;
  range: TTimeRange;
  live: boolean;
  unit: TUnit;
  onZoom: (start: number, end: number) => void;
  /** Reference lines (`?threshold=` in the URL, e.g. from an alert's chart link). */
  thresholds?: number[];
};

export const ExploreGraph = memo(function ExploreGraph({ expr, range, live, unit, onZoom, thresholds }: Props) {
  const stepMs = chooseStepMs(rangeDurationMs(range) ?? 3_600_000, GRAPH_WIDTH_PX);
  const params = useMemo(
    () => ({ query: expr, range: { from: range.from, to: range.to }, stepMs }),
    [expr, range.from, range.to, stepMs],
  );
  const relative = isRelativeRange(range);
  const liveOn = live && relative;
  const liveState = useLiveQuery({
    enabled: liveOn,
    query: expr,
    stepMs,
    queryKey: queryRangeKey(params),
    slide: true,
  });
  const polling = liveOn && liveState.status === "paused";
  const q = useQueryRangeQuery(params, { refetchInterval: polling ? POLL_MS : false });

  // The last answer for this query stays on screen when a new range fails, with the error above it.
  const lastGood = useRef<{ expr: string; result: TRangeResult }>(undefined);
  useEffect(() => {
    if (q.data) lastGood.current = { expr, result: q.data };
  }, [q.data, expr]);
  const shown = q.data ?? (lastGood.current?.expr === expr ? lastGood.current.result : undefined);
  const chart = useMemo(() => toChartData([{ data: shown?.data, expr }]), [shown, expr]);
  const domain = useMemo<[number, number] | undefined>(() => (shown ? [shown.start, shown.end] : undefined), [shown]);

  if (!expr.trim()) {
    return (
      <section className="panel explore-graph" aria-label="Graph">
        <p className="muted">Pick a metric in the builder, or write PromQL, to draw it here.</p>
      </section>
    );
  }
  const resultType = shown?.data.resultType;
  return (
    <section className="panel explore-graph" aria-label="Graph" aria-busy={q.isFetching}>
      <div className="graph-status">
        <span className="muted">
          step {formatDurationShort(stepMs)}
          {shown && ` · ${chart.series.length} series · ${chart.rows.length} points`}
        </span>
        {q.isFetching && <span className="muted">loading…</span>}
        {live && !relative && <span className="muted">Live needs a range ending now: pick a preset.</span>}
        {liveOn && (
          <span
            className={`live-status ${liveState.status}`}
            data-testid="live-status"
            title={liveState.reason}
            aria-live="polite"
          >
            {liveState.status === "live"
              ? "● live"
              : liveState.status === "paused"
                ? `live updates paused, polling every ${POLL_MS / 1000} s`
                : "connecting live updates…"}
          </span>
        )}
        {polling && liveState.reason && <span className="muted">({liveState.reason})</span>}
      </div>
      {q.isError && (
        <p role="alert" className="agents-error">
          Query failed: {q.error.message}
        </p>
      )}
      {shown?.warnings?.map((w) => (
        <p key={w} className="graph-warning">
          {w}
        </p>
      ))}
      {resultType === "string" && <p className="muted">This query returns a string, not a series.</p>}
      {shown && chart.series.length === 0 && !q.isFetching && (
        <p className="muted chart-empty">No data in this range.</p>
      )}
      {!shown && q.isPending && !q.isError && <div className="chart-placeholder muted">Loading…</div>}
      {chart.series.length > 0 && (
        <TimeSeriesChart
          data={chart}
          unit={unit}
          domain={domain}
          onZoom={onZoom}
          height={360}
          thresholds={thresholds && thresholds.length > 0 ? thresholds : undefined}
        />
      )}
    </section>
  );
});
