import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type TCreateKeyInput, ZCreatedKeySchema } from "../../../lib/contracts/keys";
import type { TApiFetchError } from "../apiFetch";
import { apiSend } from "../apiSend";

export function useCreateKeyMutation() {
  const queryClient = useQueryClient();
  return useMutation<Awaited<ReturnType<typeof createKey>>, TApiFetchError, TCreateKeyInput>({
    mutationFn: createKey,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["keys"] }),
  });
}

function createKey(input: TCreateKeyInput) {
  return apiSend("POST", "/api/keys", ZCreatedKeySchema, input);
}
