// Profiling aid for bench:query: the PromQL engine alone over 24 h of 1 m buckets held in memory (no
// store), for N series.   npx tsx bench/query-evalprof.ts [series]   (add node --cpu-prof for a profile)
import { rangeQuery } from "../server/query/promql/eval";
import { bucketsFromSamples } from "../server/query/promql/rollup";
import type { TRollupSeries, TSampleSource } from "../server/query/promql/source";

const N = Number(process.argv[2] ?? 1000);
const now = Math.floor(Date.now() / 1000) * 1000;
const from = now - 86_400_000 - 600_000;
const series: TRollupSeries[] = [];
for (let i = 0; i < N; i++) {
  const ts: number[] = [];
  const vs: number[] = [];
  let c = 0;
  for (let t = from; t <= now; t += 15_000) {
    ts.push(t);
    c += (i + t / 15000) % 13;
    vs.push(c);
  }
  series.push({
    labels: { __name__: "bench_requests_total", service: `svc-${i % 4}`, route: `/r/${i}`, set: "s" },
    buckets: bucketsFromSamples(ts, vs, 60_000, false),
    ts: [],
    values: [],
  });
}
const src: TSampleSource = {
  async select() {
    return [];
  },
  async selectRollup() {
    return series;
  },
};
for (let r = 0; r < 6; r++) {
  const end = now - r * 1000 - 123;
  let t0 = performance.now();
  await rangeQuery(src, 'sum by (service) (rate(bench_requests_total{set="s"}[5m]))', end - 86_400_000, end, 60_000, {
    rollupWidthMs: 60_000,
  });
  const a = performance.now() - t0;
  t0 = performance.now();
  await rangeQuery(src, 'rate(bench_requests_total{set="s"}[5m])', end - 86_400_000, end, 60_000, {
    rollupWidthMs: 60_000,
  });
  console.log(`sum by rate ${a.toFixed(0)} ms; plain rate ${(performance.now() - t0).toFixed(0)} ms`);
}
