"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { ErrorBoundary } from "../charts/ErrorBoundary";
import { DEFAULT_RANGE } from "../common/time-range";
import {
  useCreateDashboardMutation,
  useDeleteDashboardMutation,
  useDuplicateDashboardMutation,
} from "../hooks/mutations/useSaveDashboardMutation";
import { useDashboardsQuery } from "../hooks/queries/useDashboardsQuery";
import { ThemeToggle } from "./ThemeToggle";

export function DashboardsListPage() {
  const pathname = usePathname();
  return (
    <ErrorBoundary key={pathname} label="Dashboards">
      <DashboardsList />
    </ErrorBoundary>
  );
}

function DashboardsList() {
  const list = useDashboardsQuery();
  const create = useCreateDashboardMutation();
  const duplicate = useDuplicateDashboardMutation();
  const remove = useDeleteDashboardMutation();
  const router = useRouter();
  const [title, setTitle] = useState("");
  const [confirming, setConfirming] = useState<string>();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { title, description: "", spec: { panels: [], timeRange: DEFAULT_RANGE } },
      { onSuccess: (d) => router.push(`/dashboards/${encodeURIComponent(d.uid)}?edit=1`) },
    );
  };
  const error = create.error ?? duplicate.error ?? remove.error;

  return (
    <section className="dashboards">
      <header className="dash-header">
        <h1>Dashboards</h1>
        <ThemeToggle />
      </header>
      <form className="agents-form dash-create" aria-label="Create a dashboard" onSubmit={submit}>
        <label className="agents-field">
          <span>Title</span>
          <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="e.g. Checkout API" />
        </label>
        <button type="submit" className="agents-button primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create dashboard"}
        </button>
      </form>
      {error && (
        <p role="alert" className="agents-error">
          {error.message}
        </p>
      )}
      {list.isPending && <p className="muted">Loading dashboards…</p>}
      {list.isError && <p role="alert">Could not load dashboards: {list.error.message}</p>}
      {list.data && list.data.dashboards.length === 0 && <p className="muted">No dashboards yet: create one above.</p>}
      {list.data && list.data.dashboards.length > 0 && (
        <table className="agents-table" aria-label="Dashboards">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col" className="agents-num">
                Panels
              </th>
              <th scope="col">Updated</th>
              <th scope="col">
                <span className="agents-sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.dashboards.map((d) => (
              <tr key={d.uid}>
                <td>
                  <Link href={`/dashboards/${encodeURIComponent(d.uid)}`}>{d.title}</Link>
                  {d.provisioned && <span className="dash-badge">provisioned</span>}
                  {d.description && <div className="muted dash-list-description">{d.description}</div>}
                </td>
                <td className="agents-num">{d.panels}</td>
                <td title={`version ${d.version}`}>{new Date(d.updatedAt).toLocaleString()}</td>
                <td>
                  <div className="agents-actions">
                    <button
                      type="button"
                      className="agents-button"
                      disabled={duplicate.isPending}
                      onClick={() => duplicate.mutate(d.uid)}
                    >
                      Duplicate
                    </button>
                    {confirming === d.uid ? (
                      <>
                        <button
                          type="button"
                          className="agents-button danger"
                          disabled={remove.isPending}
                          onClick={() => remove.mutate(d.uid, { onSettled: () => setConfirming(undefined) })}
                        >
                          Confirm delete
                        </button>
                        <button type="button" className="agents-button" onClick={() => setConfirming(undefined)}>
                          Cancel
                        </button>
                      </>
                    ) : (
                      <button
                        type="button"
                        className="agents-button"
                        onClick={() => setConfirming(d.uid)}
                        title={d.provisioned ? "A provisioned dashboard comes back at the next start" : undefined}
                      >
                        Delete
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
