import { useQuery } from "@tanstack/react-query";
import { ZAlertRuleListSchema, ZAlertRuleViewSchema } from "../../../lib/contracts/alerts";
import { apiFetch } from "../apiFetch";

export const alertRuleKey = (id: string) => ["alert-rules", { id }] as const;

export function useAlertRulesQuery() {
  return useQuery({
    queryKey: ["alert-rules", {}],
    queryFn: ({ signal }) => apiFetch("/api/alerts/rules", ZAlertRuleListSchema, { signal }),
  });
}

export function useAlertRuleQuery(id: string | undefined) {
  return useQuery({
    queryKey: alertRuleKey(id ?? ""),
    queryFn: ({ signal }) =>
      apiFetch(`/api/alerts/rules/${encodeURIComponent(id ?? "")}`, ZAlertRuleViewSchema, { signal }),
    enabled: id !== undefined,
    // The editor works on a copy: a background refetch must not reset what is being typed.
    staleTime: Number.POSITIVE_INFINITY,
  });
}
