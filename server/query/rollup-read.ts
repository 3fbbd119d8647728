// Rollup buckets for a set of series over a time range, complete up to the last committed sample:
// the rows of rollup_1m / rollup_1h plus the ingest blocks the compactor has not reached yet, folded in
// with the compactor's own merge (server/pipeline/compactor.ts mergeAgg), and optionally the raw
// samples of the window's newest part.
//
// One SQL statement reads all three, so it sees one snapshot: a compaction committing meanwhile (which
// moves samples from blocks into chunks and rollups) can neither hide nor double-count them.
//
// Each series' buckets come packed by the database into one base64 text value (fixed-width big-endian
// rows): for a 24 h, 1-minute read of 100 series (144,000 buckets), one result row per bucket cost
// ~500 ms in the client (node-postgres's row parsing, Prisma's result mapping) against ~25 ms in the
// database; packed, the client's share is a few milliseconds and the database's packing dominates.
import { Prisma, type PrismaClient } from "@prisma/client";
import { RollupCache } from "../cache/rollup-cache";
import { mergeAgg, sortDedupe, type TAgg } from "../pipeline/compactor";
import { ROLLUP_TABLES, SEGMENT_MS } from "../pipeline/segments";
import { decodeBlock, decodeChunk } from "../store/codec";
import { allocBuckets, emptyBuckets, foldSamples, setBucket } from "./promql/rollup";
import type { TBuckets, TRollupRequest } from "./promql/source";

export type TRollupRead = { buckets: TBuckets; ts: number[]; values: number[] };

// bucket, first_ts, last_ts (int8), count (int4), first, last, increase (float8) [, sum, min, max].
const ROW_BYTES = 3 * 8 + 4 + 3 * 8;
const ROW_BYTES_FULL = ROW_BYTES + 3 * 8;

export type TRollupReadOptions = {
  /**
   * Statements run side by side: the series are split between them (PostgreSQL then packs rows on
   * several cores). Each statement still reads a series' rollups, chunks and blocks together, so every
   * series stays consistent with itself.
   */
  concurrency?: number;
  /** Sealed segments of the past come from here, and what the store returns for them goes there. */
  cache?: RollupCache;
  nowMs?: number;
};

/** Below this many series a second statement costs more than it saves. */
const MIN_SERIES_PER_STATEMENT = 25;

/** Buckets (and the raw tail) per series. */
export async function readRollups(
  prisma: PrismaClient,
  seriesIds: number[],
  req: TRollupRequest,
  opts: TRollupReadOptions = {},
): Promise<Map<number, TRollupRead>> {
  const out = new Map<number, TRollupRead>();
  if (seriesIds.length === 0) return out;
  const w = req.widthMs;
  const from = Math.floor(req.fromMs / w) * w;
  const cache = opts.cache;
  const readSeq = cache?.seq ?? 0;
  // Per series, the cached segments from the start of the window, up to the first one missing: the
  // store is read from there on.
  const cached = new Map<number, TBuckets[]>();
  const starts = seriesIds.map((id) => {
    if (!cache) return from;
    const span = RollupCache.segmentMs(w);
    const parts: TBuckets[] = [];
    let s = Math.floor(from / span) * span;
    for (; s <= req.toMs; s += span) {
      const seg = cache.get(w, id, s, req.withSumMinMax);
      if (!seg) break;
      parts.push(seg);
    }
    cached.set(id, parts);
    return s;
  });
  const concurrency = opts.concurrency ?? 1;
  const parts =
    concurrency <= 1 || seriesIds.length < 2 * MIN_SERIES_PER_STATEMENT
      ? 1
      : Math.min(concurrency, Math.floor(seriesIds.length / MIN_SERIES_PER_STATEMENT));
  const size = Math.ceil(seriesIds.length / parts);
  const results = await Promise.all(
    Array.from({ length: parts }, (_, i) =>
      readOnce(prisma, seriesIds.slice(i * size, (i + 1) * size), starts.slice(i * size, (i + 1) * size), req),
    ),
  );
  const nowMs = opts.nowMs ?? Date.now();
  for (const r of results) {
    for (const [id, read] of r.series) {
      const prefix = cached.get(id) ?? [];
      if (cache) {
        storeSegments(cache, id, read.stored, read.storedFrom, req, r.pendingFrom, readSeq, nowMs);
      }
      const stored = prefix.length > 0 ? concatBuckets([...prefix, read.stored], from, req.toMs) : read.stored;
      out.set(id, {
        buckets: read.pending ? mergeBuckets(stored, read.pending, req.withSumMinMax) : stored,
        ts: read.ts,
        values: read.values,
      });
    }
  }
  for (const [id, r] of [...out]) {
    if (r.buckets.length === 0 && r.ts.length === 0) out.delete(id);
  }
  return out;
}

/** Caches the whole, sealed segments of what the store returned for one series. */
function storeSegments(
  cache: RollupCache,
  id: number,
  stored: TBuckets,
  storedFrom: number,
  req: TRollupRequest,
  pendingFrom: number,
  readSeq: number,
  nowMs: number,
): void {
  const w = req.widthMs;
  const span = RollupCache.segmentMs(w);
  let i = 0;
  // Whole segments only: the first one read starts on a segment boundary, the last must end by `to`.
  for (let s = storedFrom; s + span - w <= req.toMs && s + span <= pendingFrom; s += span) {
    const lo = i;
    while (i < stored.length && (stored.bucket[i] as number) < s + span) i++;
    cache.put(w, id, s, sliceBuckets(stored, lo, i), req.withSumMinMax, readSeq, nowMs);
  }
}

type TOnce = {
  series: Map<
    number,
    { stored: TBuckets; storedFrom: number; pending: Map<number, TAgg> | undefined; ts: number[]; values: number[] }
  >;
  /** The oldest sample of these series still in an ingest block: segments from there on may change. */
  pendingFrom: number;
};

async function readOnce(
  prisma: PrismaClient,
  seriesIds: number[],
  starts: number[],
  req: TRollupRequest,
): Promise<TOnce> {
  const series: TOnce["series"] = new Map();
  const table = ROLLUP_TABLES[req.widthMs];
  if (!table) throw new Error(`no rollup table for buckets of ${req.widthMs} ms`);
  const w = req.widthMs;
  const from = Math.floor(req.fromMs / w) * w;
  const to = BigInt(Math.floor(req.toMs));
  // The newest bucket also holds samples after `to`; blocks are folded over the same span.
  const foldEnd = Math.floor(req.toMs / w) * w + w;
  // Rows are read from segment starts that may precede `from`: blocks are looked at from there, so
  // that a segment with samples still waiting for compaction is never cached.
  const blockFrom = Math.min(from, ...starts);
  const packed = req.withSumMinMax
    ? Prisma.sql`int8send(bucket) || int8send(first_ts) || int8send(last_ts) || int4send(count) || float8send(first) || float8send(last) || float8send(increase) || float8send(sum) || float8send(min) || float8send(max)`
    : Prisma.sql`int8send(bucket) || int8send(first_ts) || int8send(last_ts) || int4send(count) || float8send(first) || float8send(last) || float8send(increase)`;
  const chunks =
    req.rawFromMs === undefined
      ? Prisma.empty
      : Prisma.sql`UNION ALL
        SELECT 1, series_id, 0::int8, count, encode(data, 'base64'), '' FROM sample_chunk
        WHERE series_id = ANY(${seriesIds}::int[]) AND end_ts >= ${BigInt(Math.floor(req.rawFromMs))} AND start_ts <= ${to}`;
  const span = BigInt(SEGMENT_MS[w] as number);
  const startsBig = starts.map((x) => BigInt(x));
  // Below the width's seal, buckets come packed per segment (rollup_segment, server/pipeline/
  // segments.ts); from there on the database packs the rows. Both under the one snapshot.
  const rows = await prisma.$queryRaw<
    { kind: number; id: number; seq: bigint; n: number; data: string; extra: string }[]
  >`
    WITH seal AS (SELECT COALESCE(max(sealed_to), 0) AS t FROM rollup_seal WHERE width = ${w})
    SELECT 0 AS kind, q.id, 0::int8 AS seq, x.n, x.data, ''::text AS extra
    FROM unnest(${seriesIds}::int[], ${startsBig}::int8[]) AS q(id, st)
    CROSS JOIN seal
    -- LATERAL: one index range scan per series (a join let the planner pick a scan of the whole table).
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS n, encode(string_agg(${packed}, ''::bytea), 'base64') AS data
      FROM ${Prisma.raw(table)} r WHERE r.series_id = q.id AND r.bucket >= GREATEST(q.st, seal.t) AND r.bucket <= ${to}
    ) x
    WHERE x.n > 0
    UNION ALL
    SELECT 3, g.series_id, g.start, g.count, g.data, ${req.withSumMinMax ? Prisma.sql`g.extra` : Prisma.sql`''`}
    FROM unnest(${seriesIds}::int[], ${startsBig}::int8[]) AS q(id, st)
    CROSS JOIN seal
    JOIN rollup_segment g ON g.width = ${w} AND g.series_id = q.id AND g.start > q.st - ${span}
      AND g.start < seal.t AND g.start <= ${to}
    ${chunks}
    UNION ALL
    SELECT 2, 0, id, count, encode(data, 'base64'), '' FROM ingest_block
    WHERE max_ts >= ${BigInt(blockFrom)} AND min_ts < ${BigInt(foldEnd)}`;

  const entry = (id: number) => {
    let e = series.get(id);
    if (!e) {
      e = { stored: emptyBuckets(), storedFrom: 0, pending: undefined, ts: [], values: [] };
      series.set(id, e);
    }
    return e;
  };
  seriesIds.forEach((id, i) => {
    entry(id).storedFrom = starts[i] as number;
  });
  const rawFrom = req.rawFromMs ?? Number.POSITIVE_INFINITY;
  const rawTo = req.toMs;
  const wanted = new Set(seriesIds);
  const blocks: { seq: bigint; n: number; data: Buffer }[] = [];
  const sealed = new Map<number, TSegmentRow[]>();
  for (const r of rows) {
    if (r.kind === 0) {
      entry(r.id).stored = unpack(Buffer.from(r.data, "base64"), r.n, req.withSumMinMax);
    } else if (r.kind === 3) {
      const list = sealed.get(r.id) ?? [];
      list.push({ start: Number(r.seq), n: r.n, data: r.data, extra: req.withSumMinMax ? r.extra : undefined });
      sealed.set(r.id, list);
    } else if (r.kind === 1) {
      const d = decodeChunk(Buffer.from(r.data, "base64"), r.n);
      const dst = entry(r.id);
      for (let i = 0; i < r.n; i++) {
        const t = d.ts[i] as number;
        if (t < rawFrom || t > rawTo) continue;
        dst.ts.push(t);
        dst.values.push(d.values[i] as number);
      }
    } else {
      blocks.push({ seq: BigInt(r.seq), n: r.n, data: Buffer.from(r.data, "base64") });
    }
  }
  // A later write of the same (series, time) wins: blocks are newer than chunks, and among blocks the
  // id is the commit order (the statement returns rows in no particular order).
  blocks.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  const pending = new Map<number, { ts: number[]; values: number[] }>();
  let pendingFrom = Number.POSITIVE_INFINITY;
  for (const b of blocks) {
    const d = decodeBlock(b.data, b.n);
    for (let i = 0; i < b.n; i++) {
      const id = d.seriesIds[i] as number;
      if (!wanted.has(id)) continue;
      const t = d.ts[i] as number;
      const v = d.values[i] as number;
      if (t >= rawFrom && t <= rawTo) {
        const dst = entry(id);
        dst.ts.push(t);
        dst.values.push(v);
      }
      if (t < blockFrom || t >= foldEnd) continue;
      if (t < pendingFrom) pendingFrom = t;
      if (t < from) continue;
      let p = pending.get(id);
      if (!p) {
        p = { ts: [], values: [] };
        pending.set(id, p);
      }
      p.ts.push(t);
      p.values.push(v);
    }
  }
  for (const [id, list] of sealed) {
    const e = entry(id);
    e.stored = assembleSealed(list, e.stored, w, e.storedFrom, req.toMs, req.withSumMinMax);
  }
  for (const [id, p] of pending) {
    const sorted = sortDedupe(p.ts, p.values);
    const add = new Map<number, TAgg>();
    foldSamples(add, sorted.ts, sorted.values, w);
    entry(id).pending = add;
  }
  for (const e of series.values()) {
    if (e.ts.length === 0) continue;
    const sorted = sortDedupe(e.ts, e.values);
    e.ts = sorted.ts;
    e.values = sorted.values;
  }
  return { series, pendingFrom };
}

function sliceBuckets(b: TBuckets, lo: number, hi: number): TBuckets {
  const out = { ...b, length: hi - lo };
  for (const c of COLUMNS) {
    if (b[c].length > 0) out[c] = b[c].slice(lo, hi);
  }
  return out;
}

/** Buckets of consecutive parts, limited to [fromMs, toMs]. */
function concatBuckets(parts: TBuckets[], fromMs: number, toMs: number): TBuckets {
  const keep = parts.map((p) => {
    let lo = 0;
    while (lo < p.length && (p.bucket[lo] as number) < fromMs) lo++;
    let hi = p.length;
    while (hi > lo && (p.bucket[hi - 1] as number) > toMs) hi--;
    return { p, lo, hi };
  });
  const n = keep.reduce((a, k) => a + k.hi - k.lo, 0);
  const full = parts.every((p) => p.sum.length === p.length);
  const out: TBuckets = { ...emptyBuckets(), length: n };
  for (const c of COLUMNS) {
    if (!full && (c === "sum" || c === "min" || c === "max")) continue;
    const dst = new Float64Array(n);
    let j = 0;
    // An element loop: a subarray view per segment and column cost more than the copy itself.
    for (const k of keep) {
      const src = k.p[c];
      for (let i = k.lo; i < k.hi; i++) dst[j++] = src[i] as number;
    }
    out[c] = dst;
  }
  return out;
}

/** Decodes `n` packed rows; sorts them by bucket if the database did not return them in order. */
export function unpack(buf: Buffer, n: number, full: boolean): TBuckets {
  const size = full ? ROW_BYTES_FULL : ROW_BYTES;
  if (buf.length !== n * size) throw new Error(`rollup rows: expected ${n * size} bytes, got ${buf.length}`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const b = allocBuckets(n, full);
  const i64 = (o: number) => dv.getInt32(o) * 4294967296 + dv.getUint32(o + 4);
  let sorted = true;
  for (let i = 0, o = 0; i < n; i++, o += size) {
    b.bucket[i] = i64(o);
    b.firstTs[i] = i64(o + 8);
    b.lastTs[i] = i64(o + 16);
    b.count[i] = dv.getInt32(o + 24);
    b.first[i] = dv.getFloat64(o + 28);
    b.last[i] = dv.getFloat64(o + 36);
    b.increase[i] = dv.getFloat64(o + 44);
    if (full) {
      b.sum[i] = dv.getFloat64(o + 52);
      b.min[i] = dv.getFloat64(o + 60);
      b.max[i] = dv.getFloat64(o + 68);
    }
    if (i > 0 && (b.bucket[i] as number) < (b.bucket[i - 1] as number)) sorted = false;
  }
  return sorted ? b : sortBuckets(b);
}

// A segment row: bucket index (int2), first_ts and last_ts offsets (int4), count (int4), first, last,
// increase (float8); its extra: sum, min, max (float8). server/pipeline/segments.ts writes them.
const SEGMENT_ROW_BYTES = 2 + 3 * 4 + 3 * 8;
const SEGMENT_EXTRA_BYTES = 3 * 8;

type TSegmentRow = { start: number; n: number; data: string; extra: string | undefined };

/**
 * One series' buckets: its sealed segments decoded in order straight into one allocation, then the
 * rows after the seal, limited to [fromMs, toMs]. (Decoding each segment on its own and concatenating
 * them cost more than the database's part of the read.)
 */
function assembleSealed(
  segments: TSegmentRow[],
  after: TBuckets,
  widthMs: number,
  fromMs: number,
  toMs: number,
  full: boolean,
): TBuckets {
  segments.sort((a, b) => a.start - b.start);
  let n = after.length;
  for (const s of segments) n += s.n;
  const b = allocBuckets(n, full);
  let i = 0;
  for (const s of segments) {
    const data = Buffer.from(s.data, "base64");
    if (data.length !== s.n * SEGMENT_ROW_BYTES)
      throw new Error(`rollup segment at ${s.start}: expected ${s.n * SEGMENT_ROW_BYTES} bytes, got ${data.length}`);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let k = 0, o = 0; k < s.n; k++, o += SEGMENT_ROW_BYTES, i++) {
      const bucket = s.start + dv.getInt16(o) * widthMs;
      b.bucket[i] = bucket;
      b.firstTs[i] = bucket + dv.getInt32(o + 2);
      b.lastTs[i] = bucket + dv.getInt32(o + 6);
      b.count[i] = dv.getInt32(o + 10);
      b.first[i] = dv.getFloat64(o + 14);
      b.last[i] = dv.getFloat64(o + 22);
      b.increase[i] = dv.getFloat64(o + 30);
    }
    if (full) {
      const extra = Buffer.from(s.extra ?? "", "base64");
      if (extra.length !== s.n * SEGMENT_EXTRA_BYTES)
        throw new Error(
          `rollup segment at ${s.start}: expected ${s.n * SEGMENT_EXTRA_BYTES} extra bytes, got ${extra.length}`,
        );
      const ev = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
      for (let k = 0, o = 0, j = i - s.n; k < s.n; k++, o += SEGMENT_EXTRA_BYTES, j++) {
        b.sum[j] = ev.getFloat64(o);
        b.min[j] = ev.getFloat64(o + 8);
        b.max[j] = ev.getFloat64(o + 16);
      }
    }
  }
  for (const c of COLUMNS) {
    if (after[c].length > 0 && b[c].length > 0) b[c].set(after[c], i);
  }
  let lo = 0;
  while (lo < n && (b.bucket[lo] as number) < fromMs) lo++;
  let hi = n;
  while (hi > lo && (b.bucket[hi - 1] as number) > toMs) hi--;
  return lo === 0 && hi === n ? b : sliceBuckets(b, lo, hi);
}

const COLUMNS = ["bucket", "firstTs", "lastTs", "count", "first", "last", "increase", "sum", "min", "max"] as const;

function sortBuckets(b: TBuckets): TBuckets {
  const order = Array.from({ length: b.length }, (_, i) => i).sort(
    (x, y) => (b.bucket[x] as number) - (b.bucket[y] as number),
  );
  const out = { ...b };
  for (const c of COLUMNS) {
    const src = b[c];
    if (src.length === 0) continue;
    const dst = new Float64Array(b.length);
    for (let i = 0; i < order.length; i++) dst[i] = src[order[i] as number] as number;
    out[c] = dst;
  }
  return out;
}

function aggAt(b: TBuckets, i: number, full: boolean): TAgg {
  return {
    firstTs: b.firstTs[i] as number,
    lastTs: b.lastTs[i] as number,
    count: b.count[i] as number,
    sum: full ? (b.sum[i] as number) : 0,
    min: full ? (b.min[i] as number) : 0,
    max: full ? (b.max[i] as number) : 0,
    first: b.first[i] as number,
    last: b.last[i] as number,
    increase: b.increase[i] as number,
  };
}

/** Stored buckets with per-bucket additions merged in as the compactor's upsert would. */
export function mergeBuckets(held: TBuckets, add: Map<number, TAgg>, full: boolean): TBuckets {
  const keys = [...add.keys()].sort((a, b) => a - b);
  const n = held.length + keys.filter((k) => !hasBucket(held, k)).length;
  const out = allocBuckets(n, full);
  const put = (j: number, bucket: number, a: TAgg) => setBucket(out, j, bucket, a, full);
  // Blocks waiting for compaction hold the newest samples: the buckets before the first of them are
  // copied as they are, column by column, rather than one object per bucket.
  const first = keys.length > 0 ? lowerBound(held, keys[0] as number) : held.length;
  for (const c of COLUMNS) {
    if (out[c].length > 0 && held[c].length > 0) out[c].set(held[c].subarray(0, first));
  }
  let i = first;
  let k = 0;
  let j = first;
  while (i < held.length || k < keys.length) {
    const hb = i < held.length ? (held.bucket[i] as number) : Number.POSITIVE_INFINITY;
    const kb = k < keys.length ? (keys[k] as number) : Number.POSITIVE_INFINITY;
    if (hb < kb) {
      put(j++, hb, aggAt(held, i++, full));
    } else if (kb < hb) {
      put(j++, kb, add.get(kb) as TAgg);
      k++;
    } else {
      const a = aggAt(held, i++, full);
      mergeAgg(a, add.get(kb) as TAgg);
      put(j++, hb, a);
      k++;
    }
  }
  return out;
}

function hasBucket(b: TBuckets, bucket: number): boolean {
  const lo = lowerBound(b, bucket);
  return lo < b.length && b.bucket[lo] === bucket;
}

/** The index of the first bucket not before `bucket`. */
function lowerBound(b: TBuckets, bucket: number): number {
  let lo = 0;
  let hi = b.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((b.bucket[mid] as number) < bucket) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
