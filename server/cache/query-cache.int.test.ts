// query_range answers from the cache when nothing changed, and recomputes after new data arrives.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, storeEnv, type TServerProcess } from "../test/harness";

const KEY = "cache-int-secret-0123456789";
const auth = { authorization: `Bearer ${KEY}` };

async function hits(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /cache_requests_total\{cache="hotpath_query_range",level="memory",result="hit"\} (\d+)/.exec(text);
  return Number(m?.[1] ?? 0);
}

describe("query_range through the query cache", () => {
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

  it("hits on a repeat and is invalidated by a commit in its window", async () => {
    const now = Math.floor(Date.now() / 1000);
    const push = (v: number, t: number) =>
      fetch(`${server.url}/api/v1/push?job=c`, {
        method: "POST",
        headers: auth,
        body: `cached_gauge ${v} ${t * 1000}\n`,
      });
    expect((await push(1, now - 120)).status).toBe(200);
    const q = new URLSearchParams({
      query: "max(cached_gauge)",
      start: String(now - 300),
      end: String(now),
      step: "60",
    });
    const ask = async () =>
      (await (await fetch(`${server.url}/api/v1/query_range?${q}`, { headers: auth })).json()).data;
    const first = await ask();
    const before = await hits(server.url);
    expect(await ask()).toEqual(first);
    expect(await hits(server.url)).toBe(before + 1);
    expect((await push(7, now - 30)).status).toBe(200);
    const after = await ask();
    expect(await hits(server.url)).toBe(before + 1);
    expect(after.result[0].values.at(-1)[1]).toBe("7");
  });
});
