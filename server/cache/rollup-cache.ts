// Decoded rollup buckets of the past, per series and segment (an hour of 1 m buckets, a day of 1 h
// buckets), so that a range query whose result is not in the query cache (a dashboard's "last 24 h"
// moves with every refresh) reads only its newest segments from the store instead of ~1,440 rows per
// series.
//
// What may be cached: a whole segment, as the rollup tables held it, once it is sealed (it ended more
// than `sealedMs` ago) and no ingest block waiting for compaction had samples in it at the time of the
// read. Such a segment changes only when samples with old timestamps are committed: every commit
// invalidates the segments it touches (the same events as the query cache, on every node), and a read
// that overlaps an invalidation which happened while it ran does not store what it read.
import { LRUCache } from "lru-cache";
import client from "prom-client";
import { SEGMENT_MS } from "../pipeline/segments";
import type { TBuckets } from "../query/promql/source";
import type { TInvalidation } from "./query-cache";

export type TRollupCacheOptions = {
  maxBytes: number;
  /** Segments ending later than this before now are not cached yet (they still fill up). */
  sealedMs?: number;
  registry?: client.Registry;
};

type TEntry = { buckets: TBuckets; full: boolean; bytes: number };

/** One invalidation as the cache remembers it, to refuse stale writes of reads that overlapped it. */
type TLogged = { seq: number; ids: ArrayLike<number>; set?: Set<number>; minTs: number; maxTs: number };

const LOG_MAX = 1000;

export class RollupCache {
  private readonly lru: LRUCache<string, TEntry>;
  private readonly sealedMs: number;
  /** Per series: the span of segments ever cached, so commits of fresh data skip the series. */
  private readonly spans = new Map<number, { oldest: number; newest: number }>();
  private readonly log: TLogged[] = [];
  private seqNo = 0;
  /** Reads that started before this sequence number may have missed an invalidation. */
  private floorSeq = 0;
  private readonly requests: client.Counter<"cache" | "level" | "result"> | undefined;

  constructor(opts: TRollupCacheOptions) {
    this.sealedMs = opts.sealedMs ?? 10 * 60_000;
    this.lru = new LRUCache<string, TEntry>({ maxSize: opts.maxBytes, sizeCalculation: (e) => e.bytes });
    const registry = opts.registry;
    this.requests = registry
      ? ((registry.getSingleMetric("cache_requests_total") as client.Counter<"cache" | "level" | "result">) ??
        new client.Counter({
          name: "cache_requests_total",
          help: "Lookups in Hotpath's own caches, by level and result.",
          labelNames: ["cache", "level", "result"] as const,
          registers: [registry],
        }))
      : undefined;
  }

  static segmentMs(widthMs: number): number {
    const s = SEGMENT_MS[widthMs];
    if (s === undefined) throw new Error(`no rollup segments for buckets of ${widthMs} ms`);
    return s;
  }

  /** Note it before reading the store; pass it to put() with what was read. */
  get seq(): number {
    return this.seqNo;
  }

  get size(): number {
    return this.lru.size;
  }

  /** A cached segment; with `full`, only one that holds the sum, min and max columns too. */
  get(widthMs: number, seriesId: number, segmentStart: number, full: boolean): TBuckets | undefined {
    const e = this.lru.get(key(widthMs, seriesId, segmentStart));
    const hit = e !== undefined && (e.full || !full);
    this.requests?.inc({ cache: "hotpath_rollup_segments", level: "memory", result: hit ? "hit" : "miss" });
    return hit ? e.buckets : undefined;
  }

  /**
   * Stores a whole segment read at `readSeq` (may be empty: the series had no data then), unless it is
   * not sealed at `nowMs` or an invalidation since `readSeq` touched it. Returns whether it was stored.
   */
  put(
    widthMs: number,
    seriesId: number,
    segmentStart: number,
    buckets: TBuckets,
    full: boolean,
    readSeq: number,
    nowMs = Date.now(),
  ): boolean {
    const end = segmentStart + RollupCache.segmentMs(widthMs);
    if (end > nowMs - this.sealedMs) return false;
    if (readSeq < this.floorSeq) return false;
    for (let i = this.log.length - 1; i >= 0; i--) {
      const l = this.log[i] as TLogged;
      if (l.seq <= readSeq) break;
      if (l.maxTs < segmentStart || l.minTs >= end) continue;
      l.set ??= new Set(Array.from(l.ids));
      if (l.set.has(seriesId)) return false;
    }
    const bytes = 256 + buckets.length * 8 * (full ? 10 : 7);
    this.lru.set(key(widthMs, seriesId, segmentStart), { buckets, full, bytes });
    const span = this.spans.get(seriesId);
    if (!span) this.spans.set(seriesId, { oldest: segmentStart, newest: end });
    else {
      span.oldest = Math.min(span.oldest, segmentStart);
      span.newest = Math.max(span.newest, end);
    }
    return true;
  }

  /** Committed data: drop the segments it touches, and remember it for reads in flight. */
  invalidate(inv: TInvalidation): void {
    this.seqNo++;
    this.log.push({ seq: this.seqNo, ids: inv.seriesIds, minTs: inv.minTs, maxTs: inv.maxTs });
    if (this.log.length > LOG_MAX) this.floorSeq = (this.log.shift() as TLogged).seq;
    for (let i = 0; i < inv.seriesIds.length; i++) {
      const id = inv.seriesIds[i] as number;
      const cached = this.spans.get(id);
      // Fresh samples (the usual commit) lie after every cached segment of the series.
      if (cached === undefined || inv.minTs >= cached.newest || inv.maxTs < cached.oldest) continue;
      for (const widthMs of [60_000, 3_600_000]) {
        const span = RollupCache.segmentMs(widthMs);
        const first = Math.floor(Math.max(inv.minTs, cached.oldest) / span) * span;
        const last = Math.min(inv.maxTs, cached.newest);
        for (let s = first; s <= last; s += span) this.lru.delete(key(widthMs, id, s));
      }
    }
  }
}

function key(widthMs: number, seriesId: number, segmentStart: number): string {
  return `${widthMs}:${seriesId}:${segmentStart}`;
}
