"use client";

// Explore's whole state lives in the URL (q, mode, from, to, live, unit, threshold), so a copied link opens
// the same view. `query` is read as `q` and `threshold=0.5` (or `low,high`) draws reference lines: the
// links alert notifications carry (server/alerts/notify.ts chartUrl). Writes go through the History API, which Next's router follows without a server round trip.
import { useSearchParams } from "next/navigation";
import { useMemo } from "react";
import { UNITS } from "../../lib/contracts/dashboards";
import { DEFAULT_RANGE, type TTimeRange } from "../common/time-range";
import type { TUnit } from "../common/units";
import { parsePromQL } from "./builder";

export type TEditorMode = "builder" | "text";
export type TExploreState = {
  expr: string;
  mode: TEditorMode;
  range: TTimeRange;
  live: boolean;
  unit: TUnit | "auto";
  /** Reference lines, such as an alert rule's threshold. */
  thresholds: number[];
};

type TParams = { get(name: string): string | null };

export function readExploreState(sp: TParams): TExploreState {
  const expr = sp.get("q") ?? sp.get("query") ?? "";
  const modeParam = sp.get("mode");
  // Without an explicit mode, the builder when it can show the query.
  const mode: TEditorMode =
    modeParam === "text" || modeParam === "builder" ? modeParam : parsePromQL(expr) ? "builder" : "text";
  const unitParam = sp.get("unit");
  return {
    expr,
    mode: mode === "builder" && !parsePromQL(expr) ? "text" : mode,
    range: { from: sp.get("from") || DEFAULT_RANGE.from, to: sp.get("to") || DEFAULT_RANGE.to },
    live: sp.get("live") === "1",
    unit: (UNITS as readonly string[]).includes(unitParam ?? "") ? (unitParam as TUnit) : "auto",
    thresholds: (sp.get("threshold") ?? "")
      .split(",")
      .filter((t) => t.trim() !== "")
      .map(Number)
      .filter(Number.isFinite)
      .slice(0, 5),
  };
}

export function exploreSearch(state: TExploreState): string {
  const sp = new URLSearchParams();
  if (state.expr) sp.set("q", state.expr);
  sp.set("mode", state.mode);
  sp.set("from", state.range.from);
  sp.set("to", state.range.to);
  if (state.live) sp.set("live", "1");
  if (state.unit !== "auto") sp.set("unit", state.unit);
  if (state.thresholds.length > 0) sp.set("threshold", state.thresholds.join(","));
  return `?${sp}`;
}

/** Merges `patch` into the state the URL holds now; `push` makes a history entry (range changes). */
export function updateExploreUrl(patch: Partial<TExploreState>, opts: { push?: boolean } = {}): void {
  const current = readExploreState(new URLSearchParams(window.location.search));
  const next = exploreSearch({ ...current, ...patch });
  if (next === window.location.search) return;
  if (opts.push) window.history.pushState(null, "", next);
  else window.history.replaceState(null, "", next);
}

export function useExploreState(): TExploreState {
  const sp = useSearchParams();
  const key = sp.toString();
  // Keyed by the string: `sp` changes identity on every navigation, the state only when the URL does.
  return useMemo(() => readExploreState(new URLSearchParams(key)), [key]);
}
