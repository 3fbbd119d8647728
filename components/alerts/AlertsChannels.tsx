"use client";

import { type FormEvent, useState } from "react";
import { formatDateTime } from "../agents/AgentsCommon";
import { parseDurationMs } from "../common/time-range";
import {
  useCreateChannelMutation,
  useDeleteChannelMutation,
  useTestChannelMutation,
} from "../hooks/mutations/useAlertMutations";
import { useAlertChannelsQuery } from "../hooks/queries/useAlertChannelsQuery";
import { secondsText } from "./alerts-format";

export function AlertsChannels() {
  const channels = useAlertChannelsQuery();
  const del = useDeleteChannelMutation();
  const test = useTestChannelMutation();
  return (
    <div className="al-lists">
      <section className="panel al-section" aria-labelledby="al-new-channel">
        <h2 id="al-new-channel">New webhook channel</h2>
        <p className="muted">
          Receives Alertmanager's webhook JSON (version 4): any receiver written for Alertmanager works. Rules send to
          the channels they name, or to every channel when they name none.
        </p>
        <ChannelForm />
      </section>
      <section className="panel al-section" aria-label="Channels">
        {channels.isPending && <p className="muted">Loading channels…</p>}
        {channels.isError && <p role="alert">Could not load channels: {channels.error.message}</p>}
        {(del.isError || test.isError) && (
          <p role="alert" className="agents-error">
            {del.error?.message ?? test.error?.message}
          </p>
        )}
        {test.data && (
          <p role="status" className={test.data.ok ? "" : "agents-error"}>
            Test notification: {test.data.ok ? `delivered (HTTP ${test.data.status})` : test.data.error}
          </p>
        )}
        {channels.data && channels.data.channels.length === 0 && <p className="muted">No channels yet.</p>}
        {channels.data && channels.data.channels.length > 0 && (
          <table className="agents-table al-table" aria-label="Channels list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">URL</th>
                <th scope="col">Grouping</th>
                <th scope="col">Delivery</th>
                <th scope="col">
                  <span className="agents-sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {channels.data.channels.map((c) => (
                <tr key={c.id}>
                  <td>
                    {c.name} <span className="muted">({c.id})</span>
                  </td>
                  <td>
                    <code>{c.url}</code>
                  </td>
                  <td>
                    by {c.groupBy.join(", ")}; wait {secondsText(c.groupWaitMs / 1000)}, interval{" "}
                    {secondsText(c.groupIntervalMs / 1000)}, repeat {secondsText(c.repeatIntervalMs / 1000)}
                  </td>
                  <td>
                    {c.status.sent} sent, {c.status.failed} failed
                    {c.status.lastError && (
                      <div className="agents-error">
                        {c.status.lastError}
                        {c.status.lastErrorAt && ` (${formatDateTime(c.status.lastErrorAt)})`}
                      </div>
                    )}
                  </td>
                  <td>
                    <div className="agents-actions">
                      <button type="button" className="agents-button" onClick={() => test.mutate(c.id)}>
                        Test
                      </button>
                      <button type="button" className="agents-button" onClick={() => del.mutate(c.id)}>
                        Delete
                      </button>
                    </div>
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

function ChannelForm() {
  const create = useCreateChannelMutation();
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [groupBy, setGroupBy] = useState("alertname");
  const [wait, setWait] = useState("30s");
  const [interval, setIntervalText] = useState("5m");
  const [problem, setProblem] = useState<string>();
  const ms = (t: string) => (t.trim() === "0" ? 0 : parseDurationMs(t));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const groupWaitMs = ms(wait);
    const groupIntervalMs = ms(interval);
    if (groupWaitMs === undefined) return setProblem(`group wait "${wait}" is not a duration`);
    if (groupIntervalMs === undefined) return setProblem(`group interval "${interval}" is not a duration`);
    setProblem(undefined);
    create.mutate(
      {
        name,
        url,
        groupBy: groupBy
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
        groupWaitMs,
        groupIntervalMs,
      },
      {
        onSuccess: () => {
          setName("");
          setUrl("");
        },
      },
    );
  };
  return (
    <form className="agents-form" onSubmit={submit}>
      <label className="agents-field">
        <span>Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="on-call" />
      </label>
      <label className="agents-field al-wide">
        <span>Webhook URL</span>
        <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="http://receiver:9000/hook" />
      </label>
      <label className="agents-field">
        <span>Group by</span>
        <input value={groupBy} onChange={(e) => setGroupBy(e.target.value)} size={14} />
      </label>
      <label className="agents-field">
        <span>Group wait</span>
        <input value={wait} onChange={(e) => setWait(e.target.value)} size={5} />
      </label>
      <label className="agents-field">
        <span>Group interval</span>
        <input value={interval} onChange={(e) => setIntervalText(e.target.value)} size={5} />
      </label>
      <button type="submit" className="agents-button primary" disabled={create.isPending}>
        Add channel
      </button>
      {(problem || create.isError) && (
        <p role="alert" className="agents-error al-full">
          {problem ?? create.error?.message}
        </p>
      )}
    </form>
  );
}
