"use client";

// One query, in the builder or as PromQL text: Explore's editor and the dashboard panel editor's. The
// builder writes PromQL on every change; text runs on "Run query" (Ctrl/Cmd+Enter). Switching to the
// builder works for the shapes it writes (builder.ts) and says so for anything else.
import { type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { useLabelNamesQuery } from "../hooks/queries/useLabelValuesQuery";
import { bucketName, builderForMetric, EMPTY_BUILDER, parsePromQL, type TBuilder, toPromQL } from "./builder";
import { ExploreAggregation } from "./ExploreAggregation";
import { ExploreLabelFilters } from "./ExploreLabelFilters";
import { ExploreMetricPicker } from "./ExploreMetricPicker";
import type { TEditorMode } from "./explore-url";
import { useMetricCatalog } from "./useMetricCatalog";

type Props = {
  expr: string;
  mode: TEditorMode;
  onExprChange: (expr: string) => void;
  onModeChange: (mode: TEditorMode) => void;
};

export function ExploreQueryEditor({ expr, mode, onExprChange, onModeChange }: Props) {
  const [builder, setBuilder] = useState<TBuilder>(() => parsePromQL(expr) ?? EMPTY_BUILDER);
  const [draft, setDraft] = useState(expr);
  const [modeError, setModeError] = useState<string>();
  const ids = useId();
  // What this editor last wrote: a different `expr` came from outside (back button, a link) and resets it.
  const emitted = useRef(expr);
  useEffect(() => {
    if (expr === emitted.current) return;
    emitted.current = expr;
    setDraft(expr);
    const parsed = parsePromQL(expr);
    if (parsed) setBuilder(parsed);
  }, [expr]);

  const emit = (q: string) => {
    emitted.current = q;
    onExprChange(q);
  };
  const updateBuilder = (next: TBuilder) => {
    setBuilder(next);
    emit(toPromQL(next));
  };
  const run = () => emit(draft.trim());

  const toBuilder = () => {
    const parsed = parsePromQL(draft);
    if (!parsed) {
      setModeError(
        "The builder cannot show this query (it only reads the shapes it writes); edit it here, or clear it to start over.",
      );
      return;
    }
    setModeError(undefined);
    setBuilder(parsed);
    if (draft.trim() !== expr) emit(draft.trim());
    onModeChange("builder");
  };
  const toText = () => {
    setModeError(undefined);
    setDraft(expr);
    onModeChange("text");
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  };

  return (
    <div className="query-editor">
      <fieldset className="query-mode">
        <legend className="agents-sr-only">Query mode</legend>
        <button type="button" aria-pressed={mode === "builder"} onClick={toBuilder}>
          Builder
        </button>
        <button type="button" aria-pressed={mode === "text"} onClick={toText}>
          PromQL
        </button>
      </fieldset>
      {modeError && (
        <p role="alert" className="agents-error builder-note">
          {modeError}
        </p>
      )}
      {mode === "builder" ? (
        <QueryBuilder builder={builder} onChange={updateBuilder} />
      ) : (
        <div className="query-text">
          <label htmlFor={`${ids}-promql`} className="builder-caption">
            PromQL
          </label>
          <textarea
            id={`${ids}-promql`}
            aria-label="PromQL query"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKeyDown}
            rows={3}
            spellCheck={false}
            placeholder='sum by (route) (rate(http_server_request_duration_seconds_count{status=~"5.."}[1m]))'
          />
          <div className="query-text-actions">
            <button type="button" className="agents-button primary" onClick={run}>
              Run query
            </button>
            <span className="muted">Ctrl/Cmd + Enter</span>
          </div>
        </div>
      )}
    </div>
  );
}

function QueryBuilder({ builder, onChange }: { builder: TBuilder; onChange: (b: TBuilder) => void }) {
  const { catalog, byName, names } = useMetricCatalog();
  const seriesName = builder.fn === "histogram_quantile" ? bucketName(builder.metric) : builder.metric;
  const labels = useLabelNamesQuery(seriesName, { enabled: seriesName !== "" });
  const info = byName.get(builder.metric);
  const promql = toPromQL(builder);
  const labelNames = builder.metric ? (labels.data ?? []) : [];

  return (
    <div className="query-builder">
      <ExploreMetricPicker
        value={builder.metric}
        catalog={catalog}
        loading={names.isPending}
        error={names.error?.message}
        onPick={(m) => onChange(builderForMetric(m, m.name, builder))}
      />
      {info && (info.help || info.type) && (
        <p className="builder-note muted" data-testid="metric-help">
          <span className={`metric-type ${info.type || "untyped"}`}>{info.type || "untyped"}</span>
          {info.unit && <span className="metric-unit">{info.unit}</span>} {info.help}
        </p>
      )}
      {builder.metric && (
        <>
          <ExploreLabelFilters
            seriesName={seriesName}
            labelNames={labelNames}
            matchers={builder.matchers}
            onChange={(matchers) => onChange({ ...builder, matchers })}
          />
          <ExploreAggregation builder={builder} info={info} labelNames={labelNames} onChange={onChange} />
        </>
      )}
      <div className="query-preview">
        <span className="builder-caption">PromQL</span>
        <code data-testid="promql-preview">{promql || "pick a metric to start"}</code>
      </div>
    </div>
  );
}
