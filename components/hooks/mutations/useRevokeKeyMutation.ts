import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ZRevokedKeySchema } from "../../../lib/contracts/keys";
import type { TApiFetchError } from "../apiFetch";
import { apiSend } from "../apiSend";

export function useRevokeKeyMutation() {
  const queryClient = useQueryClient();
  return useMutation<Awaited<ReturnType<typeof revokeKey>>, TApiFetchError, number>({
    mutationFn: revokeKey,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["keys"] }),
  });
}

function revokeKey(id: number) {
  return apiSend("DELETE", `/api/keys/${id}`, ZRevokedKeySchema);
}
