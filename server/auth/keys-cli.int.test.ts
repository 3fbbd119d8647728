// `npm run keys` against a running embedded-store server, and the trusted-network setting.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startServerProcess, storeEnv, type TServerProcess } from "../test/harness";

const run = promisify(execFile);

describe("keys CLI and open ingest networks", () => {
  let server: TServerProcess;
  let env: Awaited<ReturnType<typeof storeEnv>>;
  beforeAll(async () => {
    env = await storeEnv("pglite");
    server = await startServerProcess({ ...env.env, HOTPATH_INGEST_OPEN: "10.0.0.0/8" });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await env?.cleanup();
  });

  const cli = (...args: string[]) =>
    run(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/keys.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env.env, PORT: String(new URL(server.url).port), HOTPATH_UI: "off" },
    });

  it("creates a key through the running server, and the key works; list and revoke too", async () => {
    const { stdout } = await cli("create", "--name", "batch-job", "--rights", "ingest,read");
    const secret = stdout.trim().split("\n").pop() as string;
    expect(secret).toMatch(/^hp_/);
    const push = () =>
      fetch(`${server.url}/api/v1/push?job=cli`, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}` },
        body: "cli_probe 1\n",
      });
    expect((await push()).status).toBe(200);
    const list = (await cli("list")).stdout;
    expect(list).toMatch(/\tbatch-job\thp_.{7}…\tingest,read\tactive/);
    const id = list.split("\t")[0] as string;
    expect((await cli("revoke", id)).stdout).toContain(`revoked key ${id} "batch-job"`);
    expect((await push()).status).toBe(401);
  });

  it("explains a bad command", async () => {
    await expect(cli("create", "--name", "x", "--rights", "root")).rejects.toMatchObject({
      stderr: expect.stringContaining("unknown right(s) root"),
    });
  });

  it("keeps ingest closed to networks outside HOTPATH_INGEST_OPEN", async () => {
    // Loopback is not in 10.0.0.0/8: a key is still needed.
    const res = await fetch(`${server.url}/api/v1/push`, { method: "POST", body: "open_probe 1\n" });
    expect(res.status).toBe(401);
  });
});

describe("a trusted network", () => {
  it("may ingest without a key when HOTPATH_INGEST_OPEN covers it, and still not read", async () => {
    const env = await storeEnv("pglite");
    const server = await startServerProcess({ ...env.env, HOTPATH_INGEST_OPEN: "127.0.0.1/32" });
    try {
      const res = await fetch(`${server.url}/api/v1/push?job=open`, { method: "POST", body: "open_probe 1\n" });
      expect(res.status).toBe(200);
      const read = await fetch(`${server.url}/api/v1/series?match[]=open_probe`);
      expect(read.status).toBe(401);
    } finally {
      await server.stop();
      await env.cleanup();
    }
  });
});
