// The generic detector on synthetic minute-resolution series (the shape of a Kubernetes exporter or
// a replayed dataset): the deepest anomalous service ranks above its callers, ordinary noise and a
// single spike raise nothing, and the routing of the generic names into the signal store.
import { describe, expect, it } from "vitest";
import type { TLabels, TSpanIn } from "../ingest/model";
import { Window } from "./detectors";
import { genericDetector, genericSignalOf, levelOf, SPECS, unitsOf } from "./generic";
import { BUCKET_MS, SEP, SignalStore } from "./signals";
import { TraceWindow } from "./trace-window";

const MIN = 60_000;
const END = 1_800_000_000_000 - (1_800_000_000_000 % MIN) + 20_000;
/** Deterministic jitter in [-1, 1]. */
const jitter = (t: number, salt: number) => Math.sin(t / 7919 + salt * 13.37) * Math.cos(t / 3011 + salt);

type TDef = { name: string; labels: TLabels; value: (t: number) => number };

/** One sample a minute for 30 minutes up to `end`, as an exporter scraped every 60 s would give. */
function store(defs: TDef[], end = END, stepMs = MIN): SignalStore {
  const meta = new Map<number, { name: string; labels: TLabels }>();
  for (const [i, d] of defs.entries()) meta.set(i + 1, { name: d.name, labels: d.labels });
  const s = new SignalStore((id) => meta.get(id));
  for (let t = end - 30 * MIN + stepMs; t <= end; t += stepMs) {
    for (const [i, d] of defs.entries()) s.sample(i + 1, t, d.value(t));
  }
  return s;
}

const detect = (s: SignalStore, traces = new TraceWindow(), nowMs = END + 2 * BUCKET_MS) =>
  genericDetector(new Window(s, traces, nowMs)).sort((a, b) => b.strength - a.strength);

/** A service with CPU, p90 latency and traffic; `extra` seconds of latency from `from` on. */
function service(svc: string, salt: number, baseS: number, extra: (t: number) => number, cpu = 0.2): TDef[] {
  return [
    { name: "service_cpu_usage_ratio", labels: { service: svc }, value: (t) => cpu + 0.01 * jitter(t, salt) },
    {
      name: "service_server_latency_p90_seconds",
      labels: { service: svc },
      value: (t) => baseS * (1 + 0.05 * jitter(t, salt + 1)) + extra(t),
    },
    { name: "service_requests_per_second", labels: { service: svc }, value: (t) => 20 + jitter(t, salt + 2) },
  ];
}

const calls = (a: string, b: string): TDef => ({
  name: "service_dependency_info",
  labels: { service: a, peer: b },
  value: () => 1,
});

const chain = (extra: (svc: string) => (t: number) => number): TDef[] => [
  ...service("frontend", 1, 0.2, extra("frontend")),
  ...service("checkout", 2, 0.05, extra("checkout")),
  ...service("payment", 3, 0.01, extra("payment")),
  calls("frontend", "checkout"),
  calls("checkout", "payment"),
];

describe("genericSignalOf", () => {
  it("routes the generic names to gauge signals keyed by service", () => {
    expect(genericSignalOf("service_cpu_usage_ratio", { service: "a", pod: "a-1-2" })).toEqual({
      kind: "gauge",
      key: `g.cpu${SEP}a`,
    });
    expect(genericSignalOf("service_server_latency_p90_seconds", { service: "a" })?.key).toBe(`g.lat${SEP}a${SEP}p90`);
    expect(genericSignalOf("service_client_latency_mean_seconds", { job: "a" })?.key).toBe(`g.clat${SEP}a${SEP}mean`);
    expect(genericSignalOf("service_call_latency_p50_seconds", { service: "a", peer: "b", side: "client" })?.key).toBe(
      `g.call${SEP}a${SEP}b${SEP}client${SEP}p50`,
    );
    expect(genericSignalOf("service_dependency_info", { service: "a", peer: "b" })?.key).toBe(`g.dep${SEP}a${SEP}b`);
  });

  it("ignores other names and series without a service", () => {
    expect(genericSignalOf("service_server_latency_p42_seconds", { service: "a" })).toBeNull();
    expect(genericSignalOf("node_cpu_usage_ratio", { service: "a" })).toBeNull();
    expect(genericSignalOf("service_cpu_usage_ratio", {})).toBeNull();
    expect(genericSignalOf("service_dependency_info", { service: "a" })).toBeNull();
  });
});

describe("genericDetector", () => {
  it("ranks the deepest anomalous service above the callers that inherit its latency", () => {
    // Payment slows by 300 ms for the last 3 minutes; checkout and the frontend wait on it.
    const slow = (t: number) => (t > END - 3 * MIN ? 0.3 : 0);
    const s = store(chain(() => slow));
    const found = detect(s);
    expect(found[0]?.target.service).toBe("payment");
    expect(found[0]?.kind).toBe("latency_regression");
    expect(found[0]?.strength).toBeGreaterThanOrEqual(1);
    const caller = found.find((c) => c.target.service === "checkout");
    expect(caller).toBeDefined();
    expect(caller?.strength).toBeLessThan(found[0]?.strength ?? 0);
    expect(caller?.summary).toMatch(/callee payment/);
  });

  it("names a saturated CPU in a callee as the cause, ahead of its slower callers", () => {
    const defs = chain((svc) => (t) => (svc !== "payment" && t > END - 3 * MIN ? 0.4 : 0));
    // Payment's own CPU jumps; its latency rises too.
    defs[6] = {
      name: "service_cpu_usage_ratio",
      labels: { service: "payment" },
      value: (t) => (t > END - 3 * MIN ? 0.95 : 0.2 + 0.01 * jitter(t, 9)),
    };
    const found = detect(store(defs));
    expect(found[0]?.target.service).toBe("payment");
    expect(found[0]?.kind).toBe("cpu_saturation");
  });

  it("raises nothing on a fault-free window of noisy series", () => {
    const s = store(chain(() => () => 0));
    expect(detect(s).filter((c) => c.strength >= 1)).toEqual([]);
  });

  it("does not fire on a single slow minute", () => {
    // One minute 10× slower, at the end (the latest point) or just before.
    for (const at of [END, END - MIN]) {
      const spike = (t: number) => (t === at ? 2 : 0);
      const s = store(chain((svc) => (svc === "payment" ? spike : () => 0)));
      expect(detect(s).filter((c) => c.strength >= 1)).toEqual([]);
    }
  });

  it("blames the callee when the calls into it slow down from every caller", () => {
    const defs: TDef[] = [...chain(() => () => 0)];
    for (const [caller, salt] of [
      ["frontend", 4],
      ["checkout", 5],
    ] as const) {
      defs.push({
        name: "service_call_latency_p50_seconds",
        labels: { service: caller, peer: "payment", side: "client" },
        value: (t) => 0.005 * (1 + 0.05 * jitter(t, salt)) + (t > END - 3 * MIN ? 0.2 : 0),
      });
    }
    const found = detect(store(defs));
    expect(found[0]?.target.service).toBe("payment");
    expect(found[0]?.kind).toBe("network_delay");
  });

  it("judges a 5-minute source by its latest point, with its own history", () => {
    // PetShop-like: a point every 5 min; the last one is 5× the usual latency.
    const defs = service("search", 1, 0.01, (t) => (t > END - 2 * MIN ? 0.04 : 0));
    const found = detect(store(defs, END, 5 * MIN));
    expect(found[0]?.target.service).toBe("search");
    expect(found[0]?.strength).toBeGreaterThanOrEqual(1);
  });

  it("finds a slow network hop into a service from the traces", () => {
    // Gateway and travel call basic; from 2 minutes ago the calls take 500 ms more than basic's
    // own spans (the network, or a queue in front of it).
    const traces = new TraceWindow();
    let n = 0;
    const hex = (x: number, len: number) => x.toString(16).padStart(len, "0");
    for (let t = END - 20 * MIN; t <= END; t += 10_000) {
      for (const caller of ["gateway", "travel"]) {
        n++;
        const traceId = hex(n, 32);
        const start = BigInt(t) * 1_000_000n;
        const gap = BigInt(t > END - 2 * MIN ? 500 : 2) * 1_000_000n;
        const server = 20_000_000n;
        const span = (
          id: number,
          parent: number | undefined,
          svc: string,
          kind: TSpanIn["kind"],
          s: bigint,
          e: bigint,
        ): TSpanIn => ({
          traceId,
          spanId: hex(n * 10 + id, 16),
          parentSpanId: parent === undefined ? undefined : hex(n * 10 + parent, 16),
          name: kind === "server" ? "/api" : "HTTP GET",
          kind,
          startUnixNano: s,
          endUnixNano: e,
          status: "unset",
          statusMessage: "",
          attributes: kind === "client" ? { "server.address": "basic" } : { "http.route": "/api" },
          resource: { "service.name": svc },
          scope: "test",
          events: [],
        });
        const half = gap / 2n;
        traces.add(
          [
            span(1, undefined, caller, "server", start, start + server + gap + 2_000_000n),
            span(2, 1, caller, "client", start + 1_000_000n, start + 1_000_000n + server + gap),
            span(3, 2, "basic", "server", start + 1_000_000n + half, start + 1_000_000n + half + server),
          ],
          t,
        );
      }
      traces.flush(t, true);
    }
    const found = detect(new SignalStore(() => undefined), traces);
    expect(found[0]?.target.service).toBe("basic");
    expect(found[0]?.kind).toBe("network_delay");
  });
});

describe("levelOf / unitsOf", () => {
  it("needs two consecutive off points at minute resolution", () => {
    const m = Array.from({ length: 20 }, (_, i) => i);
    const v = m.map((i) => 10 + (i % 3));
    const one = { m, v: [...v.slice(0, -1), 100] };
    const two = { m, v: [...v.slice(0, -2), 100, 100] };
    const l1 = levelOf(one, 19, 1);
    const l2 = levelOf(two, 19, 1);
    expect(l1 && unitsOf(l1, SPECS.latency)).toBe(0);
    expect(l2 && unitsOf(l2, SPECS.latency)).toBeGreaterThan(1);
  });

  it("holds a series' usual spikes against it", () => {
    // Every fourth minute is a spike: two spikes in a row are not news.
    const m = Array.from({ length: 28 }, (_, i) => i);
    const v = m.map((i) => (i % 4 === 0 ? 100 : 10));
    const l = levelOf({ m, v: [...v.slice(0, -2), 110, 110] }, 27, 1);
    expect(l && unitsOf(l, SPECS.latency)).toBeLessThan(1);
  });

  it("says nothing of a stale series", () => {
    const m = Array.from({ length: 20 }, (_, i) => i);
    expect(levelOf({ m, v: m.map(() => 1) }, 30, 1)).toBeUndefined();
  });
});
