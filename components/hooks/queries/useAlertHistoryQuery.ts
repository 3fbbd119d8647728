import { useQuery } from "@tanstack/react-query";
import { ZAlertHistorySchema } from "../../../lib/contracts/alerts";
import { apiFetch } from "../apiFetch";

export function useAlertHistoryQuery(p: { ruleId?: string; limit?: number } = {}) {
  return useQuery({
    queryKey: ["alert-history", p],
    queryFn: ({ signal }) => {
      const qs = new URLSearchParams({ limit: String(p.limit ?? 200) });
      if (p.ruleId) qs.set("ruleId", p.ruleId);
      return apiFetch(`/api/alerts/history?${qs}`, ZAlertHistorySchema, { signal });
    },
  });
}
