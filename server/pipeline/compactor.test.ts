import { describe, expect, it } from "vitest";
import { mergeAgg, RollupRows, sortDedupe, type TAgg } from "./compactor";

describe("RollupRows", () => {
  it("aggregates per bucket and counts a drop as a counter reset", () => {
    const rows = new RollupRows();
    // Minute 0: 10 → 15 → 3 (reset) → 5; minute 1: 8.
    rows.add(4, [0, 10_000, 20_000, 30_000, 60_000], [10, 15, 3, 5, 8], 60_000);
    expect(rows.size).toBe(2);
    expect(rows.buckets).toEqual([0n, 60_000n]);
    expect(rows.aggs[0]).toEqual({
      firstTs: 0,
      lastTs: 30_000,
      count: 4,
      sum: 33,
      min: 3,
      max: 15,
      first: 10,
      last: 5,
      increase: 5 + 3 + 2,
    });
    expect(rows.aggs[1]).toMatchObject({ count: 1, first: 8, last: 8, increase: 0 });
  });
});

describe("sortDedupe", () => {
  it("sorts by time and keeps the later of two samples with one timestamp", () => {
    expect(sortDedupe([30, 10, 20, 10], [3, 1, 2, 9])).toEqual({ ts: [10, 20, 30], values: [9, 2, 3] });
  });
});

describe("mergeAgg", () => {
  const one = (ts: number[], values: number[]) => {
    const rows = new RollupRows();
    rows.add(1, ts, values, 60_000);
    return rows.aggs[0] as TAgg;
  };

  it("merges a later run into a bucket as one run over all the samples would", () => {
    const ts = [0, 10_000, 20_000, 30_000, 40_000, 50_000];
    const values = [5, 9, 12, 2, 4, 7];
    // Split between 12 and 2: the reset falls on the boundary of the two runs.
    for (const cut of [1, 3, 5]) {
      const held = one(ts.slice(0, cut), values.slice(0, cut));
      mergeAgg(held, one(ts.slice(cut), values.slice(cut)));
      expect(held, `cut at ${cut}`).toEqual(one(ts, values));
    }
  });

  it("skips NaN in min and max unless every value is NaN, as min_over_time and max_over_time do", () => {
    expect(one([0, 1, 2], [Number.NaN, 3, 1])).toMatchObject({ min: 1, max: 3 });
    expect(one([0, 1], [4, Number.NaN])).toMatchObject({ min: 4, max: 4 });
    const held = one([0], [Number.NaN]);
    mergeAgg(held, one([5], [2]));
    expect(held).toMatchObject({ min: 2, max: 2 });
    expect(one([0], [Number.NaN])).toMatchObject({ min: Number.NaN, max: Number.NaN });
  });
});
