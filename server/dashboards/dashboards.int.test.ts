import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, storeEnv, type TServerProcess } from "../test/harness";
import { OVERVIEW_UID } from "./provisioned";

const KEY = "dashboards-secret-0123456789";
const auth = { authorization: `Bearer ${KEY}` };
const headers = { ...auth, "content-type": "application/json" };

describe("dashboards API", () => {
  let server: TServerProcess;
  let env: Awaited<ReturnType<typeof storeEnv>>;
  beforeAll(async () => {
    env = await storeEnv("pglite");
    server = await startServerProcess({ ...env.env, HOTPATH_BOOTSTRAP_KEY: KEY });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await env?.cleanup();
  });

  const panel = {
    id: "p1",
    title: "Up",
    kind: "timeseries",
    queries: [{ expr: "up" }],
    grid: { x: 0, y: 0, w: 6, h: 6 },
  };

  it("provisions the Data API overview dashboard", async () => {
    const list = await (await fetch(`${server.url}/api/dashboards`, { headers })).json();
    expect(list.dashboards[0]).toMatchObject({ uid: OVERVIEW_UID, title: "Data API overview", provisioned: true });
    const d = await (await fetch(`${server.url}/api/dashboards/${OVERVIEW_UID}`, { headers })).json();
    expect(d.spec.panels.length).toBeGreaterThan(8);
  });

  it("creates, updates with optimistic concurrency, duplicates and deletes", async () => {
    const created = await fetch(`${server.url}/api/dashboards`, {
      method: "POST",
      headers,
      body: JSON.stringify({ title: "Mine", spec: { panels: [panel] } }),
    });
    expect(created.status).toBe(201);
    const d = await created.json();
    expect(d).toMatchObject({ title: "Mine", version: 1, spec: { timeRange: { from: "now-1h", to: "now" } } });
    const put = (version: number, title: string) =>
      fetch(`${server.url}/api/dashboards/${d.uid}`, {
        method: "PUT",
        headers,
        body: JSON.stringify({ title, spec: d.spec, version }),
      });
    expect((await (await put(1, "Mine v2")).json()).version).toBe(2);
    const stale = await put(1, "lost edit");
    expect(stale.status).toBe(409);
    expect((await stale.json()).error).toMatchObject({ code: "conflict", currentVersion: 2 });
    const copy = await (
      await fetch(`${server.url}/api/dashboards/${d.uid}/duplicate`, { method: "POST", headers: auth })
    ).json();
    expect(copy.title).toBe("Mine v2 (copy)");
    expect((await fetch(`${server.url}/api/dashboards/${copy.uid}`, { method: "DELETE", headers: auth })).status).toBe(
      204,
    );
    expect((await fetch(`${server.url}/api/dashboards/${copy.uid}`, { headers })).status).toBe(404);
  });

  it("names the field of an invalid spec", async () => {
    const res = await fetch(`${server.url}/api/dashboards`, {
      method: "POST",
      headers,
      body: JSON.stringify({ title: "Bad", spec: { panels: [{ ...panel, kind: "pie" }] } }),
    });
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error).toMatchObject({ code: "validation_failed", field: "spec.panels.0.kind" });
  });
});
