// Alerting writes: rules, silences and channels. Each invalidates the lists it changes; the server
// also announces changes on the "alerts" room, so other tabs follow.
import { type QueryClient, useMutation, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import {
  type TAlertRuleView,
  type TChannelView,
  type TSilenceView,
  ZAlertRuleViewSchema,
  ZChannelViewSchema,
  ZSilenceViewSchema,
} from "../../../lib/contracts/alerts";
import type { TApiFetchError } from "../apiFetch";
import { apiSend } from "../apiSend";
import { alertRuleKey } from "../queries/useAlertRulesQuery";

const refreshAlerts = (qc: QueryClient) =>
  Promise.all([
    qc.invalidateQueries({ queryKey: ["alerts"] }),
    qc.invalidateQueries({ queryKey: ["alert-rules"] }),
    qc.invalidateQueries({ queryKey: ["silences"] }),
  ]);

export function useSaveAlertRuleMutation() {
  const qc = useQueryClient();
  return useMutation<TAlertRuleView, TApiFetchError, { id?: string; version?: number; rule: Record<string, unknown> }>({
    mutationFn: ({ id, version, rule }) =>
      id
        ? apiSend("PUT", `/api/alerts/rules/${encodeURIComponent(id)}`, ZAlertRuleViewSchema, { ...rule, version })
        : apiSend("POST", "/api/alerts/rules", ZAlertRuleViewSchema, rule),
    onSuccess: (r) => {
      qc.setQueryData(alertRuleKey(r.id), r);
      return refreshAlerts(qc);
    },
  });
}

export function useDeleteAlertRuleMutation() {
  const qc = useQueryClient();
  return useMutation<unknown, TApiFetchError, string>({
    mutationFn: (id) => apiSend("DELETE", `/api/alerts/rules/${encodeURIComponent(id)}`, z.unknown()),
    onSuccess: () => refreshAlerts(qc),
  });
}

export type TSilenceInput =
  | { alert: string; durationSeconds: number; comment?: string }
  | { matchers: { name: string; op: string; value: string }[]; durationSeconds: number; comment?: string };

export function useCreateSilenceMutation() {
  const qc = useQueryClient();
  return useMutation<TSilenceView, TApiFetchError, TSilenceInput>({
    mutationFn: (input) => apiSend("POST", "/api/alerts/silences", ZSilenceViewSchema, input),
    onSuccess: () => refreshAlerts(qc),
  });
}

export function useExpireSilenceMutation() {
  const qc = useQueryClient();
  return useMutation<TSilenceView, TApiFetchError, string>({
    mutationFn: (id) => apiSend("DELETE", `/api/alerts/silences/${encodeURIComponent(id)}`, ZSilenceViewSchema),
    onSuccess: () => refreshAlerts(qc),
  });
}

export function useCreateChannelMutation() {
  const qc = useQueryClient();
  return useMutation<TChannelView, TApiFetchError, Record<string, unknown>>({
    mutationFn: (input) => apiSend("POST", "/api/alerts/channels", ZChannelViewSchema, input),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["alert-channels"] }),
  });
}

export function useDeleteChannelMutation() {
  const qc = useQueryClient();
  return useMutation<unknown, TApiFetchError, string>({
    mutationFn: (id) => apiSend("DELETE", `/api/alerts/channels/${encodeURIComponent(id)}`, z.unknown()),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["alert-channels"] }),
  });
}

export function useTestChannelMutation() {
  const qc = useQueryClient();
  return useMutation<{ ok: boolean; status?: number; error?: string }, TApiFetchError, string>({
    mutationFn: (id) =>
      apiSend(
        "POST",
        `/api/alerts/channels/${encodeURIComponent(id)}/test`,
        z.object({ ok: z.boolean(), status: z.number().optional(), error: z.string().optional() }),
      ),
    onSettled: () => qc.invalidateQueries({ queryKey: ["alert-channels"] }),
  });
}
