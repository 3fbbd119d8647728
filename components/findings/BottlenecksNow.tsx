"use client";

import Link from "next/link";
import { useFindingsQuery } from "../hooks/queries/useFindingsQuery";
import { ago, KIND_LABELS, targetText } from "./finding-format";

/** The Overview's ranked list of open findings: the analyzer's answer to "what is slow, and why". */
export function BottlenecksNow() {
  const q = useFindingsQuery({ status: "open", limit: 20 });
  const findings = (q.data?.findings ?? []).filter((f) => !f.muted);
  return (
    <div className="panel" data-testid="bottlenecks-now">
      <h2>Bottlenecks now</h2>
      {q.isPending && <p className="muted">Loading the analyzer's findings…</p>}
      {q.isError && <p role="alert">Findings unavailable: {q.error.message}</p>}
      {q.data && findings.length === 0 && (
        <p className="muted" data-testid="bottlenecks-empty">
          No bottleneck right now. The analyzer compares every route, statement, cache, pool, queue and runtime signal
          with its own last half hour and lists what departs from it here, ranked by impact.
        </p>
      )}
      <ol className="findings">
        {findings.map((f) => (
          <li key={f.id} className={`finding sev-${f.severity}`} data-testid="finding-item" data-kind={f.kind}>
            <Link href={`/findings/${f.id}`} className="finding-title">
              <span className={`badge sev-${f.severity}`}>{f.severity}</span> {KIND_LABELS[f.kind]}: {f.title}
            </Link>
            <div className="muted small">
              {targetText(f.target)} · since {ago(f.firstSeen)}
              {f.acknowledged ? " · acknowledged" : ""}
            </div>
            <div className="finding-fix">{f.recommendation}</div>
          </li>
        ))}
      </ol>
    </div>
  );
}
