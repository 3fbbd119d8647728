// The PromQL engine's sample source over Hotpath's store: series from the series table, raw samples
// from compacted chunks plus the ingest blocks not compacted yet (server/query/raw.ts), and rollup
// buckets with the blocks not compacted yet folded in (server/query/rollup-read.ts).
import type { PrismaClient } from "@prisma/client";
import type { RollupCache } from "../../cache/rollup-cache";
import { findSeries, readSamples } from "../raw";
import { readRollups } from "../rollup-read";
import type { TMatcher } from "../selector";
import { PromQLError } from "./eval";
import { emptyBuckets } from "./rollup";
import type { TRollupSeries, TSampleSource, TSeriesSamples } from "./source";

export const MAX_SERIES_PER_SELECTOR = 10_000;

function describeMatchers(matchers: TMatcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(", ")}}`;
}

export type TStoreSourceOptions = {
  maxSeries?: number;
  /** Called with the ids of the series each selector matched (live queries re-run when they change). */
  onSeries?: (ids: number[]) => void;
  /** Called with the series and the time span each selector read (the query cache's dependencies). */
  onRead?: (ids: number[], startMs: number, endMs: number) => void;
  /** Statements a rollup read may run side by side (server/query/rollup-read.ts). */
  readConcurrency?: number;
  /** Sealed rollup segments of the past (server/cache/rollup-cache.ts). */
  rollupCache?: RollupCache;
};

export function storeSource(prisma: PrismaClient, opts: TStoreSourceOptions = {}): TSampleSource {
  const maxSeries = opts.maxSeries ?? MAX_SERIES_PER_SELECTOR;
  const series = async (matchers: TMatcher[]) => {
    const found = await findSeries(prisma, [{ matchers }], maxSeries + 1);
    if (found.length > maxSeries) {
      throw new PromQLError(
        "execution",
        `the selector ${describeMatchers(matchers)} matches more than ${maxSeries} series; add label matchers to narrow it down`,
      );
    }
    opts.onSeries?.(found.map((s) => s.id));
    return found;
  };
  return {
    async select(matchers, startMs, endMs): Promise<TSeriesSamples[]> {
      const found = await series(matchers);
      opts.onRead?.(
        found.map((s) => s.id),
        startMs,
        endMs,
      );
      if (found.length === 0) return [];
      const samples = await readSamples(
        prisma,
        found.map((s) => s.id),
        startMs,
        endMs,
      );
      const out: TSeriesSamples[] = [];
      for (const s of found) {
        const data = samples.get(s.id);
        if (!data || data.ts.length === 0) continue;
        out.push({ labels: { ...s.labels, __name__: s.name }, ts: data.ts, values: data.values });
      }
      return out;
    },
    async selectRollup(matchers, req): Promise<TRollupSeries[]> {
      const found = await series(matchers);
      opts.onRead?.(
        found.map((s) => s.id),
        req.fromMs,
        req.toMs,
      );
      if (found.length === 0) return [];
      const data = await readRollups(
        prisma,
        found.map((s) => s.id),
        req,
        { concurrency: opts.readConcurrency, cache: opts.rollupCache },
      );
      const out: TRollupSeries[] = [];
      for (const s of found) {
        const d = data.get(s.id);
        if (!d || (d.buckets.length === 0 && d.ts.length === 0)) continue;
        out.push({
          labels: { ...s.labels, __name__: s.name },
          buckets: d.buckets.length > 0 ? d.buckets : emptyBuckets(),
          ts: d.ts,
          values: d.values,
        });
      }
      return out;
    },
  };
}
