// Integration-test support: a real Hotpath server (server/main.ts in its own process, as users run it)
// on a fresh store, checked to serve the Prometheus query API.
import { startServerProcess, storeEnv } from "../../test/harness";

export type TQueryServer = {
  /** Where Hotpath ingests (push, remote write). */
  ingestUrl: string;
  /** Where the Prometheus query API answers: the same server. */
  queryUrl: string;
  stop(): Promise<void>;
};

export async function startQueryServer(kind: "pglite" | "postgresql", key: string): Promise<TQueryServer> {
  const env = await storeEnv(kind);
  const server = await startServerProcess({ ...env.env, HOTPATH_BOOTSTRAP_KEY: key });
  const stop = async () => {
    await server.stop("SIGKILL");
    await env.cleanup();
  };
  const probe = await fetch(`${server.url}/api/v1/status/buildinfo`, { headers: { authorization: `Bearer ${key}` } });
  if (probe.status === 404) {
    await stop();
    throw new Error("the Prometheus query API is not registered: server/app.ts must call registerPromApi");
  }
  return { ingestUrl: server.url, queryUrl: server.url, stop };
}
