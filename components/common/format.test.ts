import { describe, expect, it } from "vitest";
import { formatDuration } from "./format";

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [75, "1m 15s"],
    [3_723, "1h 2m 3s"],
    [93_784, "1d 2h 3m"],
  ])("%d s → %s", (s, expected) => expect(formatDuration(s)).toBe(expected));
});
