// Moves committed ingest blocks into per-series chunks and 1-minute / 1-hour rollups, then deletes
// the blocks, all in one transaction: a crash repeats a run, never half of one. Queries read chunks
// plus the blocks not compacted yet, so nothing is invisible meanwhile. Retention runs here too.
import type { PrismaClient } from "@prisma/client";
import { decodeBlock, encodeChunk } from "../store/codec";
import { pruneSegments, repackTouched } from "./segments";

export type TCompactorOptions = {
  /** Blocks younger than this stay as they are (they are still cheap to scan). */
  minAgeMs: number;
  /** Samples per run, to bound memory and transaction size. */
  maxSamplesPerRun: number;
};

export type TCompactionResult = {
  blocks: number;
  samples: number;
  chunks: number;
  rollups1m: number;
  rollups1h: number;
};

/** One rollup row's aggregates (rollup_1m / rollup_1h columns but `series_id` and `bucket`). */
export type TAgg = {
  firstTs: number;
  lastTs: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  last: number;
  increase: number;
};

export async function compactOnce(prisma: PrismaClient, opts: TCompactorOptions): Promise<TCompactionResult> {
  const cutoff = new Date(Date.now() - opts.minAgeMs);
  const candidates = await prisma.ingestBlock.findMany({
    where: { createdAt: { lt: cutoff } },
    select: { id: true, count: true },
    orderBy: { id: "asc" },
    take: 1000,
  });
  const picked: bigint[] = [];
  let total = 0;
  for (const c of candidates) {
    if (picked.length > 0 && total + c.count > opts.maxSamplesPerRun) break;
    picked.push(c.id);
    total += c.count;
  }
  if (picked.length === 0) return { blocks: 0, samples: 0, chunks: 0, rollups1m: 0, rollups1h: 0 };
  // As base64 text: Prisma's bytea results cost ~4× the transfer itself (bench/query.ts backfill).
  const blocks = await prisma.$queryRaw<{ count: number; data: string }[]>`
    SELECT count, encode(data, 'base64') AS data FROM ingest_block WHERE id = ANY(${picked}::int8[]) ORDER BY id`;

  // Samples of one series, in arrival order; sorted by time below.
  const bySeries = new Map<number, { ts: number[]; values: number[] }>();
  for (const b of blocks) {
    if (b.count > 10_000) await new Promise((r) => setImmediate(r));
    const cols = decodeBlock(Buffer.from(b.data, "base64"), b.count);
    for (let i = 0; i < b.count; i++) {
      const id = cols.seriesIds[i] as number;
      let s = bySeries.get(id);
      if (!s) {
        s = { ts: [], values: [] };
        bySeries.set(id, s);
      }
      s.ts.push(cols.ts[i] as number);
      s.values.push(cols.values[i] as number);
    }
  }
  const batch = picked[picked.length - 1] as bigint;

  const chunk = {
    ids: [] as number[],
    start: [] as number[],
    end: [] as number[],
    count: [] as number[],
    data: [] as string[],
  };
  const r1m = new RollupRows();
  const r1h = new RollupRows();
  let sinceYield = 0;
  for (const [id, s] of bySeries) {
    const { ts, values } = sortDedupe(s.ts, s.values);
    chunk.ids.push(id);
    chunk.start.push(ts[0] as number);
    chunk.end.push(ts[ts.length - 1] as number);
    chunk.count.push(ts.length);
    chunk.data.push(encodeChunk(ts, values).toString("base64"));
    r1m.add(id, ts, values, 60_000);
    r1h.add(id, ts, values, 3_600_000);
    // A backlog run sorts and aggregates ~500k samples: let queries and pushes in now and then.
    sinceYield += ts.length;
    if (sinceYield >= 50_000) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
  }

  await prisma.$transaction(
    async (tx) => {
      // Columns as array literals (see upsertRollups); base64 needs no quoting inside one.
      await tx.$executeRawUnsafe(
        `INSERT INTO sample_chunk (series_id, start_ts, end_ts, batch, count, data)
        SELECT s, st, en, $1::int8, c, decode(d, 'base64')
        FROM unnest($2::int[], $3::int8[], $4::int8[], $5::int[], $6::text[]) AS x(s, st, en, c, d)
        ON CONFLICT DO NOTHING`,
        batch,
        arrayLiteral(chunk.ids),
        arrayLiteral(chunk.start),
        arrayLiteral(chunk.end),
        arrayLiteral(chunk.count),
        arrayLiteral(chunk.data),
      );
      await upsertRollups(tx as unknown as PrismaClient, "rollup_1m", r1m);
      await upsertRollups(tx as unknown as PrismaClient, "rollup_1h", r1h);
      // Old timestamps land in sealed segments: those are packed again with the rows just written.
      await repackTouched(tx as unknown as PrismaClient, 60_000, r1m.ids, r1m.buckets);
      await repackTouched(tx as unknown as PrismaClient, 3_600_000, r1h.ids, r1h.buckets);
      await tx.$executeRaw`DELETE FROM ingest_block WHERE id = ANY(${picked}::int8[])`;
      await tx.$executeRaw`UPDATE series SET last_seen = now() WHERE id = ANY(${chunk.ids}::int[])`;
    },
    // Prisma's default of 5 s is shorter than a backlog run takes (a day of backfill for 200 series:
    // ~7 s per run on a busy two-core machine); past it, every retry failed the same way and the
    // backlog never compacted.
    { timeout: 120_000, maxWait: 30_000 },
  );
  return { blocks: picked.length, samples: total, chunks: chunk.ids.length, rollups1m: r1m.size, rollups1h: r1h.size };
}

/**
 * Sorts one series' samples by time. The same timestamp pushed twice keeps the later value, as the
 * raw read path does (server/query/raw.ts), so chunks and rollups agree with it. The sort is stable:
 * `ts` is in arrival order.
 */
export function sortDedupe(ts0: number[], values0: number[]): { ts: number[]; values: number[] } {
  const order = ts0.map((_, i) => i).sort((a, b) => (ts0[a] as number) - (ts0[b] as number));
  const ts: number[] = [];
  const values: number[] = [];
  for (const i of order) {
    const t = ts0[i] as number;
    if (ts.length > 0 && ts[ts.length - 1] === t) values[values.length - 1] = values0[i] as number;
    else {
      ts.push(t);
      values.push(values0[i] as number);
    }
  }
  return { ts, values };
}

/**
 * What the upsert in `upsertRollups` does when a run adds `add` to a bucket that already holds `into`,
 * in JavaScript: the query path folds blocks not compacted yet into the stored rollups with it
 * (server/query/rollup-read.ts), so a bucket reads the same before and after its blocks are compacted.
 * Keep the two in step.
 */
export function mergeAgg(into: TAgg, add: TAgg): void {
  // Same association as the SQL, so both round alike.
  into.increase =
    into.increase +
    add.increase +
    (add.firstTs > into.lastTs ? (add.first >= into.last ? add.first - into.last : add.first) : 0);
  into.count += add.count;
  into.sum += add.sum;
  into.min = minOf(into.min, add.min);
  into.max = maxOf(into.max, add.max);
  if (add.firstTs < into.firstTs) {
    into.first = add.first;
    into.firstTs = add.firstTs;
  }
  if (add.lastTs >= into.lastTs) {
    into.last = add.last;
    into.lastTs = add.lastTs;
  }
}

// min and max skip NaN unless every value is NaN, as Prometheus's min_over_time / max_over_time do.
function minOf(a: number, b: number): number {
  return b < a || Number.isNaN(a) ? b : a;
}

function maxOf(a: number, b: number): number {
  return b > a || Number.isNaN(a) ? b : a;
}

/** Per-(series, bucket) aggregates of sorted samples; exported for its unit test. */
export class RollupRows {
  ids: number[] = [];
  buckets: bigint[] = [];
  aggs: TAgg[] = [];
  get size() {
    return this.ids.length;
  }
  /** `ts` sorted ascending. Increase counts a drop as a counter reset, as Prometheus does. */
  add(id: number, ts: number[], values: number[], width: number): void {
    let current: TAgg | undefined;
    let bucket = Number.NaN;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i] as number;
      const v = values[i] as number;
      const b = Math.floor(t / width) * width;
      if (b !== bucket || !current) {
        current = { firstTs: t, lastTs: t, count: 0, sum: 0, min: v, max: v, first: v, last: v, increase: 0 };
        bucket = b;
        this.ids.push(id);
        this.buckets.push(BigInt(b));
        this.aggs.push(current);
      } else {
        current.increase += v >= current.last ? v - current.last : v;
      }
      current.count++;
      current.sum += v;
      current.min = minOf(current.min, v);
      current.max = maxOf(current.max, v);
      current.last = v;
      current.lastTs = t;
    }
  }
}

async function upsertRollups(tx: PrismaClient, table: "rollup_1m" | "rollup_1h", rows: RollupRows): Promise<void> {
  if (rows.size === 0) return;
  const a = rows.aggs;
  const col = (f: (x: TAgg) => number | string) => arrayLiteral(a.map(f));
  // PostgreSQL orders NaN above every number, so min and max spell out the NaN-skipping rule of minOf/maxOf.
  const sql = `INSERT INTO ${table} AS r (series_id, bucket, first_ts, last_ts, count, sum, min, max, first, last, increase)
    SELECT * FROM unnest($1::int[], $2::int8[], $3::int8[], $4::int8[], $5::int[], $6::float8[], $7::float8[],
      $8::float8[], $9::float8[], $10::float8[], $11::float8[])
    ON CONFLICT (series_id, bucket) DO UPDATE SET
      count = r.count + EXCLUDED.count,
      sum = r.sum + EXCLUDED.sum,
      min = CASE WHEN EXCLUDED.min < r.min OR r.min = 'NaN' THEN EXCLUDED.min ELSE r.min END,
      max = CASE WHEN (EXCLUDED.max > r.max AND EXCLUDED.max <> 'NaN') OR r.max = 'NaN' THEN EXCLUDED.max ELSE r.max END,
      first = CASE WHEN EXCLUDED.first_ts < r.first_ts THEN EXCLUDED.first ELSE r.first END,
      first_ts = LEAST(r.first_ts, EXCLUDED.first_ts),
      last = CASE WHEN EXCLUDED.last_ts >= r.last_ts THEN EXCLUDED.last ELSE r.last END,
      last_ts = GREATEST(r.last_ts, EXCLUDED.last_ts),
      increase = r.increase + EXCLUDED.increase + CASE
        WHEN EXCLUDED.first_ts > r.last_ts THEN CASE WHEN EXCLUDED.first >= r.last THEN EXCLUDED.first - r.last ELSE EXCLUDED.first END
        ELSE 0 END`;
  // Each column goes as one array literal: PostgreSQL parses it in C, where binding arrays of 100k
  // elements through Prisma cost seconds per run (a backfill's run writes ~100k rows).
  await tx.$executeRawUnsafe(
    sql,
    arrayLiteral(rows.ids),
    arrayLiteral(rows.buckets),
    col((x) => x.firstTs),
    col((x) => x.lastTs),
    col((x) => x.count),
    col((x) => floatText(x.sum)),
    col((x) => floatText(x.min)),
    col((x) => floatText(x.max)),
    col((x) => floatText(x.first)),
    col((x) => floatText(x.last)),
    col((x) => floatText(x.increase)),
  );
}

/** A PostgreSQL array literal of numbers (or their float8 spellings: NaN, Infinity). */
function arrayLiteral(xs: ArrayLike<number | bigint | string>): string {
  return `{${Array.prototype.join.call(xs, ",")}}`;
}

function floatText(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Number.POSITIVE_INFINITY) return "Infinity";
  if (x === Number.NEGATIVE_INFINITY) return "-Infinity";
  return String(x);
}

export async function applyRetention(
  prisma: PrismaClient,
  retention: { rawMs: number; rollup1mMs: number; rollup1hMs: number },
  now = Date.now(),
): Promise<{ chunks: number; rollups1m: number; rollups1h: number; spans: number }> {
  const chunks = await prisma.$executeRaw`DELETE FROM sample_chunk WHERE end_ts < ${BigInt(now - retention.rawMs)}`;
  const rollups1m =
    await prisma.$executeRaw`DELETE FROM rollup_1m WHERE bucket < ${BigInt(now - retention.rollup1mMs)}`;
  const rollups1h =
    await prisma.$executeRaw`DELETE FROM rollup_1h WHERE bucket < ${BigInt(now - retention.rollup1hMs)}`;
  await pruneSegments(prisma, 60_000, now - retention.rollup1mMs);
  await pruneSegments(prisma, 3_600_000, now - retention.rollup1hMs);
  const spans =
    await prisma.$executeRaw`DELETE FROM span WHERE start_ns < ${BigInt(now - retention.rawMs) * 1_000_000n}`;
  return { chunks, rollups1m, rollups1h, spans };
}
