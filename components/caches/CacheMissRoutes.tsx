import Link from "next/link";
import type { TCacheMissRoute } from "../../lib/contracts/drilldown";
import { formatNumber, type TRangeParam, traceHref, tracesHref } from "../traces/drilldown-format";

/** From cache.get spans that missed, grouped by the route of the request they served. */
export function CacheMissRoutes({ routes, range }: { routes: TCacheMissRoute[]; range: TRangeParam }) {
  return (
    <section className="panel dd-section" aria-labelledby="cache-miss-routes">
      <h2 id="cache-miss-routes">Routes that miss most</h2>
      {routes.length === 0 ? (
        <p className="muted">
          No <code>cache.get</code> span with <code>cache.hit=false</code> in this range (the agent records cache spans
          inside traced requests).
        </p>
      ) : (
        <table className="dd-table" aria-label="Routes that miss most">
          <thead>
            <tr>
              <th scope="col">Cache</th>
              <th scope="col">Level</th>
              <th scope="col">Service</th>
              <th scope="col">Route</th>
              <th scope="col" className="dd-num">
                Misses
              </th>
              <th scope="col" className="dd-num">
                Traces
              </th>
              <th scope="col">Links</th>
            </tr>
          </thead>
          <tbody>
            {routes.map((r) => (
              <tr key={`${r.cache}|${r.level}|${r.service}|${r.route}`}>
                <td>{r.cache}</td>
                <td>{r.level ?? "–"}</td>
                <td>{r.service}</td>
                <td>
                  {r.route.startsWith("(") ? (
                    <span className="muted">{r.route}</span>
                  ) : (
                    <Link href={tracesHref({ service: r.service, route: r.route }, range)}>{r.route}</Link>
                  )}
                </td>
                <td className="dd-num">{formatNumber(r.misses)}</td>
                <td className="dd-num">{formatNumber(r.traces)}</td>
                <td className="dd-links">
                  <Link
                    href={tracesHref({ service: r.service, operation: "cache.get", attr: "cache.hit=false" }, range)}
                  >
                    Missed lookups
                  </Link>
                  <Link href={traceHref(r.exampleTraceId)}>Example trace</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
