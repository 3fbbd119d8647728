// Socket.IO on Hotpath's one port. With Redis, the Redis adapter carries room broadcasts between
// nodes; without it, one node serves its own clients.
import type { Server as HttpServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import { Server, type Socket } from "socket.io";
import { ZSubscribeSchema } from "../../lib/contracts/live";

export function createLiveServer(
  http: HttpServer,
  redis?: { pub: Redis; sub: Redis },
  onConnection: (socket: Socket) => void = () => undefined,
): Server {
  const io = new Server(http, {
    serveClient: false,
    ...(redis ? { adapter: createAdapter(redis.pub, redis.sub) } : {}),
  });
  io.on("connection", (socket) => {
    onConnection(socket);
    socket.on("subscribe", (payload: unknown, ack?: (r: unknown) => void) => {
      const parsed = ZSubscribeSchema.safeParse(payload);
      if (!parsed.success) {
        const error = { code: "bad_request", message: `subscribe: ${parsed.error.issues[0]?.message}` };
        if (typeof ack === "function") ack({ ok: false, error });
        return;
      }
      void socket.join(parsed.data.room);
      if (typeof ack === "function") ack({ ok: true });
    });
    socket.on("unsubscribe", (payload: unknown) => {
      const parsed = ZSubscribeSchema.safeParse(payload);
      if (parsed.success) void socket.leave(parsed.data.room);
    });
  });
  return io;
}
