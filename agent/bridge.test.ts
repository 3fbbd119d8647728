import { spawn } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ROOT } from "../server/test/harness";
import { createBridge, parseBridgeArgs, parseDuration, type TBridgeConfig } from "./bridge";

const BASE = ["--scrape", "http://host:9100/metrics", "--hotpath", "http://127.0.0.1:3000/", "--job", "node"];

describe("bridge flags", () => {
  it("reads the flags, with defaults for instance, interval, timeout and key", () => {
    const parsed = parseBridgeArgs(BASE, { HOTPATH_KEY: "from-env-key-123456" });
    expect(parsed).toEqual({
      ok: true,
      config: {
        scrapeUrl: "http://host:9100/metrics",
        hotpathUrl: "http://127.0.0.1:3000",
        key: "from-env-key-123456",
        job: "node",
        instance: "host:9100",
        intervalMs: 15_000,
        timeoutMs: 10_000,
        maxBufferBytes: 8 * 1024 * 1024,
        once: false,
      },
    });
    const custom = parseBridgeArgs([...BASE, "--key", "k", "--instance", "db-1", "--interval", "500ms"], {});
    expect(custom).toMatchObject({ ok: true, config: { key: "k", instance: "db-1", intervalMs: 500, timeoutMs: 500 } });
  });

  it.each([
    [[], "missing --scrape, --hotpath, --job"],
    [["--scrape", "http://h/metrics", "--hotpath", "http://h"], "missing --job"],
    [[...BASE.slice(0, 1), "not a url", ...BASE.slice(2)], '--scrape is not a valid URL: "not a url"'],
    [[...BASE.slice(0, 3), "ftp://x", ...BASE.slice(4)], '--hotpath must be an http or https URL, got "ftp://x"'],
    [[...BASE, "--interval", "soon"], '--interval "soon": expected e.g. 500ms, 15s, 1m'],
    [[...BASE, "--interval", "0s"], '--interval "0s": expected e.g. 500ms, 15s, 1m'],
    [[...BASE, "--max-buffer", "8MB"], '--max-buffer "8MB": expected a positive number of bytes'],
    [[...BASE, "--bogus"], "Unknown option '--bogus'"],
  ])("refuses %j", (argv, message) => {
    const parsed = parseBridgeArgs(argv as string[], {});
    expect(parsed.ok).toBe(false);
    expect((parsed as { error: string }).error).toContain(message);
  });

  it("parses durations", () => {
    expect(parseDuration("15s")).toBe(15_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("1.5")).toBe(1500);
    expect(parseDuration("x")).toBeUndefined();
  });

  it("exits 2 with the usage on bad flags, 0 with --help", async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "agent/bridge.ts", ...args], {
          cwd: ROOT,
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => {
          out += d;
        });
        child.stderr.on("data", (d) => {
          err += d;
        });
        child.on("exit", (code) => resolve({ code, out, err }));
      });
    const bad = await run(["--scrape", "http://h/metrics"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^hotpath-bridge: missing --hotpath, --job\n\nUsage: /);
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: npx tsx agent\/bridge.ts/);
  });
});

describe("bridge scrape → push (injected fetch)", () => {
  const config: TBridgeConfig = {
    scrapeUrl: "http://target:9100/metrics",
    hotpathUrl: "http://hotpath:3000",
    key: "bridge-key-1234567",
    job: "node",
    instance: "target:9100",
    intervalMs: 60_000,
    timeoutMs: 1000,
    maxBufferBytes: 1e6,
    once: false,
  };

  it("pushes the scraped text with timestamps, exported_job for clashes, and up/scrape figures", async () => {
    const pushed: { url: string; headers: Record<string, string>; text: string }[] = [];
    let targetUp = true;
    const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
      if (String(url) === config.scrapeUrl) {
        if (!targetUp) throw new TypeError("fetch failed");
        return new Response('# TYPE node_load1 gauge\nnode_load1 0.5\nfed{job="other"} 1\n', {
          headers: { "content-type": "text/plain; version=0.0.4" },
        });
      }
      pushed.push({
        url: String(url),
        headers: init?.headers as Record<string, string>,
        text: gunzipSync(init?.body as Uint8Array).toString("utf8"),
      });
      return new Response("{}", { status: 200 });
    }) as typeof fetch;
    const logs: string[] = [];
    const bridge = createBridge(config, { fetch: fetchFn, log: (m) => logs.push(m) });
    await bridge.flush();
    targetUp = false;
    await bridge.flush();
    await bridge.shutdown();
    expect(pushed.length).toBeGreaterThanOrEqual(2);
    const first = pushed[0] as (typeof pushed)[number];
    expect(first.url).toBe("http://hotpath:3000/api/v1/push?job=node&instance=target%3A9100");
    expect(first.headers.authorization).toBe("Bearer bridge-key-1234567");
    expect(first.text).toMatch(/^node_load1 0\.5 \d{13}$/m);
    expect(first.text).toMatch(/^fed\{exported_job="other"\} 1 \d{13}$/m);
    expect(first.text).toMatch(/^up 1 \d{13}$/m);
    expect(first.text).toMatch(/^scrape_samples_scraped 2 \d{13}$/m);
    expect(pushed[1]?.text).toMatch(/^up 0 \d{13}$/m);
    expect(pushed[1]?.text).not.toContain("node_load1");
    // the final scrape at shutdown failed too
    expect(bridge.stats).toMatchObject({ scrapes: 1, scrapeFailures: 2 });
    expect(logs.some((l) => l.includes("scrape of http://target:9100/metrics failed"))).toBe(true);
  });
});
