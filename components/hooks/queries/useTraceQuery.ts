import { useQuery } from "@tanstack/react-query";
import { ZTraceViewResponseSchema } from "../../../lib/contracts/drilldown";
import { apiFetch } from "../apiFetch";

export function useTraceQuery(params: { traceId: string }) {
  return useQuery({
    queryKey: ["trace", params],
    queryFn: ({ signal }) =>
      apiFetch(`/api/drilldown/traces/${encodeURIComponent(params.traceId)}`, ZTraceViewResponseSchema, { signal }),
    // A trace's spans arrive from several services over a few seconds; after that it does not change.
    staleTime: 60_000,
    // A trace not found yet may still be on its way from the exporters: no point retrying a 400/404.
    retry: (count, err) => count < 2 && ![400, 404].includes((err as { status?: number }).status ?? 0),
  });
}
