"use client";

import type { TCacheLevel } from "../../lib/contracts/drilldown";
import { useCachesQuery } from "../hooks/queries/useCachesQuery";
import { PageBoundary, QueryState, RangeNote, UrlRangePicker, useUrlState } from "../traces/DrilldownCommon";
import { rangeFromParams } from "../traces/drilldown-format";
import { CacheDetections } from "./CacheDetections";
import { CacheHierarchyPanel } from "./CacheHierarchyPanel";
import { CacheLevelCard } from "./CacheLevelCard";
import { CacheMissRoutes } from "./CacheMissRoutes";

/** Hit ratio per cache and level, what reaches the database, and what looks wrong. */
export function CachesPage() {
  const { params } = useUrlState();
  const range = rangeFromParams(params);
  const caches = useCachesQuery({ range });
  const d = caches.data;
  const byName = new Map<string, TCacheLevel[]>();
  for (const c of d?.caches ?? []) byName.set(c.cache, [...(byName.get(c.cache) ?? []), c]);
  return (
    <section className="dd-page">
      <h1>Caches</h1>
      <div className="dd-toolbar">
        <UrlRangePicker />
        {caches.isFetching && !caches.isPending && <span className="muted">Refreshing…</span>}
      </div>
      <PageBoundary>
        <QueryState query={caches} what="caches" />
        {d && (
          <>
            <RangeNote clamped={d.range.clamped} />
            <CacheDetections detections={d.detections} />
            {d.caches.length === 0 ? (
              <p className="panel muted">
                No cache metrics in this range. The agent reports <code>cache_requests_total</code>,{" "}
                <code>cache_evictions_total</code>, <code>cache_operation_duration_seconds</code> and{" "}
                <code>cache_entries</code> per cache and level once its caches are wrapped.
              </p>
            ) : (
              d.hierarchies.map((h) => (
                <section key={h.cache} className="dd-cache" aria-label={`Cache ${h.cache}`}>
                  <CacheHierarchyPanel hierarchy={h} range={d.range} />
                  <div className="dd-grid2">
                    {(byName.get(h.cache) ?? []).map((c) => (
                      <CacheLevelCard key={c.level} level={c} range={d.range} />
                    ))}
                  </div>
                </section>
              ))
            )}
            <CacheMissRoutes routes={d.missRoutes} range={range} />
          </>
        )}
      </PageBoundary>
    </section>
  );
}
