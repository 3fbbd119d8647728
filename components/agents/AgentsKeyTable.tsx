import { useState } from "react";
import type { TKeyInfo } from "../../lib/contracts/keys";
import { useRevokeKeyMutation } from "../hooks/mutations/useRevokeKeyMutation";
import { useKeysQuery } from "../hooks/queries/useKeysQuery";
import { formatAgo, formatDateTime, useNow } from "./AgentsCommon";

export function AgentsKeyTable() {
  const keys = useKeysQuery();
  const revoke = useRevokeKeyMutation();
  // One key at a time waits for its "Confirm revoke": a second click elsewhere moves the question.
  const [confirming, setConfirming] = useState<number>();
  const now = useNow(5_000);

  if (keys.isPending) return <p className="muted">Loading API keys…</p>;
  if (keys.isError) return <p role="alert">Could not load API keys: {keys.error.message}</p>;
  if (keys.data.keys.length === 0) {
    return <p className="muted">No API keys yet: create one above and give it to your agents.</p>;
  }

  const onRevoke = (key: TKeyInfo) => {
    if (confirming !== key.id) {
      setConfirming(key.id);
      return;
    }
    revoke.mutate(key.id, { onSettled: () => setConfirming(undefined) });
  };

  return (
    <>
      {revoke.isError && (
        <p role="alert" className="agents-error">
          Could not revoke the key: {revoke.error.message}
        </p>
      )}
      <table className="agents-table" aria-label="API keys">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            <th scope="col">Rights</th>
            <th scope="col">Created</th>
            <th scope="col">Last seen</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="agents-sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.data.keys.map((key) => {
            const pending = revoke.isPending && revoke.variables === key.id;
            return (
              <tr key={key.id} className={key.revokedAt ? "agents-revoked" : undefined}>
                <td>{key.name}</td>
                <td>
                  <code>{key.prefix}…</code>
                </td>
                <td>{key.rights.join(", ")}</td>
                <td>{formatDateTime(key.createdAt)}</td>
                <td title={key.lastSeenAt ? formatDateTime(key.lastSeenAt) : undefined}>
                  {key.lastSeenAt ? formatAgo(key.lastSeenAt, now) : "never"}
                </td>
                <td>
                  {key.revokedAt ? (
                    <span className="agents-status bad">revoked at {formatDateTime(key.revokedAt)}</span>
                  ) : (
                    <span className="agents-status ok">active</span>
                  )}
                </td>
                <td>
                  {!key.revokedAt && (
                    <div className="agents-actions">
                      <button
                        type="button"
                        className={`agents-button${confirming === key.id ? " danger" : ""}`}
                        onClick={() => onRevoke(key)}
                        disabled={pending}
                      >
                        {pending ? "Revoking…" : confirming === key.id ? "Confirm revoke" : "Revoke"}
                      </button>
                      {confirming === key.id && !pending && (
                        <button type="button" className="agents-button" onClick={() => setConfirming(undefined)}>
                          Cancel
                        </button>
                      )}
                    </div>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted agents-note">
        "Last seen" is written every 30 s, so a key that just pushed may still read "never" for a moment.
      </p>
    </>
  );
}
