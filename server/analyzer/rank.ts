// Ranking: a fault shows up as its cause and as its consequences (a surge loads the pool, a slow
// query holds connections longer, a blocked loop burns CPU). Each candidate's score is its strength,
// discounted when a finding that explains it is present for the same service, so that the cause
// comes first and the symptoms stay visible below it.
import { FINDING_KINDS } from "../../lib/contracts/findings";
import type { TCandidate, TFindingKind } from "./detectors";

export type TScored = TCandidate & { score: number; explainedBy?: TFindingKind };

/** symptom kind → the kinds that, present on the same service, explain it, and the discount. */
const EXPLAINED_BY: Partial<Record<TFindingKind, { by: TFindingKind[]; factor: number }>> = {
  pool_saturation: {
    by: [
      "traffic_surge",
      "slow_query",
      "network_delay",
      "n_plus_one",
      "cache_hit_collapse",
      "connection_leak",
      "cpu_saturation",
      "event_loop_blocked",
    ],
    factor: 0.35,
  },
  cpu_saturation: { by: ["traffic_surge", "memory_leak", "event_loop_blocked", "cache_hit_collapse"], factor: 0.4 },
  event_loop_blocked: { by: ["memory_leak"], factor: 0.5 },
  queue_backlog: {
    by: [
      "traffic_surge",
      "cpu_saturation",
      "slow_query",
      "network_delay",
      "pool_saturation",
      "connection_leak",
      "n_plus_one",
      "cache_hit_collapse",
    ],
    factor: 0.4,
  },
  // Client-side timings inflate when the process itself is starved of CPU or its loop is blocked.
  cache_backend_slow: { by: ["network_delay", "cpu_saturation", "event_loop_blocked", "memory_leak"], factor: 0.3 },
  slow_dependency: { by: ["cpu_saturation", "event_loop_blocked", "memory_leak"], factor: 0.3 },
  network_delay: { by: ["cpu_saturation", "event_loop_blocked", "memory_leak"], factor: 0.3 },
  slow_query: { by: ["network_delay", "cpu_saturation", "connection_leak", "n_plus_one"], factor: 0.4 },
  cache_hit_collapse: { by: ["cache_undersized", "n_plus_one", "traffic_surge"], factor: 0.3 },
  cache_undersized: { by: ["n_plus_one", "traffic_surge"], factor: 0.3 },
  // A route regression is explained by any component finding on its service.
  latency_regression: { by: FINDING_KINDS.filter((k) => k !== "latency_regression"), factor: 0.3 },
};

/** Kind weights (route regressions are capped in their detector instead: a fallback ranks last). */
const KIND_WEIGHT: Partial<Record<TFindingKind, number>> = {};

export function rank(candidates: TCandidate[]): TScored[] {
  const byService = new Map<string, Set<TFindingKind>>();
  for (const c of candidates) {
    const svc = c.target.service ?? "";
    const set = byService.get(svc) ?? new Set();
    set.add(c.kind);
    byService.set(svc, set);
  }
  return candidates
    .map((c) => {
      let score = c.strength * (KIND_WEIGHT[c.kind] ?? 1);
      let explainedBy: TFindingKind | undefined;
      const rule = EXPLAINED_BY[c.kind];
      const present = byService.get(c.target.service ?? "");
      if (rule && present) {
        explainedBy = rule.by.find((k) => present.has(k) && k !== c.kind);
        if (explainedBy) score *= rule.factor;
      }
      return { ...c, score, ...(explainedBy ? { explainedBy } : {}) };
    })
    .sort((a, b) => b.score - a.score);
}
