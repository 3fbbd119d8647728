"use client";

import { type FormEvent, useState } from "react";
import { formatDateTime } from "../agents/AgentsCommon";
import { parseDurationMs } from "../common/time-range";
import { useCreateSilenceMutation, useExpireSilenceMutation } from "../hooks/mutations/useAlertMutations";
import { useSilencesQuery } from "../hooks/queries/useSilencesQuery";
import { parseMatchers } from "./alerts-format";

export function AlertsSilences() {
  const silences = useSilencesQuery();
  const expire = useExpireSilenceMutation();
  return (
    <div className="al-lists">
      <section className="panel al-section" aria-labelledby="al-new-silence">
        <h2 id="al-new-silence">New silence</h2>
        <SilenceForm />
      </section>
      <section className="panel al-section" aria-label="Silences">
        {silences.isPending && <p className="muted">Loading silences…</p>}
        {silences.isError && <p role="alert">Could not load silences: {silences.error.message}</p>}
        {silences.data && silences.data.silences.length === 0 && (
          <p className="muted">
            No silences. Silence an alert from its row on the Alerts tab, or write matchers above.
          </p>
        )}
        {expire.isError && (
          <p role="alert" className="agents-error">
            {expire.error.message}
          </p>
        )}
        {silences.data && silences.data.silences.length > 0 && (
          <table className="agents-table al-table" aria-label="Silences list">
            <thead>
              <tr>
                <th scope="col">Matchers</th>
                <th scope="col">From</th>
                <th scope="col">Until</th>
                <th scope="col">Status</th>
                <th scope="col">Comment</th>
                <th scope="col">
                  <span className="agents-sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {silences.data.silences.map((s) => (
                <tr key={s.id} className={s.status === "expired" ? "agents-revoked" : undefined}>
                  <td>
                    {s.matchers.map((m) => (
                      <code key={`${m.name}${m.op}${m.value}`} className="agents-chip">
                        {m.name}
                        {m.op}"{m.value}"
                      </code>
                    ))}
                  </td>
                  <td>{formatDateTime(s.startsAt)}</td>
                  <td>{formatDateTime(s.endsAt)}</td>
                  <td>
                    <span className={`agents-status ${s.status === "active" ? "ok" : ""}`}>{s.status}</span>
                  </td>
                  <td>
                    {s.comment} <span className="muted">by {s.createdBy}</span>
                  </td>
                  <td>
                    {s.status !== "expired" && (
                      <button
                        type="button"
                        className="agents-button"
                        disabled={expire.isPending}
                        onClick={() => expire.mutate(s.id)}
                      >
                        Expire
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function SilenceForm() {
  const create = useCreateSilenceMutation();
  const [matchers, setMatchers] = useState("");
  const [duration, setDuration] = useState("2h");
  const [comment, setComment] = useState("");
  const [problem, setProblem] = useState<string>();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseMatchers(matchers);
    const ms = parseDurationMs(duration);
    if (!parsed.ok) return setProblem(parsed.error);
    if (ms === undefined || ms <= 0) return setProblem(`"${duration}" is not a duration: write 30m, 2h, 1d…`);
    setProblem(undefined);
    create.mutate(
      { matchers: parsed.matchers, durationSeconds: ms / 1000, comment },
      { onSuccess: () => setMatchers("") },
    );
  };
  return (
    <form className="agents-form" onSubmit={submit}>
      <label className="agents-field al-wide">
        <span>Matchers</span>
        <input
          value={matchers}
          onChange={(e) => setMatchers(e.target.value)}
          placeholder='alertname="HttpLatencyP95High", route=~"/api/.*"'
          aria-invalid={problem !== undefined}
        />
      </label>
      <label className="agents-field">
        <span>Duration</span>
        <input value={duration} onChange={(e) => setDuration(e.target.value)} size={6} />
      </label>
      <label className="agents-field">
        <span>Comment</span>
        <input value={comment} onChange={(e) => setComment(e.target.value)} placeholder="why" />
      </label>
      <button type="submit" className="agents-button primary" disabled={create.isPending}>
        Create silence
      </button>
      {(problem || create.isError) && (
        <p role="alert" className="agents-error al-full">
          {problem ?? create.error?.message}
        </p>
      )}
    </form>
  );
}
