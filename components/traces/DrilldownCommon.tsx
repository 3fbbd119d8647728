"use client";

// Pieces the drill-down pages share (Traces, Services, Queries, Caches): time ranges kept in the URL,
// links that carry them, number formats, a small sparkline, a copy box and a per-page error boundary.

import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Component, type ReactNode, useCallback, useEffect, useState } from "react";
import { sparkPath } from "../charts/spark-path";
import {
  formatTime,
  RANGE_PRESETS,
  rangeEntries,
  rangeFromParams,
  type TRangeParam,
  traceHref,
} from "./drilldown-format";

/** The page's query string as state: read it, and patch it with replace (no history entry per keystroke). */
export function useUrlState() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const set = useCallback(
    (patch: Record<string, string | number | undefined | null>, opts: { push?: boolean } = {}) => {
      const next = new URLSearchParams(params.toString());
      for (const [k, v] of Object.entries(patch)) {
        if (v === undefined || v === null || v === "") next.delete(k);
        else next.set(k, String(v));
      }
      const qs = next.toString();
      const href = qs ? `${pathname}?${qs}` : pathname;
      if (opts.push) router.push(href, { scroll: false });
      else router.replace(href, { scroll: false });
    },
    [params, pathname, router],
  );
  return { params, set };
}

export function RangePicker({ value, onChange }: { value: TRangeParam; onChange: (r: TRangeParam) => void }) {
  const selected = "range" in value ? value.range : "custom";
  return (
    <label className="dd-field">
      <span>Time range</span>
      <select
        value={selected}
        onChange={(e) => {
          if (e.target.value !== "custom") onChange({ range: e.target.value });
        }}
      >
        {RANGE_PRESETS.map((p) => (
          <option key={p.value} value={p.value}>
            {p.label}
          </option>
        ))}
        {"start" in value && (
          <option value="custom">
            {formatTime(value.start)} – {formatTime(value.end)}
          </option>
        )}
      </select>
    </label>
  );
}

/** The range picker wired to the URL: changing it drops absolute start/end. */
export function UrlRangePicker() {
  const { params, set } = useUrlState();
  const value = rangeFromParams(params);
  return (
    <RangePicker
      value={value}
      onChange={(r) =>
        set("start" in r ? { range: null, ...rangeEntries(r) } : { range: r.range, start: null, end: null })
      }
    />
  );
}

export function TraceLink({ traceId, spanId, children }: { traceId: string; spanId?: string; children?: ReactNode }) {
  return (
    <Link href={traceHref(traceId, spanId)} className="dd-mono" title={`Open trace ${traceId}`}>
      {children ?? `${traceId.slice(0, 12)}…`}
    </Link>
  );
}

// ---------------------------------------------------------------- widgets

/** A tiny line without axes, for table cells: plain SVG, so a table of a hundred rows renders at once. */
export function Sparkline({
  data,
  dataKey,
  label,
  color = "var(--accent)",
}: {
  data: { t: number; [k: string]: number | null }[];
  dataKey: string;
  label: string;
  color?: string;
}) {
  const d = sparkPath(
    data.map((p) => p[dataKey]),
    SPARK_W,
    SPARK_H,
  );
  return (
    <svg
      className="dd-spark"
      role="img"
      aria-label={label}
      viewBox={`0 0 ${SPARK_W} ${SPARK_H}`}
      preserveAspectRatio="none"
    >
      {d && <path d={d} fill="none" stroke={color} strokeWidth={1.5} vectorEffect="non-scaling-stroke" />}
    </svg>
  );
}

// The cell's size in app/globals.css (.dd-spark): the path is drawn in it, so nothing is measured.
const SPARK_W = 120;
const SPARK_H = 28;

export function CopyBox({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 2_000);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = async () => {
    // No Clipboard API outside secure contexts (plain-http LAN addresses): the text stays selectable.
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("failed");
    }
  };
  return (
    <figure className="dd-copybox" aria-label={label}>
      <pre>{text}</pre>
      <button type="button" className="dd-button" onClick={() => void copy()}>
        {state === "copied" ? "Copied" : state === "failed" ? "Copy failed: select the text" : "Copy"}
      </button>
    </figure>
  );
}

export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: string }) {
  return (
    <div className="dd-stat" title={hint}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

export function RangeNote({ clamped }: { clamped: boolean }) {
  if (!clamped) return null;
  return <p className="muted dd-note">The range was cut to its last 30 days, the longest one view reads.</p>;
}

export function QueryState({
  query,
  what,
}: {
  query: { isPending: boolean; isError: boolean; error: Error | null; isFetching: boolean };
  what: string;
}) {
  if (query.isPending) return <p className="muted">Loading {what}…</p>;
  if (query.isError) {
    return (
      <p role="alert" className="dd-error">
        Could not load {what}: {query.error?.message}
      </p>
    );
  }
  return null;
}

// ---------------------------------------------------------------- error boundary

type TBoundaryState = { error: Error | null };

/** One per page, keyed by the path by its caller, so a render error in one view does not blank the app. */
export class DrilldownErrorBoundary extends Component<{ children: ReactNode }, TBoundaryState> {
  override state: TBoundaryState = { error: null };

  static getDerivedStateFromError(error: Error): TBoundaryState {
    return { error };
  }

  override render() {
    if (this.state.error) {
      return (
        <div role="alert" className="panel dd-error">
          <p>This view failed to render: {this.state.error.message}</p>
          <button type="button" className="dd-button" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
        </div>
      );
    }
    return this.props.children;
  }
}

/** Wraps a page in the error boundary keyed by its path and query string. */
export function PageBoundary({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  return <DrilldownErrorBoundary key={pathname}>{children}</DrilldownErrorBoundary>;
}
