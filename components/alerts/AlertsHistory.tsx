"use client";

import Link from "next/link";
import { formatDateTime } from "../agents/AgentsCommon";
import { useAlertHistoryQuery } from "../hooks/queries/useAlertHistoryQuery";
import { formatAlertValue, labelsText } from "./alerts-format";

/** Every state change, newest first (kept as long as raw samples). */
export function AlertsHistory({ ruleId }: { ruleId?: string }) {
  const history = useAlertHistoryQuery({ ruleId, limit: 200 });
  if (history.isPending) return <p className="muted">Loading history…</p>;
  if (history.isError) return <p role="alert">Could not load the history: {history.error.message}</p>;
  if (history.data.events.length === 0) return <p className="muted">No alert has changed state yet.</p>;
  return (
    <section className="panel al-section" aria-label="History">
      <table className="agents-table al-table" aria-label="Alert history">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Rule</th>
            <th scope="col">Labels</th>
            <th scope="col">Change</th>
            <th scope="col" className="agents-num">
              Value
            </th>
          </tr>
        </thead>
        <tbody>
          {history.data.events.map((e) => (
            <tr key={e.id}>
              <td>{formatDateTime(e.at)}</td>
              <td>
                <Link href={`/alerts/rules/${encodeURIComponent(e.ruleId)}`}>{e.ruleName}</Link>
              </td>
              <td>
                <code className="al-labels">{labelsText(e.labels)}</code>
              </td>
              <td>
                <span className={`al-state ${e.from}`}>{e.from}</span> →{" "}
                <span className={`al-state ${e.to}`}>{e.to}</span>
              </td>
              <td className="agents-num">{formatAlertValue(e.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
