import { describe, expect, it } from "vitest";
import {
  absoluteRange,
  chooseStepMs,
  formatDurationShort,
  isRelativeRange,
  MAX_POINTS,
  parseDurationMs,
  parseTimeExpr,
  rangeDurationMs,
  resolveRange,
} from "./time-range";

const NOW = Date.parse("2025-03-01T12:00:00Z");

describe("parseTimeExpr", () => {
  it("reads now and now±duration", () => {
    expect(parseTimeExpr("now", NOW)).toBe(NOW);
    expect(parseTimeExpr("now-1h", NOW)).toBe(NOW - 3_600_000);
    expect(parseTimeExpr("now-15m", NOW)).toBe(NOW - 900_000);
    expect(parseTimeExpr("now-7d", NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseTimeExpr("now+30s", NOW)).toBe(NOW + 30_000);
    expect(parseTimeExpr("now-1h30m", NOW)).toBe(NOW - 5_400_000);
  });
  it("reads ISO dates and Unix times", () => {
    expect(parseTimeExpr("2025-03-01T11:00:00Z", NOW)).toBe(NOW - 3_600_000);
    expect(parseTimeExpr(String(NOW), NOW)).toBe(NOW);
    expect(parseTimeExpr(String(NOW / 1000), NOW)).toBe(NOW);
  });
  it("refuses what it cannot read", () => {
    expect(parseTimeExpr("now-1x", NOW)).toBeUndefined();
    expect(parseTimeExpr("yesterday", NOW)).toBeUndefined();
    expect(parseTimeExpr("", NOW)).toBeUndefined();
  });
});

describe("ranges", () => {
  it("resolves a relative range against now", () => {
    expect(resolveRange({ from: "now-1h", to: "now" }, NOW)).toEqual({ start: NOW - 3_600_000, end: NOW });
    expect(resolveRange({ from: "now", to: "now-1h" }, NOW)).toBeUndefined();
    expect(rangeDurationMs({ from: "now-6h", to: "now" })).toBe(6 * 3_600_000);
  });
  it("tells relative from absolute ranges and round-trips absolute ones", () => {
    expect(isRelativeRange({ from: "now-1h", to: "now" })).toBe(true);
    const abs = absoluteRange(NOW - 60_000, NOW);
    expect(isRelativeRange(abs)).toBe(false);
    expect(resolveRange(abs, 0)).toEqual({ start: NOW - 60_000, end: NOW });
  });
  it("parses and formats durations", () => {
    expect(parseDurationMs("90s")).toBe(90_000);
    expect(parseDurationMs("1h")).toBe(3_600_000);
    expect(parseDurationMs("h")).toBeUndefined();
    expect(formatDurationShort(90_000)).toBe("90s");
    expect(formatDurationShort(3_600_000)).toBe("1h");
  });
});

describe("chooseStepMs", () => {
  it("never goes below 15 s", () => {
    expect(chooseStepMs(5 * 60_000, 1_200)).toBe(15_000);
    expect(chooseStepMs(60 * 60_000, 1_200)).toBe(15_000);
  });
  it("aims at one point per two pixels, rounded up to a round step", () => {
    // 6 h over 600 points = 36 s → 60 s
    expect(chooseStepMs(6 * 3_600_000, 1_200)).toBe(60_000);
    // 7 d over 500 points ≈ 20 min → 30 min
    expect(chooseStepMs(7 * 86_400_000, 1_000)).toBe(1_800_000);
  });
  it("keeps every range under the point ceiling, however wide the chart", () => {
    for (const d of [3_600_000, 86_400_000, 30 * 86_400_000, 400 * 86_400_000]) {
      const step = chooseStepMs(d, 1_000_000);
      expect(d / step).toBeLessThanOrEqual(MAX_POINTS);
    }
  });
});
