// "inventory-service": the downstream HTTP dependency behind GET /inventory/:id, a tiny separate
// http server (its own port, its own keep-alive connections) that slow_dependency slows down.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FaultRegistry } from "./faults";

export type TInventoryService = { url: string; requests: () => number; close(): Promise<void> };

export async function startInventoryService(faults: FaultRegistry, random: () => number): Promise<TInventoryService> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const m = /^\/stock\/(\d+)$/.exec(req.url ?? "");
    if (req.method !== "GET" || !m) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "not found" }));
      return;
    }
    const id = Number(m[1]);
    const i = faults.intensity("slow_dependency");
    const base = 1 + random() * 3;
    const delay = faults.isOn("slow_dependency") ? base + (100 + 900 * i) * (0.75 + random() * 0.5) : base;
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          productId: id,
          warehouses: [
            { id: "fra-1", available: (id * 7) % 120 },
            { id: "iad-2", available: (id * 13) % 80 },
          ],
          traceparent: req.headers.traceparent ?? null,
        }),
      );
    }, delay);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
