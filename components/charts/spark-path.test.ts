import { describe, expect, it } from "vitest";
import { sparkPath } from "./spark-path";

describe("sparkPath", () => {
  it("spans the box, with zero at the bottom and the largest value at the top", () => {
    expect(sparkPath([0, 5, 10], 24, 12, 2)).toBe("M2 10L12 6L22 2");
  });

  it("joins across missing values and draws nothing without any", () => {
    expect(sparkPath([4, null, 4], 24, 12, 2)).toBe("M2 2L22 2");
    expect(sparkPath([null, undefined, Number.NaN], 24, 12)).toBe("");
    expect(sparkPath([], 24, 12)).toBe("");
  });

  it("keeps an all-zero series on the bottom line and one point visible", () => {
    expect(sparkPath([0, 0], 24, 12, 2)).toBe("M2 10L22 10");
    expect(sparkPath([null, 3, null], 24, 12, 2)).toBe("M10 2L14 2");
  });
});
