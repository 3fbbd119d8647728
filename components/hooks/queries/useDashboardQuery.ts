import { useQuery } from "@tanstack/react-query";
import { ZDashboardSchema } from "../../../lib/contracts/dashboards";
import { apiFetch, type TApiFetchError } from "../apiFetch";

export function dashboardKey(uid: string) {
  return ["dashboard", { uid }] as const;
}

export function useDashboardQuery(uid: string) {
  return useQuery({
    queryKey: dashboardKey(uid),
    queryFn: ({ signal }) => apiFetch(`/api/dashboards/${encodeURIComponent(uid)}`, ZDashboardSchema, { signal }),
    // A refetch never disturbs an open edit: the editor's draft keeps the version it started from, and a
    // newer one on the server shows up as a 409 when it saves.
    retry: (n, err) => n < 2 && (err as TApiFetchError).status !== 404,
  });
}
