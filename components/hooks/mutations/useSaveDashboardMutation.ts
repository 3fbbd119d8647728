// Dashboard writes. Save is optimistic concurrency: it sends the version the edit started from, and the
// server answers 409 when someone saved in between (the caller tells the user to reload).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { type TDashboard, type TDashboardInput, ZDashboardSchema } from "../../../lib/contracts/dashboards";
import type { TApiFetchError } from "../apiFetch";
import { apiSend } from "../apiSend";
import { dashboardKey } from "../queries/useDashboardQuery";

const path = (uid: string) => `/api/dashboards/${encodeURIComponent(uid)}`;

export function useSaveDashboardMutation() {
  const queryClient = useQueryClient();
  return useMutation<TDashboard, TApiFetchError, TDashboardInput & { uid: string; version: number }>({
    mutationFn: ({ uid, ...body }) => apiSend("PUT", path(uid), ZDashboardSchema, body),
    onSuccess: (d) => {
      queryClient.setQueryData(dashboardKey(d.uid), d);
      return queryClient.invalidateQueries({ queryKey: ["dashboards"] });
    },
  });
}

export function useCreateDashboardMutation() {
  const queryClient = useQueryClient();
  return useMutation<TDashboard, TApiFetchError, TDashboardInput>({
    mutationFn: (input) => apiSend("POST", "/api/dashboards", ZDashboardSchema, input),
    onSuccess: (d) => {
      queryClient.setQueryData(dashboardKey(d.uid), d);
      return queryClient.invalidateQueries({ queryKey: ["dashboards"] });
    },
  });
}

export function useDuplicateDashboardMutation() {
  const queryClient = useQueryClient();
  return useMutation<TDashboard, TApiFetchError, string>({
    mutationFn: (uid) => apiSend("POST", `${path(uid)}/duplicate`, ZDashboardSchema),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["dashboards"] }),
  });
}

export function useDeleteDashboardMutation() {
  const queryClient = useQueryClient();
  return useMutation<unknown, TApiFetchError, string>({
    // 204: no body to validate.
    mutationFn: (uid) => apiSend("DELETE", path(uid), z.unknown()),
    onSuccess: (_r, uid) => {
      queryClient.removeQueries({ queryKey: dashboardKey(uid) });
      return queryClient.invalidateQueries({ queryKey: ["dashboards"] });
    },
  });
}
