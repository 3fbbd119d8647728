// One command for the whole demo: Hotpath (embedded store) + the demo service with the agent pushing
// to it + the load generator. Ctrl-C (or SIGTERM) stops all three cleanly.
//
//   tsx demo/run.ts [--fault slow_query:0.8 --fault cache_hit_collapse] [--duration 60] [--rate 50]
//                   [--port 4000] [--seed 1] [--hotpath-port 3000] [--no-ui] [--keep]
//
// HOTPATH_URL reuses a Hotpath that is already running (its key from HOTPATH_KEY); otherwise Hotpath
// starts from this checkout with HOTPATH_BOOTSTRAP_KEY set to a generated key (or the one in the env).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { parseArgs } from "node:util";
import { parseFaultSpec } from "./faults";
import { formatStats, runLoad } from "./load";

const ROOT = path.resolve(import.meta.dirname, "..");

type TChild = { name: string; child: ChildProcess; exited: Promise<number | null> };

function usage(message: string): never {
  console.error(`run: ${message}`);
  console.error(
    "usage: tsx demo/run.ts [--fault <label>[:<intensity>]]... [--duration <s>] [--rate <req/s>] [--port <demo port>] [--seed <n>] [--hotpath-port <port>] [--no-ui] [--keep]",
  );
  process.exit(2);
}

/** Spawns `node --import tsx <script>` (signals reach it directly) and waits for its "serving on" line. */
function startChild(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<TChild & { url: string }> {
  // Own process group: a terminal's Ctrl-C reaches only this process, which then stops the children
  // in order (the demo's agent makes its last push while Hotpath is still up).
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const prefix = `[${name}] `;
  const forward = (stream: NodeJS.ReadableStream | null, to: NodeJS.WriteStream) => {
    let buf = "";
    stream?.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        to.write(`${prefix}${buf.slice(0, nl)}\n`);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
      }
    });
  };
  forward(child.stdout, process.stdout);
  forward(child.stderr, process.stderr);
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`${name} did not start within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        out = "";
        resolve({ name, child, exited, url: m[1] });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before serving`));
    });
  });
}

async function stopChild(c: TChild, graceMs: number): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.child.kill("SIGTERM");
  const timer = setTimeout(() => c.child.kill("SIGKILL"), graceMs);
  await c.exited;
  clearTimeout(timer);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        fault: { type: "string", multiple: true, default: [] },
        duration: { type: "string", default: "60" },
        rate: { type: "string", default: "50" },
        port: { type: "string", default: "4000" },
        seed: { type: "string", default: "1" },
        "hotpath-port": { type: "string", default: process.env.PORT || "3000" },
        "no-ui": { type: "boolean", default: false },
        keep: { type: "boolean", default: false },
      },
      strict: true,
    });
  } catch (err) {
    return usage((err as Error).message);
  }
})();

const duration = Number(values.duration);
const rate = Number(values.rate);
const port = Number(values.port);
if (!Number.isFinite(duration) || duration < 0) usage("--duration must be seconds >= 0 (0 = until stopped)");
if (!Number.isFinite(rate) || rate <= 0) usage("--rate must be requests per second > 0");
if (!Number.isInteger(port) || port < 0 || port > 65535) usage("--port must be a port number");
for (const f of values.fault ?? []) {
  try {
    parseFaultSpec(f);
  } catch (err) {
    usage((err as Error).message);
  }
}

const children: TChild[] = [];
const ac = new AbortController();
let stopping: Promise<void> | undefined;
const stopAll = (code: number) => {
  stopping ??= (async () => {
    ac.abort();
    // The demo first (its agent's last push needs Hotpath up), then Hotpath.
    for (const c of [...children].reverse()) await stopChild(c, c.name === "demo" ? 15_000 : 10_000);
    process.exit(code);
  })();
  return stopping;
};
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));
// Should this process die another way, its children must not outlive it.
process.on("exit", () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
});

try {
  // 1. Hotpath
  let hotpathUrl = process.env.HOTPATH_URL;
  let key = process.env.HOTPATH_KEY || process.env.HOTPATH_BOOTSTRAP_KEY;
  if (hotpathUrl) {
    console.log(
      `run: using the Hotpath at ${hotpathUrl}${key ? "" : " (no HOTPATH_KEY set: pushes need its ingest to be open)"}`,
    );
  } else {
    key ||= `demo-${randomBytes(18).toString("base64url")}`;
    console.log(
      `run: starting Hotpath on port ${values["hotpath-port"]}${values["no-ui"] ? " (UI off)" : " (the first start builds the UI, which takes a while)"}`,
    );
    const hp = await startChild(
      "hotpath",
      ["scripts/start.ts"],
      {
        ...process.env,
        PORT: values["hotpath-port"],
        HOTPATH_BOOTSTRAP_KEY: key,
        ...(values["no-ui"] ? { HOTPATH_UI: "off" } : {}),
      },
      15 * 60_000,
    );
    children.push(hp);
    hotpathUrl = hp.url;
  }

  // 2. The demo service, pushing to Hotpath
  const demo = await startChild(
    "demo",
    [
      "demo/service.ts",
      "--port",
      String(port),
      "--seed",
      values.seed,
      ...(values.fault ?? []).flatMap((f) => ["--fault", f]),
    ],
    { ...process.env, HOTPATH_URL: hotpathUrl, ...(key ? { HOTPATH_KEY: key } : {}) },
    120_000,
  );
  children.push(demo);

  console.log(
    [
      "",
      `run: Hotpath dashboard  ${hotpathUrl}${key ? `   (API key: ${key})` : ""}`,
      `run: demo service       ${demo.url}   (service "demo-shop")`,
      `run: toggle faults      curl -X POST ${demo.url}/faults/slow_query -H 'content-type: application/json' -d '{"intensity":0.8}'`,
      `                        curl -X DELETE ${demo.url}/faults/slow_query      curl ${demo.url}/faults`,
      "",
    ].join("\n"),
  );

  // 3. Load
  console.log(`run: load ${rate} req/s for ${duration === 0 ? "ever (Ctrl-C stops)" : `${duration} s`}`);
  const stats = await runLoad({
    url: demo.url,
    rate,
    duration,
    seed: Number(values.seed),
    signal: ac.signal,
    onProgress: (s) =>
      console.log(`run: ${s.requests} requests, ${s.achievedRate}/s, ${s.errors} errors, ${s.dropped} dropped`),
  });
  console.log(formatStats(stats));
  if (values.keep && !ac.signal.aborted) {
    console.log("run: load finished; Hotpath and the demo keep running (--keep): Ctrl-C stops them");
  } else {
    await stopAll(0);
  }
} catch (err) {
  console.error(`run: ${(err as Error).message}`);
  await stopAll(1);
}
