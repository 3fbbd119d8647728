// A host service for the agent's outage test: an instrumented http server with an LRU cache, run as
// its own process so that its memory and liveness are measured apart from the test runner.
// GET /stats answers the agent's stats and the process's memory; any other path is a traced request.
import http from "node:http";
import { LRUCache } from "lru-cache";
import { createAgent } from "./index";

const agent = createAgent({
  url: process.env.HOTPATH_URL ?? "http://127.0.0.1:3000",
  key: process.env.HOTPATH_KEY,
  service: process.env.SERVICE ?? "test-host",
  instance: "host-1",
  pushIntervalMs: Number(process.env.PUSH_INTERVAL_MS ?? 500),
  maxBufferBytes: Number(process.env.MAX_BUFFER_BYTES ?? 256 * 1024),
  logger: false,
});
const cache = agent.wrapLruCache(new LRUCache<string, string>({ max: 100 }), { name: "host" });

const server = http.createServer((req, res) => {
  if (req.url === "/stats") {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ ...agent.stats, memory: process.memoryUsage() }));
    return;
  }
  const key = String(Number((req.url ?? "").split("/").pop()) % 200);
  const hit = cache.get(key);
  if (hit === undefined) cache.set(key, `value-${key}`);
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ key, hit: hit !== undefined }));
});
agent.httpServerHook(server, (req) => (req.url?.startsWith("/items/") ? "/items/:id" : undefined));
agent.start();
server.listen(0, "127.0.0.1", () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
process.on("SIGTERM", () => {
  void agent.shutdown().finally(() => process.exit(0));
});
