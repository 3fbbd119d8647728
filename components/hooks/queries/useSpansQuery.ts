import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { ZSpanSearchResponseSchema } from "../../../lib/contracts/drilldown";
import { apiQuery, resolveRangeParam, type TRangeParam, type TTraceFilters } from "../../traces/drilldown-format";
import { apiFetch } from "../apiFetch";

export type TSpansQueryParams = TTraceFilters & { range: TRangeParam; limit?: number };

export function useSpansQuery(params: TSpansQueryParams) {
  return useQuery({
    queryKey: ["spans", params],
    queryFn: ({ signal }) => {
      const { range, ...filters } = params;
      const qs = apiQuery({ ...filters, ...resolveRangeParam(range) });
      return apiFetch(`/api/drilldown/spans?${qs}`, ZSpanSearchResponseSchema, { signal });
    },
    refetchInterval: 30_000,
    placeholderData: keepPreviousData,
  });
}
