import { describe, expect, it } from "vitest";
import type { TPromQueryData } from "../../lib/contracts/prom";
import {
  appendLivePoints,
  formatSeriesName,
  parseSampleValue,
  renderLegend,
  summarize,
  type TRangeResult,
  toChartData,
  toHeatmap,
} from "./series";

describe("renderLegend", () => {
  const labels = { __name__: "http_requests_total", route: "/users", status: "200" };
  it("fills {{label}} placeholders, with or without spaces", () => {
    expect(renderLegend("{{route}} {{ status }}", labels)).toBe("/users 200");
    expect(renderLegend("p95 {{route}}", labels)).toBe("p95 /users");
  });
  it("renders a missing label as empty", () => {
    expect(renderLegend("{{route}} {{missing}}", labels)).toBe("/users");
  });
  it("falls back to the series name, then to the query", () => {
    expect(renderLegend("", labels)).toBe('http_requests_total{route="/users", status="200"}');
    expect(renderLegend(undefined, {}, "sum(rate(x[1m]))")).toBe("sum(rate(x[1m]))");
    expect(formatSeriesName({ job: "api" })).toBe('{job="api"}');
  });
});

describe("toChartData", () => {
  const data: TPromQueryData = {
    resultType: "matrix",
    result: [
      {
        metric: { route: "/a" },
        values: [
          [100, "1"],
          [115, "2"],
        ],
      },
      {
        metric: { route: "/b" },
        values: [
          [115, "+Inf"],
          [130, "4.5"],
        ],
      },
    ],
  };
  it("makes one row per timestamp in ms with null gaps", () => {
    const { series, rows } = toChartData([{ data, legend: "{{route}}", expr: "x" }]);
    expect(series.map((s) => [s.key, s.name])).toEqual([
      ["s0", "/a"],
      ["s1", "/b"],
    ]);
    expect(rows).toEqual([
      { t: 100_000, s0: 1, s1: null },
      { t: 115_000, s0: 2, s1: null },
      { t: 130_000, s0: null, s1: 4.5 },
    ]);
  });
  it("keeps series ids stable per query and label set", () => {
    const a = toChartData([{ data, expr: "x" }]);
    const b = toChartData([
      { data: { resultType: "matrix", result: [] }, expr: "y" },
      { data, expr: "x" },
    ]);
    expect(a.series[0]?.id).toBe('0:route="/a"');
    expect(b.series[0]?.id).toBe('1:route="/a"');
  });
  it("reads vectors and scalars as single points", () => {
    const v = toChartData([
      { data: { resultType: "vector", result: [{ metric: {}, value: [10, "3"] }] }, expr: "sum(x)" },
    ]);
    expect(v.rows).toEqual([{ t: 10_000, s0: 3 }]);
    expect(v.series[0]?.name).toBe("sum(x)");
    const s = toChartData([{ data: { resultType: "scalar", result: [10, "7"] }, expr: "7" }]);
    expect(s.rows).toEqual([{ t: 10_000, s0: 7 }]);
  });
  it("summarizes last, min, max and mean", () => {
    const [a] = summarize(toChartData([{ data, expr: "x" }]));
    expect(a).toMatchObject({ last: 2, min: 1, max: 2, mean: 1.5 });
  });
  it("parses Prometheus special values", () => {
    expect(parseSampleValue("+Inf")).toBe(Number.POSITIVE_INFINITY);
    expect(parseSampleValue("-Inf")).toBe(Number.NEGATIVE_INFINITY);
    expect(parseSampleValue("NaN")).toBeNaN();
  });
});

describe("toHeatmap", () => {
  it("turns cumulative le buckets into per-bucket cells, summing other labels", () => {
    const data: TPromQueryData = {
      resultType: "matrix",
      result: [
        { metric: { le: "+Inf", route: "/a" }, values: [[1, "6"]] },
        { metric: { le: "0.1", route: "/a" }, values: [[1, "1"]] },
        { metric: { le: "0.5", route: "/a" }, values: [[1, "4"]] },
        { metric: { le: "0.5", route: "/b" }, values: [[1, "1"]] },
        { metric: { le: "+Inf", route: "/b" }, values: [[1, "1"]] },
      ],
    };
    const h = toHeatmap(data);
    expect(h.buckets).toEqual([0.1, 0.5, Number.POSITIVE_INFINITY]);
    expect(h.times).toEqual([1000]);
    expect(h.cells).toEqual([[1, 4, 2]]);
    expect(h.max).toBe(4);
  });
});

describe("appendLivePoints", () => {
  const base = (): TRangeResult => ({
    start: 0,
    end: 60_000,
    stepMs: 15_000,
    data: {
      resultType: "matrix",
      result: [
        {
          metric: { job: "a" },
          values: [
            [0, "1"],
            [15, "2"],
            [60, "3"],
          ],
        },
      ],
    },
  });
  it("appends newer points, replaces same-timestamp ones and adds new series", () => {
    const old = base();
    const next = appendLivePoints(
      old,
      [
        { id: "x", t: 60, result: [{ metric: { job: "a" }, value: [60, "30"] }] },
        {
          id: "x",
          t: 75,
          result: [
            { metric: { job: "a" }, value: [75, "4"] },
            { metric: { job: "b" }, value: [75, "9"] },
          ],
        },
      ],
      { slide: false },
    );
    expect(next?.data.result).toEqual([
      {
        metric: { job: "a" },
        values: [
          [0, "1"],
          [15, "2"],
          [60, "30"],
          [75, "4"],
        ],
      },
      { metric: { job: "b" }, values: [[75, "9"]] },
    ]);
    // The cached object is never mutated: React Query compares by reference.
    expect(old.data.resultType === "matrix" && old.data.result[0]?.values).toHaveLength(3);
  });
  it("slides the window to the newest point and drops what fell out", () => {
    const next = appendLivePoints(base(), [{ id: "x", t: 75, result: [{ metric: { job: "a" }, value: [75, "4"] }] }], {
      slide: true,
    });
    expect(next?.start).toBe(15_000);
    expect(next?.end).toBe(75_000);
    const data = next?.data;
    expect(data?.resultType === "matrix" ? data.result[0]?.values.map((p) => p[0]) : undefined).toEqual([15, 60, 75]);
  });
  it("keeps one off-grid live point per step, the newest", () => {
    const next = appendLivePoints(
      base(),
      [
        { id: "x", t: 61.2, result: [{ metric: { job: "a" }, value: [61.2, "5"] }] },
        { id: "x", t: 70.9, result: [{ metric: { job: "a" }, value: [70.9, "6"] }] },
        { id: "x", t: 75.4, result: [{ metric: { job: "a" }, value: [75.4, "7"] }] },
      ],
      { slide: false },
    );
    const data = next?.data;
    expect(data?.resultType === "matrix" ? data.result[0]?.values : undefined).toEqual([
      [0, "1"],
      [15, "2"],
      [60, "3"],
      [70.9, "6"],
      [75.4, "7"],
    ]);
  });
  it("leaves a missing cache entry alone", () => {
    expect(appendLivePoints(undefined, [{ id: "x", t: 1, result: [] }], { slide: true })).toBeUndefined();
  });
});
