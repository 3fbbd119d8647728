// The evaluator against hand-computed expectations, over an in-memory source. Times are in seconds
// in the fixtures (`s(…)`) and ms in the engine.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { instantQuery, PromQLError, rangeQuery, type TQueryResult } from "./eval";
import { formatTimestamp, formatValue } from "./format";
import { bucketQuantile, quantile } from "./quantile";
import { memorySource, type TSampleSource, type TSeriesSamples } from "./source";

const S = 1000;

function series(labels: Record<string, string>, points: [number, number][]): TSeriesSamples {
  return { labels, ts: points.map(([t]) => t * S), values: points.map(([, v]) => v) };
}

/** An instant query's vector as `{labels-without-name-order} → value`, sorted for stable output. */
async function vec(src: TSampleSource, q: string, tSec: number): Promise<Record<string, number>> {
  const r = await instantQuery(src, q, tSec * S);
  if (r.resultType !== "vector") throw new Error(`${q}: ${r.resultType}`);
  const out: Record<string, number> = {};
  for (const e of r.result) out[labelsText(e.labels)] = e.value;
  return out;
}

function labelsText(l: Record<string, string>): string {
  const name = l.__name__ ?? "";
  const rest = Object.keys(l)
    .filter((k) => k !== "__name__")
    .sort()
    .map((k) => `${k}="${l[k]}"`)
    .join(",");
  return `${name}{${rest}}`;
}

async function scalar(src: TSampleSource, q: string, tSec: number): Promise<number> {
  const r = await instantQuery(src, q, tSec * S);
  if (r.resultType !== "scalar") throw new Error(`${q}: ${r.resultType}`);
  return r.result;
}

async function fails(p: Promise<unknown>): Promise<PromQLError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PromQLError) return e;
    throw e;
  }
  throw new Error("expected a PromQLError");
}

describe("rate, increase, delta: Prometheus's extrapolation", () => {
  const src = memorySource([
    // Evenly spaced, 10 s from both range boundaries: extrapolated to the full range.
    series({ __name__: "a_total" }, [
      [10, 10],
      [20, 20],
      [30, 30],
      [40, 40],
      [50, 50],
    ]),
    // A counter reset: 20 → 5 adds the 20 lost.
    series({ __name__: "b_total" }, [
      [10, 10],
      [20, 20],
      [30, 5],
      [40, 15],
    ]),
    // Starts near zero: extrapolation to the start stops at the counter's zero point.
    series({ __name__: "c_total" }, [
      [20, 1],
      [30, 11],
      [40, 21],
    ]),
    // 30 s gap to the range start (> 1.1 × the 10 s average): only half an interval is added.
    series({ __name__: "d_total" }, [
      [30, 100],
      [40, 110],
      [50, 120],
    ]),
    series({ __name__: "single_total" }, [[50, 7]]),
    series({ __name__: "gauge" }, [
      [30, 10],
      [60, 5],
    ]),
  ]);

  it("extrapolates to the range boundaries when samples are close to them", async () => {
    // sampled 40 s, +10 s each side → 40 × 60/40 = 60; rate = 60/60.
    expect(await vec(src, "increase(a_total[60s])", 60)).toEqual({ "{}": 60 });
    expect(await vec(src, "rate(a_total[1m])", 60)).toEqual({ "{}": 1 });
  });

  it("adds the value before a counter reset", async () => {
    // (15 - 10) + 20 = 25 over 30 s sampled, extrapolated +10 s at the start: 25 × 40/30.
    expect((await vec(src, "increase(b_total[40s])", 40))["{}"]).toBeCloseTo(100 / 3, 12);
  });

  it("does not extrapolate a counter below zero", async () => {
    // 20 over 20 s; 20 s to the start but the zero point is 1 s before the first sample: 20 × 21/20.
    expect((await vec(src, "increase(c_total[40s])", 40))["{}"]).toBeCloseTo(21, 12);
  });

  it("limits extrapolation to half an interval when a boundary is far", async () => {
    // 20 over 20 s; start 30 s away (> 11 s) → +5 s; end 10 s away (< 11 s) → +10 s: 20 × 35/20.
    expect((await vec(src, "increase(d_total[1m])", 60))["{}"]).toBeCloseTo(35, 12);
    expect((await vec(src, "rate(d_total[1m])", 60))["{}"]).toBeCloseTo(35 / 60, 12);
  });

  it("drops series with fewer than two samples in the range", async () => {
    expect(await vec(src, "rate(single_total[5m])", 60)).toEqual({});
  });

  it("delta does not treat a decrease as a reset", async () => {
    // -5 over 30 s, 30 s to the start (< 33 s threshold): -5 × 60/30.
    expect(await vec(src, "delta(gauge[1m])", 60)).toEqual({ "{}": -10 });
  });
});

describe("irate and idelta", () => {
  const src = memorySource([
    series({ __name__: "x_total", i: "reset" }, [
      [10, 10],
      [20, 20],
      [30, 5],
    ]),
    series({ __name__: "x_total", i: "up" }, [
      [10, 10],
      [20, 20],
      [25, 30],
    ]),
  ]);

  it("uses the last two samples, a drop counting as a reset for irate only", async () => {
    expect(await vec(src, "irate(x_total[1m])", 30)).toEqual({ '{i="reset"}': 0.5, '{i="up"}': 2 });
    expect(await vec(src, "idelta(x_total[1m])", 30)).toEqual({ '{i="reset"}': -15, '{i="up"}': 10 });
  });
});

describe("*_over_time", () => {
  const src = memorySource([
    series({ __name__: "g", job: "a" }, [
      [0, 100],
      [10, 1],
      [20, 5],
      [30, 3],
    ]),
  ]);

  it("aggregates the samples in [t - range, t], both ends included", async () => {
    // At t=30 with [20s]: samples at 10, 20, 30 → 1, 5, 3 (the sample at 10 is on the boundary).
    expect(await vec(src, "avg_over_time(g[20s])", 30)).toEqual({ '{job="a"}': 3 });
    expect(await vec(src, "sum_over_time(g[20s])", 30)).toEqual({ '{job="a"}': 9 });
    expect(await vec(src, "min_over_time(g[20s])", 30)).toEqual({ '{job="a"}': 1 });
    expect(await vec(src, "max_over_time(g[20s])", 30)).toEqual({ '{job="a"}': 5 });
    expect(await vec(src, "count_over_time(g[20s])", 30)).toEqual({ '{job="a"}': 3 });
    expect(await vec(src, "quantile_over_time(0.5, g[20s])", 30)).toEqual({ '{job="a"}': 3 });
    expect(await vec(src, "quantile_over_time(0.25, g[20s])", 30)).toEqual({ '{job="a"}': 2 });
    expect((await vec(src, "stdvar_over_time(g[20s])", 30))['{job="a"}']).toBeCloseTo(8 / 3, 12);
    expect((await vec(src, "stddev_over_time(g[20s])", 30))['{job="a"}']).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(await vec(src, "changes(g[1m])", 30)).toEqual({ '{job="a"}': 3 });
    expect(await vec(src, "resets(g[1m])", 30)).toEqual({ '{job="a"}': 2 });
    expect(await vec(src, "present_over_time(g[5s])", 30)).toEqual({ '{job="a"}': 1 });
  });

  it("keeps the metric name for last_over_time only", async () => {
    expect(await vec(src, "last_over_time(g[20s])", 30)).toEqual({ 'g{job="a"}': 3 });
  });

  it("answers absent_over_time with the equality matchers' labels", async () => {
    expect(await vec(src, "absent_over_time(g[5s])", 30)).toEqual({});
    expect(await vec(src, 'absent_over_time(g{job="a"}[5s])', 200)).toEqual({ '{job="a"}': 1 });
    expect(await vec(src, 'absent(nope{job="a", x=~"y"})', 30)).toEqual({ '{job="a"}': 1 });
  });
});

describe("aggregations", () => {
  const src = memorySource([
    series({ __name__: "req", job: "api", instance: "1", code: "200" }, [[0, 10]]),
    series({ __name__: "req", job: "api", instance: "2", code: "200" }, [[0, 30]]),
    series({ __name__: "req", job: "api", instance: "2", code: "500" }, [[0, 2]]),
    series({ __name__: "req", job: "db", instance: "3", code: "200" }, [[0, 5]]),
  ]);

  it("sum/avg/min/max/count by keep only the listed labels", async () => {
    expect(await vec(src, "sum by (job) (req)", 10)).toEqual({ '{job="api"}': 42, '{job="db"}': 5 });
    expect(await vec(src, "avg by (job) (req)", 10)).toEqual({ '{job="api"}': 14, '{job="db"}': 5 });
    expect(await vec(src, "min by (job) (req)", 10)).toEqual({ '{job="api"}': 2, '{job="db"}': 5 });
    expect(await vec(src, "max(req) by (job)", 10)).toEqual({ '{job="api"}': 30, '{job="db"}': 5 });
    expect(await vec(src, "count by (code) (req)", 10)).toEqual({ '{code="200"}': 3, '{code="500"}': 1 });
    expect(await vec(src, "sum(req)", 10)).toEqual({ "{}": 47 });
    expect(await vec(src, "sum by (__name__) (req)", 10)).toEqual({ "req{}": 47 });
  });

  it("without drops the listed labels and the metric name", async () => {
    expect(await vec(src, "sum without (instance) (req)", 10)).toEqual({
      '{code="200",job="api"}': 40,
      '{code="500",job="api"}': 2,
      '{code="200",job="db"}': 5,
    });
  });

  it("stddev, stdvar, quantile, group and count_values", async () => {
    // api: 10, 30, 2 → mean 14, variance (16 + 256 + 144) / 3.
    const v = await vec(src, "stdvar by (job) (req)", 10);
    expect(v['{job="api"}']).toBeCloseTo(416 / 3, 12);
    expect(v['{job="db"}']).toBe(0);
    expect((await vec(src, "stddev(req)", 10))["{}"]).toBeCloseTo(
      Math.sqrt((100 + 900 + 4 + 25) / 4 - (47 / 4) ** 2),
      12,
    );
    expect(await vec(src, "quantile(0.5, req)", 10)).toEqual({ "{}": 7.5 });
    expect(await vec(src, "group by (job) (req)", 10)).toEqual({ '{job="api"}': 1, '{job="db"}': 1 });
    expect(await vec(src, 'count_values("v", req > 5)', 10)).toEqual({ '{v="10"}': 1, '{v="30"}': 1 });
  });

  it("topk and bottomk keep each series' labels, per group, in order", async () => {
    const r = await instantQuery(src, "topk(2, req)", 10 * S);
    expect(r.resultType === "vector" && r.result.map((e) => [e.labels.instance, e.labels.code, e.value])).toEqual([
      ["2", "200", 30],
      ["1", "200", 10],
    ]);
    expect(await vec(src, "bottomk by (job) (1, req)", 10)).toEqual({
      'req{code="500",instance="2",job="api"}': 2,
      'req{code="200",instance="3",job="db"}': 5,
    });
    expect(await vec(src, "topk(0, req)", 10)).toEqual({});
  });
});

describe("histogram_quantile", () => {
  const bucket = (le: string, v: number, extra: Record<string, string> = {}) =>
    series({ __name__: "lat_bucket", le, ...extra }, [[0, v]]);
  const src = memorySource([
    bucket("0.1", 10),
    bucket("0.5", 30),
    bucket("1", 40),
    bucket("+Inf", 50),
    bucket("+Inf", 7, { h: "inf-only" }),
    bucket("0.1", 10, { h: "non-monotonic" }),
    bucket("0.5", 8, { h: "non-monotonic" }),
    bucket("1", 20, { h: "non-monotonic" }),
    bucket("+Inf", 20, { h: "non-monotonic" }),
    bucket("0.5", 3, { h: "no-inf" }),
  ]);

  it("interpolates linearly inside the bucket holding the rank, from 0 in the lowest", async () => {
    expect(await vec(src, 'histogram_quantile(0.5, lat_bucket{h=""})', 10)).toEqual({ "{}": 0.4 });
    expect((await vec(src, 'histogram_quantile(0.1, lat_bucket{h=""})', 10))["{}"]).toBeCloseTo(0.05, 12);
    // A rank in the +Inf bucket answers the highest finite bound.
    expect(await vec(src, 'histogram_quantile(0.9, lat_bucket{h=""})', 10)).toEqual({ "{}": 1 });
    expect(await vec(src, 'histogram_quantile(-1, lat_bucket{h=""})', 10)).toEqual({ "{}": -Infinity });
    expect(await vec(src, 'histogram_quantile(2, lat_bucket{h=""})', 10)).toEqual({ "{}": Infinity });
  });

  it("answers NaN for +Inf alone or without +Inf, and fixes non-monotonic counts", async () => {
    const all = await vec(src, "histogram_quantile(0.5, lat_bucket)", 10);
    expect(all['{h="inf-only"}']).toBeNaN();
    expect(all['{h="no-inf"}']).toBeNaN();
    // 0.5's count 8 is raised to 10; rank 10 falls in the first bucket: 0.1 × 10/10.
    expect(all['{h="non-monotonic"}']).toBe(0.1);
  });

  it("matches Prometheus's bucketQuantile on edge cases", () => {
    expect(
      bucketQuantile(0.2, [
        { upperBound: -1, count: 5 },
        { upperBound: 0, count: 10 },
        { upperBound: Infinity, count: 10 },
      ]),
    ).toBe(-1);
    expect(bucketQuantile(0.5, [{ upperBound: Infinity, count: 0 }])).toBeNaN();
    expect(
      bucketQuantile(0.5, [
        { upperBound: 1, count: 0 },
        { upperBound: Infinity, count: 0 },
      ]),
    ).toBeNaN();
    expect(quantile(0.5, [])).toBeNaN();
    expect(quantile(0.5, [3, 1, 2])).toBe(2);
  });

  it("is non-decreasing in q for any monotonic histogram", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 8 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (increments, q1, q2) => {
          let c = 0;
          const buckets = increments.map((inc, i) => {
            c += inc;
            return { upperBound: i === increments.length - 1 ? Infinity : (i + 1) * 0.5, count: c };
          });
          const a = bucketQuantile(Math.min(q1, q2), buckets);
          const b = bucketQuantile(Math.max(q1, q2), buckets);
          return Number.isNaN(a) || Number.isNaN(b) || a <= b;
        },
      ),
    );
  });
});

describe("binary operators", () => {
  const src = memorySource([
    series({ __name__: "errors", job: "api", code: "500" }, [[0, 6]]),
    series({ __name__: "errors", job: "db", code: "500" }, [[0, 1]]),
    series({ __name__: "total", job: "api" }, [[0, 60]]),
    series({ __name__: "total", job: "db" }, [[0, 10]]),
    series({ __name__: "info", job: "api", version: "2" }, [[0, 1]]),
    series({ __name__: "other", job: "api" }, [[0, 5]]),
    series({ __name__: "dup", job: "api", a: "1" }, [[0, 1]]),
    series({ __name__: "dup", job: "api", a: "2" }, [[0, 1]]),
  ]);

  it("scalar with scalar, and scalar with vector, dropping the name for arithmetic", async () => {
    expect(await scalar(src, "1 + 2 * 3 ^ 2", 1)).toBe(19);
    expect(await scalar(src, "7 % 4", 1)).toBe(3);
    expect(await scalar(src, "2 > bool 1", 1)).toBe(1);
    expect(await scalar(src, "1 / 0", 1)).toBe(Infinity);
    expect(await vec(src, "total * 2", 1)).toEqual({ '{job="api"}': 120, '{job="db"}': 20 });
    expect(await vec(src, "100 - total", 1)).toEqual({ '{job="api"}': 40, '{job="db"}': 90 });
  });

  it("vector with vector: one-to-one on all labels, or on(...)/ignoring(...)", async () => {
    // One-to-one results drop the ignored labels, as Prometheus's resultMetric does.
    expect(await vec(src, "errors / ignoring(code) total", 1)).toEqual({ '{job="api"}': 0.1, '{job="db"}': 0.1 });
    // on(...) keeps only the listed labels in a one-to-one result.
    expect(await vec(src, "errors / on(job) total", 1)).toEqual({ '{job="api"}': 0.1, '{job="db"}': 0.1 });
    expect(await vec(src, "errors / total", 1)).toEqual({});
  });

  it("group_left copies labels from the one side", async () => {
    expect(await vec(src, "total * on(job) group_left(version) info", 1)).toEqual({ '{job="api",version="2"}': 60 });
  });

  it("comparisons filter and keep the name; bool turns them into 0/1 without the name", async () => {
    expect(await vec(src, "total > 20", 1)).toEqual({ 'total{job="api"}': 60 });
    expect(await vec(src, "20 < total", 1)).toEqual({ 'total{job="api"}': 60 });
    expect(await vec(src, "total > bool 20", 1)).toEqual({ '{job="api"}': 1, '{job="db"}': 0 });
    expect(await vec(src, "total == on(job) (errors * 10)", 1)).toEqual({ '{job="api"}': 60, '{job="db"}': 10 });
  });

  it("and, or, unless match on labels without the name", async () => {
    expect(await vec(src, "total and on(job) errors", 1)).toEqual({ 'total{job="api"}': 60, 'total{job="db"}': 10 });
    expect(await vec(src, "total unless on(job) info", 1)).toEqual({ 'total{job="db"}': 10 });
    expect(await vec(src, "info or on(job) total", 1)).toEqual({
      'info{job="api",version="2"}': 1,
      'total{job="db"}': 10,
    });
  });

  it("unary minus drops the name", async () => {
    expect(await vec(src, "-total", 1)).toEqual({ '{job="api"}': -60, '{job="db"}': -10 });
  });

  it("refuses many-to-many matches and duplicate label sets as Prometheus does", async () => {
    const e = await fails(instantQuery(src, "total + on(job) dup", S));
    expect(e.errorType).toBe("execution");
    expect(e.message).toMatch(/^found duplicate series for the match group \{job="api"\} on the right hand-side/);
    const e2 = await fails(instantQuery(src, "dup + on(job) total", S));
    expect(e2.message).toBe(
      "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
    );
    const e3 = await fails(instantQuery(src, '{__name__=~"total|other", job="api"} * 1', S));
    expect(e3.message).toBe("vector cannot contain metrics with the same labelset");
  });
});

describe("lookback, offset and range queries", () => {
  const src = memorySource([
    series({ __name__: "g", s: "old" }, [[0, 1]]),
    series({ __name__: "g", s: "new" }, [
      [0, 1],
      [300, 2],
      [600, 3],
    ]),
  ]);

  it("an instant vector takes the latest sample within 5 minutes, inclusive", async () => {
    expect(await vec(src, "g", 300)).toEqual({ 'g{s="new"}': 2, 'g{s="old"}': 1 });
    expect(await vec(src, "g", 300.001)).toEqual({ 'g{s="new"}': 2 });
    expect(await vec(src, "g", 299)).toEqual({ 'g{s="new"}': 1, 'g{s="old"}': 1 });
    expect(await vec(src, "timestamp(g)", 301)).toEqual({ '{s="new"}': 300 });
  });

  it("offset shifts the evaluation time back (or forward when negative)", async () => {
    expect(await vec(src, 'g{s="new"} offset 5m', 600)).toEqual({ 'g{s="new"}': 2 });
    expect(await vec(src, 'g{s="new"} offset -5m', 300)).toEqual({ 'g{s="new"}': 3 });
  });

  it("evaluates range queries at start, start+step, ..., end inclusive", async () => {
    const r = await rangeQuery(src, 'g{s="new"}', 0, 600 * S, 150 * S);
    expect(r).toEqual({
      resultType: "matrix",
      result: [
        { labels: { __name__: "g", s: "new" }, ts: [0, 150, 300, 450, 600].map((t) => t * S), values: [1, 1, 2, 2, 3] },
      ],
    });
    const sc = await rangeQuery(src, "time() * 2", 0, 20 * S, 10 * S);
    expect(sc).toEqual({
      resultType: "matrix",
      result: [{ labels: {}, ts: [0, 10 * S, 20 * S], values: [0, 20, 40] }],
    });
  });

  it("asks the source once per selector for the whole window", async () => {
    const s = memorySource([]);
    await rangeQuery(s, "rate(x[5m] offset 1m) + y", 1000 * S, 2000 * S, 10 * S);
    expect(s.calls.map((c) => [c.matchers.map((m) => m.value).join(), c.startMs, c.endMs])).toEqual([
      ["x", (1000 - 60 - 300) * S, (2000 - 60) * S],
      ["y", (1000 - 300) * S, 2000 * S],
    ]);
  });

  it("returns each result type: vector, matrix, scalar, string", async () => {
    expect((await instantQuery(src, "g", 0)).resultType).toBe("vector");
    const m = (await instantQuery(src, 'g{s="new"}[10m]', 600 * S)) as Extract<TQueryResult, { resultType: "matrix" }>;
    expect(m.result[0]?.ts).toEqual([0, 300 * S, 600 * S]);
    expect(await instantQuery(src, "1", 5 * S)).toEqual({ resultType: "scalar", result: 1, timeMs: 5 * S });
    expect(await instantQuery(src, '"hi"', 5 * S)).toEqual({ resultType: "string", result: "hi", timeMs: 5 * S });
  });
});

describe("limits", () => {
  const src = memorySource([series({ __name__: "x" }, [[0, 1]])]);

  it("refuses more than 11,000 points per series", async () => {
    const e = await fails(rangeQuery(src, "x", 0, 11_001 * S, S));
    expect(e).toMatchObject({ errorType: "bad_data" });
    expect(e.message).toBe(
      "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
    );
    await expect(rangeQuery(src, "x", 0, 11_000 * S, S)).resolves.toMatchObject({ resultType: "matrix" });
  });

  it("refuses to read more than 400 days of data", async () => {
    const e = await fails(instantQuery(src, "rate(x[401d])", 1000 * 86_400 * S));
    expect(e.errorType).toBe("bad_data");
    expect(e.message).toMatch(/the limit is 400d/);
    await expect(instantQuery(src, "rate(x[400d])", 1000 * 86_400 * S)).resolves.toBeTruthy();
  });

  it("times out slow sources and long evaluations", async () => {
    const slow: TSampleSource = { select: () => new Promise((r) => setTimeout(() => r([]), 500)) };
    const e = await fails(instantQuery(slow, "x", 0, { timeoutMs: 20 }));
    expect(e).toMatchObject({ errorType: "timeout", message: "query timed out in query execution" });
  });

  it("refuses range queries over range vectors and strings", async () => {
    const e = await fails(rangeQuery(src, "x[5m]", 0, 10 * S, S));
    expect(e.message).toBe('invalid expression type "range vector" for range query, must be Scalar or instant Vector');
  });
});

describe("formatting", () => {
  it("writes values as Go's FormatFloat 'f' -1 and timestamps as seconds", () => {
    expect(formatValue(1.5)).toBe("1.5");
    expect(formatValue(1e21)).toBe("1000000000000000000000");
    expect(formatValue(1.25e-7)).toBe("0.000000125");
    expect(formatValue(Number.NaN)).toBe("NaN");
    expect(formatValue(Infinity)).toBe("+Inf");
    expect(formatValue(-Infinity)).toBe("-Inf");
    expect(formatValue(-0)).toBe("-0");
    expect(formatTimestamp(1_700_000_000_000)).toBe("1700000000");
    expect(formatTimestamp(1_700_000_000_500)).toBe("1700000000.500");
    expect(formatTimestamp(1_700_000_000_007)).toBe("1700000000.007");
  });

  it("round-trips every finite double", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const s = formatValue(v);
        return !/e/i.test(s) && Object.is(Number(s), v);
      }),
    );
  });
});
