import { useQuery } from "@tanstack/react-query";
import { ZAlertListSchema } from "../../../lib/contracts/alerts";
import { apiFetch } from "../apiFetch";

export const alertsKey = ["alerts", {}] as const;

/** Pending, firing and recently resolved alerts. Live events invalidate it; `refetchInterval` is the fallback. */
export function useAlertsQuery(opts: { refetchInterval?: number | false } = {}) {
  return useQuery({
    queryKey: alertsKey,
    queryFn: ({ signal }) => apiFetch("/api/alerts", ZAlertListSchema, { signal }),
    refetchInterval: opts.refetchInterval ?? false,
  });
}
