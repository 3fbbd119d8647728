import { useQuery } from "@tanstack/react-query";
import { ZHealthSchema } from "../../../lib/contracts/health";
import { apiFetch } from "../apiFetch";

export function useHealthQuery() {
  return useQuery({
    queryKey: ["health", {}],
    queryFn: ({ signal }) => apiFetch("/api/health", ZHealthSchema, { signal }),
    refetchInterval: 10_000,
  });
}
