import Link from "next/link";
import { useEffect, useRef } from "react";
import type { TTraceSpan } from "../../lib/contracts/drilldown";
import { Stat } from "./DrilldownCommon";
import { CATEGORY_LABELS, formatMs, queryHref, type TRangeParam, tracesHref } from "./drilldown-format";

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

function AttributeTable({ attrs, label }: { attrs: Record<string, unknown>; label: string }) {
  const keys = Object.keys(attrs).sort();
  if (keys.length === 0) return <p className="muted">None.</p>;
  return (
    <table className="dd-table dd-attrs" aria-label={label}>
      <tbody>
        {keys.map((k) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>
              {k === "db.plan" ? <span className="muted">(EXPLAIN plan: see the query page)</span> : show(attrs[k])}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TraceSpanDetails({ span, range }: { span: TTraceSpan; range: TRangeParam }) {
  const exceptions = span.events.filter((e) => e.name === "exception");
  const others = span.events.filter((e) => e.name !== "exception");
  const ref = useRef<HTMLElement>(null);
  // Long traces push the details below the fold: bring them in when another span is picked.
  useEffect(() => {
    if (span.spanId) ref.current?.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }, [span.spanId]);
  return (
    <section ref={ref} className="panel dd-section dd-details" aria-label="Span details">
      <h2>
        <span className={`dd-kind dd-cat-${span.category}`} aria-hidden="true" />
        {span.name}
      </h2>
      <dl className="dd-stats">
        <Stat label="Service" value={span.service} />
        <Stat label="Kind" value={`${span.kind} · ${CATEGORY_LABELS[span.category]}`} />
        <Stat label="Duration" value={formatMs(span.durationMs)} />
        <Stat label="Self time" value={formatMs(span.selfMs)} hint="Time not covered by child spans" />
        <Stat label="Starts at" value={`+${formatMs(span.offsetMs)}`} />
        <Stat
          label="Status"
          value={
            <span className={span.status === "error" ? "dd-bad" : undefined}>
              {span.status}
              {span.statusMessage ? `: ${span.statusMessage}` : ""}
            </span>
          }
        />
      </dl>
      {span.route && (
        <p>
          Route <code>{span.route}</code>:{" "}
          <Link href={tracesHref({ service: span.service, route: span.route }, range)}>other traces of this route</Link>
        </p>
      )}
      {span.dbStatement && (
        <div className="dd-db">
          <h3>Statement{span.dbSystem ? ` (${span.dbSystem})` : ""}</h3>
          <pre className="dd-sql">{span.dbStatement}</pre>
          {span.fingerprint && (
            <p className="dd-links">
              <Link href={queryHref(span.fingerprint.id, range)}>Query details, plan and index advice</Link>
              <Link href={tracesHref({ fingerprint: span.fingerprint.id }, range)}>Other traces issuing it</Link>
            </p>
          )}
        </div>
      )}
      {exceptions.length > 0 && (
        <div>
          <h3>Exceptions</h3>
          {exceptions.map((e, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a span's events never change order
            <div key={`${e.timeMs}-${i}`} className="dd-exception" role="note">
              <strong>{show(e.attributes["exception.type"] ?? "Error")}</strong>:{" "}
              {show(e.attributes["exception.message"] ?? "")}
              {typeof e.attributes["exception.stacktrace"] === "string" && (
                <pre>{e.attributes["exception.stacktrace"] as string}</pre>
              )}
            </div>
          ))}
        </div>
      )}
      {others.length > 0 && (
        <div>
          <h3>Events</h3>
          <ul className="dd-events">
            {others.map((e, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a span's events never change order
              <li key={`${e.timeMs}-${i}`}>
                {e.timeMs !== null && <span className="muted">+{formatMs(e.timeMs - span.startMs)} </span>}
                <strong>{e.name}</strong>{" "}
                {Object.keys(e.attributes).length > 0 && <code>{JSON.stringify(e.attributes)}</code>}
              </li>
            ))}
          </ul>
        </div>
      )}
      <h3>Attributes</h3>
      <AttributeTable attrs={span.attributes} label="Span attributes" />
      <details>
        <summary>Resource</summary>
        <AttributeTable attrs={span.resource} label="Resource attributes" />
      </details>
    </section>
  );
}
