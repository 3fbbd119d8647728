import Link from "next/link";
import { Fragment } from "react";
import type { TServicesResponse } from "../../lib/contracts/drilldown";
import { Sparkline } from "../traces/DrilldownCommon";
import { formatMs, formatNumber, formatRate, type TRangeParam, tracesHref } from "../traces/drilldown-format";

export function ServicesTable({ data, range }: { data: TServicesResponse; range: TRangeParam }) {
  return (
    <table className="dd-table" aria-label="Services">
      <thead>
        <tr>
          <th scope="col">Service</th>
          <th scope="col" className="dd-num">
            Requests
          </th>
          <th scope="col" className="dd-num">
            Rate
          </th>
          <th scope="col" className="dd-num">
            Errors
          </th>
          <th scope="col" className="dd-num">
            p50
          </th>
          <th scope="col" className="dd-num">
            p95
          </th>
          <th scope="col" className="dd-num">
            p99
          </th>
          <th scope="col">Rate over time</th>
          <th scope="col">Links</th>
        </tr>
      </thead>
      <tbody>
        {data.services.map((s) => (
          <Fragment key={s.service}>
            <tr className="dd-service-row">
              <th scope="row">
                <Link href={tracesHref({ service: s.service, kind: "server" }, range)}>{s.service}</Link>
              </th>
              <td className="dd-num">{formatNumber(s.requests)}</td>
              <td className="dd-num">{formatRate(s.ratePerSec)}</td>
              <td className={`dd-num${s.errorPct >= 5 ? " dd-bad" : ""}`}>
                {s.errorPct.toFixed(1)} %
                {s.errors > 0 && (
                  <>
                    {" "}
                    <Link
                      className="dd-small"
                      href={tracesHref({ service: s.service, status: "error", kind: "server" }, range)}
                    >
                      ({formatNumber(s.errors)})
                    </Link>
                  </>
                )}
              </td>
              <td className="dd-num">{formatMs(s.p50Ms)}</td>
              <td className="dd-num">{formatMs(s.p95Ms)}</td>
              <td className="dd-num">{formatMs(s.p99Ms)}</td>
              <td>
                <Sparkline data={s.series} dataKey="ratePerSec" label={`Request rate of ${s.service}`} />
              </td>
              <td className="dd-links">
                <Link href={tracesHref({ service: s.service, kind: "server" }, range)}>Traces</Link>
                <Link href={`/queries?${new URLSearchParams({ service: s.service })}`}>Queries</Link>
              </td>
            </tr>
            <tr className="dd-ops-row">
              <td colSpan={9}>
                <table className="dd-table dd-subtable" aria-label={`Top operations of ${s.service}`}>
                  <thead>
                    <tr>
                      <th scope="col">Top operations by total time</th>
                      <th scope="col">Route</th>
                      <th scope="col" className="dd-num">
                        Calls
                      </th>
                      <th scope="col" className="dd-num">
                        Errors
                      </th>
                      <th scope="col" className="dd-num">
                        Mean
                      </th>
                      <th scope="col" className="dd-num">
                        p95
                      </th>
                      <th scope="col" className="dd-num">
                        Total
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.topOperations.map((op) => (
                      <tr key={`${op.name}|${op.route ?? ""}`}>
                        <td>
                          <Link
                            href={tracesHref(
                              op.route
                                ? { service: s.service, route: op.route }
                                : { service: s.service, operation: op.name, kind: "server" },
                              range,
                            )}
                          >
                            {op.name}
                          </Link>
                        </td>
                        <td>{op.route ? <code>{op.route}</code> : <span className="muted">–</span>}</td>
                        <td className="dd-num">{formatNumber(op.calls)}</td>
                        <td className={`dd-num${op.errors > 0 ? " dd-bad" : ""}`}>{formatNumber(op.errors)}</td>
                        <td className="dd-num">{formatMs(op.meanMs)}</td>
                        <td className="dd-num">{formatMs(op.p95Ms)}</td>
                        <td className="dd-num">{formatMs(op.totalMs)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </td>
            </tr>
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
