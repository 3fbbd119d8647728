"use client";

import { useSpansQuery } from "../hooks/queries/useSpansQuery";
import { PageBoundary, QueryState, RangeNote, useUrlState } from "./DrilldownCommon";
import { rangeFromParams, type TTraceFilters } from "./drilldown-format";
import { TracesScatter } from "./TracesScatter";
import { TracesSearchForm } from "./TracesSearchForm";
import { TracesTable } from "./TracesTable";

export const TRACE_FILTER_KEYS = [
  "service",
  "route",
  "operation",
  "status",
  "minDurationMs",
  "attr",
  "fingerprint",
  "kind",
] as const;

/** Span search: the form and the range live in the URL, so every search is a link. */
export function TracesPage() {
  const { params } = useUrlState();
  const range = rangeFromParams(params);
  const filters: TTraceFilters = {};
  for (const k of TRACE_FILTER_KEYS) {
    const v = params.get(k);
    if (v) filters[k] = v;
  }
  const spans = useSpansQuery({ ...filters, range });
  return (
    <section className="dd-page">
      <h1>Traces</h1>
      <TracesSearchForm filters={filters} range={range} />
      <PageBoundary>
        <QueryState query={spans} what="spans" />
        {spans.data && (
          <>
            <RangeNote clamped={spans.data.range.clamped} />
            <div className="panel dd-section">
              <h2>
                Duration over time{" "}
                <span className="muted dd-small">
                  {spans.data.spans.length} span{spans.data.spans.length === 1 ? "" : "s"}
                  {spans.data.truncated ? " (the newest; narrow the search to see older ones)" : ""}
                  {spans.isFetching ? " · refreshing…" : ""}
                </span>
              </h2>
              <TracesScatter spans={spans.data.spans} range={spans.data.range} />
            </div>
            {spans.data.spans.length === 0 ? (
              <p className="panel muted">No span matches this search in this range.</p>
            ) : (
              <TracesTable spans={spans.data.spans} />
            )}
          </>
        )}
      </PageBoundary>
    </section>
  );
}
