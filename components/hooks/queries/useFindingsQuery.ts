import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { z } from "zod";
import { ZFindingSchema } from "../../../lib/contracts/findings";
import { LIVE_ROOMS } from "../../../lib/contracts/live";
import { useLiveSocket } from "../../live/useLiveSocket";
import { apiFetch } from "../apiFetch";

const ZListSchema = z.object({ findings: z.array(ZFindingSchema) });
const ZOneSchema = z.object({ finding: ZFindingSchema });

/**
 * Findings change as the analyzer ticks: its Socket.IO events invalidate every findings query, and
 * while the socket is down the lists poll instead.
 */
function useFindingEvents() {
  const client = useQueryClient();
  const { socket, connected } = useLiveSocket();
  useEffect(() => {
    if (!socket) return;
    const subscribe = () => socket.emit("subscribe", { room: LIVE_ROOMS.findings });
    const onFinding = () => void client.invalidateQueries({ queryKey: ["findings"] });
    socket.on("connect", subscribe);
    socket.on("finding", onFinding);
    if (socket.connected) subscribe();
    return () => {
      socket.off("connect", subscribe);
      socket.off("finding", onFinding);
    };
  }, [socket, client]);
  return connected;
}

export function useFindingsQuery(params: { status: "open" | "resolved" | "all"; limit?: number }) {
  const live = useFindingEvents();
  return useQuery({
    queryKey: ["findings", "list", params],
    queryFn: ({ signal }) =>
      apiFetch(`/api/findings?status=${params.status}&limit=${params.limit ?? 50}`, ZListSchema, { signal }),
    refetchInterval: live ? false : 5000,
    placeholderData: keepPreviousData,
  });
}

export function useFindingQuery(id: string) {
  const live = useFindingEvents();
  return useQuery({
    queryKey: ["findings", "one", id],
    queryFn: ({ signal }) => apiFetch(`/api/findings/${encodeURIComponent(id)}`, ZOneSchema, { signal }),
    refetchInterval: live ? false : 5000,
  });
}
