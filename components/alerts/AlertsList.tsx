"use client";

// Firing, pending, silenced and recently resolved alerts, each with its value against the threshold,
// a link to the chart with the threshold drawn, and a one-click silence.
import Link from "next/link";
import { useState } from "react";
import type { TAlertView } from "../../lib/contracts/alerts";
import { useNow } from "../agents/AgentsCommon";
import { useCreateSilenceMutation } from "../hooks/mutations/useAlertMutations";
import { formatAlertValue, formatSince, labelsText } from "./alerts-format";

const SILENCE_OPTIONS = [
  { seconds: 3600, label: "1 h" },
  { seconds: 4 * 3600, label: "4 h" },
  { seconds: 86_400, label: "1 d" },
];

export function AlertsList({
  alerts,
  loading,
  error,
  evaluating,
}: {
  alerts: TAlertView[];
  loading: boolean;
  error: string | undefined;
  evaluating: boolean;
}) {
  const now = useNow(1000);
  if (loading) return <p className="muted">Loading alerts…</p>;
  if (error) return <p role="alert">Could not load alerts: {error}</p>;
  const firing = alerts.filter((a) => a.state === "firing" && !a.silenced);
  const pending = alerts.filter((a) => a.state === "pending" && !a.silenced);
  const silenced = alerts.filter((a) => a.silenced);
  const resolved = alerts.filter((a) => a.state === "resolved");
  return (
    <div className="al-lists">
      {!evaluating && (
        <p className="muted">This node does not evaluate rules (another node leads): the list comes from the store.</p>
      )}
      <AlertTable title="Firing" alerts={firing} now={now} empty="Nothing is firing." />
      <AlertTable title="Pending" alerts={pending} now={now} empty="Nothing is pending." />
      <AlertTable title="Silenced" alerts={silenced} now={now} empty="No alert is silenced." />
      <AlertTable title="Resolved (last 15 minutes)" alerts={resolved} now={now} empty="Nothing resolved lately." />
    </div>
  );
}

function AlertTable({
  title,
  alerts,
  now,
  empty,
}: {
  title: string;
  alerts: TAlertView[];
  now: number;
  empty: string;
}) {
  const id = `al-${title.split(" ")[0]?.toLowerCase()}`;
  return (
    <section className="panel al-section" aria-labelledby={id}>
      <h2 id={id}>
        {title} <span className="muted">({alerts.length})</span>
      </h2>
      {alerts.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <table className="agents-table al-table" aria-label={`${title.split(" ")[0]} alerts`}>
          <thead>
            <tr>
              <th scope="col">Alert</th>
              <th scope="col">Labels</th>
              <th scope="col" className="agents-num">
                Value
              </th>
              <th scope="col" className="agents-num">
                Threshold
              </th>
              <th scope="col">Since</th>
              <th scope="col">
                <span className="agents-sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <AlertRow key={a.key} alert={a} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AlertRow({ alert: a, now }: { alert: TAlertView; now: number }) {
  const silence = useCreateSilenceMutation();
  const [duration, setDuration] = useState(SILENCE_OPTIONS[0]?.seconds ?? 3600);
  const since = a.state === "firing" ? a.firedAt : a.state === "resolved" ? a.resolvedAt : a.activeAt;
  return (
    <tr data-testid="alert-row" data-state={a.state} data-silenced={a.silenced}>
      <td>
        <span className={`al-sev ${a.severity}`}>{a.severity}</span> <strong>{a.ruleName}</strong>
        {a.annotations.summary && <div className="muted al-summary-text">{a.annotations.summary}</div>}
      </td>
      <td>
        <code className="al-labels">{labelsText(a.labels)}</code>
      </td>
      <td className="agents-num">
        {formatAlertValue(a.state === "firing" ? (a.triggerValue ?? a.value) : a.value)}
        {a.state === "firing" && a.value !== null && a.value !== a.triggerValue && (
          <div className="muted">now {formatAlertValue(a.value)}</div>
        )}
      </td>
      <td className="agents-num">{formatAlertValue(a.threshold)}</td>
      <td title={since ?? undefined}>{formatSince(since, now)}</td>
      <td>
        <div className="agents-actions">
          <Link className="agents-button" href={a.chartUrl}>
            Chart
          </Link>
          <Link className="agents-button" href={`/alerts/rules/${encodeURIComponent(a.ruleId)}`}>
            Rule
          </Link>
          {(a.state === "firing" || a.state === "pending") && !a.silenced && (
            <>
              <select
                aria-label={`Silence ${a.ruleName} for`}
                value={duration}
                onChange={(e) => setDuration(Number(e.target.value))}
              >
                {SILENCE_OPTIONS.map((o) => (
                  <option key={o.seconds} value={o.seconds}>
                    {o.label}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="agents-button"
                disabled={silence.isPending}
                onClick={() => silence.mutate({ alert: a.key, durationSeconds: duration })}
              >
                {silence.isPending ? "Silencing…" : "Silence"}
              </button>
            </>
          )}
          {a.silenced && <span className="agents-chip">silenced</span>}
        </div>
        {silence.isError && (
          <p role="alert" className="agents-error">
            {silence.error.message}
          </p>
        )}
      </td>
    </tr>
  );
}
