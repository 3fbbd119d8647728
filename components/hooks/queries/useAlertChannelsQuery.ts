import { useQuery } from "@tanstack/react-query";
import { ZChannelListSchema } from "../../../lib/contracts/alerts";
import { apiFetch } from "../apiFetch";

export function useAlertChannelsQuery() {
  return useQuery({
    queryKey: ["alert-channels", {}],
    queryFn: ({ signal }) => apiFetch("/api/alerts/channels", ZChannelListSchema, { signal }),
  });
}
