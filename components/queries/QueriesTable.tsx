import Link from "next/link";
import type { TQuerySort, TQueryStat } from "../../lib/contracts/drilldown";
import { Sparkline } from "../traces/DrilldownCommon";
import { formatMs, formatNumber, queryHref, type TRangeParam } from "../traces/drilldown-format";

function SortHeader({
  label,
  by,
  sort,
  onSort,
}: {
  label: string;
  by: TQuerySort;
  sort: TQuerySort;
  onSort: (s: TQuerySort) => void;
}) {
  const active = sort === by;
  return (
    <th scope="col" className="dd-num" aria-sort={active ? "descending" : "none"}>
      <button type="button" className={`dd-sort${active ? " active" : ""}`} onClick={() => onSort(by)}>
        {label}
        {active ? " ▼" : ""}
      </button>
    </th>
  );
}

export function QueriesTable({
  rows,
  sort,
  range,
  onSort,
}: {
  rows: TQueryStat[];
  sort: TQuerySort;
  range: TRangeParam;
  onSort: (s: TQuerySort) => void;
}) {
  return (
    <table className="dd-table" aria-label="Queries by fingerprint">
      <thead>
        <tr>
          <th scope="col">Statement</th>
          <SortHeader label="Calls" by="calls" sort={sort} onSort={onSort} />
          <SortHeader label="Total time" by="total" sort={sort} onSort={onSort} />
          <th scope="col" className="dd-num">
            Share
          </th>
          <SortHeader label="Mean" by="mean" sort={sort} onSort={onSort} />
          <th scope="col" className="dd-num">
            p50
          </th>
          <SortHeader label="p95" by="p95" sort={sort} onSort={onSort} />
          <th scope="col" className="dd-num">
            p99
          </th>
          <th scope="col" className="dd-num">
            Rows/call
          </th>
          <th scope="col" className="dd-num">
            Errors
          </th>
          <th scope="col">Calls / mean over time</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((q) => (
          <tr key={q.fingerprint}>
            <td className="dd-stmt-cell">
              <Link href={queryHref(q.fingerprint, range)} className="dd-statement" title={q.example}>
                {q.text}
              </Link>
              <div className="muted dd-small">
                {q.dbSystem ?? "db"} · {q.services.join(", ")} · <span className="dd-mono">{q.fingerprint}</span>
              </div>
            </td>
            <td className="dd-num">{formatNumber(q.calls)}</td>
            <td className="dd-num">{formatMs(q.totalMs)}</td>
            <td className="dd-num">
              <span className="dd-share" style={{ "--share": `${Math.min(100, q.sharePct)}%` } as React.CSSProperties}>
                {q.sharePct.toFixed(1)} %
              </span>
            </td>
            <td className="dd-num">{formatMs(q.meanMs)}</td>
            <td className="dd-num">{formatMs(q.p50Ms)}</td>
            <td className="dd-num">{formatMs(q.p95Ms)}</td>
            <td className="dd-num">{formatMs(q.p99Ms)}</td>
            <td className="dd-num">{q.rowsPerCall === null ? "–" : formatNumber(q.rowsPerCall, 1)}</td>
            <td className={`dd-num${q.errors > 0 ? " dd-bad" : ""}`}>{formatNumber(q.errors)}</td>
            <td className="dd-trend">
              <Sparkline data={q.trend} dataKey="calls" label={`Calls over time of ${q.fingerprint}`} />
              <Sparkline
                data={q.trend}
                dataKey="meanMs"
                label={`Mean latency over time of ${q.fingerprint}`}
                color="var(--dd-db)"
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
