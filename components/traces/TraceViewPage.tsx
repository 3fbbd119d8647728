"use client";

import Link from "next/link";
import { useTraceQuery } from "../hooks/queries/useTraceQuery";
import { PageBoundary, Stat, useUrlState } from "./DrilldownCommon";
import { CATEGORY_LABELS, formatMs, formatTime, rangeAround, tracesHref } from "./drilldown-format";
import { TraceSpanDetails } from "./TraceSpanDetails";
import { TraceWaterfall } from "./TraceWaterfall";

/** One trace: its waterfall, the share of its time per kind of work, and the selected span's details. */
export function TraceViewPage({ traceId }: { traceId: string }) {
  const trace = useTraceQuery({ traceId });
  const { params, set } = useUrlState();
  const selectedId = params.get("span");

  if (trace.isPending) return <p className="muted">Loading trace {traceId}…</p>;
  if (trace.isError) {
    return (
      <section className="dd-page">
        <h1>Trace</h1>
        <p role="alert" className="dd-error">
          Could not load trace <code>{traceId}</code>: {trace.error.message}
        </p>
        <p>
          <Link href="/traces">Search traces</Link>
        </p>
      </section>
    );
  }
  const t = trace.data;
  const root = t.spans[0];
  const range = rangeAround(t.startMs);
  const selected = t.spans.find((s) => s.spanId === selectedId) ?? null;
  const errors = t.spans.filter((s) => s.status === "error").length;
  return (
    <section className="dd-page">
      <p className="dd-crumbs">
        <Link href={tracesHref({}, range)}>Traces</Link>
        {t.route && (
          <>
            {" / "}
            <Link href={tracesHref({ service: root?.service, route: t.route }, range)}>{t.route}</Link>
          </>
        )}
      </p>
      <h1>
        {root?.name ?? "Trace"} <span className="muted dd-mono dd-small">{traceId}</span>
      </h1>
      <PageBoundary>
        <dl className="panel dd-stats">
          <Stat label="Duration" value={formatMs(t.durationMs)} />
          <Stat label="Started" value={formatTime(t.startMs)} />
          <Stat label="Spans" value={`${t.spans.length}${t.truncated ? " (cut)" : ""}`} />
          <Stat label="Services" value={t.services.join(", ")} />
          <Stat label="Errors" value={<span className={errors > 0 ? "dd-bad" : undefined}>{errors}</span>} />
        </dl>
        <section className="panel dd-section" aria-label="Time per kind">
          <h2>Where the time went</h2>
          <div className="dd-sharebar" role="img" aria-label="Share of the trace's time per kind">
            {t.byCategory.map((c) => (
              <span
                key={c.category}
                className={`dd-cat-${c.category}`}
                style={{ width: `${Math.max(0.5, c.share * 100)}%` }}
                title={`${CATEGORY_LABELS[c.category]}: ${formatMs(c.selfMs)}`}
              />
            ))}
          </div>
          <ul className="dd-legend" aria-label="Time per kind">
            {t.byCategory.map((c) => (
              <li key={c.category}>
                <span className={`dd-kind dd-cat-${c.category}`} aria-hidden="true" />
                {CATEGORY_LABELS[c.category]}: <strong>{(c.share * 100).toFixed(1)} %</strong>{" "}
                <span className="muted">({formatMs(c.selfMs)} self time)</span>
              </li>
            ))}
          </ul>
        </section>
        <div className="panel dd-section">
          <h2>Waterfall</h2>
          <TraceWaterfall
            trace={t}
            selectedId={selected?.spanId ?? null}
            onSelect={(spanId) => set({ span: spanId === selected?.spanId ? null : spanId })}
          />
        </div>
        {selected && <TraceSpanDetails span={selected} range={range} />}
      </PageBoundary>
    </section>
  );
}
