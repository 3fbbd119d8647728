// Profiling aid for bench:query — loads a set into a fresh PostgreSQL database in-process (blocks
// written directly, then compacted) and times each stage of a 24 h range query. Keeps the database
// for EXPLAIN when PROFILE_KEEP=1.   npx tsx bench/query-profile.ts [series]
import { RollupCache } from "../server/cache/rollup-cache";
import { decodeRemoteWrite } from "../server/ingest/parse/remote-write";
import { compactOnce } from "../server/pipeline/compactor";
import { sealRollups } from "../server/pipeline/segments";
import { formatQueryResult } from "../server/query/prom-api";
import { rangeQuery } from "../server/query/promql/eval";
import { storeSource } from "../server/query/promql/store-source";
import { findSeries } from "../server/query/raw";
import { readRollups } from "../server/query/rollup-read";
import { openStore } from "../server/store";
import { encodeBlock } from "../server/store/codec";
import { newSet, queries, sliceBody } from "./query-workload";

process.env.DATABASE_URL_TEST ||= "postgresql://postgres@127.0.0.1:5432/postgres";
const { freshPostgres } = await import("../server/test/harness");
const N = Number(process.argv[2] ?? 100);
const db = process.env.PROFILE_DB ? { url: process.env.PROFILE_DB, drop: async () => {} } : await freshPostgres();
const store = await openStore({ kind: "postgresql", url: db.url });
const p = store.prisma;
const time = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
  const t0 = performance.now();
  const r = await f();
  console.log(`${label.padEnd(28)} ${(performance.now() - t0).toFixed(1)} ms`);
  return r;
};
try {
  const now = Date.now();
  const set = { name: `s${N}`, series: N };
  if (!process.env.PROFILE_DB) {
    const st = newSet(set, now - 86_400_000, 1);
    const ids = new Map<string, number>();
    let h = 1n;
    for (let t = now - 86_400_000; t < now; t += 20 * 60_000) {
      const parsed = decodeRemoteWrite(sliceBody(st, t, t + 20 * 60_000).body);
      if (!parsed.ok) throw new Error(parsed.error.message);
      const sids: number[] = [];
      const ts: number[] = [];
      const vs: number[] = [];
      for (const s of parsed.value.samples) {
        const key = s.name + JSON.stringify(s.labels);
        let id = ids.get(key);
        if (!id) {
          id = (await p.series.create({ data: { hash: h++, name: s.name, labels: s.labels } })).id;
          ids.set(key, id);
        }
        sids.push(id);
        ts.push(s.timestampMs as number);
        vs.push(s.value);
      }
      await store.appendBlock({
        minTs: Math.min(...ts),
        maxTs: Math.max(...ts),
        count: ts.length,
        data: encodeBlock({
          seriesIds: Int32Array.from(sids),
          ts: Float64Array.from(ts),
          values: Float64Array.from(vs),
        }),
      });
    }
    await time("compaction", async () => {
      while ((await compactOnce(p, { minAgeMs: -60_000, maxSamplesPerRun: 500_000 })).blocks > 0);
    });
    await time("sealing", async () => {
      while ((await sealRollups(p, Date.now(), { maxSegmentsPerRun: 1000 })).behind);
    });
    await p.$executeRawUnsafe("VACUUM ANALYZE");
  }
  const q = queries(set);
  const matchers = [
    { name: "__name__", op: "=" as const, value: "bench_requests_total" },
    { name: "set", op: "=" as const, value: set.name },
  ];
  const cache = new RollupCache({ maxBytes: 256 * 1024 * 1024 });
  for (let r = 0; r < 5; r++) {
    console.log(`--- run ${r}`);
    const end = Date.now() - r * 1000;
    const series = await time("findSeries", () => findSeries(p, [{ matchers }], 20_000));
    const ids = series.map((s) => s.id);
    const req = {
      widthMs: 60_000,
      fromMs: end - 86_400_000 - 300_000,
      toMs: end,
      rawFromMs: Math.floor(end / 60_000) * 60_000 - 300_000,
      withSumMinMax: false,
    };
    await time("readRollups", () => readRollups(p, ids, req));
    await time("readRollups x2", () => readRollups(p, ids, req, { concurrency: 2 }));
    await time("readRollups cached", () => readRollups(p, ids, req, { concurrency: 2, cache }));
    for (const [name, query] of Object.entries(q)) {
      const res = await time(`rangeQuery ${name}`, () =>
        rangeQuery(storeSource(p), query, end - 86_400_000, end, 60_000, { rollupWidthMs: 60_000 }),
      );
      await time(`format ${name}`, async () => formatQueryResult(res));
    }
  }
  if (process.env.PROFILE_KEEP) console.log(`kept ${db.url}`);
} finally {
  await store.close();
  if (!process.env.PROFILE_KEEP) await db.drop();
}
