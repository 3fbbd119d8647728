import { useQuery } from "@tanstack/react-query";
import { ZSilenceListSchema } from "../../../lib/contracts/alerts";
import { apiFetch } from "../apiFetch";

export function useSilencesQuery() {
  return useQuery({
    queryKey: ["silences", {}],
    queryFn: ({ signal }) => apiFetch("/api/alerts/silences", ZSilenceListSchema, { signal }),
  });
}
