import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type TQuerySort, ZQueryListResponseSchema } from "../../../lib/contracts/drilldown";
import { apiQuery, resolveRangeParam, type TRangeParam } from "../../traces/drilldown-format";
import { apiFetch } from "../apiFetch";

export type TQueryStatsParams = {
  range: TRangeParam;
  service?: string;
  db?: string;
  sort: TQuerySort;
  limit?: number;
};

export function useQueryStatsQuery(params: TQueryStatsParams) {
  return useQuery({
    queryKey: ["query-stats", params],
    queryFn: ({ signal }) => {
      const { range, ...rest } = params;
      return apiFetch(`/api/queries?${apiQuery({ ...rest, ...resolveRangeParam(range) })}`, ZQueryListResponseSchema, {
        signal,
      });
    },
    refetchInterval: 30_000,
    placeholderData: keepPreviousData,
  });
}
