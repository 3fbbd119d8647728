"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { z } from "zod";
import { type TFinding, ZFindingSchema } from "../../lib/contracts/findings";
import { toChartData } from "../charts/series";
import { TimeSeriesChart } from "../charts/TimeSeriesChart";
import type { TUnit } from "../common/units";
import { apiSend } from "../hooks/apiSend";
import { useFindingQuery } from "../hooks/queries/useFindingsQuery";
import { useQueryRangeQuery } from "../hooks/queries/useQueryRangeQuery";
import { ago, KIND_LABELS, targetText } from "./finding-format";

const UNIT_OF: Record<string, TUnit> = { s: "s", ratio: "ratio", bytes: "bytes", "req/s": "reqps", "1/s": "ops" };

function EvidenceChart({ s }: { s: TFinding["evidence"]["series"][number] }) {
  const q = useQueryRangeQuery(
    { query: s.query, range: { from: "now-30m", to: "now" }, stepMs: 10_000 },
    { refetchInterval: 10_000 },
  );
  const data = toChartData([{ data: q.data?.data, expr: s.query, legend: s.label }]);
  return (
    <figure className="evidence" data-testid="evidence-chart">
      <figcaption>
        {s.label}: baseline <strong>{fmt(s.baseline, s.unit)}</strong>, now <strong>{fmt(s.current, s.unit)}</strong>{" "}
        <Link href={`/explore?query=${encodeURIComponent(s.query)}&threshold=${s.baseline}`} className="small">
          open in Explore
        </Link>
      </figcaption>
      {q.isError && <p role="alert">{q.error.message}</p>}
      {data.series.length > 0 ? (
        <TimeSeriesChart
          data={data}
          unit={UNIT_OF[s.unit] ?? "short"}
          thresholds={[s.baseline]}
          height={180}
          legend={false}
        />
      ) : (
        !q.isPending && <p className="muted">No samples in the last 30 minutes.</p>
      )}
    </figure>
  );
}

function fmt(v: number, unit: string): string {
  if (unit === "s") return v >= 1 ? `${v.toFixed(2)} s` : `${(v * 1000).toFixed(v < 0.01 ? 1 : 0)} ms`;
  if (unit === "ratio") return `${(v * 100).toFixed(0)} %`;
  if (unit === "bytes") return `${(v / 1e6).toFixed(0)} MB`;
  return `${v.toFixed(v < 10 ? 2 : 0)}${unit ? ` ${unit}` : ""}`;
}

export function FindingPage({ id }: { id: string }) {
  const q = useFindingQuery(id);
  const client = useQueryClient();
  const patch = useMutation({
    mutationFn: (body: { acknowledged?: boolean; muted?: boolean }) =>
      apiSend("PATCH", `/api/findings/${encodeURIComponent(id)}`, z.object({ finding: ZFindingSchema }), body),
    onSuccess: () => client.invalidateQueries({ queryKey: ["findings"] }),
  });
  if (q.isPending) return <p className="muted">Loading finding…</p>;
  if (q.isError) return <p role="alert">{q.error.message}</p>;
  const f = q.data.finding;
  return (
    <section data-testid="finding-page">
      <p className="muted small">
        <Link href="/">Overview</Link> / {KIND_LABELS[f.kind]}
      </p>
      <h1>
        <span className={`badge sev-${f.severity}`}>{f.severity}</span> {f.title}
      </h1>
      <p className="muted">
        {targetText(f.target)} ·{" "}
        {f.status === "open" ? `open since ${ago(f.firstSeen)}` : `resolved ${ago(f.resolvedAt ?? f.lastSeen)}`} ·
        confidence {(f.confidence * 100).toFixed(0)} %
        {f.evidence.explainedBy ? ` · likely a consequence of ${f.evidence.explainedBy}` : ""}
      </p>
      <div className="panel">
        <p>{f.summary}</p>
        <h2>What to change</h2>
        <p className="finding-fix" data-testid="finding-recommendation">
          {f.recommendation}
        </p>
        <div className="row">
          <button
            type="button"
            onClick={() => patch.mutate({ acknowledged: !f.acknowledged })}
            disabled={patch.isPending}
          >
            {f.acknowledged ? "Un-acknowledge" : "Acknowledge"}
          </button>
          <button type="button" onClick={() => patch.mutate({ muted: !f.muted })} disabled={patch.isPending}>
            {f.muted ? "Unmute" : "Mute"}
          </button>
          {patch.isError && <span role="alert">{patch.error.message}</span>}
        </div>
      </div>
      {f.evidence.attribution && (
        <div className="panel" data-testid="finding-attribution">
          <h2>Where the time went on {f.evidence.attribution.route}</h2>
          <p>{f.evidence.attribution.verdict}</p>
          <table>
            <thead>
              <tr>
                <th>component</th>
                <th>change per request</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(f.evidence.attribution.deltaMs).map(([part, ms]) => (
                <tr key={part}>
                  <td>{part.replace("_", " ")}</td>
                  <td>{`${ms >= 0 ? "+" : ""}${ms.toFixed(1)} ms`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {f.evidence.plan && (
        <div className="panel" data-testid="finding-plan">
          <h2>Plan</h2>
          <code>{f.evidence.plan.statement}</code>
          {f.evidence.plan.suggestion && (
            <p>
              Candidate index: <code>{f.evidence.plan.suggestion}</code>
            </p>
          )}
        </div>
      )}
      {f.evidence.series.length > 0 && (
        <div className="panel">
          <h2>Evidence</h2>
          {f.evidence.series.map((s) => (
            <EvidenceChart key={s.label} s={s} />
          ))}
        </div>
      )}
      <div className="panel">
        <h2>Examples and links</h2>
        <ul>
          {f.evidence.traces.map((t) => (
            <li key={t}>
              <Link href={`/traces/${t}`} data-testid="finding-trace">
                trace {t.slice(0, 16)}…
              </Link>
            </li>
          ))}
          {f.evidence.links.map((l) => (
            <li key={l.href}>
              <Link href={l.href}>{l.label}</Link>
            </li>
          ))}
        </ul>
        {f.evidence.traces.length === 0 && <p className="muted">No sampled trace shows this one yet.</p>}
      </div>
      {f.impactReport && (
        <div className="panel" data-testid="finding-impact">
          <h2>Impact of the change</h2>
          <table>
            <thead>
              <tr>
                <th>signal</th>
                <th>before</th>
                <th>while open (worst)</th>
                <th>after</th>
              </tr>
            </thead>
            <tbody>
              {f.impactReport.map((r) => (
                <tr key={r.label}>
                  <td>{r.label}</td>
                  <td>{fmt(r.before, r.unit)}</td>
                  <td>{fmt(r.during, r.unit)}</td>
                  <td>{r.after === null ? "–" : fmt(r.after, r.unit)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
