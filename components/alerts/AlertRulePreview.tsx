"use client";

// The editor's preview: the rule's query over the chosen range with its threshold drawn and the
// periods where the rule would have fired shaded, and how many times that is.
import { useMemo, useState } from "react";
import { toChartData } from "../charts/series";
import { TimeSeriesChart } from "../charts/TimeSeriesChart";
import { TimeRangePicker } from "../common/TimeRangePicker";
import { chooseStepMs, describeRange, resolveRange, type TTimeRange } from "../common/time-range";
import { guessUnit, useMetricCatalog } from "../explore/useMetricCatalog";
import { useRulePreviewQuery } from "../hooks/queries/useRulePreviewQuery";
import { thresholdLines } from "./alerts-format";

export function AlertRulePreview({
  rule,
  kind,
  blocked,
}: {
  rule: Record<string, unknown> | undefined;
  kind: string;
  /** The draft has problems of its own: the preview waits for them. */
  blocked: boolean;
}) {
  const [range, setRange] = useState<TTimeRange>({ from: "now-24h", to: "now" });
  const query = typeof rule?.query === "string" ? rule.query.trim() : "";
  // The range is resolved when the rule or the range changes, not on every render.
  const params = useMemo(() => {
    if (!rule || kind === "absence" || query === "") return undefined;
    const r = resolveRange(range, Date.now());
    if (!r) return undefined;
    return { rule, start: r.start, end: r.end, stepMs: chooseStepMs(r.end - r.start, 800) };
  }, [rule, kind, query, range]);
  const preview = useRulePreviewQuery(params);
  const data = preview.data;
  const chart = useMemo(
    () => toChartData([{ data: data ? { resultType: "matrix", result: data.series } : undefined, expr: query }]),
    [data, query],
  );
  const bands = useMemo(
    () => (data?.periods ?? []).map((p) => ({ from: p.from, to: p.to ?? data?.end ?? p.from })),
    [data],
  );
  const { byName } = useMetricCatalog();
  const unit = useMemo(() => guessUnit(query, byName), [query, byName]);
  const fired = data?.fired ?? 0;

  return (
    <section className="panel al-preview" aria-label="Preview" aria-busy={preview.isFetching}>
      <header className="al-preview-head">
        <h2>Preview</h2>
        <TimeRangePicker value={range} onChange={setRange} />
      </header>
      {kind === "absence" && (
        <p className="muted">Absence rules watch when each job last pushed: there is no query to preview.</p>
      )}
      {kind !== "absence" && blocked && <p className="muted">The preview waits for the fields marked in red.</p>}
      {kind !== "absence" && !blocked && query === "" && (
        <p className="muted">Pick a metric or write a query to see it here.</p>
      )}
      {preview.isError && (
        <p role="alert" className="agents-error">
          {preview.error.message}
        </p>
      )}
      {data && params && (
        <p className="al-fired" data-testid="would-have-fired">
          {fired === 0
            ? `Would not have fired in ${describeRange(range).replace(/^Last/, "the last")}.`
            : `Would have fired ${fired === 1 ? "once" : `${fired} times`} in ${describeRange(range).replace(/^Last/, "the last")}.`}
          {preview.isFetching && <span className="muted"> updating…</span>}
        </p>
      )}
      {data?.warnings.map((w) => (
        <p key={w} className="graph-warning">
          {w}
        </p>
      ))}
      {data && chart.series.length === 0 && params && <p className="muted chart-empty">No data in this range.</p>}
      {chart.series.length > 0 && params && (
        <TimeSeriesChart
          data={chart}
          unit={unit}
          domain={[data?.start ?? params.start, data?.end ?? params.end]}
          thresholds={thresholdLines(data?.threshold)}
          bands={bands}
          height={300}
        />
      )}
    </section>
  );
}
