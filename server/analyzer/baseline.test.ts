import { describe, expect, it } from "vitest";
import { mulberry32 as seededRandom } from "../../lib/random";
import { changePoint, medianMad, RollingRobust } from "./baseline";

describe("medianMad", () => {
  it("is the median and the median absolute deviation", () => {
    expect(medianMad([1, 2, 3, 4, 100])).toEqual({ median: 3, mad: 1 });
    expect(medianMad([1, 2, 3, 4])).toEqual({ median: 2.5, mad: 1 });
  });
});

describe("RollingRobust", () => {
  it("reduces samples per bucket and keeps the open bucket out of the baseline", () => {
    const r = new RollingRobust({ bucketMs: 10_000, windowMs: 60_000 });
    r.add(0, 10);
    r.add(5_000, 20); // same bucket: mean 15
    r.add(10_000, 30);
    r.add(25_000, 40); // closes the 10 s bucket; 20 s bucket had nothing
    expect(r.values()).toEqual([15, 30]);
    expect(r.current()).toBe(40);
    expect(r.median()).toBe(22.5);
    expect(r.mad()).toBe(7.5);
    // EWMA over closed buckets, alpha 0.1: 15, then 0.1·30 + 0.9·15.
    expect(r.ewma).toBeCloseTo(16.5, 12);
  });

  it("sums counts and forgets buckets older than the window", () => {
    const r = new RollingRobust({ bucketMs: 1000, windowMs: 3000, reduce: "sum" });
    for (let t = 0; t < 6000; t += 500) r.add(t, 1);
    r.advance(6000);
    expect(r.values()).toEqual([2, 2, 2]);
    expect(r.current()).toBeUndefined();
    r.add(3200, 5); // late, for a bucket still in the window
    expect(r.values()).toEqual([7, 2, 2]);
    r.add(1000, 5); // older than the window: dropped
    expect(r.values()).toEqual([7, 2, 2]);
  });

  it("scores with the robust z and floors the MAD so flat series do not explode", () => {
    const r = new RollingRobust({ bucketMs: 1000, windowMs: 100_000, madFloorRatio: 0.05, madFloorAbs: 1 });
    for (let i = 0; i < 20; i++) r.add(i * 1000, 100);
    r.advance(20_000);
    expect(r.mad()).toBe(0);
    expect(r.scale()).toBe(5);
    expect(r.zScore(110)).toBeCloseTo((0.6745 * 10) / 5, 12);

    const zero = new RollingRobust({ bucketMs: 1000, madFloorAbs: 1 });
    for (let i = 0; i < 20; i++) zero.add(i * 1000, 0);
    zero.advance(20_000);
    expect(zero.zScore(1)).toBeCloseTo(0.6745, 12);

    const noisy = new RollingRobust({ bucketMs: 1000 });
    for (const [i, v] of [90, 95, 100, 105, 110].entries()) noisy.add(i * 1000, v);
    noisy.advance(5000);
    expect(noisy.mad()).toBe(5);
    expect(noisy.zScore(200)).toBeCloseTo((0.6745 * 100) / 5, 12);
  });

  it("has no baseline before a bucket closes", () => {
    const r = new RollingRobust();
    expect(r.zScore(5)).toBe(0);
    r.add(0, 5);
    expect(Number.isNaN(r.median())).toBe(true);
    expect(r.ewma).toBeUndefined();
    expect(r.size).toBe(0);
  });

  it("leaves a restart gap out instead of counting it as zeros", () => {
    const r = new RollingRobust({ bucketMs: 1000, windowMs: 60_000 });
    for (let i = 0; i < 10; i++) r.add(i * 1000, 100);
    for (let i = 14; i < 20; i++) r.add(i * 1000, 100);
    r.advance(20_000);
    expect(r.size).toBe(16);
    expect(r.median()).toBe(100);
  });

  it("rejects options that make no window", () => {
    expect(() => new RollingRobust({ bucketMs: 0 })).toThrow(/bucketMs/);
    expect(() => new RollingRobust({ ewmaAlpha: 0 })).toThrow(/ewmaAlpha/);
  });
});

/** 200 latency buckets around `level` with ±3 % uniform noise. */
function noisy(n: number, level: (i: number) => number, seed = 7): number[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => level(i) * (1 + (rnd() - 0.5) * 0.06));
}

describe("changePoint", () => {
  it("fires on a step and places it exactly", () => {
    const values = noisy(200, (i) => (i < 120 ? 100 : 160));
    const cp = changePoint(values);
    expect(cp?.index).toBe(120);
    expect(cp?.before).toBeCloseTo(100, -1);
    expect(cp?.after).toBeCloseTo(160, -1);
    expect(cp?.relative).toBeGreaterThan(0.5);
    expect(cp?.score).toBeGreaterThan(10);
  });

  it("fires on a step down, with exact medians on a clean series", () => {
    const values = Array.from({ length: 40 }, (_, i) => (i < 25 ? 50 : 20));
    expect(changePoint(values)).toEqual({
      index: 25,
      before: 50,
      after: 20,
      magnitude: -30,
      relative: -0.6,
      score: (0.6745 * 30) / (0.02 * 50),
    });
  });

  it("maps the index back past missing points", () => {
    const values: (number | null)[] = noisy(60, (i) => (i < 30 ? 100 : 200));
    values.splice(10, 0, null, null);
    expect(changePoint(values)?.index).toBe(32);
  });

  it("does not fire on a single slow request", () => {
    const values = noisy(200, () => 100);
    values[90] = 4000;
    expect(changePoint(values)).toBeNull();
  });

  it("does not fire on two slow requests in a row either", () => {
    const values = noisy(200, () => 100);
    values[90] = 4000;
    values[91] = 3500;
    expect(changePoint(values)).toBeNull();
  });

  it("does not fire on a smooth daily-like swing", () => {
    // ±40 % around the mean, one full period across the series, as traffic over a day.
    expect(changePoint(noisy(360, (i) => 100 + 40 * Math.sin((2 * Math.PI * i) / 360)))).toBeNull();
    // A much faster swing (a period of 8 windows) still is not a step.
    expect(changePoint(noisy(360, (i) => 100 + 40 * Math.sin((2 * Math.PI * i) / 64)))).toBeNull();
  });

  it("does not fire on a short restart gap of zero or missing buckets", () => {
    const zeros = noisy(200, () => 100);
    zeros.splice(100, 3, 0, 0, 0);
    expect(changePoint(zeros)).toBeNull();
    const missing: (number | undefined)[] = noisy(200, () => 100);
    missing.splice(100, 5, undefined, undefined, undefined, undefined, undefined);
    expect(changePoint(missing)).toBeNull();
  });

  it("does not fire on noise alone, nor on a series too short to hold two segments", () => {
    expect(changePoint(noisy(500, () => 100, 11))).toBeNull();
    expect(changePoint([1, 1, 1, 1, 9, 9, 9, 9])).toBeNull();
  });

  it("ignores a shift too small to matter, however clean", () => {
    expect(changePoint(Array.from({ length: 40 }, (_, i) => (i < 20 ? 100 : 110)))).toBeNull();
  });
});
