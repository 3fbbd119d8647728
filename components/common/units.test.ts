import { describe, expect, it } from "vitest";
import { formatBytes, formatPercent, formatSeconds, formatShort, formatValue, inferUnit } from "./units";

describe("formatSeconds", () => {
  it.each([
    [0, "0 s"],
    [0.0000005, "500 ns"],
    [0.00025, "250 µs"],
    [0.0123, "12.3 ms"],
    [0.25, "250 ms"],
    [1.234, "1.23 s"],
    [59.4, "59.4 s"],
    [60, "1m"],
    [90, "1m 30s"],
    [3600, "1h"],
    [3723, "1h 2m"],
    [93784, "1d 2h"],
    [-0.5, "-500 ms"],
  ])("%s s → %s", (v, want) => expect(formatSeconds(v)).toBe(want));
});

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [512, "512 B"],
    [1536, "1.5 KiB"],
    [1024 * 1024 * 12.34, "12.3 MiB"],
    [5 * 2 ** 30, "5 GiB"],
    [2 ** 40, "1 TiB"],
  ])("%s → %s", (v, want) => expect(formatBytes(v)).toBe(want));
});

describe("formatValue", () => {
  it("formats fractions as percentages for percent and ratio", () => {
    expect(formatValue(0.1234, "percent")).toBe("12.3%");
    expect(formatValue(1, "ratio")).toBe("100%");
    expect(formatValue(0.005, "percent")).toBe("0.5%");
    expect(formatPercent(0)).toBe("0%");
  });
  it("formats milliseconds as durations", () => {
    expect(formatValue(1500, "ms")).toBe("1.5 s");
    expect(formatValue(0.5, "ms")).toBe("500 µs");
  });
  it("adds the rate suffix", () => {
    expect(formatValue(12.345, "reqps")).toBe("12.3 req/s");
    expect(formatValue(2500, "ops")).toBe("2.5k ops/s");
  });
  it("uses SI prefixes for short numbers", () => {
    expect(formatShort(999)).toBe("999");
    expect(formatShort(1234)).toBe("1.23k");
    expect(formatShort(12_300_000)).toBe("12.3M");
    expect(formatShort(-4200)).toBe("-4.2k");
    expect(formatShort(0.5)).toBe("0.5");
    expect(formatShort(0.00001234)).toBe("1.23e-5");
  });
  it("shows missing and special values", () => {
    expect(formatValue(null)).toBe("–");
    expect(formatValue(Number.NaN, "s")).toBe("NaN");
    expect(formatValue(Number.POSITIVE_INFINITY, "bytes")).toBe("+Inf");
  });
});

describe("inferUnit", () => {
  it("reads the unit from the metadata or the name", () => {
    expect(inferUnit("http_server_request_duration_seconds", "", "histogram_quantile")).toBe("s");
    expect(inferUnit("process_resident_memory_bytes", "", "none")).toBe("bytes");
    expect(inferUnit("cache_hit", "ratio", "none")).toBe("ratio");
  });
  it("gives rates of plain counters a per-second unit", () => {
    expect(inferUnit("http_requests_total", "", "rate")).toBe("reqps");
    expect(inferUnit("cache_evictions_total", "", "rate")).toBe("ops");
    expect(inferUnit("http_server_request_duration_seconds_count", "", "rate")).toBe("reqps");
    expect(inferUnit("queue_depth", "", "none")).toBe("short");
  });
});
