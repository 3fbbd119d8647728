// hotpath-bridge: scrapes any Prometheus /metrics endpoint on an interval and pushes it to Hotpath,
// for services that are not Node. Same buffer and back-off as the agent.
//
//   npx tsx agent/bridge.ts --scrape http://host:9100/metrics --hotpath http://127.0.0.1:3000 \
//     --key $KEY --job node --instance host:9100 [--interval 15s]
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { countSamples, hasFamily, rewriteExposition } from "./exposition";
import { errorMessage, PeriodicPusher, type TCollected, type TPushStats } from "./push";

export const BRIDGE_USAGE = `Usage: npx tsx agent/bridge.ts --scrape <url> --hotpath <url> --job <name> [options]

Scrapes a Prometheus /metrics endpoint on an interval and pushes it to Hotpath.

Required:
  --scrape <url>        the /metrics URL to scrape (http or https)
  --hotpath <url>       Hotpath base URL, e.g. http://127.0.0.1:3000
  --job <name>          job label of the pushed series

Options:
  --key <key>           Bearer key with the ingest right (default: $HOTPATH_KEY)
  --instance <name>     instance label (default: host:port of the scrape URL)
  --interval <dur>      time between scrapes: 500ms, 15s, 1m (default 15s)
  --timeout <dur>       scrape time limit (default: the interval, at most 10s)
  --max-buffer <bytes>  unsent bodies kept while Hotpath is unreachable (default 8388608)
  --once                scrape and push once, then exit (1 when the push failed)
  -h, --help            this text
`;

export type TBridgeConfig = {
  scrapeUrl: string;
  hotpathUrl: string;
  key: string | undefined;
  job: string;
  instance: string;
  intervalMs: number;
  timeoutMs: number;
  maxBufferBytes: number;
  once: boolean;
};

export type TParsedArgs =
  | { ok: true; config: TBridgeConfig }
  | { ok: false; help: true }
  | { ok: false; error: string };

/** "15s", "500ms", "1m", "2h", or bare seconds; undefined when unreadable or not positive. */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  const ms = Math.round(Number(m[1]) * unit);
  return ms > 0 ? ms : undefined;
}

function httpUrl(v: string, flag: string): { ok: true; url: URL } | { ok: false; error: string } {
  try {
    const url = new URL(v);
    if (url.protocol === "http:" || url.protocol === "https:") return { ok: true, url };
    return { ok: false, error: `${flag} must be an http or https URL, got "${v}"` };
  } catch {
    return { ok: false, error: `${flag} is not a valid URL: "${v}"` };
  }
}

export function parseBridgeArgs(argv: string[], env: Record<string, string | undefined> = process.env): TParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        scrape: { type: "string" },
        hotpath: { type: "string" },
        key: { type: "string" },
        job: { type: "string" },
        instance: { type: "string" },
        interval: { type: "string" },
        timeout: { type: "string" },
        "max-buffer": { type: "string" },
        once: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    return { ok: false, error: (err as Error).message.replace(/\. To specify a positional.*$/s, "") };
  }
  if (values.help) return { ok: false, help: true };
  const str = (k: string) => (typeof values[k] === "string" ? (values[k] as string).trim() : undefined);
  const missing = ["scrape", "hotpath", "job"].filter((k) => !str(k));
  if (missing.length > 0) return { ok: false, error: `missing ${missing.map((k) => `--${k}`).join(", ")}` };
  const scrape = httpUrl(str("scrape") as string, "--scrape");
  if (!scrape.ok) return scrape;
  const hotpath = httpUrl(str("hotpath") as string, "--hotpath");
  if (!hotpath.ok) return hotpath;
  const job = str("job") as string;
  const intervalRaw = str("interval") ?? "15s";
  const intervalMs = parseDuration(intervalRaw);
  if (intervalMs === undefined)
    return { ok: false, error: `--interval "${intervalRaw}": expected e.g. 500ms, 15s, 1m` };
  const timeoutRaw = str("timeout");
  const timeoutMs = timeoutRaw === undefined ? Math.min(intervalMs, 10_000) : parseDuration(timeoutRaw);
  if (timeoutMs === undefined) return { ok: false, error: `--timeout "${timeoutRaw}": expected e.g. 500ms, 5s` };
  const bufRaw = str("max-buffer") ?? String(8 * 1024 * 1024);
  if (!/^\d+$/.test(bufRaw) || Number(bufRaw) <= 0) {
    return { ok: false, error: `--max-buffer "${bufRaw}": expected a positive number of bytes` };
  }
  return {
    ok: true,
    config: {
      scrapeUrl: scrape.url.toString(),
      hotpathUrl: `${hotpath.url.origin}${hotpath.url.pathname.replace(/\/+$/, "")}`,
      key: str("key") || env.HOTPATH_KEY || undefined,
      job,
      instance: str("instance") || scrape.url.host,
      intervalMs,
      timeoutMs,
      maxBufferBytes: Number(bufRaw),
      once: values.once === true,
    },
  };
}

export type TBridge = {
  readonly stats: TPushStats & { scrapes: number; scrapeFailures: number; lastScrapeError: string | undefined };
  start(): void;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
};

export function createBridge(
  config: TBridgeConfig,
  opts: { fetch?: typeof fetch; log?: (message: string) => void } = {},
): TBridge {
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const log = opts.log ?? ((m: string) => console.error(`hotpath-bridge: ${m}`));
  const scrapeStats = { scrapes: 0, scrapeFailures: 0, lastScrapeError: undefined as string | undefined };
  let scrapeFailing = false;
  let failuresTotal = 0;
  let droppedTotal = 0;

  const scrape = async (nowMs: number): Promise<TCollected> => {
    const started = performance.now();
    let text = "";
    let up = 0;
    let openMetrics = false;
    try {
      const res = await fetchFn(config.scrapeUrl, {
        headers: {
          accept: "text/plain;version=0.0.4;q=1,*/*;q=0.1",
          "user-agent": "hotpath-bridge/0.1.0",
        },
        signal: AbortSignal.timeout(config.timeoutMs),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      openMetrics = (res.headers.get("content-type") ?? "").toLowerCase().startsWith("application/openmetrics-text");
      text = await res.text();
      up = 1;
      scrapeStats.scrapes++;
      if (scrapeFailing) log(`scrape of ${config.scrapeUrl} works again`);
      scrapeFailing = false;
    } catch (err) {
      scrapeStats.scrapeFailures++;
      scrapeStats.lastScrapeError = errorMessage(err);
      if (!scrapeFailing) log(`scrape of ${config.scrapeUrl} failed: ${errorMessage(err)} (pushing up=0)`);
      scrapeFailing = true;
    }
    const seconds = (performance.now() - started) / 1000;
    if (openMetrics) {
      // Pass OpenMetrics through as is (its own timestamps are seconds); only the `up` signal is added
      // when the exposition lacks it, before the mandatory # EOF.
      const body = text.replace(/\n?# EOF\s*$/, "");
      const extra = hasFamily(body, "up") ? "" : `\n# TYPE up gauge\nup ${up} ${(nowMs / 1000).toFixed(3)}`;
      return { text: `${body}${extra}\n# EOF\n`, contentType: "application/openmetrics-text; version=1.0.0" };
    }
    const rewritten = rewriteExposition(text, { timestampMs: nowMs, exportLabels: ["job", "instance"] }).text;
    const lines: string[] = [];
    const add = (name: string, type: string, help: string, value: number) => {
      if (hasFamily(text, name)) return;
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value} ${nowMs}`);
    };
    add("up", "gauge", "1 when the last scrape succeeded, else 0.", up);
    add("scrape_duration_seconds", "gauge", "Duration of the last scrape.", Number(seconds.toFixed(6)));
    add("scrape_samples_scraped", "gauge", "Samples in the last scrape.", up ? countSamples(text) : 0);
    add("hotpath_agent_push_failures_total", "counter", "Failed pushes to Hotpath.", failuresTotal);
    add("hotpath_agent_dropped_samples_total", "counter", "Samples dropped by the bridge.", droppedTotal);
    const body = rewritten.endsWith("\n") || rewritten === "" ? rewritten : `${rewritten}\n`;
    return { text: `${body}${lines.join("\n")}\n`, contentType: "text/plain; version=0.0.4; charset=utf-8" };
  };

  const pusher = new PeriodicPusher({
    url: `${config.hotpathUrl}/api/v1/push?job=${encodeURIComponent(config.job)}&instance=${encodeURIComponent(config.instance)}`,
    headers: {
      ...(config.key ? { authorization: `Bearer ${config.key}` } : {}),
      "user-agent": "hotpath-bridge/0.1.0",
    },
    fetch: fetchFn,
    maxBufferBytes: config.maxBufferBytes,
    intervalMs: config.intervalMs,
    log,
    onFailure: () => failuresTotal++,
    onDrop: (_b, samples) => {
      droppedTotal += samples;
    },
    collect: scrape,
  });
  // The scrape counters read through to their own object, on the pusher's stats.
  const stats = Object.defineProperties(pusher.stats, {
    scrapes: { get: () => scrapeStats.scrapes, enumerable: true },
    scrapeFailures: { get: () => scrapeStats.scrapeFailures, enumerable: true },
    lastScrapeError: { get: () => scrapeStats.lastScrapeError, enumerable: true },
  }) as TBridge["stats"];

  return {
    stats,
    start: () => {
      // The first scrape right away, then on the interval.
      void pusher.flush();
      pusher.start();
    },
    flush: () => pusher.flush(),
    shutdown: () => pusher.shutdown(5000),
  };
}

async function main(): Promise<void> {
  const parsed = parseBridgeArgs(process.argv.slice(2));
  if (!parsed.ok) {
    if ("help" in parsed) {
      process.stdout.write(BRIDGE_USAGE);
      return;
    }
    process.stderr.write(`hotpath-bridge: ${parsed.error}\n\n${BRIDGE_USAGE}`);
    process.exitCode = 2;
    return;
  }
  const { config } = parsed;
  const bridge = createBridge(config);
  if (config.once) {
    await bridge.shutdown();
    const ok = bridge.stats.pushes > 0;
    if (!ok) process.stderr.write(`hotpath-bridge: push failed: ${bridge.stats.lastError ?? "unknown error"}\n`);
    process.exitCode = ok ? 0 : 1;
    return;
  }
  // The agent's timers never hold a process open; the bridge is the process, so it holds one itself.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`hotpath-bridge: ${signal}, pushing what is left and exiting\n`);
    void bridge.shutdown().finally(() => {
      clearInterval(keepAlive);
      process.exitCode = 0;
    });
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  process.stderr.write(
    `hotpath-bridge: scraping ${config.scrapeUrl} every ${config.intervalMs} ms into ${config.hotpathUrl} as job="${config.job}", instance="${config.instance}"\n`,
  );
  bridge.start();
}

const invoked = process.argv[1] ? pathToFileURL(process.argv[1]).href : "";
if (import.meta.url === invoked) {
  main().catch((err: unknown) => {
    process.stderr.write(`hotpath-bridge: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  });
}
