import Link from "next/link";
import type { TSpanHit } from "../../lib/contracts/drilldown";
import { formatMs, formatTime, traceHref } from "./drilldown-format";

export function TracesTable({ spans }: { spans: TSpanHit[] }) {
  return (
    <table className="dd-table" aria-label="Matching spans">
      <thead>
        <tr>
          <th scope="col">Start</th>
          <th scope="col">Service</th>
          <th scope="col">Span</th>
          <th scope="col">Route</th>
          <th scope="col" className="dd-num">
            Duration
          </th>
          <th scope="col">Status</th>
          <th scope="col">Trace</th>
        </tr>
      </thead>
      <tbody>
        {spans.map((s) => (
          <tr key={`${s.traceId}-${s.spanId}`}>
            <td className="dd-nowrap">{formatTime(s.startMs)}</td>
            <td>{s.service}</td>
            <td>
              <span className={`dd-kind dd-cat-${s.category}`} aria-hidden="true" />
              <Link href={traceHref(s.traceId, s.spanId)}>{s.name}</Link>
              {s.dbStatement && <div className="dd-statement">{s.dbStatement}</div>}
            </td>
            <td>{s.route ? <code>{s.route}</code> : <span className="muted">–</span>}</td>
            <td className="dd-num">{formatMs(s.durationMs)}</td>
            <td className={s.status === "error" ? "dd-bad" : undefined}>{s.status}</td>
            <td>
              <Link href={traceHref(s.traceId, s.spanId)} className="dd-mono" aria-label={`Open trace ${s.traceId}`}>
                {s.traceId.slice(0, 12)}…
              </Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
