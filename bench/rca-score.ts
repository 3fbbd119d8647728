// Scores of a ranked list of services against a case's root cause, as the RCA literature reports
// them: AC@k = share of cases whose root is among the first k; Avg@5 = mean of AC@1..AC@5.

export type TCaseResult = {
  dataset: string;
  type: string;
  id: string;
  root: string;
  /** Ranking read at a fixed time after the injection (the injection time is given). */
  given: string[];
  /** The analyzer's first findings opened after the injection; null when none opened in the window. */
  e2e: string[] | null;
  /** Reference: services ranked by the largest z-score among their raw metrics. */
  zscore: string[];
  /** ms from the injection to the first finding opened, end to end. */
  detectMs?: number;
};

export function hitAt(ranked: readonly string[] | null, root: string, k: number): number {
  return ranked?.slice(0, k).includes(root) ? 1 : 0;
}

export type TScores = { n: number; ac1: number; ac3: number; avg5: number };

export function scores(results: readonly TCaseResult[], pick: (r: TCaseResult) => readonly string[] | null): TScores {
  const n = results.length;
  if (n === 0) return { n, ac1: Number.NaN, ac3: Number.NaN, avg5: Number.NaN };
  const ac = (k: number) => results.reduce((a, r) => a + hitAt(pick(r), r.root, k), 0) / n;
  const avg5 = [1, 2, 3, 4, 5].reduce((a, k) => a + ac(k), 0) / 5;
  return { n, ac1: ac(1), ac3: ac(3), avg5 };
}

/** Services in order of first appearance (a ranking may name a service more than once). */
export function uniqueInOrder(xs: Iterable<string>): string[] {
  return [...new Set(xs)];
}

function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const v = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1);
  return { mean, std: Math.sqrt(v) };
}

/**
 * The z-score baseline: each service's largest |z| of a current value against the mean and standard
 * deviation of its baseline values, over all its metrics; services ranked by it.
 */
export function zscoreRanking(series: Map<string, { base: number[]; cur: number[] }[]>): string[] {
  const out: [string, number][] = [];
  for (const [svc, list] of series) {
    let best = 0;
    for (const { base, cur } of list) {
      if (base.length < 2 || cur.length === 0) continue;
      const { mean, std } = meanStd(base);
      const scale = Math.max(std, Math.abs(mean) * 1e-6, 1e-12);
      for (const c of cur) best = Math.max(best, Math.abs(c - mean) / scale);
    }
    out.push([svc, best]);
  }
  return out.sort((a, b) => b[1] - a[1]).map(([s]) => s);
}
