import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { ZRulePreviewSchema } from "../../../lib/contracts/alerts";
import type { TApiFetchError } from "../apiFetch";
import { apiSend } from "../apiSend";

export type TRulePreviewParams = { rule: Record<string, unknown>; start: number; end: number; stepMs: number };

/**
 * The rule editor's preview (POST /api/alerts/rules/preview): the query over the range and when the
 * rule would have fired. The caller debounces `rule`; the last answer stays while the next one loads.
 */
export function useRulePreviewQuery(p: TRulePreviewParams | undefined) {
  return useQuery({
    queryKey: ["alert-preview", p ?? {}],
    queryFn: ({ signal }) => apiSend("POST", "/api/alerts/rules/preview", ZRulePreviewSchema, p, { signal }),
    enabled: p !== undefined,
    placeholderData: keepPreviousData,
    // A bad draft stays bad until it is edited.
    retry: (n, err) => n < 1 && (err as TApiFetchError).status >= 500,
    staleTime: 30_000,
  });
}
