"use client";

import { QUERY_SORTS, type TQuerySort } from "../../lib/contracts/drilldown";
import { useQueryStatsQuery } from "../hooks/queries/useQueryStatsQuery";
import { PageBoundary, QueryState, RangeNote, UrlRangePicker, useUrlState } from "../traces/DrilldownCommon";
import { formatMs, formatNumber, rangeFromParams } from "../traces/drilldown-format";
import { QueriesTable } from "./QueriesTable";

/** Statements grouped by fingerprint; filters, sort and range live in the URL. */
export function QueriesPage() {
  const { params, set } = useUrlState();
  const range = rangeFromParams(params);
  const sortParam = params.get("sort");
  const sort: TQuerySort = QUERY_SORTS.includes(sortParam as TQuerySort) ? (sortParam as TQuerySort) : "total";
  const service = params.get("service") ?? undefined;
  const db = params.get("db") ?? undefined;
  const text = params.get("q") ?? "";
  const stats = useQueryStatsQuery({ range, service, db, sort, limit: 200 });
  const facets = stats.data?.facets ?? { services: [], dbs: [] };
  const needle = text.trim().toLowerCase();
  const rows = (stats.data?.queries ?? []).filter((q) => !needle || q.text.toLowerCase().includes(needle));

  return (
    <section className="dd-page">
      <h1>Queries</h1>
      <form className="dd-toolbar panel" aria-label="Filter queries" onSubmit={(e) => e.preventDefault()}>
        <label className="dd-field">
          <span>Service</span>
          <select value={service ?? ""} onChange={(e) => set({ service: e.target.value || null })}>
            <option value="">all services</option>
            {[...new Set([...facets.services, ...(service ? [service] : [])])].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="dd-field">
          <span>Database</span>
          <select value={db ?? ""} onChange={(e) => set({ db: e.target.value || null })}>
            <option value="">all databases</option>
            {[...new Set([...facets.dbs, ...(db ? [db] : [])])].map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <label className="dd-field dd-wide">
          <span>Statement contains</span>
          <input
            type="search"
            defaultValue={text}
            placeholder="orders, JOIN, IN (...)"
            onChange={(e) => set({ q: e.target.value || null })}
          />
        </label>
        <UrlRangePicker />
      </form>
      <PageBoundary>
        <QueryState query={stats} what="queries" />
        {stats.data && (
          <>
            <RangeNote clamped={stats.data.range.clamped} />
            <p className="muted dd-note">
              {formatNumber(stats.data.fingerprints)} fingerprints, {formatNumber(stats.data.totalCalls)} calls,{" "}
              {formatMs(stats.data.totalDbMs)} of database time
              {stats.data.truncated ? " (the costliest 5 000 statements were read)" : ""}
              {stats.isFetching ? " · refreshing…" : ""}
            </p>
            {rows.length === 0 ? (
              <p className="panel muted">
                {stats.data.queries.length === 0
                  ? "No database spans in this range. Statements appear once an agent records spans with db.query.text."
                  : "No statement matches the filter."}
              </p>
            ) : (
              <QueriesTable
                rows={rows}
                sort={sort}
                range={range}
                onSort={(s) => set({ sort: s === "total" ? null : s })}
              />
            )}
          </>
        )}
      </PageBoundary>
    </section>
  );
}
