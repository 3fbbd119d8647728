// Sealed rollups packed per series and segment (rollup_segment): a 24 h read of 1-minute buckets then
// takes 25 rows per series where it took 1,440, and the database no longer packs every bucket on each
// read (that packing was ~80 % of a cold 24 h query on PostgreSQL).
//
// The rollup rows stay the source of truth; segments are a copy of them below `rollup_seal.sealed_to`,
// one per width. The sealer moves that watermark forward a few segments at a time. The compactor,
// when it writes rollup rows below the watermark (samples with old timestamps), packs the segments it
// touched again in the same transaction. The two agree through the watermark's row lock: the sealer
// holds it FOR UPDATE while it packs and moves it; the compactor reads it FOR SHARE after writing its
// rows, so either the sealer's packing sees the compactor's committed rows, or the compactor sees the
// new watermark and packs those segments itself.
import type { PrismaClient } from "@prisma/client";

/** Segment span per rollup width: an hour of 1-minute buckets, a day of 1-hour buckets. */
export const SEGMENT_MS: Readonly<Record<number, number>> = { 60000: 3_600_000, 3600000: 86_400_000 };

export const ROLLUP_TABLES: Readonly<Record<number, "rollup_1m" | "rollup_1h">> = {
  60000: "rollup_1m",
  3600000: "rollup_1h",
};

/**
 * A segment row's bytes, big-endian (server/query/rollup-read.ts decodes them), 38 per bucket: the
 * bucket's index in its segment (int2), first_ts and last_ts as offsets from the bucket (int4), count
 * (int4), first, last, increase (float8). Offsets and the index rather than three int8 times, and sum,
 * min, max apart: a 24 h read of a rate or a quantile moves half the bytes it would otherwise.
 */
function packCore(width: number, span: number): string {
  return `int2send((mod(bucket, ${span}::int8) / ${width})::int2) || int4send((first_ts - bucket)::int4) || int4send((last_ts - bucket)::int4) || int4send(count) || float8send(first) || float8send(last) || float8send(increase)`;
}
const PACK_EXTRA = "float8send(sum) || float8send(min) || float8send(max)";

/** The select list of a segment from rows grouped by series and segment start `st`. */
function segmentColumns(width: number, span: number): string {
  return `count(*)::int, encode(string_agg(${packCore(width, span)}, ''::bytea ORDER BY bucket), 'base64'),
    encode(string_agg(${PACK_EXTRA}, ''::bytea ORDER BY bucket), 'base64')`;
}

const UPSERT =
  "ON CONFLICT (width, series_id, start) DO UPDATE SET count = EXCLUDED.count, data = EXCLUDED.data, extra = EXCLUDED.extra";

export type TSealOptions = {
  /** A segment is sealed once it ended this long ago (rows arriving later are packed by the compactor). */
  graceMs?: number;
  /** Segments per width per run: bounds one run's work when an older store is sealed for the first time. */
  maxSegmentsPerRun?: number;
};

/**
 * Moves each width's watermark forward to the last segment that ended `graceMs` ago, at most
 * `maxSegmentsPerRun` segments; `behind` when there is more to do.
 */
export async function sealRollups(
  prisma: PrismaClient,
  nowMs: number,
  opts: TSealOptions = {},
): Promise<{ segments: number; behind: boolean; sealedTo: Record<number, number> }> {
  const grace = opts.graceMs ?? 5 * 60_000;
  const most = opts.maxSegmentsPerRun ?? 6;
  let segments = 0;
  let behind = false;
  const sealedTo: Record<number, number> = {};
  for (const [width, table] of Object.entries(ROLLUP_TABLES)) {
    const w = Number(width);
    const span = SEGMENT_MS[w] as number;
    segments += await prisma.$transaction(
      async (tx) => {
        const [seal] = await tx.$queryRaw<{ sealed_to: bigint }[]>`
          SELECT sealed_to FROM rollup_seal WHERE width = ${w} FOR UPDATE`;
        if (!seal) return 0;
        sealedTo[w] = Number(seal.sealed_to);
        const target = Math.floor((nowMs - grace) / span) * span;
        let from = Number(seal.sealed_to);
        if (from === 0) {
          // First run: from the oldest bucket there is (none yet: nothing to pack before `target`).
          const [row] = await tx.$queryRawUnsafe<{ b: bigint | null }[]>(`SELECT min(bucket) AS b FROM ${table}`);
          from = row?.b == null ? target : Math.floor(Number(row.b) / span) * span;
        }
        const to = Math.min(target, from + most * span);
        if (to < target) behind = true;
        if (to <= from) {
          if (Number(seal.sealed_to) === 0 && target > 0) {
            await tx.$executeRaw`UPDATE rollup_seal SET sealed_to = ${BigInt(target)} WHERE width = ${w}`;
            sealedTo[w] = target;
          }
          return 0;
        }
        const packed = await tx.$executeRawUnsafe(
          `INSERT INTO rollup_segment (width, series_id, start, count, data, extra)
          SELECT $1::int, series_id, bucket - mod(bucket, $2::int8) AS st, ${segmentColumns(w, span)}
          FROM ${table} WHERE bucket >= $3::int8 AND bucket < $4::int8
          GROUP BY series_id, st
          ${UPSERT}`,
          w,
          BigInt(span),
          BigInt(from),
          BigInt(to),
        );
        await tx.$executeRaw`UPDATE rollup_seal SET sealed_to = ${BigInt(to)} WHERE width = ${w}`;
        sealedTo[w] = to;
        return packed;
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
  }
  return { segments, behind, sealedTo };
}

/**
 * In the compactor's transaction, after it wrote rollup rows (`ids[i]`, `buckets[i]`) of one width:
 * packs again the segments below the watermark that those rows fall in.
 */
export async function repackTouched(
  tx: PrismaClient,
  width: number,
  ids: readonly number[],
  buckets: readonly bigint[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const table = ROLLUP_TABLES[width];
  const span = SEGMENT_MS[width];
  if (!table || !span) throw new Error(`no rollup segments for buckets of ${width} ms`);
  const [seal] = await tx.$queryRaw<{ sealed_to: bigint }[]>`
    SELECT sealed_to FROM rollup_seal WHERE width = ${width} FOR SHARE`;
  const sealedTo = seal ? Number(seal.sealed_to) : 0;
  const seen = new Set<string>();
  const sids: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const b = Number(buckets[i]);
    if (b >= sealedTo) continue;
    const st = Math.floor(b / span) * span;
    const key = `${ids[i]}:${st}`;
    if (seen.has(key)) continue;
    seen.add(key);
    sids.push(ids[i] as number);
    starts.push(st);
  }
  if (sids.length === 0) return 0;
  return tx.$executeRawUnsafe(
    `INSERT INTO rollup_segment (width, series_id, start, count, data, extra)
    SELECT $1::int, series_id, st, ${segmentColumns(width, span)}
    FROM (
      SELECT r.*, t.st FROM unnest($2::int[], $3::int8[]) AS t(s, st)
      JOIN ${table} r ON r.series_id = t.s AND r.bucket >= t.st AND r.bucket < t.st + $4::int8
    ) x
    GROUP BY series_id, st
    ${UPSERT}`,
    width,
    `{${sids.join(",")}}`,
    `{${starts.join(",")}}`,
    BigInt(span),
  );
}

/** Drops segments wholly older than `cutoffMs` (the rows they copy are gone with the same retention). */
export async function pruneSegments(prisma: PrismaClient, width: number, cutoffMs: number): Promise<number> {
  const span = SEGMENT_MS[width] as number;
  return prisma.$executeRaw`DELETE FROM rollup_segment WHERE width = ${width} AND start + ${BigInt(span)} <= ${BigInt(Math.floor(cutoffMs))}`;
}
