// Where the PromQL engine gets raw samples from. The engine asks once per selector for the whole
// time window a query needs; it never knows about the store behind it.
import type { TMatcher } from "../selector";

export type TSeriesSamples = {
  /** All labels, including `__name__`. */
  labels: Record<string, string>;
  /** Unix ms, ascending, no duplicates. */
  ts: number[];
  values: number[];
};

export interface TSampleSource {
  /** Series matching every matcher, with their samples in [startMs, endMs] (both inclusive). */
  select(matchers: TMatcher[], startMs: number, endMs: number): Promise<TSeriesSamples[]>;
}

export function matcherMatches(m: TMatcher, value: string): boolean {
  switch (m.op) {
    case "=":
      return value === m.value;
    case "!=":
      return value !== m.value;
    case "=~":
      return (m.re ?? new RegExp(`^(?:${m.value})$`)).test(value);
    case "!~":
      return !(m.re ?? new RegExp(`^(?:${m.value})$`)).test(value);
  }
}

export function labelsMatch(matchers: TMatcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => matcherMatches(m, labels[m.name] ?? ""));
}

/** Index of the first element of the sorted `ts` that is >= t. */
export function lowerBound(ts: number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element of the sorted `ts` that is > t. */
export function upperBound(ts: number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A source over series held in memory, for tests and for data already loaded. Samples are sorted by
 * time (a later duplicate timestamp wins); `calls` records every select for assertions.
 */
export function memorySource(series: TSeriesSamples[]): TSampleSource & {
  calls: { matchers: TMatcher[]; startMs: number; endMs: number }[];
} {
  const normalized = series.map((s) => {
    const idx = s.ts.map((_, i) => i).sort((a, b) => (s.ts[a] as number) - (s.ts[b] as number) || a - b);
    const ts: number[] = [];
    const values: number[] = [];
    for (const i of idx) {
      const t = s.ts[i] as number;
      if (ts.length > 0 && ts[ts.length - 1] === t) values[values.length - 1] = s.values[i] as number;
      else {
        ts.push(t);
        values.push(s.values[i] as number);
      }
    }
    return { labels: { ...s.labels }, ts, values };
  });
  const calls: { matchers: TMatcher[]; startMs: number; endMs: number }[] = [];
  return {
    calls,
    async select(matchers, startMs, endMs) {
      calls.push({ matchers, startMs, endMs });
      const out: TSeriesSamples[] = [];
      for (const s of normalized) {
        if (!labelsMatch(matchers, s.labels)) continue;
        const lo = lowerBound(s.ts, startMs);
        const hi = upperBound(s.ts, endMs);
        if (hi <= lo) continue;
        out.push({ labels: s.labels, ts: s.ts.slice(lo, hi), values: s.values.slice(lo, hi) });
      }
      return out;
    },
  };
}
