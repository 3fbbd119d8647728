// Rollups as the store holds them, through every stage of compaction: a day of samples written as
// ingest blocks (as the batch writer does), then read back as 1 m and 1 h buckets (a) before any
// compaction, (b) half compacted, the split falling inside a minute, (c) fully compacted, (d) with a new
// tail not compacted yet whose first block shares a minute with compacted data and holds a counter
// reset. At every stage, range queries on the bucket grid equal the same queries over raw samples
// (1e-9 relative), and off the grid they equal the in-memory rollups.
import type { PrismaClient } from "@prisma/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RollupCache } from "../cache/rollup-cache";
import { compactOnce } from "../pipeline/compactor";
import { sealRollups } from "../pipeline/segments";
import { openStore, type TStore } from "../store";
import { encodeBlock } from "../store/codec";
import { STORES, storeEnv } from "../test/harness";
import { rangeQuery, type TQueryResult } from "./promql/eval";
import { DAY, expectSameMatrix, HOUR, MIN, T0, workload } from "./promql/rollup-fixtures";
import { memorySource, type TSeriesSamples } from "./promql/source";
import { storeSource } from "./promql/store-source";
import { readRollups } from "./rollup-read";

const SLICE_MS = 150_000; // a block per 2.5 min: every other block boundary falls mid-minute

const GRID_QUERIES = [
  "rate(req_total[5m])",
  "increase(req_total[1h])",
  "histogram_quantile(0.9, sum by (le) (rate(lat_seconds_bucket[5m])))",
  "avg_over_time(temp[10m])",
  "max_over_time(temp[5m])",
  "temp",
];

for (const store of STORES) {
  describe.skipIf(!store.available)(`rollups read from ${store.kind}`, () => {
    let env: Awaited<ReturnType<typeof storeEnv>>;
    let db: TStore;
    let prisma: PrismaClient;
    // The first 23.5 h are written up front; the last 30 min arrive after compaction (stage d).
    const all = workload(24, 3);
    const cut = T0 + DAY - 30 * MIN + 20_000;
    const ids = new Map<string, number>();
    let truth: TSeriesSamples[] = [];
    // A counter reset in the tail's first minute, right after the last compacted sample.
    const reset = all.find((s) => s.labels.__name__ === "req_total") as TSeriesSamples;
    const k = reset.ts.findIndex((t) => t >= cut);
    const drop = (reset.values[k] as number) - 1;
    reset.values = reset.values.map((v, i) => (i >= k ? v - drop : v));

    const writeBlocks = async (from: number, to: number) => {
      for (let s = from; s < to; s += SLICE_MS) {
        const seriesIds: number[] = [];
        const ts: number[] = [];
        const values: number[] = [];
        for (const series of all) {
          const id = ids.get(JSON.stringify(series.labels)) as number;
          series.ts.forEach((t, i) => {
            if (t < s || t >= Math.min(s + SLICE_MS, to)) return;
            seriesIds.push(id);
            ts.push(t);
            values.push(series.values[i] as number);
          });
        }
        if (ts.length === 0) continue;
        await db.appendBlock({
          minTs: Math.min(...ts),
          maxTs: Math.max(...ts),
          count: ts.length,
          data: encodeBlock({
            seriesIds: Int32Array.from(seriesIds),
            ts: Float64Array.from(ts),
            values: Float64Array.from(values),
          }),
        });
      }
    };
    const upTo = (end: number) =>
      all.map((s) => {
        const n = s.ts.findIndex((t) => t >= end);
        const k = n < 0 ? s.ts.length : n;
        return { labels: s.labels, ts: s.ts.slice(0, k), values: s.values.slice(0, k) };
      });

    beforeAll(async () => {
      env = await storeEnv(store.kind);
      db = await openStore(
        store.kind === "pglite"
          ? { kind: "pglite", dataDir: env.env.HOTPATH_DATA_DIR as string }
          : { kind: "postgresql", url: env.env.DATABASE_URL as string },
      );
      prisma = db.prisma;
      let hash = 1n;
      for (const s of all) {
        const { __name__: name, ...labels } = s.labels;
        const row = await prisma.series.create({ data: { hash: hash++, name: name as string, labels } });
        ids.set(JSON.stringify(s.labels), row.id);
      }
      await writeBlocks(T0, cut);
      truth = upTo(cut);
    }, 120_000);
    afterAll(async () => {
      await db?.close();
      await env?.cleanup();
    });

    /**
     * A time 1 ms after the last sample of its minute, from `fromMs` on: rollups merge a sample that
     * lands between stored ones of a bucket only approximately (compactor.ts mergeAgg), so late
     * samples in these tests fall after them.
     */
    const lateTime = (series: TSeriesSamples, fromMs: number) => {
      const at = series.ts.findIndex(
        (x, i) => x >= fromMs && Math.floor(x / MIN) !== Math.floor((series.ts[i + 1] as number) / MIN),
      );
      return (series.ts[at] as number) + 1;
    };
    /** A late sample committed as the batch writer does (a block), and added to the samples in memory. */
    const commitLate = async (series: TSeriesSamples, id: number, t: number, v: number) => {
      await db.appendBlock({
        minTs: t,
        maxTs: t,
        count: 1,
        data: encodeBlock({
          seriesIds: Int32Array.from([id]),
          ts: Float64Array.from([t]),
          values: Float64Array.from([v]),
        }),
      });
      // (Series share their timestamp arrays: replace, do not splice.)
      const k = series.ts.findIndex((x) => x > t);
      series.ts = [...series.ts.slice(0, k), t, ...series.ts.slice(k)];
      series.values = [...series.values.slice(0, k), v, ...series.values.slice(k)];
    };

    /** Every grid query over the day, from the store's buckets, against raw samples in memory. */
    const checkStage = async (stage: string, end: number, src = storeSource(prisma)) => {
      const raw = memorySource(truth);
      const rolled = memorySource(truth, { rollups: true });
      for (const q of GRID_QUERIES) {
        const start = T0 + HOUR;
        const gridEnd = Math.floor(end / MIN) * MIN;
        const want = await rangeQuery(raw, q, start, gridEnd, MIN);
        expectSameMatrix(await rangeQuery(src, q, start, gridEnd, MIN, { rollupWidthMs: MIN }), want, `${stage}: ${q}`);
        // Off the grid, ending "now" (the last sample): the raw tail comes from chunks and blocks.
        const offStart = start + 17_250;
        const offWant = await rangeQuery(rolled, q, offStart, end, MIN, { rollupWidthMs: MIN });
        const got: TQueryResult = await rangeQuery(src, q, offStart, end, MIN, { rollupWidthMs: MIN });
        expectSameMatrix(got, offWant, `${stage} off the grid: ${q}`);
      }
      const hourly = "histogram_quantile(0.5, sum by (le) (rate(lat_seconds_bucket[2h])))";
      expectSameMatrix(
        await rangeQuery(src, hourly, T0 + 2 * HOUR, T0 + 23 * HOUR, HOUR, { rollupWidthMs: HOUR }),
        await rangeQuery(raw, hourly, T0 + 2 * HOUR, T0 + 23 * HOUR, HOUR),
        `${stage}: ${hourly} at 1 h`,
      );
    };

    it("answers from blocks alone, before any compaction", async () => {
      expect(await prisma.rollup1m.count()).toBe(0);
      await checkStage("uncompacted", cut - 1);
    }, 120_000);

    it("answers half compacted, the split inside a minute", async () => {
      const total = await prisma.ingestBlock.aggregate({ _sum: { count: true } });
      const r = await compactOnce(prisma, { minAgeMs: -60_000, maxSamplesPerRun: (total._sum.count ?? 0) / 2 });
      expect(r.blocks).toBeGreaterThan(0);
      expect(await prisma.ingestBlock.count()).toBeGreaterThan(0);
      // The newest compacted block ends mid-minute: that bucket is part rollup row, part block.
      const edge = await prisma.$queryRaw<{ max: bigint }[]>`SELECT max(last_ts) AS max FROM rollup_1m`;
      expect(Number(edge[0]?.max) % MIN).not.toBe(0);
      await checkStage("half compacted", cut - 1);
    }, 120_000);

    it("answers fully compacted, then with a new tail not compacted yet", async () => {
      while ((await compactOnce(prisma, { minAgeMs: -60_000, maxSamplesPerRun: 50_000 })).blocks > 0);
      expect(await prisma.ingestBlock.count()).toBe(0);
      await checkStage("compacted", cut - 1);
      // The tail: the rest of the day; its first block shares the minute of `cut` with compacted data.
      await writeBlocks(cut, T0 + DAY);
      truth = upTo(T0 + DAY);
      const last = Math.max(...truth.flatMap((s) => s.ts.slice(-1)));
      await checkStage("compacted + tail", last);
    }, 180_000);

    it("folds blocks into buckets exactly as compacting them does", async () => {
      const seriesIds = [...ids.values()];
      const req = { widthMs: MIN, fromMs: T0, toMs: T0 + DAY, rawFromMs: T0 + DAY - 10 * MIN, withSumMinMax: true };
      const before = await readRollups(prisma, seriesIds, req);
      expect(await prisma.ingestBlock.count()).toBeGreaterThan(0);
      while ((await compactOnce(prisma, { minAgeMs: -60_000, maxSamplesPerRun: 50_000 })).blocks > 0);
      const after = await readRollups(prisma, seriesIds, req);
      expect(await prisma.ingestBlock.count()).toBe(0);
      expect(after).toEqual(before);
      // In two statements side by side: the same.
      expect(await readRollups(prisma, seriesIds, req, { concurrency: 2 })).toEqual(after);
      // One bucket per minute holding samples (the gauge has a 20-minute gap), and raw samples of the tail.
      for (const series of truth) {
        const r = after.get(ids.get(JSON.stringify(series.labels)) as number);
        expect(r?.buckets.length).toBe(new Set(series.ts.map((t) => Math.floor(t / MIN))).size);
        expect(r?.ts).toEqual(series.ts.filter((t) => t >= req.rawFromMs));
      }
    }, 120_000);

    it("merges special values alike in SQL (compaction runs) and in JavaScript (the fold)", async () => {
      const row = await prisma.series.create({ data: { hash: 999_999n, name: "odd_gauge", labels: {} } });
      const t0 = T0 + 2 * HOUR;
      // One minute in three blocks, each compacted by its own run: the SQL upsert merges them.
      // The all-NaN run in the middle is the case PostgreSQL's GREATEST gets wrong (NaN sorts above all).
      const parts = [
        [3, 4],
        [Number.NaN, Number.NaN],
        [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      ];
      const write = (k: number) =>
        db.appendBlock({
          minTs: t0 + k * 20_000,
          maxTs: t0 + k * 20_000 + 10_000,
          count: 2,
          data: encodeBlock({
            seriesIds: Int32Array.from([row.id, row.id]),
            ts: Float64Array.from([t0 + k * 20_000, t0 + k * 20_000 + 10_000]),
            values: Float64Array.from(parts[k] as number[]),
          }),
        });
      const req = { widthMs: MIN, fromMs: t0, toMs: t0 + MIN, rawFromMs: undefined, withSumMinMax: true };
      while ((await compactOnce(prisma, { minAgeMs: -60_000, maxSamplesPerRun: 50_000 })).blocks > 0);
      for (const k of [0, 1, 2]) await write(k);
      const folded = (await readRollups(prisma, [row.id], req)).get(row.id);
      for (let k = 0; k < 3; k++) await compactOnce(prisma, { minAgeMs: -60_000, maxSamplesPerRun: 1 });
      expect(await prisma.ingestBlock.count()).toBe(0);
      const compacted = (await readRollups(prisma, [row.id], req)).get(row.id);
      expect(compacted).toEqual(folded);
      expect(compacted?.buckets).toMatchObject({ length: 1, count: Float64Array.from([6]) });
      expect([compacted?.buckets.min[0], compacted?.buckets.max[0]]).toEqual([
        Number.NEGATIVE_INFINITY,
        Number.POSITIVE_INFINITY,
      ]);
    }, 120_000);

    it("reads through the segment cache, which old samples committed later invalidate", async () => {
      const cache = new RollupCache({ maxBytes: 64 * 1024 * 1024 });
      const src = storeSource(prisma, { rollupCache: cache, readConcurrency: 2 });
      const last = Math.max(...truth.flatMap((s) => s.ts.slice(-1)));
      await checkStage("through the cache, filling it", last, src);
      // Sealed hours of every series (the day is long past), for the 1 m and 1 h widths.
      expect(cache.size).toBeGreaterThan(all.length * 20);
      await checkStage("through the cache, served from it", last, src);
      // A late sample in the middle of the day (a counter dip: a reset), committed as the batch writer
      // does: a block, and the commit event the cache follows. It falls after the last sample of its
      // minute: rollups merge a sample that lands between stored ones of a bucket only approximately
      // (compactor.ts mergeAgg), which is the one case where they part from raw samples.
      const series = all.find((x) => x.labels.__name__ === "req_total" && x.labels.instance === "b") as TSeriesSamples;
      const id = ids.get(JSON.stringify(series.labels)) as number;
      const t = lateTime(series, T0 + 6 * HOUR);
      await commitLate(series, id, t, 0);
      cache.invalidate({ seriesIds: [id], minTs: t, maxTs: t });
      truth = upTo(T0 + DAY);
      await checkStage("through the cache, a late sample pending", last, src);
      while ((await compactOnce(prisma, { minAgeMs: -60_000, maxSamplesPerRun: 50_000 })).blocks > 0);
      await checkStage("through the cache, the late sample compacted", last, src);
    }, 180_000);

    it("reads sealed segments as the rows they pack, half sealed and whole, and packs a late sample again", async () => {
      const seriesIds = [...ids.values()];
      const last = Math.max(...truth.flatMap((s) => s.ts.slice(-1)));
      const reqs = [
        { widthMs: MIN, fromMs: T0 + 17_250, toMs: last, rawFromMs: last - 10 * MIN, withSumMinMax: true },
        { widthMs: MIN, fromMs: T0 + HOUR, toMs: last, rawFromMs: undefined, withSumMinMax: false },
        { widthMs: HOUR, fromMs: T0, toMs: last, rawFromMs: undefined, withSumMinMax: true },
      ];
      const fromRows = await Promise.all(reqs.map((r) => readRollups(prisma, seriesIds, r)));
      const sealedTo = async () =>
        Object.fromEntries((await prisma.rollupSeal.findMany()).map((r) => [r.width, Number(r.sealedTo)])) as Record<
          number,
          number
        >;

      // Half: the 1 m buckets of the first twelve hours (a read then spans segments and rows).
      const half = await sealRollups(prisma, T0 + 12 * HOUR + 5 * MIN, { maxSegmentsPerRun: 100 });
      expect(half.segments).toBeGreaterThanOrEqual(all.length * 12);
      expect((await sealedTo())[MIN]).toBe(T0 + 12 * HOUR);
      for (const [i, r] of reqs.entries()) expect(await readRollups(prisma, seriesIds, r)).toEqual(fromRows[i]);
      await checkStage("half sealed", last);

      // Whole: every segment up to now, a few per run as a store sealed for the first time would be.
      let runs = 0;
      for (;;) {
        runs++;
        if (!(await sealRollups(prisma, Date.now(), { maxSegmentsPerRun: 6 })).behind) break;
      }
      expect(runs).toBeGreaterThan(1);
      expect((await sealedTo())[MIN]).toBeGreaterThan(T0 + DAY);
      expect((await sealedTo())[HOUR]).toBeGreaterThan(T0 + DAY);
      for (const [i, r] of reqs.entries()) {
        expect(await readRollups(prisma, seriesIds, r)).toEqual(fromRows[i]);
        expect(await readRollups(prisma, seriesIds, r, { concurrency: 2 })).toEqual(fromRows[i]);
      }
      await checkStage("sealed", last);

      // A late sample in a sealed hour: compacting it packs that segment again, in the same transaction.
      const series = all.find((x) => x.labels.__name__ === "temp") as TSeriesSamples;
      const id = ids.get(JSON.stringify(series.labels)) as number;
      const t = lateTime(series, T0 + 15 * HOUR);
      const segment = () =>
        prisma.rollupSegment.findUnique({
          where: { width_seriesId_start: { width: MIN, seriesId: id, start: BigInt(Math.floor(t / HOUR) * HOUR) } },
        });
      const before = await segment();
      await commitLate(series, id, t, 1e6);
      while ((await compactOnce(prisma, { minAgeMs: -60_000, maxSamplesPerRun: 50_000 })).blocks > 0);
      expect((await segment())?.data).not.toBe(before?.data);
      truth = upTo(T0 + DAY);
      await checkStage("sealed, a late sample packed again", last);
    }, 240_000);
  });
}
