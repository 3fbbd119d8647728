// A loopback TCP proxy that can add latency to every round trip: the demo reaches its database and
// Redis through one each, so `network_delay` and `cache_backend_slow` are real network delays that
// any client-side timing (the agent's db and cache histograms, spans) sees, whatever the query.
import net from "node:net";

export type TDelayProxy = { host: string; port: number; close(): Promise<void> };

/**
 * Forwards 127.0.0.1:<port> to target. `delayMs()` is read for every chunk sent towards the target;
 * chunks keep their order (a chunk never overtakes an earlier one), so protocols stay intact.
 */
export async function startDelayProxy(target: { host: string; port: number }, delayMs: () => number) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const queue: { due: number; chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && (queue[0] as { due: number }).due <= now + 0.5) {
        upstream.write((queue.shift() as { chunk: Buffer }).chunk);
      }
      if (queue.length > 0) timer = setTimeout(pump, (queue[0] as { due: number }).due - now);
    };
    client.on("data", (chunk) => {
      const d = delayMs();
      if (d <= 0 && queue.length === 0) {
        upstream.write(chunk);
        return;
      }
      const last = queue.at(-1)?.due ?? 0;
      queue.push({ due: Math.max(performance.now() + d, last), chunk });
      if (!timer) timer = setTimeout(pump, Math.max(0, d));
    });
    upstream.on("data", (chunk) => client.write(chunk));
    const end = () => {
      if (timer) clearTimeout(timer);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: "127.0.0.1",
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  } satisfies TDelayProxy;
}
