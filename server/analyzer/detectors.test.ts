// Detectors on synthetic series: each fault shape must fire with the right kind and target, and the
// shapes of ordinary life must not: a daily traffic swing, a single slow request, a deploy restart.
import { describe, expect, it } from "vitest";
import type { TLabels } from "../ingest/model";
import { detectAll, Window } from "./detectors";
import { rank } from "./rank";
import { BUCKET_MS, SignalStore } from "./signals";
import { TraceWindow } from "./trace-window";

const SVC = "shop";
const STEP_MS = 5000;
const MINUTES = 20;

type TSeriesDef = { name: string; labels: TLabels; kind: "counter" | "gauge"; perStep: (t: number) => number };

/** Feeds `defs` every 5 s for MINUTES up to `endMs`: counters accumulate perStep, gauges take it. */
function feed(defs: TSeriesDef[], endMs: number, opts: { gapFrom?: number; gapTo?: number; resetAt?: number } = {}) {
  const meta = new Map<number, { name: string; labels: TLabels }>();
  for (const [i, d] of defs.entries()) meta.set(i + 1, { name: d.name, labels: { job: SVC, ...d.labels } });
  const store = new SignalStore((id) => meta.get(id));
  const totals = defs.map(() => 0);
  for (let t = endMs - MINUTES * 60_000; t <= endMs; t += STEP_MS) {
    if (opts.gapFrom !== undefined && t >= opts.gapFrom && t < (opts.gapTo ?? 0)) continue;
    if (opts.resetAt !== undefined && t >= opts.resetAt && t - STEP_MS < opts.resetAt) totals.fill(0);
    defs.forEach((d, i) => {
      if (d.kind === "counter") {
        totals[i] = (totals[i] as number) + d.perStep(t);
        store.sample(i + 1, t, totals[i] as number);
      } else store.sample(i + 1, t, d.perStep(t));
    });
  }
  return store;
}

const END = 1_800_000_000_000 - (1_800_000_000_000 % BUCKET_MS) + 4000;
const FAULT_AT = END - 25_000;
const faulty = (t: number) => t >= FAULT_AT;
/** Deterministic jitter in [-1, 1]. */
const jitter = (t: number, salt: number) => Math.sin(t / 7919 + salt * 13.37) * Math.cos(t / 3011 + salt);

function http(route: string, ratePerS: (t: number) => number, meanS: (t: number) => number): TSeriesDef[] {
  return [
    {
      name: "http_server_request_duration_seconds_count",
      labels: { route, status: "200" },
      kind: "counter",
      perStep: (t) => ratePerS(t) * 5,
    },
    {
      name: "http_server_request_duration_seconds_sum",
      labels: { route, status: "200" },
      kind: "counter",
      perStep: (t) => ratePerS(t) * 5 * meanS(t),
    },
  ];
}

function statement(text: string, ratePerS: number, meanS: (t: number) => number): TSeriesDef[] {
  return [
    {
      name: "db_client_operation_duration_seconds_count",
      labels: { db_statement: text },
      kind: "counter",
      perStep: () => ratePerS * 5,
    },
    {
      name: "db_client_operation_duration_seconds_sum",
      labels: { db_statement: text },
      kind: "counter",
      perStep: (t) => ratePerS * 5 * meanS(t),
    },
  ];
}

const STATEMENTS = [
  "SELECT * FROM orders WHERE customer_id = $1",
  "SELECT * FROM products WHERE id = $1",
  "SELECT * FROM customers WHERE id = $1",
  "INSERT INTO orders (customer_id) VALUES ($1)",
];

function healthy(
  over: Partial<{
    rate: (t: number) => number;
    stmtMean: (i: number, t: number) => number;
    lag: (t: number) => number;
    cpu: (t: number) => number;
    heap: (t: number) => number;
  }> = {},
) {
  const rate = over.rate ?? ((t: number) => 40 + 2 * jitter(t, 1));
  return [
    ...http("/orders", rate, (t) => 0.02 + 0.002 * jitter(t, 2)),
    ...STATEMENTS.flatMap((s, i) =>
      statement(s, 20, (t) => over.stmtMean?.(i, t) ?? 0.002 + 0.0002 * jitter(t, i + 3)),
    ),
    {
      name: "nodejs_eventloop_lag_p99_seconds",
      labels: {},
      kind: "gauge" as const,
      perStep: over.lag ?? ((t) => 0.011 + 0.001 * jitter(t, 9)),
    },
    {
      name: "process_cpu_seconds_total",
      labels: {},
      kind: "counter" as const,
      perStep: (t: number) => 5 * (over.cpu?.(t) ?? 0.3 + 0.02 * jitter(t, 10)),
    },
    {
      name: "nodejs_heap_size_used_bytes",
      labels: {},
      kind: "gauge" as const,
      perStep: over.heap ?? ((t) => 60e6 + 2e6 * jitter(t, 11)),
    },
  ];
}

/** The whole ranking of the last analyse() call, below the reporting threshold too. */
let lastRanking: ReturnType<typeof rank> = [];

function analyse(defs: TSeriesDef[], opts?: Parameters<typeof feed>[2]) {
  const store = feed(defs, END, opts);
  const all = rank(detectAll(new Window(store, new TraceWindow(), END + 1000)));
  lastRanking = all;
  return all.filter((c) => c.score >= 1);
}

describe("detectors", () => {
  it("stay quiet on a healthy service", () => {
    expect(analyse(healthy())).toEqual([]);
  });

  it("name one slow statement as slow_query, not the network", () => {
    const found = analyse(
      healthy({ stmtMean: (i, t) => (i === 0 && faulty(t) ? 0.03 : 0.002 + 0.0002 * jitter(t, i + 3)) }),
    );
    expect(found[0]?.kind).toBe("slow_query");
    expect(found[0]?.target.statement).toContain("orders");
    expect(found.some((f) => f.kind === "network_delay")).toBe(false);
  });

  it("name the same added floor on every statement as network_delay", () => {
    const found = analyse(healthy({ stmtMean: (i, t) => 0.002 + 0.0002 * jitter(t, i + 3) + (faulty(t) ? 0.008 : 0) }));
    expect(found[0]?.kind).toBe("network_delay");
    expect(found.some((f) => f.kind === "slow_query")).toBe(false);
  });

  it("name a blocked event loop", () => {
    const found = analyse(healthy({ lag: (t) => (faulty(t) ? 0.2 : 0.011 + 0.001 * jitter(t, 9)) }));
    expect(found[0]?.kind).toBe("event_loop_blocked");
    expect(found[0]?.target).toEqual({ service: SVC });
  });

  it("name a traffic surge as the cause, above the CPU it costs", () => {
    const found = analyse(
      healthy({
        rate: (t) => (faulty(t) ? 160 : 40 + 2 * jitter(t, 1)),
        cpu: (t) => (faulty(t) ? 0.9 : 0.3 + 0.02 * jitter(t, 10)),
      }),
    );
    expect(found[0]?.kind).toBe("traffic_surge");
    expect(lastRanking.find((f) => f.kind === "cpu_saturation")?.explainedBy).toBe("traffic_surge");
  });

  it("do not fire on a daily swing of traffic (a slow sinusoid) with latency following it a little", () => {
    const day = (t: number) => Math.sin((2 * Math.PI * t) / (40 * 60_000));
    const defs = [
      ...http(
        "/orders",
        (t) => 40 + 25 * day(t),
        (t) => 0.02 + 0.004 * day(t),
      ),
      ...STATEMENTS.flatMap((s, i) => statement(s, 20, (t) => 0.002 + 0.0005 * day(t) + 0.0001 * jitter(t, i))),
    ];
    expect(analyse(defs)).toEqual([]);
  });

  it("do not fire on a single slow request", () => {
    // One bucket holds one 2 s request among 200: its mean jumps tenfold for five seconds.
    const spike = END - 6000;
    const defs = healthy({
      stmtMean: (i, t) => (i === 0 && t >= spike && t < spike + STEP_MS ? 0.05 : 0.002 + 0.0002 * jitter(t, i + 3)),
    });
    expect(analyse(defs)).toEqual([]);
  });

  it("do not fire on a deploy restart: a gap, counters back to zero, a fresh heap", () => {
    const restart = END - 90_000;
    const defs = healthy({ heap: (t) => (t >= restart ? 40e6 + 1e6 * jitter(t, 11) : 60e6 + 2e6 * jitter(t, 11)) });
    expect(analyse(defs, { gapFrom: restart - 20_000, gapTo: restart, resetAt: restart })).toEqual([]);
  });
});

describe("pool detectors", () => {
  const poolDefs = (leakFrom: number, dbPerStep: (t: number) => number, maxOf: (t: number) => number = () => 10) => {
    const bad = (t: number) => t >= leakFrom;
    return [
      {
        name: "db_client_connection_count",
        labels: { pool: "db", state: "used" },
        kind: "gauge" as const,
        perStep: (t: number) => (bad(t) ? maxOf(t) : 0),
      },
      {
        name: "db_client_connection_count",
        labels: { pool: "db", state: "idle" },
        kind: "gauge" as const,
        perStep: (t: number) => (bad(t) ? 0 : maxOf(t)),
      },
      { name: "db_client_connection_max", labels: { pool: "db" }, kind: "gauge" as const, perStep: maxOf },
      {
        name: "db_client_connection_pending_requests",
        labels: { pool: "db" },
        kind: "gauge" as const,
        perStep: (t: number) => (bad(t) ? 150 : 0),
      },
      {
        name: "db_client_connection_wait_time_seconds_count",
        labels: { pool: "db" },
        kind: "counter" as const,
        perStep: (t: number) => (bad(t) ? 130 : 220),
      },
      {
        name: "db_client_connection_wait_time_seconds_sum",
        labels: { pool: "db" },
        kind: "counter" as const,
        perStep: (t: number) => (bad(t) ? 650 : 0.13),
      },
      ...statement(STATEMENTS[1] as string, 1, () => 0.002).map((d, i) =>
        i === 0 ? { ...d, perStep: dbPerStep } : { ...d, perStep: (t: number) => dbPerStep(t) * 0.002 },
      ),
    ];
  };

  it("names a leak when every connection is held and fewer queries run", () => {
    const found = analyse(poolDefs(FAULT_AT, (t) => (faulty(t) ? 30 : 100)));
    expect(found[0]?.kind).toBe("connection_leak");
  });

  it("names saturation when the pool's max dropped", () => {
    const found = analyse(
      poolDefs(
        FAULT_AT,
        (t) => (faulty(t) ? 60 : 100),
        (t) => (faulty(t) ? 2 : 10),
      ),
    );
    expect(found[0]?.kind).toBe("pool_saturation");
  });
});
