// A real Prometheus (Debian's 2.42) scrapes itself and forwards through remote_write to Hotpath,
// authenticated with a Bearer key: the compatibility users rely on when they point Prometheus here.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, storeEnv, type TServerProcess, tempDir } from "../test/harness";

const PROMETHEUS = "/usr/bin/prometheus";
const KEY = "remote-write-secret-0123456789";
if (!existsSync(PROMETHEUS)) {
  console.warn(
    `\n!! SKIPPED: real Prometheus remote-write test: ${PROMETHEUS} is missing (apt-get install -y prometheus)\n`,
  );
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe.skipIf(!existsSync(PROMETHEUS))("Prometheus remote_write into Hotpath", () => {
  let server: TServerProcess;
  let env: Awaited<ReturnType<typeof storeEnv>>;
  let prom: ReturnType<typeof spawn> | undefined;
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    env = await storeEnv("pglite");
    server = await startServerProcess({ ...env.env, HOTPATH_BOOTSTRAP_KEY: KEY });
    tmp = await tempDir("hotpath-prom-");
    const port = await freePort();
    const config = [
      "global:",
      "  scrape_interval: 1s",
      "scrape_configs:",
      "  - job_name: prometheus",
      `    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`,
      "remote_write:",
      `  - url: ${server.url}/api/v1/write`,
      "    authorization:",
      `      credentials: ${KEY}`,
      "    queue_config: { batch_send_deadline: 1s, max_samples_per_send: 2000 }",
      "    metadata_config: { send_interval: 1s }",
    ].join("\n");
    await writeFile(path.join(tmp.dir, "prometheus.yml"), config);
    prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(tmp.dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(tmp.dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: "ignore" },
    );
  });

  afterAll(async () => {
    prom?.kill("SIGTERM");
    await server?.stop("SIGKILL");
    await env?.cleanup();
    await tmp?.remove();
  });

  it("receives Prometheus's own series with their labels and types", { timeout: 60_000 }, async () => {
    const url = `${server.url}/api/v1/series?${new URLSearchParams({ "match[]": 'up{job="prometheus"}' })}`;
    let series: { data: Record<string, string>[] } = { data: [] };
    for (let i = 0; i < 40 && series.data.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      series = await (await fetch(url, { headers: { authorization: `Bearer ${KEY}` } })).json();
    }
    expect(series.data).toEqual([expect.objectContaining({ __name__: "up", job: "prometheus" })]);
    const exported = await fetch(
      `${server.url}/api/v1/export?${new URLSearchParams({ "match[]": "prometheus_build_info", start: "0" })}`,
      { headers: { authorization: `Bearer ${KEY}` } },
    );
    const line = JSON.parse((await exported.text()).split("\n")[0] as string);
    expect(line.metric.version).toBe("2.42.0+ds");
    expect(line.values.every((v: number) => v === 1)).toBe(true);
  });
});
