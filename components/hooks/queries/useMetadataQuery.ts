import { useQuery } from "@tanstack/react-query";
import { ZPromMetadataResponseSchema } from "../../../lib/contracts/prom";
import { promFetch } from "./useQueryRangeQuery";

/** Type, help and unit per metric name; changes only when a new metric is pushed. */
export function useMetadataQuery() {
  return useQuery({
    queryKey: ["metadata", {}],
    queryFn: async ({ signal }) => (await promFetch("/api/v1/metadata", ZPromMetadataResponseSchema, signal)).data,
    staleTime: 60_000,
    retry: 1,
  });
}
