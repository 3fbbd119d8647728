"use client";

// The rule editor: the rule's fields, its query in Explore's builder or as PromQL, and a live preview
// (the query's chart over a chosen range with the threshold drawn and the periods where the rule would
// have fired). The draft is checked as it is typed, by the server's own validation, and every problem
// is shown next to its field. File rules open read-only.
import { usePathname, useRouter } from "next/navigation";
import { type ReactNode, useEffect, useId, useMemo, useState } from "react";
import type { TAlertRuleView } from "../../lib/contracts/alerts";
import { ErrorBoundary } from "../charts/ErrorBoundary";
import { parsePromQL } from "../explore/builder";
import { ExploreQueryEditor } from "../explore/ExploreQueryEditor";
import type { TEditorMode } from "../explore/explore-url";
import { useDeleteAlertRuleMutation, useSaveAlertRuleMutation } from "../hooks/mutations/useAlertMutations";
import { useAlertChannelsQuery } from "../hooks/queries/useAlertChannelsQuery";
import { useAlertRuleQuery } from "../hooks/queries/useAlertRulesQuery";
import { type TRuleFieldError, useRuleValidationQuery } from "../hooks/queries/useRuleValidationQuery";
import { AlertRulePreview } from "./AlertRulePreview";
import { draftFromRule, EMPTY_DRAFT, ruleFromDraft, type TRuleDraft } from "./alerts-format";

export function AlertRuleEditorPage({ id }: { id?: string }) {
  const pathname = usePathname();
  return (
    <ErrorBoundary key={pathname} label="Rule editor">
      {id === undefined ? <RuleEditorLoaded /> : <RuleEditorById id={id} />}
    </ErrorBoundary>
  );
}

function RuleEditorById({ id }: { id: string }) {
  const rule = useAlertRuleQuery(id);
  if (rule.isPending) return <p className="muted">Loading the rule…</p>;
  if (rule.isError)
    return (
      <p role="alert">
        Could not load rule "{id}": {rule.error.message}
      </p>
    );
  return <RuleEditorLoaded existing={rule.data} />;
}

/** The value, `ms` after it last changed: the preview and the check run when typing pauses. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

function RuleEditorLoaded({ existing }: { existing?: TAlertRuleView }) {
  const router = useRouter();
  const ids = useId();
  const [draft, setDraft] = useState<TRuleDraft>(() => (existing ? draftFromRule(existing.rule) : EMPTY_DRAFT));
  const [mode, setMode] = useState<TEditorMode>(() =>
    existing?.rule.query && !parsePromQL(existing.rule.query) ? "text" : "builder",
  );
  const channels = useAlertChannelsQuery();
  const save = useSaveAlertRuleMutation();
  const del = useDeleteAlertRuleMutation();
  const readOnly = existing?.readOnly ?? false;

  const set = <K extends keyof TRuleDraft>(k: K, v: TRuleDraft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const built = useMemo(() => ruleFromDraft(draft), [draft]);
  const checked = useDebounced(built, 400);
  const validation = useRuleValidationQuery(checked.problems.length === 0 ? checked.rule : undefined);
  const problems: TRuleFieldError[] = [
    ...built.problems,
    ...(checked.problems.length === 0 ? (validation.data ?? []) : []),
  ];
  const errorsFor = (...paths: string[]) =>
    problems.filter((p) => paths.some((f) => p.path === f || p.path.startsWith(`${f}.`) || p.path.startsWith(`${f}[`)));
  const shown = new Set<TRuleFieldError>();
  const fieldErrors = (...paths: string[]): ReactNode => {
    const list = errorsFor(...paths);
    for (const p of list) shown.add(p);
    return list.length === 0 ? null : (
      <span className="al-field-error" role="alert">
        {list.map((p) => p.message).join("; ")}
      </span>
    );
  };

  const onSave = () => {
    if (built.problems.length > 0) return;
    save.mutate(
      { id: existing?.id, version: existing?.version, rule: built.rule },
      { onSuccess: () => router.push("/alerts?tab=rules") },
    );
  };

  const valued = draft.kind !== "absence";
  const body = (
    <fieldset className="al-editor-fields" disabled={readOnly}>
      <div className="al-row">
        <label className="agents-field al-wide">
          <span>Name</span>
          <input
            aria-label="Rule name"
            value={draft.name}
            onChange={(e) => set("name", e.target.value)}
            placeholder="CheckoutLatencyHigh"
          />
          {fieldErrors("name")}
        </label>
        <label className="agents-field">
          <span>Kind</span>
          <select
            aria-label="Rule kind"
            value={draft.kind}
            onChange={(e) => set("kind", e.target.value as TRuleDraft["kind"])}
          >
            <option value="threshold">Threshold</option>
            <option value="rate_of_change">Rate of change</option>
            <option value="absence">Absence (job stopped pushing)</option>
          </select>
        </label>
        <label className="agents-field">
          <span>Severity</span>
          <select
            aria-label="Severity"
            value={draft.severity}
            onChange={(e) => set("severity", e.target.value as TRuleDraft["severity"])}
          >
            <option value="info">info</option>
            <option value="warning">warning</option>
            <option value="critical">critical</option>
          </select>
        </label>
        <label className="agents-field al-check">
          <input type="checkbox" checked={draft.enabled} onChange={(e) => set("enabled", e.target.checked)} />
          <span>Enabled</span>
        </label>
      </div>

      {valued ? (
        <div className="al-query-editor">
          <span className="builder-caption">Query</span>
          <ExploreQueryEditor
            expr={draft.query}
            mode={mode}
            onExprChange={(q) => set("query", q)}
            onModeChange={setMode}
          />
          {fieldErrors("query")}
        </div>
      ) : (
        <label className="agents-field al-wide">
          <span>Job (regular expression over the job label; .+ = every job)</span>
          <input aria-label="Job" value={draft.job} onChange={(e) => set("job", e.target.value)} />
          {fieldErrors("job")}
        </label>
      )}

      {valued && (
        <div className="al-row">
          {draft.kind === "rate_of_change" && (
            <label className="agents-field">
              <span>Change over</span>
              <input
                aria-label="Change window"
                value={draft.window}
                onChange={(e) => set("window", e.target.value)}
                size={6}
              />
              {fieldErrors("windowSeconds")}
            </label>
          )}
          <label className="agents-field">
            <span>Condition</span>
            <select
              aria-label="Condition"
              value={draft.condition}
              onChange={(e) => set("condition", e.target.value as TRuleDraft["condition"])}
            >
              <option value="above">is above</option>
              <option value="below">is below</option>
              <option value="outside">is outside the band</option>
              {draft.kind === "threshold" && <option value="present">returns any series</option>}
            </select>
            {fieldErrors("condition")}
          </label>
          {(draft.condition === "above" || draft.condition === "below") && (
            <label className="agents-field">
              <span>Threshold</span>
              <input
                aria-label="Threshold"
                value={draft.threshold}
                onChange={(e) => set("threshold", e.target.value)}
                aria-invalid={errorsFor("threshold").length > 0}
                size={10}
              />
              {fieldErrors("threshold")}
            </label>
          )}
          {draft.condition === "outside" && (
            <>
              <label className="agents-field">
                <span>Low</span>
                <input aria-label="Low" value={draft.low} onChange={(e) => set("low", e.target.value)} size={8} />
                {fieldErrors("low")}
              </label>
              <label className="agents-field">
                <span>High</span>
                <input aria-label="High" value={draft.high} onChange={(e) => set("high", e.target.value)} size={8} />
                {fieldErrors("high")}
              </label>
            </>
          )}
          {draft.condition !== "present" && (
            <label className="agents-field">
              <span>Hysteresis (% of threshold)</span>
              <input
                aria-label="Hysteresis"
                value={draft.hysteresis}
                onChange={(e) => set("hysteresis", e.target.value)}
                size={4}
              />
              {fieldErrors("hysteresis")}
            </label>
          )}
        </div>
      )}

      <div className="al-row">
        <label className="agents-field">
          <span>For (pending before firing)</span>
          <input aria-label="For" value={draft.forText} onChange={(e) => set("forText", e.target.value)} size={6} />
          {fieldErrors("forSeconds")}
        </label>
        <label className="agents-field">
          <span>Keep firing for</span>
          <input
            aria-label="Keep firing for"
            value={draft.keepFiringText}
            onChange={(e) => set("keepFiringText", e.target.value)}
            size={6}
          />
          {fieldErrors("keepFiringForSeconds")}
        </label>
      </div>

      <label className="agents-field al-wide">
        <span>Summary (template: {"{{ $value }}, {{ $labels.route }}, {{ $threshold }}, {{ humanize $value }}"})</span>
        <input aria-label="Summary" value={draft.summary} onChange={(e) => set("summary", e.target.value)} />
        {fieldErrors("annotations.summary")}
      </label>
      <label className="agents-field al-wide">
        <span>Description</span>
        <textarea
          aria-label="Description"
          rows={2}
          value={draft.description}
          onChange={(e) => set("description", e.target.value)}
        />
        {fieldErrors("annotations.description")}
      </label>
      <label className="agents-field al-wide">
        <span>Labels (one name=value a line)</span>
        <textarea aria-label="Labels" rows={2} value={draft.labels} onChange={(e) => set("labels", e.target.value)} />
        {fieldErrors("labels")}
      </label>
      <fieldset className="al-channels">
        <legend className="builder-caption">Channels (none picked: every channel)</legend>
        {channels.data?.channels.length === 0 && <span className="muted">No channels yet (Alerts → Channels).</span>}
        {channels.data?.channels.map((c) => (
          <label key={c.id} className="al-check">
            <input
              type="checkbox"
              checked={draft.channels.includes(c.id)}
              onChange={(e) =>
                set("channels", e.target.checked ? [...draft.channels, c.id] : draft.channels.filter((x) => x !== c.id))
              }
            />
            {c.name}
          </label>
        ))}
        {draft.channels
          .filter((c) => channels.data && !channels.data.channels.some((x) => x.id === c))
          .map((c) => (
            <span key={c} className="agents-chip">
              {c} (unknown)
            </span>
          ))}
        {fieldErrors("channels")}
      </fieldset>
    </fieldset>
  );

  const others = problems.filter((p) => !shown.has(p));
  return (
    <section className="al-editor">
      <header className="al-header">
        <h1 id={`${ids}-title`}>{existing ? `Rule: ${existing.rule.name}` : "New alert rule"}</h1>
        {existing && (
          <span className="muted">
            {existing.source} rule · version {existing.version}
          </span>
        )}
      </header>
      {readOnly && (
        <p className="al-note">
          This rule comes from the rule file <code>{existing?.file}</code> and is read-only here: edit the file and
          restart Hotpath.
        </p>
      )}
      <div className="al-editor-grid">
        <section className="panel al-editor-form" aria-labelledby={`${ids}-title`}>
          {body}
          {others.length > 0 && (
            <ul className="al-problems" aria-label="Problems">
              {others.map((p) => (
                <li key={`${p.path}:${p.message}`} className="agents-error">
                  {p.path ? `${p.path}: ` : ""}
                  {p.message}
                </li>
              ))}
            </ul>
          )}
          {save.isError && (
            <p role="alert" className="agents-error">
              Could not save: {save.error.message}
            </p>
          )}
          {del.isError && (
            <p role="alert" className="agents-error">
              Could not delete: {del.error.message}
            </p>
          )}
          {!readOnly && (
            <div className="agents-actions al-editor-actions">
              <button
                type="button"
                className="agents-button primary"
                onClick={onSave}
                disabled={save.isPending || built.problems.length > 0}
              >
                {save.isPending ? "Saving…" : existing ? "Save rule" : "Create rule"}
              </button>
              <button type="button" className="agents-button" onClick={() => router.push("/alerts?tab=rules")}>
                Cancel
              </button>
              {existing && existing.source === "api" && (
                <button
                  type="button"
                  className="agents-button danger"
                  disabled={del.isPending}
                  onClick={() => del.mutate(existing.id, { onSuccess: () => router.push("/alerts?tab=rules") })}
                >
                  Delete rule
                </button>
              )}
            </div>
          )}
        </section>
        <AlertRulePreview
          rule={checked.problems.length === 0 ? checked.rule : undefined}
          kind={draft.kind}
          blocked={checked.problems.length > 0}
        />
      </div>
    </section>
  );
}
