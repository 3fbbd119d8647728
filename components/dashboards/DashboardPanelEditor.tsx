"use client";

// The panel editor: a modal with the panel's settings, its queries in Explore's builder/text editor, and
// a live preview over the dashboard's range. "Apply" puts the panel into the dashboard draft; saving the
// dashboard is a separate step.
import { useEffect, useId, useState } from "react";
import { PANEL_KINDS, type TPanel, UNITS, ZPanelSchema } from "../../lib/contracts/dashboards";
import type { TTimeRange } from "../common/time-range";
import { type TUnit, UNIT_LABELS } from "../common/units";
import { parsePromQL } from "../explore/builder";
import { ExploreQueryEditor } from "../explore/ExploreQueryEditor";
import type { TEditorMode } from "../explore/explore-url";
import { DashboardPanelBody } from "./DashboardPanelBody";

type TQueryDraft = { key: number; expr: string; legend: string; mode: TEditorMode };

let nextKey = 0;

const KIND_LABELS: Record<TPanel["kind"], string> = {
  timeseries: "Time series",
  bar: "Bar (latest value)",
  stat: "Stat with sparkline",
  table: "Table",
  heatmap: "Heatmap (histogram buckets)",
};

export function DashboardPanelEditor({
  panel,
  range,
  isNew,
  onApply,
  onClose,
}: {
  panel: TPanel;
  range: TTimeRange;
  isNew: boolean;
  onApply: (panel: TPanel) => void;
  onClose: () => void;
}) {
  const ids = useId();
  const [title, setTitle] = useState(panel.title);
  const [kind, setKind] = useState(panel.kind);
  const [style, setStyle] = useState(panel.style ?? "line");
  const [unit, setUnit] = useState<TUnit>(panel.unit);
  const [thresholds, setThresholds] = useState((panel.thresholds ?? []).join(", "));
  const [queries, setQueries] = useState<TQueryDraft[]>(() =>
    panel.queries.map((q) => ({
      key: nextKey++,
      expr: q.expr,
      legend: q.legend ?? "",
      mode: parsePromQL(q.expr) ? "builder" : "text",
    })),
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  const thresholdValues = thresholds
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  const candidate: TPanel = {
    ...panel,
    title,
    kind,
    style: kind === "timeseries" ? style : undefined,
    unit,
    queries: queries.map((q) => ({ expr: q.expr, ...(q.legend.trim() ? { legend: q.legend } : {}) })),
    thresholds: thresholdValues.length ? thresholdValues : undefined,
  };
  const checked = ZPanelSchema.safeParse(candidate);
  const problem = thresholdValues.some(Number.isNaN)
    ? "thresholds must be numbers, separated by commas"
    : checked.success
      ? undefined
      : `${checked.error.issues[0]?.path.join(".")}: ${checked.error.issues[0]?.message}`;

  const setQuery = (i: number, patch: Partial<TQueryDraft>) =>
    setQueries((qs) => qs.map((q, j) => (j === i ? { ...q, ...patch } : q)));

  return (
    <div className="modal-backdrop">
      <div role="dialog" aria-modal="true" aria-labelledby={`${ids}-title`} className="modal panel-editor">
        <header className="modal-header">
          <h2 id={`${ids}-title`}>{isNew ? "New panel" : "Edit panel"}</h2>
          <button type="button" className="agents-button" onClick={onClose} aria-label="Close the panel editor">
            ✕
          </button>
        </header>
        <div className="panel-editor-body">
          <div className="panel-editor-form">
            <div className="panel-editor-settings">
              <label className="builder-field">
                <span>Title</span>
                <input value={title} onChange={(e) => setTitle(e.target.value)} aria-label="Panel title" />
              </label>
              <label className="builder-field">
                <span>Kind</span>
                <select
                  value={kind}
                  onChange={(e) => setKind(e.target.value as TPanel["kind"])}
                  aria-label="Panel kind"
                >
                  {PANEL_KINDS.map((k) => (
                    <option key={k} value={k}>
                      {KIND_LABELS[k]}
                    </option>
                  ))}
                </select>
              </label>
              {kind === "timeseries" && (
                <label className="builder-field">
                  <span>Style</span>
                  <select
                    value={style}
                    onChange={(e) => setStyle(e.target.value as typeof style)}
                    aria-label="Chart style"
                  >
                    <option value="line">line</option>
                    <option value="area">area</option>
                    <option value="stacked">stacked</option>
                  </select>
                </label>
              )}
              <label className="builder-field">
                <span>Unit</span>
                <select value={unit} onChange={(e) => setUnit(e.target.value as TUnit)} aria-label="Panel unit">
                  {UNITS.map((u) => (
                    <option key={u} value={u}>
                      {UNIT_LABELS[u]}
                    </option>
                  ))}
                </select>
              </label>
              <label className="builder-field">
                <span>Thresholds</span>
                <input
                  value={thresholds}
                  onChange={(e) => setThresholds(e.target.value)}
                  placeholder="e.g. 0.8, 0.95"
                  aria-label="Thresholds"
                />
              </label>
            </div>
            {queries.map((q, i) => (
              <fieldset key={q.key} className="panel-editor-query">
                <legend>Query {String.fromCharCode(65 + i)}</legend>
                <ExploreQueryEditor
                  expr={q.expr}
                  mode={q.mode}
                  onExprChange={(expr) => setQuery(i, { expr })}
                  onModeChange={(mode) => setQuery(i, { mode })}
                />
                <div className="panel-editor-query-row">
                  <label className="builder-field">
                    <span>Legend</span>
                    <input
                      value={q.legend}
                      onChange={(e) => setQuery(i, { legend: e.target.value })}
                      placeholder="{{route}} p95"
                      aria-label={`Legend for query ${String.fromCharCode(65 + i)}`}
                    />
                  </label>
                  {queries.length > 1 && (
                    <button
                      type="button"
                      className="agents-button"
                      onClick={() => setQueries((qs) => qs.filter((_, j) => j !== i))}
                    >
                      Remove query
                    </button>
                  )}
                </div>
              </fieldset>
            ))}
            {queries.length < 10 && (
              <button
                type="button"
                className="agents-button"
                onClick={() => setQueries((qs) => [...qs, { key: nextKey++, expr: "", legend: "", mode: "builder" }])}
              >
                Add query
              </button>
            )}
          </div>
          <section className="panel-editor-preview" aria-label="Preview">
            <div className="dash-panel preview">
              <header className="dash-panel-header">
                <h2>{title || "Untitled panel"}</h2>
              </header>
              <div className="dash-panel-body">
                <DashboardPanelBody panel={candidate} range={range} />
              </div>
            </div>
          </section>
        </div>
        <footer className="modal-footer">
          {problem && <span className="agents-error">{problem}</span>}
          <button type="button" className="agents-button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="agents-button primary"
            disabled={Boolean(problem)}
            onClick={() => checked.success && onApply(checked.data)}
          >
            Apply
          </button>
        </footer>
      </div>
    </div>
  );
}
