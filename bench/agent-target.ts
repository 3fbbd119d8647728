// The service the agent benchmark loads: a small HTTP handler that reads an LRU cache, run plain or
// instrumented (AGENT=on). It reports its own CPU time so the benchmark can compare the two.
import http from "node:http";
import { LRUCache } from "lru-cache";
import { createAgent } from "../agent/index";

const instrumented = process.env.AGENT === "on";
const sink = process.env.SINK_URL ?? "http://127.0.0.1:9";
const agent = instrumented
  ? createAgent({
      url: sink,
      service: "bench-target",
      pushIntervalMs: 2000,
      logger: false,
    })
  : undefined;
const raw = new LRUCache<string, string>({ max: 1000 });
const cache = agent ? agent.wrapLruCache(raw, { name: "catalog" }) : raw;
for (let i = 0; i < 500; i++) cache.set(`k${i}`, `value-${i}`);

const server = http.createServer((req, res) => {
  if (req.url === "/cpu") {
    const u = process.cpuUsage();
    res.end(JSON.stringify({ cpuMicros: u.user + u.system }));
    return;
  }
  const id = Number((req.url ?? "").split("/").pop()) % 1000;
  const hit = cache.get(`k${id}`) ?? "miss";
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ id, hit }));
});
// The load generator keeps idle keep-alive sockets longer than Node's 5 s default: a socket the server
// closes just as the client reuses it failed a run with ECONNRESET.
server.keepAliveTimeout = 60_000;
agent?.httpServerHook(server, (req) => (req.url?.startsWith("/products/") ? "/products/:id" : undefined));
agent?.start();
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  console.log(`listening ${port}`);
});
process.on("SIGTERM", () => {
  void (agent?.shutdown() ?? Promise.resolve()).finally(() => process.exit(0));
});
