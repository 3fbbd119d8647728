"use client";

import Link from "next/link";
import type { TAlertRuleView } from "../../lib/contracts/alerts";
import { useAlertRulesQuery } from "../hooks/queries/useAlertRulesQuery";
import { formatAlertValue, secondsText } from "./alerts-format";

/** What a rule checks, in one line: `query > 0.5`, `outside 1 – 2`, `no push from job=~"api"`. */
export function conditionText(r: TAlertRuleView["rule"]): string {
  if (r.kind === "absence") return `no push from job=~"${r.job}"`;
  // A query with operators of its own is bracketed, so the condition reads as applying to all of it.
  const query = r.query ?? "";
  const bracketed = /\s(and|or|unless|[-+*/%^<>]|[<>=!]=)\s/.test(query) ? `(${query})` : query;
  const q =
    r.kind === "rate_of_change" ? `change over ${secondsText(r.windowSeconds ?? 0)} of ${bracketed}` : bracketed;
  switch (r.condition) {
    case "above":
      return `${q} ${r.inclusive ? "≥" : ">"} ${formatAlertValue(r.threshold)}`;
    case "below":
      return `${q} ${r.inclusive ? "≤" : "<"} ${formatAlertValue(r.threshold)}`;
    case "outside":
      return `${q} outside ${formatAlertValue(r.low)} – ${formatAlertValue(r.high)}`;
    default:
      return `${q} (any series)`;
  }
}

export function AlertsRules() {
  const rules = useAlertRulesQuery();
  if (rules.isPending) return <p className="muted">Loading rules…</p>;
  if (rules.isError) return <p role="alert">Could not load rules: {rules.error.message}</p>;
  return (
    <section className="panel al-section" aria-label="Rules">
      <table className="agents-table al-table" aria-label="Alert rules">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Condition</th>
            <th scope="col">For</th>
            <th scope="col">State</th>
            <th scope="col">Health</th>
            <th scope="col">Source</th>
          </tr>
        </thead>
        <tbody>
          {rules.data.rules.map((r) => (
            <tr key={r.id} className={r.rule.enabled ? undefined : "agents-revoked"}>
              <td>
                <span className={`al-sev ${r.rule.severity}`}>{r.rule.severity}</span>{" "}
                <Link href={`/alerts/rules/${encodeURIComponent(r.id)}`}>{r.rule.name}</Link>
                {!r.rule.enabled && <span className="muted"> (off)</span>}
              </td>
              <td>
                <code className="al-query">{conditionText(r.rule)}</code>
              </td>
              <td>{secondsText(r.rule.forSeconds)}</td>
              <td>
                {r.firing > 0 && <span className="al-count firing on">{r.firing} firing</span>}{" "}
                {r.pending > 0 && <span className="al-count pending">{r.pending} pending</span>}
                {r.firing === 0 && r.pending === 0 && <span className="muted">ok</span>}
              </td>
              <td title={r.lastError ?? undefined}>
                {r.health === "err" ? (
                  <span className="agents-status bad">error: {r.lastError}</span>
                ) : (
                  <span className="muted">{r.health}</span>
                )}
              </td>
              <td>
                {r.source}
                {r.readOnly && <span className="muted"> (read-only)</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
