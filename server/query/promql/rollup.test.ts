// Range queries over rollup buckets against the same queries over raw samples (in memory: the buckets
// are what the compactor computes from the samples). On the bucket grid they must agree to 1e-9
// relative; off the grid a step is answered as of the grid point before it, and steps in the newest
// bucket read raw samples at their own time.
import { describe, expect, it } from "vitest";
import { instantQuery, rangeQuery, type TEngineOptions } from "./eval";
import { bucketRate, bucketsFromSamples } from "./rollup";
import { close, DAY, expectSameMatrix, HOUR, MIN, T0, workload } from "./rollup-fixtures";
import { memorySource } from "./source";

const QUERIES = [
  "rate(req_total[5m])",
  "increase(req_total[1h])",
  "sum(rate(req_total[2m]))",
  "rate(cpu_seconds_total[5m])",
  "histogram_quantile(0.9, sum by (le) (rate(lat_seconds_bucket[5m])))",
  "histogram_quantile(0.5, rate(lat_seconds_bucket[10m]))",
  "delta(temp[10m])",
  "temp",
  "timestamp(temp)",
  "count_over_time(temp[5m])",
  "sum_over_time(temp[5m])",
  "avg_over_time(temp[15m])",
  "min_over_time(temp[5m])",
  "max_over_time(temp[5m])",
  "last_over_time(temp[3m])",
  "present_over_time(temp[1m])",
  "absent_over_time(temp[5m])",
  "req_total offset 7m",
  "rate(req_total[5m] offset 1h)",
];

describe("range queries over 1 m rollups", () => {
  const data = workload(24);
  const raw = memorySource(data);
  const rolled = memorySource(data, { rollups: true });
  const opts: TEngineOptions = { rollupWidthMs: MIN };

  it.each(QUERIES)("%s over 24 h at a 60 s step on the minute grid equals raw samples", async (q) => {
    const start = T0 + 2 * HOUR;
    const end = T0 + DAY - MIN;
    const want = await rangeQuery(raw, q, start, end, MIN);
    const got = await rangeQuery(rolled, q, start, end, MIN, opts);
    expectSameMatrix(got, want, q);
    expect(rolled.rollupCalls.length).toBeGreaterThan(0);
  });

  it("reads buckets, not samples, for the grid steps", async () => {
    const src = memorySource(data, { rollups: true });
    await rangeQuery(src, "rate(req_total[5m])", T0 + HOUR, T0 + 3 * HOUR, MIN, opts);
    expect(src.calls).toEqual([]);
    expect(src.rollupCalls).toHaveLength(1);
    // End on the grid: no step falls inside the newest bucket, so no raw tail is asked for.
    expect(src.rollupCalls[0]?.req).toMatchObject({ widthMs: MIN, fromMs: T0 + HOUR - 5 * MIN, rawFromMs: undefined });
  });

  it.each([
    "rate(req_total[5m])",
    "histogram_quantile(0.9, sum by (le) (rate(lat_seconds_bucket[5m])))",
    "max_over_time(temp[5m])",
    "temp",
  ])(
    "%s off the grid: each step as of the minute before it, the newest bucket's steps at their own time",
    async (q) => {
      const start = T0 + 5 * HOUR + 12_345;
      const end = T0 + 11 * HOUR + 47_500;
      for (const step of [MIN, 20_000, 5 * MIN]) {
        const got = await rangeQuery(rolled, q, start, end, step, opts);
        if (got.resultType !== "matrix") throw new Error("matrix expected");
        const tailStart = Math.floor(end / MIN) * MIN;
        for (let t = start; t <= end; t += step) {
          const at = t > tailStart ? t : Math.floor(t / MIN) * MIN;
          const want = await instantQuery(raw, q, at);
          if (want.resultType !== "vector") throw new Error("vector expected");
          for (const e of want.result) {
            const s = got.result.find((x) => JSON.stringify(x.labels) === JSON.stringify(e.labels));
            const i = s?.ts.indexOf(t) ?? -1;
            expect(i, `${q} step ${step} at ${t}`).toBeGreaterThanOrEqual(0);
            expect(
              close(s?.values[i] as number, e.value),
              `${q} step ${step} at ${t}: ${s?.values[i]} vs ${e.value}`,
            ).toBe(true);
          }
          const present = got.result.filter((s) => s.ts.includes(t)).length;
          expect(present, `${q} step ${step} at ${t}: series count`).toBe(want.result.length);
        }
      }
    },
  );

  it("keeps the newest steps on raw samples only while raw retention holds their window", async () => {
    const end = T0 + 10 * HOUR + 30_000;
    const src = memorySource(data, { rollups: true });
    await rangeQuery(src, "rate(req_total[5m])", T0 + 9 * HOUR, end, MIN, { ...opts, rawSinceMs: T0 });
    expect(src.rollupCalls[0]?.req.rawFromMs).toBe(T0 + 10 * HOUR - 5 * MIN);
    const late = memorySource(data, { rollups: true });
    const r = await rangeQuery(late, "rate(req_total[5m])", T0 + 9 * HOUR, end, MIN, {
      ...opts,
      rawSinceMs: T0 + 10 * HOUR,
    });
    expect(late.rollupCalls[0]?.req.rawFromMs).toBeUndefined();
    // The last step is then answered on the grid, as of 10:00.
    const want = await instantQuery(raw, "rate(req_total[5m])", T0 + 10 * HOUR);
    if (r.resultType !== "matrix" || want.resultType !== "vector") throw new Error("shapes");
    expect(r.result[0]?.values.at(-1)).toBeCloseTo(want.result[0]?.value as number, 12);
  });
});

describe("range queries over 1 h rollups", () => {
  const data = workload(24 * 3, 11);
  const raw = memorySource(data);
  const rolled = memorySource(data, { rollups: true });

  it.each([
    "rate(req_total[1h])",
    "increase(req_total[3h])",
    "histogram_quantile(0.99, sum by (le) (rate(lat_seconds_bucket[2h])))",
    "max_over_time(temp[1h])",
    "avg_over_time(temp[6h])",
    "temp",
  ])("%s at a 1 h step equals raw samples", async (q) => {
    const start = T0 + 6 * HOUR;
    const end = T0 + 3 * DAY - HOUR;
    expectSameMatrix(
      await rangeQuery(rolled, q, start, end, HOUR, { rollupWidthMs: HOUR }),
      await rangeQuery(raw, q, start, end, HOUR),
      q,
    );
  });
});

describe("bucketRate", () => {
  it("counts resets inside a bucket, between buckets and at the closing sample", () => {
    // Minute 0: 10 → 15 → 3 (reset) → 5; minute 1: 2 (reset) → 9; minute 2 opens at 1 (reset).
    const ts = [0, 15_000, 30_000, 45_000, 60_000, 90_000, 120_000];
    const values = [10, 15, 3, 5, 2, 9, 1];
    const b = bucketsFromSamples(ts, values, MIN);
    const w = { b, lo: 0, hi: 2, extra: true, extraT: 120_000, extraV: 1 };
    const fromBuckets = bucketRate(w, 0, 120_000, 120_000, true, false);
    const fromSamples = 1 - 10 + 15 + 5 + 9; // Prometheus: last − first + the value before each reset
    // 7 samples over 120 s, starting at the range start and ending at its end: no extrapolation.
    expect(fromBuckets).toBe(fromSamples);
  });
});

describe("rollups asked for a query they cannot answer", () => {
  it("reads raw samples instead", async () => {
    const data = workload(2, 5);
    const src = memorySource(data, { rollups: true });
    const q = "irate(req_total[5m]) + rate(req_total[90s])";
    const got = await rangeQuery(src, q, T0 + HOUR, T0 + 2 * HOUR - MIN, MIN, { rollupWidthMs: MIN });
    expect(src.rollupCalls).toEqual([]);
    expectSameMatrix(got, await rangeQuery(memorySource(data), q, T0 + HOUR, T0 + 2 * HOUR - MIN, MIN), q);
  });
});
