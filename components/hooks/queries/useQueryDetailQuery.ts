import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { ZQueryDetailResponseSchema } from "../../../lib/contracts/drilldown";
import { apiQuery, resolveRangeParam, type TRangeParam } from "../../traces/drilldown-format";
import { apiFetch } from "../apiFetch";

export function useQueryDetailQuery(params: { fingerprint: string; range: TRangeParam; service?: string }) {
  return useQuery({
    queryKey: ["query-detail", params],
    queryFn: ({ signal }) => {
      const qs = apiQuery({ service: params.service, ...resolveRangeParam(params.range) });
      return apiFetch(`/api/queries/${encodeURIComponent(params.fingerprint)}?${qs}`, ZQueryDetailResponseSchema, {
        signal,
      });
    },
    refetchInterval: 30_000,
    placeholderData: keepPreviousData,
    retry: (count, err) => count < 2 && ![400, 404].includes((err as { status?: number }).status ?? 0),
  });
}
