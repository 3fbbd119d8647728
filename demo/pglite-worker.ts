// Runs inside a worker thread (see startPgliteThread in db.ts): the demo's PGlite database and its
// wire-protocol server live on their own thread, so query execution (WASM, synchronous) never blocks
// the service's event loop, as a database server would not. Same process, own thread.
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { servePglite } from "./pglite-server";

const { dataDir } = workerData as { dataDir: string };
const db = await PGlite.create(dataDir);
const server = await servePglite(db);
parentPort?.on("message", (msg: { type: string }) => {
  if (msg.type !== "close") return;
  void (async () => {
    await server.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    parentPort?.postMessage({ type: "closed" });
  })();
});
parentPort?.postMessage({ type: "ready", host: server.host, port: server.port });
