import client from "prom-client";
import { describe, expect, it } from "vitest";
import { bucketsFromSamples } from "../query/promql/rollup";
import { RollupCache } from "./rollup-cache";

const MIN = 60_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 1, 12);
const seg = (start: number) => bucketsFromSamples([start + 1000, start + 61_000], [1, 2], MIN, false);

describe("RollupCache", () => {
  it("keeps sealed segments only", () => {
    const c = new RollupCache({ maxBytes: 1e6, sealedMs: 10 * MIN });
    const old = NOW - 2 * HOUR;
    expect(c.put(MIN, 1, old, seg(old), false, c.seq, NOW)).toBe(true);
    expect(c.get(MIN, 1, old, false)).toEqual(seg(old));
    // Ends 5 minutes ago: still filling up as far as the cache knows.
    const recent = NOW - HOUR - 5 * MIN;
    expect(c.put(MIN, 1, recent, seg(recent), false, c.seq, NOW)).toBe(false);
    expect(c.get(MIN, 1, recent, false)).toBeUndefined();
  });

  it("serves a query that needs sum, min and max only from a segment that has them", () => {
    const c = new RollupCache({ maxBytes: 1e6 });
    const s = NOW - 3 * HOUR;
    c.put(MIN, 1, s, seg(s), false, c.seq, NOW);
    expect(c.get(MIN, 1, s, true)).toBeUndefined();
    expect(c.get(MIN, 1, s, false)).toBeDefined();
    c.put(MIN, 1, s, bucketsFromSamples([s + 1000], [1], MIN, true), true, c.seq, NOW);
    expect(c.get(MIN, 1, s, true)).toBeDefined();
  });

  it("drops the segments a commit touches, for that series, at both widths", () => {
    const c = new RollupCache({ maxBytes: 1e6 });
    const day = Math.floor((NOW - 3 * 86_400_000) / 86_400_000) * 86_400_000;
    const h = day + 5 * HOUR;
    c.put(MIN, 1, h, seg(h), false, c.seq, NOW);
    c.put(MIN, 1, h + HOUR, seg(h + HOUR), false, c.seq, NOW);
    c.put(MIN, 2, h, seg(h), false, c.seq, NOW);
    c.put(HOUR, 1, day, seg(day), false, c.seq, NOW);
    // Fresh samples after everything cached touch nothing.
    c.invalidate({ seriesIds: [1, 2], minTs: NOW - 1000, maxTs: NOW });
    expect(c.size).toBe(4);
    c.invalidate({ seriesIds: Int32Array.from([1]), minTs: h + 30 * MIN, maxTs: h + 31 * MIN });
    expect(c.get(MIN, 1, h, false)).toBeUndefined();
    expect(c.get(HOUR, 1, day, false)).toBeUndefined();
    expect(c.get(MIN, 1, h + HOUR, false)).toBeDefined();
    expect(c.get(MIN, 2, h, false)).toBeDefined();
  });

  it("refuses what a read returns when a commit touched it while the read ran", () => {
    const c = new RollupCache({ maxBytes: 1e6 });
    const h = NOW - 5 * HOUR;
    const readSeq = c.seq;
    c.invalidate({ seriesIds: [7], minTs: h + MIN, maxTs: h + MIN });
    expect(c.put(MIN, 7, h, seg(h), false, readSeq, NOW)).toBe(false);
    // Other series and other segments are unaffected; a read that started afterwards may store.
    expect(c.put(MIN, 8, h, seg(h), false, readSeq, NOW)).toBe(true);
    expect(c.put(MIN, 7, h + HOUR, seg(h + HOUR), false, readSeq, NOW)).toBe(true);
    expect(c.put(MIN, 7, h, seg(h), false, c.seq, NOW)).toBe(true);
  });

  it("refuses reads older than the invalidations it still remembers", () => {
    const c = new RollupCache({ maxBytes: 1e6 });
    const readSeq = c.seq;
    for (let i = 0; i < 1001; i++) c.invalidate({ seriesIds: [99], minTs: NOW, maxTs: NOW });
    const h = NOW - 5 * HOUR;
    expect(c.put(MIN, 1, h, seg(h), false, readSeq, NOW)).toBe(false);
    expect(c.put(MIN, 1, h, seg(h), false, c.seq, NOW)).toBe(true);
  });

  it("counts hits and misses", async () => {
    const registry = new client.Registry();
    const c = new RollupCache({ maxBytes: 1e6, registry });
    const h = NOW - 5 * HOUR;
    c.get(MIN, 1, h, false);
    c.put(MIN, 1, h, seg(h), false, c.seq, NOW);
    c.get(MIN, 1, h, false);
    const text = await registry.metrics();
    expect(text).toContain('cache_requests_total{cache="hotpath_rollup_segments",level="memory",result="hit"} 1');
    expect(text).toContain('cache_requests_total{cache="hotpath_rollup_segments",level="memory",result="miss"} 1');
  });
});
