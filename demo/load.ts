// The load generator: an open-loop (Poisson) arrival process at a configured rate over a realistic
// route mix (mostly reads, skewed towards hot products; some writes), with seeded randomness. It
// follows the demo's traffic_surge fault (GET /faults once a second) by multiplying its rate.
//
//   runLoad({ url, rate, duration, seed }) → Promise<TLoadStats>
//   tsx demo/load.ts --url http://127.0.0.1:4000 --rate 50 --duration 60 --seed 1
import http from "node:http";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { CATEGORIES, SEED } from "./db";
import { exponentialMs, seededRandom } from "./random";

export type TRouteKey =
  | "GET /products/:id"
  | "GET /products"
  | "GET /customers/:id/orders"
  | "GET /orders/:id"
  | "GET /recommendations/:customerId"
  | "GET /inventory/:id"
  | "POST /orders"
  | "PUT /products/:id"
  | "GET /health";

/** Relative weights: ~88 % reads, ~12 % writes. */
export const DEFAULT_MIX: Record<TRouteKey, number> = {
  "GET /products/:id": 34,
  "GET /products": 10,
  "GET /customers/:id/orders": 14,
  "GET /orders/:id": 10,
  "GET /recommendations/:customerId": 7,
  "GET /inventory/:id": 7,
  "POST /orders": 8,
  "PUT /products/:id": 4,
  "GET /health": 2,
};

export type TLoadOptions = {
  /** The demo's base URL. */
  url: string;
  /** Requests per second (default 50), before any traffic_surge multiplier. */
  rate?: number;
  /** Seconds (default 60); 0 runs until `signal` aborts. */
  duration?: number;
  seed?: number;
  /** In-flight cap (default 256): arrivals beyond it are counted as dropped, not queued. */
  maxInFlight?: number;
  /** Poll GET /faults for traffic_surge (default true). */
  followFaults?: boolean;
  mix?: Partial<Record<TRouteKey, number>>;
  signal?: AbortSignal;
  /** Called about every `progressEveryMs` (default 5000) with the figures so far. */
  onProgress?: (s: TLoadStats) => void;
  progressEveryMs?: number;
  /** How long to wait for in-flight requests once the run is over (default 15000 ms). */
  drainTimeoutMs?: number;
};

export type TRouteStats = { count: number; errors: number; p50: number; p95: number; p99: number; meanMs: number };
export type TLoadStats = {
  requests: number;
  /** 5xx answers and network errors. */
  errors: number;
  dropped: number;
  byStatus: Record<string, number>;
  byRoute: Partial<Record<TRouteKey, TRouteStats>>;
  seconds: number;
  achievedRate: number;
  /** Largest rate multiplier applied (traffic_surge). */
  maxSurge: number;
};

export type TRequest = { route: TRouteKey; method: string; path: string; body?: string };

/** The seeded request sequence: the same seed always yields the same routes, ids and bodies. */
export function createRequestPicker(seed: number, mixOverride?: Partial<Record<TRouteKey, number>>): () => TRequest {
  const random = seededRandom(seed);
  const mix = Object.entries({ ...DEFAULT_MIX, ...mixOverride }).filter(([, w]) => w > 0) as [TRouteKey, number][];
  const totalWeight = mix.reduce((a, [, w]) => a + w, 0);
  const pick = (): TRouteKey => {
    let r = random() * totalWeight;
    for (const [k, w] of mix) {
      r -= w;
      if (r < 0) return k;
    }
    return (mix.at(-1) as [TRouteKey, number])[0];
  };
  // Skewed ids: a small hot set gets most reads (what makes caches worth having).
  const productId = () => 1 + Math.floor(SEED.products * random() ** 3);
  const customerId = () => 1 + Math.floor(SEED.customers * random() ** 1.5);
  const orderId = () => SEED.orders - Math.floor((SEED.orders - 1) * random() ** 2);

  const build = (route: TRouteKey): { method: string; path: string; body?: string } => {
    switch (route) {
      case "GET /products/:id":
        return { method: "GET", path: `/products/${productId()}` };
      case "GET /products":
        return {
          method: "GET",
          path: `/products?category=${CATEGORIES[Math.floor(random() * CATEGORIES.length)]}&limit=${[10, 20, 50][Math.floor(random() * 3)]}`,
        };
      case "GET /customers/:id/orders":
        return { method: "GET", path: `/customers/${customerId()}/orders` };
      case "GET /orders/:id":
        return { method: "GET", path: `/orders/${orderId()}` };
      case "GET /recommendations/:customerId":
        return { method: "GET", path: `/recommendations/${customerId()}` };
      case "GET /inventory/:id":
        return { method: "GET", path: `/inventory/${productId()}` };
      case "POST /orders": {
        const n = 1 + Math.floor(random() * 3);
        const items = Array.from({ length: n }, () => ({ productId: productId(), qty: 1 + Math.floor(random() * 2) }));
        return { method: "POST", path: "/orders", body: JSON.stringify({ customerId: customerId(), items }) };
      }
      case "PUT /products/:id":
        return {
          method: "PUT",
          path: `/products/${productId()}`,
          body: JSON.stringify({ priceCents: 199 + Math.floor(random() * 20_000) }),
        };
      case "GET /health":
        return { method: "GET", path: "/health" };
    }
  };

  return () => {
    const route = pick();
    return { route, ...build(route) };
  };
}

const SAMPLE_CAP = 20_000;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export async function runLoad(opts: TLoadOptions): Promise<TLoadStats> {
  const base = new URL(opts.url);
  const rate = opts.rate ?? 50;
  const durationMs = (opts.duration ?? 60) * 1000;
  const maxInFlight = opts.maxInFlight ?? 256;
  // Arrival times and sampling draw from their own stream, so the request sequence for a seed is
  // the same at any rate.
  const random = seededRandom(((opts.seed ?? 1) ^ 0x5bd1e995) >>> 0);
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });

  const samples = new Map<TRouteKey, { n: number; errors: number; sum: number; ms: number[] }>();
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let errors = 0;
  let dropped = 0;
  let inFlight = 0;
  let surge = 1;
  let maxSurge = 1;
  const started = performance.now();

  const nextRequest = createRequestPicker(opts.seed ?? 1, opts.mix);

  const record = (route: TRouteKey, status: number | "error", ms: number) => {
    requests++;
    const key = String(status);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    const failed = status === "error" || status >= 500;
    if (failed) errors++;
    let s = samples.get(route);
    if (!s) {
      s = { n: 0, errors: 0, sum: 0, ms: [] };
      samples.set(route, s);
    }
    s.n++;
    s.sum += ms;
    if (failed) s.errors++;
    // Reservoir sampling keeps the quantiles honest on long runs without unbounded memory.
    if (s.ms.length < SAMPLE_CAP) s.ms.push(ms);
    else {
      const j = Math.floor(random() * s.n);
      if (j < SAMPLE_CAP) s.ms[j] = ms;
    }
  };

  const fire = () => {
    const { route, method, path, body } = nextRequest();
    if (inFlight >= maxInFlight) {
      dropped++;
      return;
    }
    inFlight++;
    const t0 = performance.now();
    let done = false;
    const finish = (status: number | "error") => {
      if (done) return;
      done = true;
      inFlight--;
      record(route, status, performance.now() - t0);
    };
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method,
        path,
        agent,
        timeout: 15_000,
        headers: body ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {},
      },
      (res) => {
        res.resume();
        res.on("end", () => finish(res.statusCode ?? 0));
        res.on("error", () => finish("error"));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => finish("error"));
    req.end(body);
  };

  const snapshot = (): TLoadStats => {
    const seconds = (performance.now() - started) / 1000;
    const byRoute: Partial<Record<TRouteKey, TRouteStats>> = {};
    for (const [route, s] of samples) {
      const sorted = [...s.ms].sort((a, b) => a - b);
      const r2 = (v: number) => Math.round(v * 100) / 100;
      byRoute[route] = {
        count: s.n,
        errors: s.errors,
        p50: r2(quantile(sorted, 0.5)),
        p95: r2(quantile(sorted, 0.95)),
        p99: r2(quantile(sorted, 0.99)),
        meanMs: r2(s.sum / Math.max(1, s.n)),
      };
    }
    return {
      requests,
      errors,
      dropped,
      byStatus: { ...byStatus },
      byRoute,
      seconds: Math.round(seconds * 10) / 10,
      achievedRate: Math.round((requests / Math.max(0.001, seconds)) * 10) / 10,
      maxSurge,
    };
  };

  // traffic_surge lives in the demo's fault registry; follow it.
  const pollSurge = async () => {
    try {
      const res = await fetch(new URL("/faults", base), { signal: AbortSignal.timeout(2000) });
      if (!res.ok) return;
      const body = (await res.json()) as { active?: { label: string; intensity: number }[] };
      const f = body.active?.find((x) => x.label === "traffic_surge");
      surge = f ? 1 + 4 * f.intensity : 1;
      maxSurge = Math.max(maxSurge, surge);
    } catch {
      // The demo being briefly unreachable is not the load generator's business.
    }
  };
  const followFaults = opts.followFaults ?? true;
  if (followFaults) await pollSurge();

  await new Promise<void>((resolve) => {
    let next = performance.now();
    let lastPoll = performance.now();
    let lastProgress = performance.now();
    const stop = () => {
      clearInterval(ticker);
      opts.signal?.removeEventListener("abort", stop);
      resolve();
    };
    const ticker = setInterval(() => {
      const now = performance.now();
      if ((durationMs > 0 && now - started >= durationMs) || opts.signal?.aborted) return stop();
      // Catch up on every arrival due by now (the tick is coarse, arrivals are not).
      if (now - next > 1000) next = now - 1000;
      while (next <= now) {
        fire();
        next += exponentialMs(random, rate * surge);
      }
      if (followFaults && now - lastPoll >= 1000) {
        lastPoll = now;
        void pollSurge();
      }
      if (opts.onProgress && now - lastProgress >= (opts.progressEveryMs ?? 5000)) {
        lastProgress = now;
        opts.onProgress(snapshot());
      }
    }, 5);
    opts.signal?.addEventListener("abort", stop);
  });
  // Let in-flight requests finish (bounded) so their latencies count.
  const drainUntil = performance.now() + (opts.drainTimeoutMs ?? 15_000);
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  agent.destroy();
  return snapshot();
}

export function formatStats(s: TLoadStats): string {
  const lines = [
    `${s.requests} requests in ${s.seconds} s (${s.achievedRate}/s), ${s.errors} errors, ${s.dropped} dropped, statuses ${JSON.stringify(s.byStatus)}${s.maxSurge > 1 ? `, surge x${s.maxSurge}` : ""}`,
    `${"route".padEnd(34)} ${"count".padStart(6)} ${"err".padStart(5)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"p99 ms".padStart(8)}`,
  ];
  for (const [route, r] of Object.entries(s.byRoute)) {
    lines.push(
      `${route.padEnd(34)} ${String(r.count).padStart(6)} ${String(r.errors).padStart(5)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)}`,
    );
  }
  return lines.join("\n");
}

// ---- CLI ------------------------------------------------------------------------------------------
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      url: { type: "string", default: "http://127.0.0.1:4000" },
      rate: { type: "string", default: "50" },
      duration: { type: "string", default: "60" },
      seed: { type: "string", default: "1" },
    },
    strict: true,
  });
  const rate = Number(values.rate);
  const duration = Number(values.duration);
  if (!(rate > 0) || !(duration >= 0)) {
    console.error("load: --rate must be > 0 and --duration >= 0 (0 = until stopped)");
    process.exit(2);
  }
  const ac = new AbortController();
  process.once("SIGINT", () => ac.abort());
  process.once("SIGTERM", () => ac.abort());
  console.log(`load: ${rate} req/s against ${values.url} for ${duration === 0 ? "ever" : `${duration} s`}`);
  const stats = await runLoad({
    url: values.url,
    rate,
    duration,
    seed: Number(values.seed),
    signal: ac.signal,
    onProgress: (s) => console.log(`load: ${s.requests} requests, ${s.achievedRate}/s, ${s.errors} errors`),
  });
  console.log(formatStats(stats));
}
