import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { ZServicesResponseSchema } from "../../../lib/contracts/drilldown";
import { apiQuery, resolveRangeParam, type TRangeParam } from "../../traces/drilldown-format";
import { apiFetch } from "../apiFetch";

export function useServicesQuery(params: { range: TRangeParam }) {
  return useQuery({
    queryKey: ["services", params],
    queryFn: ({ signal }) =>
      apiFetch(`/api/services?${apiQuery(resolveRangeParam(params.range))}`, ZServicesResponseSchema, { signal }),
    // Spans are not announced on the socket: poll, and keep the last table while a new range loads.
    refetchInterval: 30_000,
    placeholderData: keepPreviousData,
  });
}
