// Moves committed ingest blocks into per-series chunks and 1-minute / 1-hour rollups, then deletes
// the blocks, all in one transaction: a crash repeats a run, never half of one. Queries read chunks
// plus the blocks not compacted yet, so nothing is invisible meanwhile. Retention runs here too.
import type { PrismaClient } from "@prisma/client";
import { decodeBlock, encodeChunk } from "../store/codec";

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

type TAgg = {
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
  const blocks = await prisma.ingestBlock.findMany({ where: { id: { in: picked } }, orderBy: { id: "asc" } });

  // Samples of one series, in arrival order; sorted by time below.
  const bySeries = new Map<number, { ts: number[]; values: number[] }>();
  for (const b of blocks) {
    const cols = decodeBlock(b.data, b.count);
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
    start: [] as bigint[],
    end: [] as bigint[],
    count: [] as number[],
    data: [] as string[],
  };
  const r1m = new RollupRows();
  const r1h = new RollupRows();
  for (const [id, s] of bySeries) {
    const order = s.ts.map((_, i) => i).sort((a, b) => (s.ts[a] as number) - (s.ts[b] as number));
    const ts = order.map((i) => s.ts[i] as number);
    const values = order.map((i) => s.values[i] as number);
    chunk.ids.push(id);
    chunk.start.push(BigInt(ts[0] as number));
    chunk.end.push(BigInt(ts[ts.length - 1] as number));
    chunk.count.push(ts.length);
    chunk.data.push(encodeChunk(ts, values).toString("base64"));
    r1m.add(id, ts, values, 60_000);
    r1h.add(id, ts, values, 3_600_000);
  }

  await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`INSERT INTO sample_chunk (series_id, start_ts, end_ts, batch, count, data)
      SELECT s, st, en, ${batch}, c, decode(d, 'base64')
      FROM unnest(${chunk.ids}::int[], ${chunk.start}::int8[], ${chunk.end}::int8[], ${chunk.count}::int[], ${chunk.data}::text[])
        AS x(s, st, en, c, d)
      ON CONFLICT DO NOTHING`;
    await upsertRollups(tx as unknown as PrismaClient, "rollup_1m", r1m);
    await upsertRollups(tx as unknown as PrismaClient, "rollup_1h", r1h);
    await tx.$executeRaw`DELETE FROM ingest_block WHERE id = ANY(${picked}::int8[])`;
    await tx.$executeRaw`UPDATE series SET last_seen = now() WHERE id = ANY(${chunk.ids}::int[])`;
  });
  return { blocks: picked.length, samples: total, chunks: chunk.ids.length, rollups1m: r1m.size, rollups1h: r1h.size };
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
      if (v < current.min) current.min = v;
      if (v > current.max) current.max = v;
      current.last = v;
      current.lastTs = t;
    }
  }
}

async function upsertRollups(tx: PrismaClient, table: "rollup_1m" | "rollup_1h", rows: RollupRows): Promise<void> {
  if (rows.size === 0) return;
  const a = rows.aggs;
  const firstTs = a.map((x) => BigInt(x.firstTs));
  const lastTs = a.map((x) => BigInt(x.lastTs));
  const count = a.map((x) => x.count);
  const [sum, min, max, first, last, increase] = (["sum", "min", "max", "first", "last", "increase"] as const).map(
    (k) => a.map((x) => x[k]),
  );
  // NaN and ±Inf are valid sample values; PostgreSQL's float8 accepts them as text.
  const f = (xs: number[] | undefined) => (xs ?? []).map(floatText);
  const sql = `INSERT INTO ${table} AS r (series_id, bucket, first_ts, last_ts, count, sum, min, max, first, last, increase)
    SELECT * FROM unnest($1::int[], $2::int8[], $3::int8[], $4::int8[], $5::int[], $6::float8[], $7::float8[],
      $8::float8[], $9::float8[], $10::float8[], $11::float8[])
    ON CONFLICT (series_id, bucket) DO UPDATE SET
      count = r.count + EXCLUDED.count,
      sum = r.sum + EXCLUDED.sum,
      min = LEAST(r.min, EXCLUDED.min),
      max = GREATEST(r.max, EXCLUDED.max),
      first = CASE WHEN EXCLUDED.first_ts < r.first_ts THEN EXCLUDED.first ELSE r.first END,
      first_ts = LEAST(r.first_ts, EXCLUDED.first_ts),
      last = CASE WHEN EXCLUDED.last_ts >= r.last_ts THEN EXCLUDED.last ELSE r.last END,
      last_ts = GREATEST(r.last_ts, EXCLUDED.last_ts),
      increase = r.increase + EXCLUDED.increase + CASE
        WHEN EXCLUDED.first_ts > r.last_ts THEN CASE WHEN EXCLUDED.first >= r.last THEN EXCLUDED.first - r.last ELSE EXCLUDED.first END
        ELSE 0 END`;
  await tx.$executeRawUnsafe(
    sql,
    rows.ids,
    rows.buckets,
    firstTs,
    lastTs,
    count,
    f(sum),
    f(min),
    f(max),
    f(first),
    f(last),
    f(increase),
  );
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
  const spans =
    await prisma.$executeRaw`DELETE FROM span WHERE start_ns < ${BigInt(now - retention.rawMs) * 1_000_000n}`;
  return { chunks, rollups1m, rollups1h, spans };
}
