import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { ZCachesResponseSchema } from "../../../lib/contracts/drilldown";
import { apiQuery, resolveRangeParam, type TRangeParam } from "../../traces/drilldown-format";
import { apiFetch } from "../apiFetch";

export function useCachesQuery(params: { range: TRangeParam }) {
  return useQuery({
    queryKey: ["caches", params],
    queryFn: ({ signal }) =>
      apiFetch(`/api/caches?${apiQuery(resolveRangeParam(params.range))}`, ZCachesResponseSchema, { signal }),
    refetchInterval: 15_000,
    placeholderData: keepPreviousData,
  });
}
