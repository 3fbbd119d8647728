// The PromQL engine's sample source over Hotpath's store: series from the series table, raw samples
// from compacted chunks plus the ingest blocks not compacted yet (server/query/raw.ts).
import type { PrismaClient } from "@prisma/client";
import { findSeries, readSamples } from "../raw";
import type { TMatcher } from "../selector";
import { PromQLError } from "./eval";
import type { TSampleSource, TSeriesSamples } from "./source";

export const MAX_SERIES_PER_SELECTOR = 10_000;

function describeMatchers(matchers: TMatcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(", ")}}`;
}

export function storeSource(
  prisma: PrismaClient,
  opts: { maxSeries?: number; onSeries?: (ids: number[]) => void } = {},
): TSampleSource {
  const maxSeries = opts.maxSeries ?? MAX_SERIES_PER_SELECTOR;
  return {
    async select(matchers, startMs, endMs): Promise<TSeriesSamples[]> {
      const series = await findSeries(prisma, [{ matchers }], maxSeries + 1);
      if (series.length > maxSeries) {
        throw new PromQLError(
          "execution",
          `the selector ${describeMatchers(matchers)} matches more than ${maxSeries} series; add label matchers to narrow it down`,
        );
      }
      opts.onSeries?.(series.map((s) => s.id));
      if (series.length === 0) return [];
      const samples = await readSamples(
        prisma,
        series.map((s) => s.id),
        startMs,
        endMs,
      );
      const out: TSeriesSamples[] = [];
      for (const s of series) {
        const data = samples.get(s.id);
        if (!data || data.ts.length === 0) continue;
        out.push({ labels: { ...s.labels, __name__: s.name }, ts: data.ts, values: data.values });
      }
      return out;
    },
  };
}
