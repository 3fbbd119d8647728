// Raw samples for a set of series over a time range: compacted chunks plus the ingest blocks the
// compactor has not reached yet, merged and sorted by time per series.
import type { PrismaClient } from "@prisma/client";
import type { TLabels } from "../ingest/model";
import { sortDedupe } from "../pipeline/compactor";
import { decodeBlock, decodeChunk } from "../store/codec";
import { exactName, selectorMatches, type TSelector } from "./selector";

export type TSeriesRow = { id: number; name: string; labels: TLabels; type: string; unit: string; help: string };

export async function findSeries(prisma: PrismaClient, selectors: TSelector[], limit: number): Promise<TSeriesRow[]> {
  const out = new Map<number, TSeriesRow>();
  for (const sel of selectors) {
    const name = exactName(sel);
    const rows = await prisma.series.findMany({
      where: name ? { name } : {},
      select: { id: true, name: true, labels: true, type: true, unit: true, help: true },
      orderBy: { id: "asc" },
    });
    for (const r of rows) {
      const labels = r.labels as TLabels;
      if (selectorMatches(sel, r.name, labels)) out.set(r.id, { ...r, labels });
      if (out.size >= limit) return [...out.values()];
    }
  }
  return [...out.values()];
}

export async function readSamples(
  prisma: PrismaClient,
  seriesIds: number[],
  startMs: number,
  endMs: number,
): Promise<Map<number, { ts: number[]; values: number[] }>> {
  const result = new Map<number, { ts: number[]; values: number[] }>();
  if (seriesIds.length === 0) return result;
  const wanted = new Set(seriesIds);
  const push = (id: number, t: number, v: number) => {
    if (t < startMs || t > endMs) return;
    let s = result.get(id);
    if (!s) {
      s = { ts: [], values: [] };
      result.set(id, s);
    }
    s.ts.push(t);
    s.values.push(v);
  };
  // One statement, so one snapshot: a compaction committing between two reads would move a block's
  // samples into a chunk after the chunks were read and out of the blocks before they were.
  // As base64 text: the PostgreSQL adapter turns a bytea result into an array of numbers, one per byte.
  const rows = await prisma.$queryRaw<{ kind: number; series_id: number; count: number; data: string }[]>`
    SELECT 0 AS kind, series_id, count, encode(data, 'base64') AS data FROM sample_chunk
    WHERE series_id = ANY(${seriesIds}::int[]) AND end_ts >= ${BigInt(Math.floor(startMs))} AND start_ts <= ${BigInt(Math.ceil(endMs))}
    UNION ALL
    SELECT 1, 0, count, encode(data, 'base64') FROM ingest_block
    WHERE max_ts >= ${BigInt(Math.floor(startMs))} AND min_ts <= ${BigInt(Math.ceil(endMs))}`;
  for (const r of rows) {
    if (r.kind === 0) {
      const d = decodeChunk(Buffer.from(r.data, "base64"), r.count);
      for (let i = 0; i < r.count; i++) push(r.series_id, d.ts[i] as number, d.values[i] as number);
      continue;
    }
    const d = decodeBlock(Buffer.from(r.data, "base64"), r.count);
    for (let i = 0; i < r.count; i++) {
      const id = d.seriesIds[i] as number;
      if (wanted.has(id)) push(id, d.ts[i] as number, d.values[i] as number);
    }
  }
  // The same (series, time) pushed twice keeps the last value written, as a later push overrides.
  for (const [id, s] of result) result.set(id, sortDedupe(s.ts, s.values));
  return result;
}
