import Link from "next/link";
import type { TQueryDetailResponse } from "../../lib/contracts/drilldown";
import {
  formatMs,
  formatNumber,
  formatTime,
  type TRangeParam,
  traceHref,
  tracesHref,
} from "../traces/drilldown-format";

export function QueryRoutes({ routes, range }: { routes: TQueryDetailResponse["routes"]; range: TRangeParam }) {
  return (
    <section className="panel dd-section" aria-labelledby="query-routes">
      <h2 id="query-routes">Routes that issue it</h2>
      {routes.length === 0 ? (
        <p className="muted">No route: none of its spans has a server span of the same service in its trace.</p>
      ) : (
        <table className="dd-table" aria-label="Routes that issue it">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Route</th>
              <th scope="col" className="dd-num">
                Calls
              </th>
              <th scope="col" className="dd-num">
                Traces
              </th>
              <th scope="col" className="dd-num">
                Calls/trace
              </th>
              <th scope="col" className="dd-num">
                Mean
              </th>
              <th scope="col" className="dd-num">
                Total
              </th>
              <th scope="col">Example</th>
            </tr>
          </thead>
          <tbody>
            {routes.map((r) => (
              <tr key={`${r.service}|${r.route}`}>
                <td>{r.service}</td>
                <td>
                  {r.route.startsWith("(") ? (
                    <span className="muted">{r.route}</span>
                  ) : (
                    <Link href={tracesHref({ service: r.service, route: r.route }, range)}>{r.route}</Link>
                  )}
                </td>
                <td className="dd-num">{formatNumber(r.calls)}</td>
                <td className="dd-num">{formatNumber(r.traces)}</td>
                <td className="dd-num">{formatNumber(r.calls / Math.max(1, r.traces), 1)}</td>
                <td className="dd-num">{formatMs(r.meanMs)}</td>
                <td className="dd-num">{formatMs(r.totalMs)}</td>
                <td>
                  <Link href={traceHref(r.exampleTraceId)} className="dd-mono">
                    {r.exampleTraceId.slice(0, 12)}…
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const SHOWN_TRACES = 15;

export function QueryTraces({
  traces,
  threshold,
  allHref,
}: {
  traces: TQueryDetailResponse["traces"];
  threshold: number;
  allHref: string;
}) {
  return (
    <section className="panel dd-section" aria-labelledby="query-traces">
      <h2 id="query-traces">Traces that issue it most</h2>
      <table className="dd-table" aria-label="Traces that issue it most">
        <thead>
          <tr>
            <th scope="col">Trace</th>
            <th scope="col">Route</th>
            <th scope="col" className="dd-num">
              Calls in trace
            </th>
            <th scope="col" className="dd-num">
              Time in it
            </th>
            <th scope="col">Started</th>
          </tr>
        </thead>
        <tbody>
          {traces.slice(0, SHOWN_TRACES).map((t) => (
            <tr key={t.traceId}>
              <td>
                <Link href={traceHref(t.traceId)} className="dd-mono">
                  {t.traceId.slice(0, 12)}…
                </Link>
              </td>
              <td>{t.route ?? <span className="muted">–</span>}</td>
              <td className="dd-num">
                {t.calls >= threshold && <span className="dd-badge warning">N+1</span>} {formatNumber(t.calls)}
              </td>
              <td className="dd-num">{formatMs(t.totalMs)}</td>
              <td className="dd-nowrap">{formatTime(t.startMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {traces.length > SHOWN_TRACES && (
        <p className="dd-note">
          <Link href={allHref}>All traces issuing it</Link>
        </p>
      )}
    </section>
  );
}

export function QuerySlowest({ slowest }: { slowest: TQueryDetailResponse["slowest"] }) {
  return (
    <section className="panel dd-section" aria-labelledby="query-slowest">
      <h2 id="query-slowest">Slowest examples</h2>
      <table className="dd-table" aria-label="Slowest examples">
        <thead>
          <tr>
            <th scope="col" className="dd-num">
              Duration
            </th>
            <th scope="col">Route</th>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col">Trace</th>
          </tr>
        </thead>
        <tbody>
          {slowest.map((s) => (
            <tr key={s.spanId}>
              <td className="dd-num">{formatMs(s.durationMs)}</td>
              <td>{s.route ?? <span className="muted">–</span>}</td>
              <td className={s.status === "error" ? "dd-bad" : undefined}>{s.status}</td>
              <td className="dd-nowrap">{formatTime(s.startMs)}</td>
              <td>
                <Link href={traceHref(s.traceId, s.spanId)} className="dd-mono">
                  {s.traceId.slice(0, 12)}…
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
