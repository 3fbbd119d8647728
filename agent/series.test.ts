// The Series* families must export exactly what prom-client's Histogram and Counter export for the
// same observations: pushes and scrapes go through the same registry formatting.
import client from "prom-client";
import { describe, expect, it } from "vitest";
import { SeriesCounter, SeriesHistogram } from "./series";

const BUCKETS = [0.005, 0.01, 0.025, 0.1, 1];
const OBSERVATIONS: [string, string, string, number][] = [
  ["/items/:id", "GET", "200", 0.003],
  ["/items/:id", "GET", "200", 0.005],
  ["/items/:id", "GET", "200", 0.0051],
  ["/items/:id", "GET", "200", 0.7],
  ["/items/:id", "GET", "200", 12],
  ["/items/:id", "GET", "500", 0.02],
  ['/a\\b\n"c"', "POST", "201", 0.2],
  ["unmatched", "GET", "404", 0],
];

function pair() {
  const ours = new client.Registry();
  const theirs = new client.Registry();
  const labelNames = ["route", "method", "status"] as const;
  const h = new SeriesHistogram({
    name: "d_seconds",
    help: "Durations.",
    labelNames,
    buckets: BUCKETS,
    registers: [ours],
  });
  const ph = new client.Histogram({
    name: "d_seconds",
    help: "Durations.",
    labelNames,
    buckets: BUCKETS,
    registers: [theirs],
  });
  const cNames = ["cache", "result"] as const;
  const c = new SeriesCounter({ name: "r_total", help: "Requests.", labelNames: cNames, registers: [ours] });
  const pc = new client.Counter({ name: "r_total", help: "Requests.", labelNames: cNames, registers: [theirs] });
  for (const [route, method, status, v] of OBSERVATIONS) {
    h.series(route, method, status).observe(v);
    ph.observe({ route, method, status }, v);
  }
  c.series("items", "hit").inc();
  c.series("items", "hit").inc(2);
  c.series("items", "miss").inc();
  pc.inc({ cache: "items", result: "hit" });
  pc.inc({ cache: "items", result: "hit" }, 2);
  pc.inc({ cache: "items", result: "miss" });
  return { ours, theirs, h, c };
}

const sortedLines = (text: string) => text.split("\n").sort();

describe("SeriesHistogram / SeriesCounter", () => {
  it("export the same Prometheus text as prom-client", async () => {
    const { ours, theirs } = pair();
    expect(sortedLines(await ours.metrics())).toEqual(sortedLines(await theirs.metrics()));
  });

  it("give the same JSON as prom-client", async () => {
    const { ours, theirs } = pair();
    const canonical = (v: unknown): string =>
      v !== null && typeof v === "object"
        ? `{${Object.entries(v)
            .filter(([, x]) => x !== undefined)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, x]) => `${k}:${canonical(x)}`)
            .join(",")}}`
        : JSON.stringify(v);
    const byName = (ms: { name: string; values: unknown[] }[]) =>
      ms.map((m) => ({ ...m, values: m.values.map(canonical).sort() }));
    expect(byName(await ours.getMetricsAsJSON())).toEqual(byName(await theirs.getMetricsAsJSON()));
  });

  it("hand out one series per label set, still valid after a reset", async () => {
    const { ours, h, c } = pair();
    const s = h.series("/items/:id", "GET", "200");
    expect(h.series("/items/:id", "GET", "200")).toBe(s);
    expect(h.series("/items/:id", "GET", "500")).not.toBe(s);
    ours.resetMetrics();
    expect(s.count).toBe(0);
    s.observe(0.002);
    c.series("items", "hit").inc();
    const text = await ours.metrics();
    expect(text).toContain('d_seconds_bucket{le="0.005",route="/items/:id",method="GET",status="200"} 1');
    expect(text).toContain('d_seconds_count{route="/items/:id",method="GET",status="200"} 1');
    expect(text).toContain('r_total{cache="items",result="hit"} 1');
  });

  it("refuse values prom-client refuses", () => {
    const { h, c } = pair();
    expect(() => h.series("x", "GET", "200").observe(Number.NaN)).toThrow(TypeError);
    expect(() => c.series("items", "hit").inc(-1)).toThrow(TypeError);
  });
});
