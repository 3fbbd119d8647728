"use client";

import Link from "next/link";
import { useQueryDetailQuery } from "../hooks/queries/useQueryDetailQuery";
import { PageBoundary, QueryState, RangeNote, Stat, UrlRangePicker, useUrlState } from "../traces/DrilldownCommon";
import { formatMs, formatNumber, rangeEntries, rangeFromParams, tracesHref } from "../traces/drilldown-format";
import { QueryCharts } from "./QueryCharts";
import { QueryPlanTree } from "./QueryPlanTree";
import { QueryRoutes, QuerySlowest, QueryTraces } from "./QueryTables";

/** One fingerprint: latency and calls over time, who issues it, N+1, the latest plan and index advice. */
export function QueryDetailPage({ fingerprint }: { fingerprint: string }) {
  const { params } = useUrlState();
  const range = rangeFromParams(params);
  const service = params.get("service") ?? undefined;
  const detail = useQueryDetailQuery({ fingerprint, range, service });
  const d = detail.data;
  return (
    <section className="dd-page">
      <p className="dd-crumbs">
        <Link href={`/queries?${new URLSearchParams(rangeEntries(range))}`}>Queries</Link> /{" "}
        <span className="dd-mono">{fingerprint}</span>
      </p>
      <h1>Query {fingerprint}</h1>
      <div className="dd-toolbar">
        <UrlRangePicker />
        <Link href={tracesHref({ fingerprint, service }, range)}>Traces issuing it</Link>
      </div>
      <PageBoundary>
        <QueryState query={detail} what="this query" />
        {d && (
          <>
            <RangeNote clamped={d.range.clamped} />
            <pre className="panel dd-sql" data-testid="normalized-statement">
              {d.text}
            </pre>
            {d.statements.length > 1 && (
              <details className="dd-note">
                <summary>{d.statements.length} stored statements share this fingerprint</summary>
                <ul>
                  {d.statements.map((s) => (
                    <li key={s}>
                      <code>{s}</code>
                    </li>
                  ))}
                </ul>
              </details>
            )}
            <dl className="panel dd-stats">
              <Stat label="Calls" value={formatNumber(d.summary.calls)} />
              <Stat label="Total time" value={formatMs(d.summary.totalMs)} />
              <Stat label="Mean" value={formatMs(d.summary.meanMs)} />
              <Stat label="p50" value={formatMs(d.summary.p50Ms)} />
              <Stat label="p95" value={formatMs(d.summary.p95Ms)} />
              <Stat label="p99" value={formatMs(d.summary.p99Ms)} />
              <Stat
                label="Rows/call"
                value={d.summary.rowsPerCall === null ? "–" : formatNumber(d.summary.rowsPerCall, 1)}
              />
              <Stat
                label="Errors"
                value={<span className={d.summary.errors > 0 ? "dd-bad" : undefined}>{d.summary.errors}</span>}
              />
              {d.dbSystem && <Stat label="Database" value={d.dbSystem} />}
            </dl>
            {d.nPlusOne.detected && (
              <div className="panel dd-finding" role="note" aria-label="N+1 detected">
                <span className="dd-badge critical">N+1</span> Issued up to <strong>{d.nPlusOne.maxRepeats}</strong>{" "}
                times in one trace; {d.nPlusOne.tracesAffected} of {d.nPlusOne.tracesSeen} traces repeat it{" "}
                {d.nPlusOne.threshold} times or more. Fetch the rows in one query (<code>IN (...)</code>, a join, or a
                DataLoader-style batch) instead of one per item.
              </div>
            )}
            <QueryCharts series={d.series} bucketMs={d.bucketMs} range={d.range} />
            <QueryPlanTree plan={d.plan} />
            <QueryRoutes routes={d.routes} range={range} />
            <QueryTraces
              traces={d.traces}
              threshold={d.nPlusOne.threshold}
              allHref={tracesHref({ fingerprint, service }, range)}
            />
            <QuerySlowest slowest={d.slowest} />
          </>
        )}
      </PageBoundary>
    </section>
  );
}
