"use client";

import { useQueryClient } from "@tanstack/react-query";
import { usePathname } from "next/navigation";
import { useCallback } from "react";
import { UNITS } from "../../lib/contracts/dashboards";
import { ErrorBoundary } from "../charts/ErrorBoundary";
import { TimeRangePicker } from "../common/TimeRangePicker";
import {
  absoluteRange,
  formatDurationShort,
  isRelativeRange,
  rangeDurationMs,
  resolveRange,
  type TTimeRange,
} from "../common/time-range";
import { type TUnit, UNIT_LABELS } from "../common/units";
import { useStoredTheme } from "../dashboards/ThemeToggle";
import { ExploreGraph } from "./ExploreGraph";
import { ExploreQueryEditor } from "./ExploreQueryEditor";
import { type TEditorMode, updateExploreUrl, useExploreState } from "./explore-url";
import { guessUnit, useMetricCatalog } from "./useMetricCatalog";

export function ExplorePage() {
  const pathname = usePathname();
  useStoredTheme();
  return (
    <ErrorBoundary key={pathname} label="Explore">
      <ExploreView />
    </ErrorBoundary>
  );
}

/** Twice as wide around the same centre; a relative range stays relative. */
function zoomOut(range: TTimeRange): TTimeRange {
  const d = rangeDurationMs(range);
  if (d === undefined) return range;
  if (isRelativeRange(range)) return { from: `now-${formatDurationShort(d * 2)}`, to: "now" };
  const r = resolveRange(range, Date.now());
  if (!r) return range;
  const end = Math.min(Date.now(), r.end + d / 2);
  return absoluteRange(end - 2 * d, end);
}

function ExploreView() {
  const state = useExploreState();
  const queryClient = useQueryClient();
  const { byName } = useMetricCatalog();
  const unit: TUnit = state.unit === "auto" ? guessUnit(state.expr, byName) : state.unit;

  const onExprChange = useCallback(
    (expr: string) => {
      // "Run query" on an unchanged query means "again".
      if (expr === state.expr) void queryClient.invalidateQueries({ queryKey: ["query-range"] });
      else updateExploreUrl({ expr });
    },
    [state.expr, queryClient],
  );
  const onModeChange = useCallback((mode: TEditorMode) => updateExploreUrl({ mode }), []);
  // Stable, so the memoized graph does not re-render for it; it reads the URL when called.
  const onZoom = useCallback((start: number, end: number) => {
    updateExploreUrl({ range: absoluteRange(start, end), live: false }, { push: true });
  }, []);

  return (
    <section className="explore">
      <h1>Explore</h1>
      <div className="panel explore-query">
        <ExploreQueryEditor
          expr={state.expr}
          mode={state.mode}
          onExprChange={onExprChange}
          onModeChange={onModeChange}
        />
      </div>
      <div className="explore-toolbar">
        <TimeRangePicker value={state.range} onChange={(range) => updateExploreUrl({ range }, { push: true })} />
        <button
          type="button"
          className="agents-button"
          onClick={() => updateExploreUrl({ range: zoomOut(state.range) }, { push: true })}
        >
          Zoom out
        </button>
        <label className="explore-unit">
          <span>Unit</span>
          <select value={state.unit} onChange={(e) => updateExploreUrl({ unit: e.target.value as TUnit | "auto" })}>
            <option value="auto">auto ({UNIT_LABELS[unit]})</option>
            {UNITS.map((u) => (
              <option key={u} value={u}>
                {UNIT_LABELS[u]}
              </option>
            ))}
          </select>
        </label>
        <label
          className="explore-live"
          title={isRelativeRange(state.range) ? undefined : "Live needs a range ending now"}
        >
          <input
            type="checkbox"
            role="switch"
            aria-checked={state.live}
            checked={state.live}
            disabled={!isRelativeRange(state.range) && !state.live}
            onChange={(e) => updateExploreUrl({ live: e.target.checked })}
          />
          Live
        </label>
      </div>
      <ExploreGraph
        expr={state.expr}
        range={state.range}
        live={state.live}
        unit={unit}
        onZoom={onZoom}
        thresholds={state.thresholds}
      />
      <p className="muted explore-hint">
        Drag across the chart to zoom in; click a legend entry to hide or show its series. The address bar holds the
        whole view: copy it to share.
      </p>
    </section>
  );
}
