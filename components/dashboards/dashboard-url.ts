"use client";

// A dashboard view's URL state: the shared time range (from, to) and edit mode (edit=1).
import { useSearchParams } from "next/navigation";
import type { TTimeRange } from "../common/time-range";

export function useDashboardUrl(defaultRange: TTimeRange | undefined): { range: TTimeRange; editing: boolean } {
  const sp = useSearchParams();
  return {
    range: {
      from: sp.get("from") || defaultRange?.from || "now-1h",
      to: sp.get("to") || defaultRange?.to || "now",
    },
    editing: sp.get("edit") === "1",
  };
}

export function updateDashboardUrl(
  patch: { range?: TTimeRange; editing?: boolean },
  opts: { push?: boolean } = {},
): void {
  const sp = new URLSearchParams(window.location.search);
  if (patch.range) {
    sp.set("from", patch.range.from);
    sp.set("to", patch.range.to);
  }
  if (patch.editing !== undefined) {
    if (patch.editing) sp.set("edit", "1");
    else sp.delete("edit");
  }
  const next = sp.size ? `?${sp}` : window.location.pathname;
  if (opts.push) window.history.pushState(null, "", next);
  else window.history.replaceState(null, "", next);
}
