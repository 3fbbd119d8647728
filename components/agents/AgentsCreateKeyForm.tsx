import { type FormEvent, useId, useState } from "react";
import { KEY_RIGHTS, type TKeyRight } from "../../lib/contracts/keys";
import { useCreateKeyMutation } from "../hooks/mutations/useCreateKeyMutation";
import { CopyButton } from "./AgentsCommon";

const RIGHT_HINTS: Record<TKeyRight, string> = {
  ingest: "push metrics and traces",
  read: "query through the API (Grafana, scripts)",
  admin: "manage keys; implies the other two",
};

export function AgentsCreateKeyForm() {
  const create = useCreateKeyMutation();
  const [name, setName] = useState("");
  const [rights, setRights] = useState<Set<TKeyRight>>(() => new Set(["ingest"]));
  const ids = useId();

  const toggle = (right: TKeyRight, on: boolean) =>
    setRights((prev) => {
      const next = new Set(prev);
      if (on) next.add(right);
      else next.delete(right);
      return next;
    });

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    // Validation (empty name, no right) is the server's: its message is shown as is, so the rules live
    // in one place (server/auth/keys.ts ZCreateKeySchema).
    create.mutate({ name, rights: KEY_RIGHTS.filter((r) => rights.has(r)) }, { onSuccess: () => setName("") });
  };

  const errorId = `${ids}-error`;
  return (
    <div className="agents-create">
      <form className="agents-form" aria-label="Create an API key" onSubmit={submit}>
        <label className="agents-field">
          <span>Name</span>
          <input
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. api-server-eu-1"
            autoComplete="off"
            aria-invalid={create.isError || undefined}
            aria-describedby={create.isError ? errorId : undefined}
          />
        </label>
        <fieldset className="agents-rights">
          <legend>Rights</legend>
          {KEY_RIGHTS.map((right) => (
            <div key={right} className="agents-right">
              <label>
                <input
                  type="checkbox"
                  name="rights"
                  value={right}
                  checked={rights.has(right)}
                  onChange={(e) => toggle(right, e.target.checked)}
                  aria-describedby={`${ids}-${right}`}
                />
                {right}
              </label>
              <span id={`${ids}-${right}`} className="agents-hint">
                {RIGHT_HINTS[right]}
              </span>
            </div>
          ))}
        </fieldset>
        <button type="submit" className="agents-button primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create key"}
        </button>
      </form>
      {create.isError && (
        <p role="alert" id={errorId} className="agents-error">
          Could not create the key: {create.error.message}
        </p>
      )}
      {create.data && (
        <section className="agents-secret" aria-label="New API key">
          <p>
            Key <strong>{create.data.key.name}</strong> created with {create.data.key.rights.join(", ")}.{" "}
            <strong>Copy it now: Hotpath stores only its hash</strong>, so this secret is not shown again.
          </p>
          <div className="agents-secret-row">
            <input
              readOnly
              aria-label="New key secret"
              value={create.data.secret}
              onFocus={(e) => e.currentTarget.select()}
              spellCheck={false}
            />
            <CopyButton text={create.data.secret} />
            <button type="button" className="agents-button" onClick={() => create.reset()}>
              Done
            </button>
          </div>
        </section>
      )}
    </div>
  );
}
