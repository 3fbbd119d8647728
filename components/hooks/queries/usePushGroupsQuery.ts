import { useQuery } from "@tanstack/react-query";
import { ZPushGroupListSchema } from "../../../lib/contracts/keys";
import { apiFetch } from "../apiFetch";

export function usePushGroupsQuery() {
  return useQuery({
    queryKey: ["push-groups", {}],
    queryFn: ({ signal }) => apiFetch("/api/push-groups", ZPushGroupListSchema, { signal }),
    // Pushes are not announced on the socket: poll, so a new group or a lapsing TTL shows up.
    refetchInterval: 10_000,
  });
}
