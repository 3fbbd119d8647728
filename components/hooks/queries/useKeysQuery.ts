import { useQuery } from "@tanstack/react-query";
import { ZKeyListSchema } from "../../../lib/contracts/keys";
import { apiFetch } from "../apiFetch";

export function useKeysQuery() {
  return useQuery({
    queryKey: ["keys", {}],
    queryFn: ({ signal }) => apiFetch("/api/keys", ZKeyListSchema, { signal }),
  });
}
