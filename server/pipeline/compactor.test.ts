import { describe, expect, it } from "vitest";
import { RollupRows } from "./compactor";

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
