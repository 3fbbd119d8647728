"use client";

// One dashboard: panels on the grid over a shared range. Edit mode works on a draft (title, panels,
// layout) and saves it against the version it started from; a 409 means someone else saved first.
import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useCallback, useEffect, useState } from "react";
import type { TDashboard, TDashboardSpec, TPanel } from "../../lib/contracts/dashboards";
import { ErrorBoundary } from "../charts/ErrorBoundary";
import { TimeRangePicker } from "../common/TimeRangePicker";
import { describeRange } from "../common/time-range";
import { useSaveDashboardMutation } from "../hooks/mutations/useSaveDashboardMutation";
import { dashboardKey, useDashboardQuery } from "../hooks/queries/useDashboardQuery";
import { DashboardGrid } from "./DashboardGrid";
import type { TPanelAction } from "./DashboardPanel";
import { DashboardPanelEditor } from "./DashboardPanelEditor";
import { updateDashboardUrl, useDashboardUrl } from "./dashboard-url";
import { addPanel, movePanel, nextSlot, removePanel, resizePanel } from "./layout";
import { ThemeToggle } from "./ThemeToggle";

type TDraft = { title: string; description: string; spec: TDashboardSpec; version: number };

export function DashboardPage({ uid }: { uid: string }) {
  const pathname = usePathname();
  return (
    <ErrorBoundary key={pathname} label="This dashboard">
      <DashboardView uid={uid} />
    </ErrorBoundary>
  );
}

function fromServer(d: TDashboard): TDraft {
  return { title: d.title, description: d.description, spec: d.spec, version: d.version };
}

function newPanel(panels: TPanel[]): TPanel {
  return {
    id: `p${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
    title: "New panel",
    kind: "timeseries",
    style: "line",
    unit: "short",
    queries: [{ expr: "" }],
    grid: nextSlot(panels),
  };
}

function DashboardView({ uid }: { uid: string }) {
  const dash = useDashboardQuery(uid);
  const queryClient = useQueryClient();
  const { range, editing } = useDashboardUrl(dash.data?.spec.timeRange);
  const save = useSaveDashboardMutation();
  // Edits accumulate here; undefined means "nothing changed yet" (the server's copy is shown).
  const [draft, setDraft] = useState<TDraft>();
  const [editor, setEditor] = useState<{ panel: TPanel; isNew: boolean }>();
  const [confirmDiscard, setConfirmDiscard] = useState(false);

  const edit = useCallback(
    (fn: (d: TDraft) => TDraft) => {
      setDraft((prev) => {
        const base = prev ?? (dash.data ? fromServer(dash.data) : undefined);
        return base ? fn(base) : prev;
      });
    },
    [dash.data],
  );
  const setPanels = useCallback(
    (fn: (panels: TPanel[]) => TPanel[]) => edit((d) => ({ ...d, spec: { ...d.spec, panels: fn(d.spec.panels) } })),
    [edit],
  );

  // Leaving the page with unsaved edits asks first.
  useEffect(() => {
    if (!draft) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [draft]);

  const shown = draft ?? (dash.data ? fromServer(dash.data) : undefined);
  const panels = shown?.spec.panels;

  const onAction = useCallback(
    (id: string, a: TPanelAction) => {
      if (a.type === "move") setPanels((ps) => movePanel(ps, id, a.dir));
      else if (a.type === "resize") setPanels((ps) => resizePanel(ps, id, a.dw, a.dh));
      else if (a.type === "remove") setPanels((ps) => removePanel(ps, id));
      else {
        const p = (draft ?? (dash.data ? fromServer(dash.data) : undefined))?.spec.panels.find((x) => x.id === id);
        if (p) setEditor({ panel: p, isNew: false });
      }
    },
    [setPanels, draft, dash.data],
  );

  if (dash.isPending) return <p className="muted">Loading the dashboard…</p>;
  if (dash.isError) {
    return (
      <section>
        <h1>Dashboard</h1>
        <p role="alert" className="agents-error">
          Could not load dashboard “{uid}”: {dash.error.message}
        </p>
        <Link href="/dashboards">All dashboards</Link>
      </section>
    );
  }
  if (!shown || !panels) return null;

  const conflict = save.error?.status === 409;
  const onSave = () => {
    if (!draft) {
      updateDashboardUrl({ editing: false });
      return;
    }
    save.mutate(
      { uid, version: draft.version, title: draft.title, description: draft.description, spec: draft.spec },
      {
        onSuccess: () => {
          setDraft(undefined);
          updateDashboardUrl({ editing: false });
        },
      },
    );
  };
  const discard = () => {
    setDraft(undefined);
    setConfirmDiscard(false);
    save.reset();
    updateDashboardUrl({ editing: false });
  };
  const reload = async () => {
    setDraft(undefined);
    save.reset();
    await queryClient.invalidateQueries({ queryKey: dashboardKey(uid) });
  };

  return (
    <section className="dashboard">
      <header className="dash-header">
        <div className="dash-title">
          <Link href="/dashboards" className="muted dash-back">
            Dashboards /
          </Link>
          {editing ? (
            <input
              className="dash-title-input"
              aria-label="Dashboard title"
              value={shown.title}
              onChange={(e) => edit((d) => ({ ...d, title: e.target.value }))}
            />
          ) : (
            <h1>{shown.title}</h1>
          )}
          {dash.data.provisioned && <span className="dash-badge">provisioned</span>}
          {draft && <span className="dash-badge warn">unsaved changes</span>}
        </div>
        <div className="dash-actions">
          <ThemeToggle />
          {editing ? (
            <>
              <button
                type="button"
                className="agents-button"
                onClick={() => {
                  const p = newPanel(panels);
                  setEditor({ panel: p, isNew: true });
                }}
              >
                Add panel
              </button>
              {draft &&
                (confirmDiscard ? (
                  <button type="button" className="agents-button danger" onClick={discard}>
                    Confirm discard
                  </button>
                ) : (
                  <button type="button" className="agents-button" onClick={() => setConfirmDiscard(true)}>
                    Discard
                  </button>
                ))}
              {!draft && (
                <button type="button" className="agents-button" onClick={() => updateDashboardUrl({ editing: false })}>
                  Done
                </button>
              )}
              <button
                type="button"
                className="agents-button primary"
                onClick={onSave}
                disabled={!draft || save.isPending || conflict}
              >
                {save.isPending ? "Saving…" : "Save dashboard"}
              </button>
            </>
          ) : (
            <button type="button" className="agents-button" onClick={() => updateDashboardUrl({ editing: true })}>
              Edit
            </button>
          )}
        </div>
      </header>
      {shown.description && !editing && <p className="muted dash-description">{shown.description}</p>}
      {editing && (
        <label className="builder-field dash-description-edit">
          <span>Description</span>
          <input
            value={shown.description}
            onChange={(e) => edit((d) => ({ ...d, description: e.target.value }))}
            aria-label="Dashboard description"
          />
        </label>
      )}
      {conflict && (
        <div role="alert" className="dash-conflict">
          <p>
            <strong>Someone saved this dashboard after you opened it.</strong> {save.error?.message}. Reload to get
            their version; your unsaved edits here will be lost, so note them first.
          </p>
          <button type="button" className="agents-button primary" onClick={() => void reload()}>
            Reload dashboard
          </button>
        </div>
      )}
      {save.isError && !conflict && (
        <p role="alert" className="agents-error">
          Could not save: {save.error.message}
        </p>
      )}
      <div className="dash-toolbar">
        <TimeRangePicker value={range} onChange={(r) => updateDashboardUrl({ range: r }, { push: true })} />
        {editing && (range.from !== shown.spec.timeRange.from || range.to !== shown.spec.timeRange.to) && (
          <button
            type="button"
            className="agents-button"
            onClick={() => edit((d) => ({ ...d, spec: { ...d.spec, timeRange: range } }))}
          >
            Make “{describeRange(range)}” the default
          </button>
        )}
      </div>
      <DashboardGrid panels={panels} range={range} editing={editing} onAction={onAction} />
      {editor && (
        <DashboardPanelEditor
          panel={editor.panel}
          isNew={editor.isNew}
          range={range}
          onClose={() => setEditor(undefined)}
          onApply={(p) => {
            setPanels((ps) => (editor.isNew ? addPanel(ps, p) : ps.map((x) => (x.id === p.id ? p : x))));
            setEditor(undefined);
          }}
        />
      )}
    </section>
  );
}
