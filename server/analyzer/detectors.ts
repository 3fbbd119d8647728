// The bottleneck detectors. Each reads the signal store and the trace window at one instant and
// returns candidate findings: a kind (the demo's fault labels, plus latency_regression), a target, a
// strength (how far the evidence is from its own baseline), the evidence and a recommendation.
// Baselines are each signal's own median and MAD over the last half hour, excluding the last minute;
// "now" is the median of the last three complete 5 s buckets. Absolute floors keep tiny, noisy series
// from firing. Ranking (rank.ts) then prefers causes over their symptoms.

import type { FINDING_KINDS } from "../../lib/contracts/findings";
import { parsePlan } from "../drilldown/queries";
import { fingerprint } from "../sql/fingerprint";
import { formatDeltaMs, PART_LABELS, PARTS, type TPart } from "./attribution";
import { medianMad } from "./baseline";
import { genericDetector } from "./generic";
import { BUCKET_MS, keyParts, SEP, type SignalStore, signalKey } from "./signals";
import type { TraceWindow } from "./trace-window";

export type TFindingKind = (typeof FINDING_KINDS)[number];

export type TEvidenceSeries = { label: string; query: string; unit: string; baseline: number; current: number };

export type TCandidate = {
  kind: TFindingKind;
  target: Record<string, string>;
  targetKey: string;
  /** How clearly the evidence departs from the baseline: 1 is the detection threshold. */
  strength: number;
  title: string;
  summary: string;
  recommendation: string;
  evidence: {
    series: TEvidenceSeries[];
    traces: string[];
    links: { label: string; href: string }[];
    attribution?: { route: string; verdict: string; deltaMs: Record<string, number> };
    plan?: { statement: string; traceId: string; suggestion?: string };
  };
};

/** A signal's baseline and current value. */
export type TCompare = { base: number; mad: number; cur: number; n: number };

const CUR_BUCKETS = 3;
const BASELINE_GAP = 12; // buckets between the baseline's end and now: 60 s
const MIN_BASELINE = 12; // buckets of history needed before judging: 60 s

export class Window {
  readonly nb: number;
  constructor(
    readonly store: SignalStore,
    readonly traces: TraceWindow,
    readonly nowMs: number,
  ) {
    // The current bucket is still filling; the one before may still be waiting for a push.
    this.nb = Math.floor(nowMs / BUCKET_MS) - 1;
  }

  get curFrom(): number {
    return this.nb - CUR_BUCKETS + 1;
  }
  get baseTo(): number {
    return this.nb - BASELINE_GAP;
  }
  get baseFrom(): number {
    return this.nb - 359;
  }

  /** Baseline and current of a per-bucket series computed by `f` (undefined = no data that bucket). */
  compare(f: (bucket: number) => number | undefined): TCompare | undefined {
    const base: number[] = [];
    for (let b = this.baseFrom; b <= this.baseTo; b++) {
      const v = f(b);
      if (v !== undefined && Number.isFinite(v)) base.push(v);
    }
    const cur: number[] = [];
    for (let b = this.curFrom; b <= this.nb; b++) {
      const v = f(b);
      if (v !== undefined && Number.isFinite(v)) cur.push(v);
    }
    if (base.length < MIN_BASELINE || cur.length < 2) return undefined;
    const { median, mad } = medianMad(base);
    // The median of the current buckets: one slow request (one odd bucket) does not move it.
    return { base: median, mad, cur: medianMad(cur).median, n: base.length };
  }

  value(key: string, b: number): number | undefined {
    return this.store.at(key, b);
  }

  /** Δsum/Δcount per bucket (a mean duration), undefined without calls. */
  mean(sumKey: string, countKey: string): (b: number) => number | undefined {
    return (b) => {
      const c = this.value(countKey, b);
      const s = this.value(sumKey, b);
      return c && c > 0 && s !== undefined ? s / c : undefined;
    };
  }
}

/** Robust z of the current value against the baseline, with a floor on the scale. */
export function zOf(c: TCompare, floorRel = 0.05, floorAbs = 0): number {
  const scale = Math.max(1.4826 * c.mad, Math.abs(c.base) * floorRel, floorAbs, 1e-12);
  return (c.cur - c.base) / scale;
}

const ms = (s: number) => `${(s * 1000).toFixed(s < 0.01 ? 1 : 0)} ms`;
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const q = (s: string) => s.replace(/"/g, '\\"');

function servicesOf(store: SignalStore): string[] {
  const out = new Set<string>();
  for (const k of store.keys("")) out.add(keyParts(k)[1] as string);
  return [...out];
}

export type TDetector = (w: Window) => TCandidate[];

// ---- request traffic --------------------------------------------------------------------------
function requestRate(w: Window, svc: string): (b: number) => number | undefined {
  const keys = [...w.store.keys(`http.ok${SEP}${svc}${SEP}`), ...w.store.keys(`http.err${SEP}${svc}${SEP}`)];
  return (b) => {
    let sum = 0;
    let seen = false;
    for (const k of keys) {
      const v = w.value(k, b);
      if (v !== undefined) {
        sum += v;
        seen = true;
      }
    }
    return seen ? sum / (BUCKET_MS / 1000) : undefined;
  };
}

const trafficSurge: TDetector = (w) =>
  servicesOf(w.store).flatMap((svc) => {
    const c = w.compare(requestRate(w, svc));
    if (!c || c.base < 1) return [];
    const ratio = c.cur / c.base;
    const z = zOf(c, 0.1);
    if (ratio < 1.8 || z < 4) return [];
    return [
      {
        kind: "traffic_surge" as const,
        target: { service: svc },
        targetKey: svc,
        // A doubling of the traffic is a clear event whatever else it causes: it starts above 2.
        strength: Math.min(10, 2 + Math.log2(ratio / 1.8)),
        title: `Traffic surge on ${svc}: ${c.cur.toFixed(0)} req/s (usual ${c.base.toFixed(0)})`,
        summary: `Request rate is ${ratio.toFixed(1)}× its baseline; pools, caches and queues are loaded in proportion.`,
        recommendation: `Scale out ${svc} or rate-limit the heaviest callers; if the surge is expected, size the pool and workers for ${c.cur.toFixed(0)} req/s (about ${ratio.toFixed(1)}× today's).`,
        evidence: {
          series: [
            {
              label: "requests/s",
              query: `sum(rate(http_server_request_duration_seconds_count{job="${q(svc)}"}[1m]))`,
              unit: "req/s",
              baseline: c.base,
              current: c.cur,
            },
          ],
          traces: [],
          links: [{ label: "Services", href: `/services?service=${encodeURIComponent(svc)}` }],
        },
      },
    ];
  });

// ---- database: statements, network -------------------------------------------------------------
type TStatementChange = {
  svc: string;
  statement: string;
  c: TCompare;
  delta: number;
  ratio: number;
  z: number;
  rate: number;
};

function statementChanges(w: Window): TStatementChange[] {
  const out: TStatementChange[] = [];
  for (const countKey of w.store.keys(`db.count${SEP}`)) {
    const [, svc, statement] = keyParts(countKey) as [string, string, string];
    const c = w.compare(w.mean(signalKey("db.sum", svc, statement), countKey));
    if (!c) continue;
    const rate = (w.store.total(countKey, w.curFrom, w.nb) ?? 0) / ((CUR_BUCKETS * BUCKET_MS) / 1000);
    out.push({
      svc,
      statement,
      c,
      delta: c.cur - c.base,
      ratio: c.cur / Math.max(c.base, 1e-6),
      z: zOf(c, 0.1, 0.0005),
      rate,
    });
  }
  return out;
}

const dbLatency: TDetector = (w) => {
  const changes = statementChanges(w);
  const out: TCandidate[] = [];
  for (const svc of new Set(changes.map((c) => c.svc))) {
    const mine = changes.filter((c) => c.svc === svc && c.rate > 0.2);
    if (mine.length === 0) continue;
    const deltas = mine.map((c) => Math.max(0, c.delta)).sort((a, b) => a - b);
    const medDelta = deltas[Math.floor(deltas.length / 2)] as number;
    // Every statement slower by a similar floor: the round trip, not the queries. A slow statement
    // on a busy database slows the others too (they queue behind it), but unevenly: its own delta
    // stands far above the rest.
    const floorRise = mine.filter((c) => c.delta >= 0.0015 && c.z >= 3);
    const maxDelta = deltas.at(-1) as number;
    const uniform = medDelta > 0 && maxDelta <= medDelta * 4;
    // A statement caught with a sequential scan on a filtered column since it slowed down: the
    // others queue behind it on a busy database (one PGlite connection serves one query at a time),
    // and the uniform rise is that queue, not the network.
    const planned = new Set(
      mine
        .filter((c) => c.z >= 4 && c.delta >= 0.002)
        .filter((c) => {
          const plan = w.traces.plans.get(`${svc}${SEP}${fingerprint(c.statement).id}`);
          return (
            plan !== undefined && plan.atMs >= w.nowMs - 90_000 && (parsePlan(plan.plan)?.suggestions.length ?? 0) > 0
          );
        })
        .map((c) => c.statement),
    );
    if (
      planned.size === 0 &&
      mine.length >= 3 &&
      floorRise.length >= Math.max(3, Math.ceil(mine.length * 0.7)) &&
      uniform
    ) {
      out.push({
        kind: "network_delay",
        target: { service: svc },
        targetKey: svc,
        strength: Math.min(10, 1 + Math.log2(medDelta / 0.002) * (floorRise.length / mine.length)),
        title: `Every database round trip of ${svc} is ~${ms(medDelta)} slower`,
        summary: `${floorRise.length} of ${mine.length} statements rose by a similar floor (median +${ms(medDelta)}), whatever the query: the network or the database host, not the SQL.`,
        recommendation:
          "Check the network path to the database and Redis (latency between hosts, a proxy or a saturated NIC); co-locate the service with its database, and batch round trips where a request makes many.",
        evidence: {
          series: floorRise.slice(0, 3).map((c) => ({
            label: `mean ${c.statement.slice(0, 60)}`,
            query: `sum(rate(db_client_operation_duration_seconds_sum{job="${q(svc)}",db_statement="${q(c.statement)}"}[1m])) / sum(rate(db_client_operation_duration_seconds_count{job="${q(svc)}",db_statement="${q(c.statement)}"}[1m]))`,
            unit: "s",
            baseline: c.c.base,
            current: c.c.cur,
          })),
          traces: [],
          links: [{ label: "Queries", href: `/queries?service=${encodeURIComponent(svc)}` }],
        },
      });
      continue;
    }
    for (const c of mine) {
      if (c.z < 4 || c.delta < 0.002 || c.ratio < 2) continue;
      // An outlier among the statements: well above the typical statement's own rise.
      const outlier = c.delta >= Math.max(medDelta * 3, 0.002);
      if (!outlier && !planned.has(c.statement)) continue;
      const fp = fingerprint(c.statement);
      const planKey = `${svc}${SEP}${fp.id}`;
      const plan = w.traces.plans.get(planKey);
      const parsed = plan ? parsePlan(plan.plan) : undefined;
      const suggestion = parsed?.suggestions[0];
      const seqScan = parsed?.nodes.some((n) => n.nodeType === "Seq Scan");
      const example = bestExample(w, planKey);
      // Impact: the time this statement adds per second across its calls.
      const addedPerSecond = c.delta * c.rate;
      out.push({
        kind: "slow_query",
        target: { service: svc, fingerprint: fp.id, statement: fp.text.slice(0, 200) },
        targetKey: `${svc}/${fp.id}`,
        strength: Math.min(10, Math.log2(c.ratio) * (seqScan ? 2 : 1) * Math.min(1.5, 0.5 + addedPerSecond)),
        title: `Slow query on ${svc}: ${ms(c.c.cur)} per call (usual ${ms(c.c.base)})`,
        summary: `\`${fp.text.slice(0, 160)}\` takes ${c.ratio.toFixed(1)}× its usual time at ${c.rate.toFixed(1)} calls/s (+${(addedPerSecond * 1000).toFixed(0)} ms of database time per second)${seqScan ? "; its plan is a sequential scan" : ""}.`,
        recommendation: suggestion
          ? `${suggestion.sql} — ${suggestion.reason}`
          : "Run EXPLAIN ANALYZE on this statement: look for a sequential scan on a filtered column (an index dropped or never created) or a plan change; the agent attaches plans when explainSlowQueriesMs is set.",
        evidence: {
          series: [
            {
              label: "mean per call",
              query: `sum(rate(db_client_operation_duration_seconds_sum{job="${q(svc)}",db_statement="${q(c.statement)}"}[1m])) / sum(rate(db_client_operation_duration_seconds_count{job="${q(svc)}",db_statement="${q(c.statement)}"}[1m]))`,
              unit: "s",
              baseline: c.c.base,
              current: c.c.cur,
            },
          ],
          traces: example ? [example] : plan ? [plan.traceId] : [],
          links: [{ label: "Query detail", href: `/queries/${fp.id}` }],
          ...(plan ? { plan: { statement: plan.statement, traceId: plan.traceId, suggestion: suggestion?.sql } } : {}),
        },
      });
    }
  }
  return out;
};

function bestExample(w: Window, statementKey: string): string | undefined {
  let best: { ms: number; id?: string } = { ms: -1 };
  for (let b = w.curFrom - 3; b <= w.nb + 1; b++) {
    const s = w.traces.statements.get(statementKey, b);
    if (s?.example && s.exampleMs > best.ms) best = { ms: s.exampleMs, id: s.example };
  }
  return best.id;
}

// ---- N+1 ---------------------------------------------------------------------------------------
const nPlusOne: TDetector = (w) => {
  const out: TCandidate[] = [];
  for (const [key, buckets] of w.traces.nPlusOne.byKey) {
    const [svc, route] = keyParts(key) as [string, string, string];
    let traces = 0;
    let repeats = 0;
    let last: { example?: string; statement: string; recommendation: string } | undefined;
    let baseTraces = 0;
    for (const [b, v] of buckets) {
      if (b >= w.curFrom - 2 && b <= w.nb + 1) {
        traces += v.traces;
        repeats += v.repeats;
        last = v;
      } else if (b <= w.baseTo) baseTraces += v.traces;
    }
    if (!last || traces < 2) continue;
    let routeTraces = 0;
    let routeBase = 0;
    const rb = w.traces.routes.byKey.get(`${svc}${SEP}${route}`);
    for (const [b, v] of rb ?? []) {
      if (b >= w.curFrom - 2 && b <= w.nb + 1) routeTraces += v.count;
      else if (b <= w.baseTo) routeBase += v.count;
    }
    const share = routeTraces > 0 ? Math.min(1, traces / routeTraces) : 1;
    const baseShare = routeBase > 0 ? baseTraces / routeBase : 0;
    if (share < 0.3 || share < baseShare * 2) continue;
    const perTrace = repeats / traces;
    const fp = fingerprint(last.statement);
    out.push({
      kind: "n_plus_one",
      target: { service: svc, route, fingerprint: fp.id },
      targetKey: `${svc}/${route}/${fp.id}`,
      strength: Math.min(10, 1 + Math.log2(perTrace / 5 + 1) * share * 2),
      title: `N+1 queries on ${route}: ${perTrace.toFixed(0)} × the same statement per request`,
      summary: `${pct(share)} of sampled ${route} requests repeat \`${fp.text.slice(0, 120)}\` ${perTrace.toFixed(0)} times (usual share ${pct(baseShare)}).`,
      recommendation: last.recommendation,
      evidence: {
        series: [],
        traces: last.example ? [last.example] : [],
        links: [
          { label: "Query detail", href: `/queries/${fp.id}` },
          {
            label: "Traces of the route",
            href: `/traces?service=${encodeURIComponent(svc)}&route=${encodeURIComponent(route)}`,
          },
        ],
      },
    });
  }
  return out;
};

// ---- caches ------------------------------------------------------------------------------------
const caches: TDetector = (w) => {
  const out: TCandidate[] = [];
  for (const hitKey of w.store.keys(`cache.hit${SEP}`)) {
    const [, svc, cache, level] = keyParts(hitKey) as [string, string, string, string];
    const missKey = signalKey("cache.miss", svc, cache, level);
    const ratio = w.compare((b) => {
      const h = w.value(hitKey, b) ?? 0;
      const m = w.value(missKey, b) ?? 0;
      return h + m >= 3 ? h / (h + m) : undefined;
    });
    const evict = w.compare((b) => w.value(signalKey("cache.evict", svc, cache, level), b) ?? 0);
    const evictRate = evict ? evict.cur / (BUCKET_MS / 1000) : 0;
    const evictBase = evict ? evict.base / (BUCKET_MS / 1000) : 0;
    const target = { service: svc, cache, level };
    const series: TEvidenceSeries[] = [];
    if (ratio) {
      series.push({
        label: "hit ratio",
        query: `sum(rate(cache_requests_total{job="${q(svc)}",cache="${q(cache)}",level="${q(level)}",result="hit"}[1m])) / sum(rate(cache_requests_total{job="${q(svc)}",cache="${q(cache)}",level="${q(level)}"}[1m]))`,
        unit: "ratio",
        baseline: ratio.base,
        current: ratio.cur,
      });
    }
    const drop = ratio ? ratio.base - ratio.cur : 0;
    const evictionsJumped =
      evict !== undefined && evictRate >= 2 && evictRate >= Math.max(evictBase * 3, evictBase + 2);
    // Undersized: the evictions cost hits (churn with an unchanged hit ratio is only bookkeeping), and
    // the cache holds fewer entries than it did. A flushed or re-keyed cache refills to its old size
    // while it evicts, so its entries tell the two apart.
    const entries = w.compare((b) => w.value(signalKey("cache.entries", svc, cache, level), b));
    const shrank = entries === undefined || entries.cur < entries.base * 0.7;
    if (evictionsJumped && level === "memory" && drop >= 0.05 && shrank) {
      series.push({
        label: "evictions/s",
        query: `sum(rate(cache_evictions_total{job="${q(svc)}",cache="${q(cache)}",level="${q(level)}"}[1m]))`,
        unit: "1/s",
        baseline: evictBase,
        current: evictRate,
      });
      out.push({
        kind: "cache_undersized",
        target,
        targetKey: `${svc}/${cache}/${level}`,
        strength: Math.min(10, (1 + Math.log2(evictRate / Math.max(evictBase * 3, 2))) * (drop > 0.05 ? 1.2 : 1)),
        title: `Cache ${cache} (${level}) is too small: ${evictRate.toFixed(0)} evictions/s`,
        summary: `Entries are evicted ${evictRate.toFixed(0)}/s (usual ${evictBase.toFixed(1)}/s)${ratio ? `, hit ratio ${pct(ratio.cur)} (usual ${pct(ratio.base)})` : ""}: the working set does not fit.`,
        recommendation: `Raise the ${cache} cache's max entries (or memory budget) until evictions fall near zero, or cache fewer, smaller values; each miss costs a Redis or database round trip.`,
        evidence: {
          series,
          traces: [],
          links: [{ label: "Caches", href: `/caches?service=${encodeURIComponent(svc)}` }],
        },
      });
      continue;
    }
    if (ratio && ratio.base >= 0.3 && drop >= 0.15 && zOf(ratio, 0.02, 0.02) <= -4) {
      out.push({
        kind: "cache_hit_collapse",
        target,
        targetKey: `${svc}/${cache}/${level}`,
        strength: Math.min(10, drop / 0.15),
        title: `Cache ${cache} (${level}) hit ratio fell to ${pct(ratio.cur)} (usual ${pct(ratio.base)})`,
        summary: `Misses now reach the next level and the database; evictions did not rise${evict ? ` (${evictRate.toFixed(1)}/s)` : ""}, so entries are being invalidated, expiring or looked up under different keys.`,
        recommendation: `Check what flushed or invalidated ${cache} and whether its keys changed (a new prefix or version); warm it on write, and protect the database from the miss storm with request coalescing (single-flight) per key.`,
        evidence: {
          series,
          traces: [],
          links: [{ label: "Caches", href: `/caches?service=${encodeURIComponent(svc)}` }],
        },
      });
    }
  }
  // A slow cache backend: get latency up, hit ratio unchanged.
  for (const sumKey of w.store.keys(`cache.op.sum${SEP}`)) {
    const [, svc, cache, level] = keyParts(sumKey) as [string, string, string, string];
    if (level !== "redis") continue;
    const c = w.compare(w.mean(sumKey, signalKey("cache.op.count", svc, cache, level)));
    if (!c) continue;
    const delta = c.cur - c.base;
    if (delta < 0.003 || c.cur / Math.max(c.base, 1e-6) < 2 || zOf(c, 0.1, 0.0005) < 4) continue;
    out.push({
      kind: "cache_backend_slow",
      target: { service: svc, cache, level },
      targetKey: `${svc}/${cache}/${level}`,
      strength: Math.min(10, Math.log2(c.cur / Math.max(c.base, 1e-6))),
      title: `Redis behind ${cache} is slow: ${ms(c.cur)} per get (usual ${ms(c.base)})`,
      summary: `Redis gets take +${ms(delta)} while the hit ratio holds: the cache backend, not the caching, is the cost.`,
      recommendation:
        "Check Redis's own latency (SLOWLOG, INFO commandstats, CPU and persistence pauses) and the network to it; pipeline or MGET multi-key reads, and keep the in-process level large enough to absorb hot keys.",
      evidence: {
        series: [
          {
            label: "redis get mean",
            query: `sum(rate(cache_operation_duration_seconds_sum{job="${q(svc)}",cache="${q(cache)}",level="redis",operation="get"}[1m])) / sum(rate(cache_operation_duration_seconds_count{job="${q(svc)}",cache="${q(cache)}",level="redis",operation="get"}[1m]))`,
            unit: "s",
            baseline: c.base,
            current: c.cur,
          },
        ],
        traces: [],
        links: [{ label: "Caches", href: `/caches?service=${encodeURIComponent(svc)}` }],
      },
    });
  }
  return out;
};

// ---- connection pool ---------------------------------------------------------------------------
const pools: TDetector = (w) => {
  const out: TCandidate[] = [];
  for (const maxKey of w.store.keys(`pool.max${SEP}`)) {
    const [, svc, pool] = keyParts(maxKey) as [string, string, string];
    const wait = w.compare(w.mean(signalKey("pool.wait.sum", svc, pool), signalKey("pool.wait.count", svc, pool)));
    const used = w.compare((b) => w.value(signalKey("pool.used", svc, pool), b));
    const max = w.compare((b) => w.value(maxKey, b));
    const idle = w.compare((b) => w.value(signalKey("pool.idle", svc, pool), b));
    const pending = w.compare((b) => w.value(signalKey("pool.pending", svc, pool), b));
    if (!used || !max) continue;
    const waitDelta = wait ? wait.cur - wait.base : 0;
    const waitRose = wait !== undefined && waitDelta >= 0.003 && zOf(wait, 0.1, 0.001) >= 4;
    const queued = (pending?.cur ?? 0) >= 1 && (pending?.cur ?? 0) > (pending?.base ?? 0) + 0.5;
    const atMax = used.cur >= max.cur - 0.5;
    const wasAtMax = used.base >= max.base - 0.5 && (pending?.base ?? 0) >= 1;
    // Saturated now and not in the baseline; waiting callers or longer waits show it costs time.
    if (!atMax || wasAtMax || !(waitRose || queued)) continue;
    const maxDropped = max.cur < max.base - 0.5;
    const dbRate = w.compare((b) => {
      let sum = 0;
      for (const k of w.store.keys(`db.count${SEP}${svc}${SEP}`)) sum += w.value(k, b) ?? 0;
      return sum;
    });
    const throughputDown = dbRate !== undefined && dbRate.cur < dbRate.base * 0.8;
    // Queries per checked-out connection: a saturated pool's connections are busy running queries; a
    // leaked one runs none.
    const perConnection = (rate: number, conns: number) => rate / Math.max(conns, 1);
    const idleConnections =
      dbRate !== undefined && perConnection(dbRate.cur, used.cur) * 5 < perConnection(dbRate.base, used.base);
    // A leak: connections held by no query; every one checked out, none idle, and fewer queries run.
    // Checkouts per bucket: a pool that hands out fewer connections while callers queue is not busy
    // serving them (saturation under load hands out as many or more).
    const checkouts = w.compare((b) => w.value(signalKey("pool.wait.count", svc, pool), b));
    const checkoutsDown = checkouts !== undefined && checkouts.cur < checkouts.base * 0.75;
    const leak = !maxDropped && (idle?.cur ?? 1) < 0.5 && (throughputDown || idleConnections || checkoutsDown);
    const series: TEvidenceSeries[] = [
      {
        label: "connections used",
        query: `db_client_connection_count{job="${q(svc)}",pool="${q(pool)}",state="used"}`,
        unit: "",
        baseline: used.base,
        current: used.cur,
      },
    ];
    if (wait) {
      series.unshift({
        label: "mean wait for a connection",
        query: `sum(rate(db_client_connection_wait_time_seconds_sum{job="${q(svc)}",pool="${q(pool)}"}[1m])) / sum(rate(db_client_connection_wait_time_seconds_count{job="${q(svc)}",pool="${q(pool)}"}[1m]))`,
        unit: "s",
        baseline: wait.base,
        current: wait.cur,
      });
    }
    const waitFactor = wait ? Math.log2(Math.max(2, wait.cur / Math.max(wait.base, 0.0005))) : 1;
    const strength = Math.min(10, 1 + waitFactor / 2 + (maxDropped ? 1 : 0) + (queued ? 0.5 : 0));
    const waitText = wait ? `; waits are ${ms(wait.cur)} (usual ${ms(wait.base)})` : "";
    if (leak) {
      out.push({
        kind: "connection_leak",
        target: { service: svc, pool },
        targetKey: `${svc}/${pool}`,
        strength: strength + 1,
        title: `Connection leak in pool ${pool}: all ${max.cur.toFixed(0)} connections checked out, throughput down`,
        summary: `Used connections sit at the max (${used.cur.toFixed(0)}/${max.cur.toFixed(0)}, usual ${used.base.toFixed(1)}), none idle, ${(pending?.cur ?? 0).toFixed(0)} callers wait, while database calls fell ${pct(1 - (dbRate?.cur ?? 0) / Math.max(dbRate?.base ?? 1, 1e-9))}${waitText}.`,
        recommendation:
          "Find the code path that calls pool.connect() without client.release() on every branch (errors included): use pool.query() or try/finally; set idleTimeoutMillis and log clients held longer than a few seconds.",
        evidence: {
          series,
          traces: [],
          links: [{ label: "Queries", href: `/queries?service=${encodeURIComponent(svc)}` }],
        },
      });
      continue;
    }
    out.push({
      kind: "pool_saturation",
      target: { service: svc, pool },
      targetKey: `${svc}/${pool}`,
      strength,
      title: `Pool ${pool} saturated: all ${max.cur.toFixed(0)} connections in use${wait ? `, ${ms(wait.cur)} mean wait` : ""}`,
      summary: `All ${max.cur.toFixed(0)} connections are in use${maxDropped ? ` (max was ${max.base.toFixed(0)})` : ""} and ${(pending?.cur ?? 0).toFixed(0)} callers wait${waitText}.`,
      recommendation: `Raise pool max from ${max.cur.toFixed(0)} to ${Math.max(max.base, max.cur * 2).toFixed(0)} (within the database's max_connections) or shorten how long each request holds a connection: no work between queries while holding it.`,
      evidence: {
        series,
        traces: [],
        links: [{ label: "Queries", href: `/queries?service=${encodeURIComponent(svc)}` }],
      },
    });
  }
  return out;
};

// ---- runtime -----------------------------------------------------------------------------------
const runtime: TDetector = (w) => {
  const out: TCandidate[] = [];
  for (const svc of servicesOf(w.store)) {
    const cpu = w.compare((b) => {
      const v = w.value(signalKey("cpu", svc), b);
      return v === undefined ? undefined : v / (BUCKET_MS / 1000);
    });
    const lag = w.compare((b) => w.value(signalKey("lag", svc), b));
    const heap = w.compare((b) => w.value(signalKey("heap", svc), b));
    const workerQueued = w.store
      .keys(`worker.queued${SEP}${svc}${SEP}`)
      .map((k) => w.compare((b) => w.value(k, b)))
      .filter((c): c is TCompare => c !== undefined);
    const cpuRise = cpu ? cpu.cur - cpu.base : 0;
    const lagRise = lag ? lag.cur - lag.base : 0;
    // Workers all busy and their queue growing: CPU-bound work outruns the cores, even when the
    // process cannot show more CPU because the machine has none to give.
    const workersSaturated = w.store.keys(`worker.queued${SEP}${svc}${SEP}`).some((k) => {
      const pool = keyParts(k)[2] as string;
      const queued = w.compare((b) => w.value(k, b));
      const active = w.compare((b) => w.value(signalKey("worker.active", svc, pool), b));
      const size = w.compare((b) => w.value(signalKey("worker.size", svc, pool), b));
      return (
        queued !== undefined &&
        active !== undefined &&
        size !== undefined &&
        queued.cur >= Math.max(3, queued.base * 3 + 1) &&
        active.cur >= size.cur - 0.5
      );
    });
    if (lag && lagRise >= 0.04 && lag.cur >= 0.06 && zOf(lag, 0.2, 0.005) >= 4) {
      out.push({
        kind: "event_loop_blocked",
        target: { service: svc },
        targetKey: svc,
        strength: Math.min(10, lag.cur / 0.05) * (workersSaturated ? 0.4 : 1),
        title: `Event loop of ${svc} blocked: p99 lag ${ms(lag.cur)} (usual ${ms(lag.base)})`,
        summary: `Synchronous work holds the main thread for tens of milliseconds at a time; every route's tail latency rises together${cpu ? ` (CPU ${(cpu.cur * 100).toFixed(0)} % of a core)` : ""}.`,
        recommendation:
          "Profile the main thread (node --cpu-prof) for long synchronous calls — JSON of large payloads, sync crypto/zlib/fs, big loops — and move them to a worker thread or split them with setImmediate.",
        evidence: {
          series: [
            {
              label: "event-loop lag p99",
              query: `nodejs_eventloop_lag_p99_seconds{job="${q(svc)}"}`,
              unit: "s",
              baseline: lag.base,
              current: lag.cur,
            },
          ],
          traces: [],
          links: [],
        },
      });
    }
    const queued = workerQueued.reduce((a, c) => a + Math.max(0, c.cur - c.base), 0);
    const cpuRose = cpu !== undefined && cpuRise >= 0.25 && cpu.cur >= cpu.base * 1.6 && zOf(cpu, 0.1, 0.02) >= 4;
    if (cpu && (cpuRose || workersSaturated)) {
      out.push({
        kind: "cpu_saturation",
        target: { service: svc },
        targetKey: svc,
        strength: Math.min(10, Math.max(0, cpuRise) / 0.25 + (workersSaturated ? 3 : queued > 1 ? 1 : 0)),
        title: `CPU saturation in ${svc}: ${(cpu.cur * 100).toFixed(0)} % of a core (usual ${(cpu.base * 100).toFixed(0)} %)`,
        summary: `Process CPU rose by ${(cpuRise * 100).toFixed(0)} points${queued > 0.5 ? `, worker tasks queue up (+${queued.toFixed(0)})` : ""}; requests wait for the CPU everywhere.`,
        recommendation:
          "Profile a busy period (node --cpu-prof, or the worker's profile) and remove the hot loop, cache computed results, or add cores/instances; size the worker pool to the cores you have.",
        evidence: {
          series: [
            {
              label: "CPU (cores)",
              query: `rate(process_cpu_seconds_total{job="${q(svc)}"}[1m])`,
              unit: "cores",
              baseline: cpu.base,
              current: cpu.cur,
            },
          ],
          traces: [],
          links: [],
        },
      });
    }
    if (heap) {
      // A leak is a climb: the heap now well above anything in its baseline, and still rising.
      const recent = w.store.range(signalKey("heap", svc), w.nb - 11, w.nb).filter((v): v is number => v !== undefined);
      const first = recent.slice(0, 4);
      const last = recent.slice(-4);
      const rising = first.length >= 3 && last.length >= 3 && Math.min(...last) > Math.max(...first) * 1.1;
      if (heap.cur > heap.base * 1.4 && heap.cur - heap.base > 30e6 && rising) {
        out.push({
          kind: "memory_leak",
          target: { service: svc },
          targetKey: svc,
          strength: Math.min(10, heap.cur / heap.base - 0.4),
          title: `Memory leak in ${svc}: heap ${(heap.cur / 1e6).toFixed(0)} MB and climbing (usual ${(heap.base / 1e6).toFixed(0)} MB)`,
          summary:
            "The used heap grows steadily and garbage collection does not bring it back; GC pauses lengthen and the process will run out of memory.",
          recommendation:
            "Take two heap snapshots a minute apart (node --inspect, or --heapsnapshot-signal) and compare retained sizes: look for growing Maps, arrays or listeners held by a long-lived object or a timer; bound caches by size.",
          evidence: {
            series: [
              {
                label: "heap used",
                query: `nodejs_heap_size_used_bytes{job="${q(svc)}"}`,
                unit: "bytes",
                baseline: heap.base,
                current: heap.cur,
              },
            ],
            traces: [],
            links: [],
          },
        });
      }
    }
  }
  return out;
};

// ---- queues ------------------------------------------------------------------------------------
const queues: TDetector = (w) => {
  const out: TCandidate[] = [];
  for (const key of w.store.keys(`queue.depth${SEP}`)) {
    const [, svc, queue] = keyParts(key) as [string, string, string];
    const depth = w.compare((b) => w.value(key, b));
    if (!depth) continue;
    const recent = w.store.range(key, w.nb - 5, w.nb).filter((v): v is number => v !== undefined);
    const growing = recent.length >= 3 && (recent.at(-1) as number) >= (recent[0] as number);
    if (depth.cur < Math.max(20, depth.base * 3) || zOf(depth, 0.2, 2) < 4 || !growing) continue;
    const lag = w.compare((b) => w.value(signalKey("queue.lag", svc, queue), b));
    out.push({
      kind: "queue_backlog",
      target: { service: svc, queue },
      targetKey: `${svc}/${queue}`,
      strength: Math.min(10, depth.cur / Math.max(depth.base * 3, 20)),
      title: `Backlog on queue ${queue}: ${depth.cur.toFixed(0)} waiting (usual ${depth.base.toFixed(0)})`,
      summary: `Consumers fall behind the producers${lag ? `; the oldest item waits ${lag.cur.toFixed(1)} s` : ""}, and backpressure will slow the producers.`,
      recommendation: `Add consumers for ${queue} or make each faster (batch the writes it does per item); if the producer burst is expected, size the queue and alert on lag rather than depth.`,
      evidence: {
        series: [
          {
            label: "queue depth",
            query: `queue_depth{job="${q(svc)}",queue="${q(queue)}"}`,
            unit: "",
            baseline: depth.base,
            current: depth.cur,
          },
        ],
        traces: [],
        links: [],
      },
    });
  }
  return out;
};

// ---- downstream and route regressions (from traces) -------------------------------------------
function traceCompare<T>(
  w: Window,
  byKey: Map<number, T> | undefined,
  f: (v: T) => number | undefined,
): TCompare | undefined {
  if (!byKey) return undefined;
  return w.compare((b) => {
    const v = byKey.get(b);
    return v === undefined ? undefined : f(v);
  });
}

const downstream: TDetector = (w) => {
  const out: TCandidate[] = [];
  for (const [key, buckets] of w.traces.peers.byKey) {
    const [svc, peer] = keyParts(key) as [string, string];
    const c = traceCompare(w, buckets, (v) => (v.count > 0 ? v.totalMs / v.count : undefined));
    if (!c || c.cur - c.base < 30 || c.cur < c.base * 2 || zOf(c, 0.1, 2) < 4) continue;
    let example: string | undefined;
    for (let b = w.curFrom; b <= w.nb + 1; b++) example = buckets.get(b)?.example ?? example;
    out.push({
      kind: "slow_dependency",
      target: { service: svc, peer },
      targetKey: `${svc}/${peer}`,
      strength: Math.min(10, Math.log2(c.cur / Math.max(c.base, 0.1))),
      title: `Slow dependency ${peer}: ${c.cur.toFixed(0)} ms per call from ${svc} (usual ${c.base.toFixed(0)} ms)`,
      summary: `Client calls to ${peer} take +${c.cur - c.base >= 1 ? (c.cur - c.base).toFixed(0) : "<1"} ms; the routes that call it wait on it.`,
      recommendation: `Look at ${peer}'s own latency; meanwhile set a timeout below your route's budget, cache its answers where they allow, and call it in parallel or off the request path.`,
      evidence: {
        series: [],
        traces: example ? [example] : [],
        links: [{ label: "Traces", href: `/traces?service=${encodeURIComponent(svc)}` }],
      },
    });
  }
  return out;
};

const routeRegression: TDetector = (w) => {
  const out: TCandidate[] = [];
  for (const [key, buckets] of w.traces.routes.byKey) {
    const [svc, route] = keyParts(key) as [string, string];
    const c = traceCompare(w, buckets, (v) => (v.count > 0 ? v.totalMs / v.count : undefined));
    if (!c || c.cur - c.base < 20 || c.cur < c.base * 1.5 || zOf(c, 0.1, 2) < 4) continue;
    const deltaMs = {} as Record<TPart, number>;
    const mean = (from: number, to: number, p: TPart) => {
      let n = 0;
      let s = 0;
      for (const [b, v] of buckets) {
        if (b < from || b > to) continue;
        n += v.count;
        s += v.parts[p];
      }
      return n > 0 ? s / n : 0;
    };
    for (const p of PARTS) deltaMs[p] = mean(w.curFrom, w.nb + 1, p) - mean(w.baseFrom, w.baseTo, p);
    const ranked = [...PARTS].sort((a, b) => deltaMs[b] - deltaMs[a]);
    const [top, second] = ranked as [TPart, TPart];
    const verdict = `${PART_LABELS[top]} ${formatDeltaMs(deltaMs[top])}/request, not ${PART_LABELS[second]} (${formatDeltaMs(deltaMs[second])})`;
    let example: string | undefined;
    for (let b = w.curFrom; b <= w.nb + 1; b++) example = buckets.get(b)?.example ?? example;
    out.push({
      kind: "latency_regression",
      target: { service: svc, route },
      targetKey: `${svc}/${route}`,
      // A fallback when no component explains the slowdown: capped so that any clear cause ranks above.
      strength: Math.min(1.5, Math.log2(c.cur / Math.max(c.base, 0.1))),
      title: `${route} slowed to ${c.cur.toFixed(0)} ms (usual ${c.base.toFixed(0)} ms): ${PART_LABELS[top]}`,
      summary: `Split of the added time per request: ${verdict}.`,
      recommendation: `Look at the ${PART_LABELS[top]} of ${route} first; the other findings for ${svc} name the component.`,
      evidence: {
        series: [
          {
            label: "mean duration",
            query: `sum(rate(http_server_request_duration_seconds_sum{job="${q(svc)}",route="${q(route)}"}[1m])) / sum(rate(http_server_request_duration_seconds_count{job="${q(svc)}",route="${q(route)}"}[1m]))`,
            unit: "s",
            baseline: c.base / 1000,
            current: c.cur / 1000,
          },
        ],
        traces: example ? [example] : [],
        links: [
          { label: "Traces", href: `/traces?service=${encodeURIComponent(svc)}&route=${encodeURIComponent(route)}` },
        ],
        attribution: { route, verdict, deltaMs },
      },
    });
  }
  return out;
};

export const DETECTORS: TDetector[] = [
  trafficSurge,
  dbLatency,
  nPlusOne,
  caches,
  pools,
  runtime,
  queues,
  downstream,
  routeRegression,
  genericDetector,
];

export function detectAll(w: Window): TCandidate[] {
  return DETECTORS.flatMap((d) => d(w));
}
