import { describe, expect, it } from "vitest";
import { timeTicks } from "./chart-format";

describe("timeTicks", () => {
  const start = Date.parse("2025-03-01T10:03:20Z");
  it("picks the finest round step that fits", () => {
    const ticks = timeTicks(start, start + 3_600_000, 7);
    expect(ticks.length).toBeLessThanOrEqual(7);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    const gaps = new Set(ticks.slice(1).map((t, i) => t - (ticks[i] as number)));
    expect(gaps).toEqual(new Set([600_000]));
  });
  it("stays inside the range and on round times", () => {
    const ticks = timeTicks(start, start + 5 * 60_000, 6);
    for (const t of ticks) {
      expect(t).toBeGreaterThanOrEqual(start);
      expect(t).toBeLessThanOrEqual(start + 5 * 60_000);
      expect(t % 60_000).toBe(0);
    }
  });
  it("returns nothing for an empty range", () => {
    expect(timeTicks(start, start, 5)).toEqual([]);
  });
});
