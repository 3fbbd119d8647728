"use client";

import { useServicesQuery } from "../hooks/queries/useServicesQuery";
import { PageBoundary, QueryState, RangeNote, UrlRangePicker, useUrlState } from "../traces/DrilldownCommon";
import { rangeFromParams } from "../traces/drilldown-format";
import { ServicesTable } from "./ServicesTable";

/** RED per service (from server spans) and each service's costliest operations, linking to their traces. */
export function ServicesPage() {
  const { params } = useUrlState();
  const range = rangeFromParams(params);
  const services = useServicesQuery({ range });
  return (
    <section className="dd-page">
      <h1>Services</h1>
      <div className="dd-toolbar">
        <UrlRangePicker />
        {services.isFetching && !services.isPending && <span className="muted">Refreshing…</span>}
      </div>
      <PageBoundary>
        <QueryState query={services} what="services" />
        {services.data && (
          <>
            <RangeNote clamped={services.data.range.clamped} />
            {services.data.services.length === 0 ? (
              <p className="panel muted">
                No server spans in this range. Services appear here once an agent pushes traces (OTLP to{" "}
                <code>/v1/traces</code>) with SERVER spans.
              </p>
            ) : (
              <ServicesTable data={services.data} range={range} />
            )}
          </>
        )}
      </PageBoundary>
    </section>
  );
}
