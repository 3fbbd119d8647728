import { useQuery } from "@tanstack/react-query";
import { ZPromLabelListSchema } from "../../../lib/contracts/prom";
import { promFetch } from "./useQueryRangeQuery";

function matchParams(match: string | undefined): string {
  return match ? `?${new URLSearchParams({ "match[]": match })}` : "";
}

/** Values of one label (`__name__` for metric names), optionally among the series `match` selects. */
export function useLabelValuesQuery(label: string, match?: string) {
  return useQuery({
    queryKey: ["label-values", { label, match: match ?? "" }],
    queryFn: async ({ signal }) =>
      (
        await promFetch(
          `/api/v1/label/${encodeURIComponent(label)}/values${matchParams(match)}`,
          ZPromLabelListSchema,
          signal,
        )
      ).data,
    enabled: label !== "",
    staleTime: 30_000,
    retry: 1,
  });
}

/** Label names present on the series `match` selects (all series without it). */
export function useLabelNamesQuery(match?: string, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: ["labels", { match: match ?? "" }],
    queryFn: async ({ signal }) =>
      (await promFetch(`/api/v1/labels${matchParams(match)}`, ZPromLabelListSchema, signal)).data,
    enabled: opts.enabled ?? true,
    staleTime: 30_000,
    retry: 1,
  });
}
