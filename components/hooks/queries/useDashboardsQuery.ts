import { useQuery } from "@tanstack/react-query";
import { ZDashboardListSchema } from "../../../lib/contracts/dashboards";
import { apiFetch } from "../apiFetch";

export function useDashboardsQuery() {
  return useQuery({
    queryKey: ["dashboards", {}],
    queryFn: ({ signal }) => apiFetch("/api/dashboards", ZDashboardListSchema, { signal }),
  });
}
