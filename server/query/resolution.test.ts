import { describe, expect, it } from "vitest";
import { parse } from "./promql/parse";
import {
  chooseResolution,
  DEFAULT_RETENTION,
  parseMaxResolution,
  planResolution,
  type TResolution,
} from "./resolution";

const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 11, 1, 12);

function choose(rangeMs: number, stepMs: number, max?: TResolution, startAgoMs = rangeMs) {
  return chooseResolution({
    startMs: NOW - startAgoMs,
    endMs: NOW - startAgoMs + rangeMs,
    stepMs,
    nowMs: NOW,
    retention: DEFAULT_RETENTION,
    max,
  });
}

function expr(q: string) {
  const p = parse(q);
  if (!p.ok) throw new Error(p.error.message);
  return p.expr;
}

describe("chooseResolution", () => {
  it.each([
    [HOUR, 15 * S, "raw"],
    [6 * HOUR, 30 * S, "raw"],
    [HOUR, 60 * S, "1m"],
    [12 * HOUR, 30 * S, "1m"],
    [DAY, 60 * S, "1m"],
    [3 * DAY, 5 * MIN, "1m"],
    [7 * DAY, 10 * MIN, "1m"],
    [8 * DAY, 10 * MIN, "1h"],
    [2 * DAY, HOUR, "1h"],
  ] as const)("a range of %i ms at a step of %i ms reads %s", (range, step, want) => {
    expect(choose(range, step)).toBe(want);
  });

  it("is capped by max_source_resolution", () => {
    expect(choose(DAY, 60 * S, "raw")).toBe("raw");
    expect(choose(30 * DAY, HOUR, "1m")).toBe("1m");
    expect(choose(HOUR, 15 * S, "1h")).toBe("raw");
  });

  it("reads rollups where retention left nothing finer", () => {
    // Two hours, a day and a half ago: raw samples are kept for a day.
    expect(choose(2 * HOUR, 15 * S, undefined, 36 * HOUR)).toBe("1m");
    // A week, 40 days ago: 1 m rollups are kept for 30 days.
    expect(choose(7 * DAY, 5 * MIN, undefined, 40 * DAY)).toBe("1h");
    // Asked for raw samples explicitly: raw, whatever is left of them.
    expect(choose(2 * HOUR, 15 * S, "raw", 36 * HOUR)).toBe("raw");
  });
});

describe("planResolution", () => {
  const plan = (q: string, preferred: TResolution, startAgoMs = DAY) =>
    planResolution(expr(q), preferred, { startMs: NOW - startAgoMs, nowMs: NOW, retention: DEFAULT_RETENTION });

  it("keeps rollups for functions buckets answer, with ranges of whole buckets", () => {
    expect(plan("sum by (service) (rate(x_total[5m]))", "1m")).toEqual({
      resolution: "1m",
      widthMs: MIN,
      warnings: [],
    });
    expect(plan("histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))", "1m").resolution).toBe("1m");
    expect(plan("max_over_time(g[10m]) / avg_over_time(g[1h]) + g", "1m").resolution).toBe("1m");
    expect(plan("increase(x_total[2h])", "1h").resolution).toBe("1h");
    expect(plan("g offset 1h", "1h").resolution).toBe("1h");
  });

  it("steps down to a finer resolution when the range is not a whole number of buckets", () => {
    expect(plan("rate(x_total[5m])", "1h")).toMatchObject({ resolution: "1m", widthMs: MIN });
    expect(plan("rate(x_total[90s])", "1m")).toMatchObject({ resolution: "raw", widthMs: undefined, warnings: [] });
    expect(plan("rate(x_total[30s])", "1m").resolution).toBe("raw");
  });

  it("reads raw samples for functions that need each sample, and says so when they are gone", () => {
    for (const q of [
      "irate(x_total[5m])",
      "deriv(g[10m])",
      "stddev_over_time(g[5m])",
      "quantile_over_time(0.9, g[5m])",
      "changes(g[5m])",
      "resets(x_total[5m])",
      "rate(x_total[5m]) / irate(x_total[5m])",
    ]) {
      expect(plan(q, "1m"), q).toMatchObject({ resolution: "raw", warnings: [] });
    }
    const old = plan("irate(x_total[5m])", "1m", 3 * DAY);
    expect(old.resolution).toBe("raw");
    expect(old.warnings).toEqual([
      "raw samples were read because irate needs individual samples, and they are kept for 1d: older points are missing",
    ]);
  });

  it("does not use 1 m rollups beyond their retention", () => {
    const p = plan("rate(x_total[5m])", "1h", 60 * DAY);
    expect(p.resolution).toBe("raw");
    expect(p.warnings).toHaveLength(1);
  });
});

describe("parseMaxResolution", () => {
  it.each([
    [undefined, undefined],
    ["", undefined],
    ["auto", undefined],
    ["raw", "raw"],
    ["0s", "raw"],
    ["30s", "raw"],
    ["1m", "1m"],
    ["5m", "1m"],
    ["1h", "1h"],
    ["1d", "1h"],
    ["soon", "invalid"],
  ] as const)("%s → %s", (v, want) => {
    expect(parseMaxResolution(v)).toBe(want);
  });
});
