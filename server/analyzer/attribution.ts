// Cross-layer attribution: where the wall time of each request went (in-memory cache, Redis, waiting
// for a pool connection, SQL execution, downstream calls, or the service's own code), and which of
// those parts explains a route getting slower.
//
// Each instant of a server span is given to exactly one part, so the parts sum to the request's
// duration and parallel children are never counted twice:
// - only the innermost spans covering an instant count (a DB span inside a cache-miss span is SQL
//   time, the rest of the cache span is cache time); internal spans count as own code;
// - when unrelated spans of different parts overlap (parallel children), PRECEDENCE decides;
// - a request stops at its service's boundary: a nested server span (another service, or another
//   request) is attributed on its own, and the caller sees that time as its CLIENT span's, downstream.
import { classifySpan, indexTrace, nsToMs, routeOf, type TSpanClass, type TTraceSpan } from "./spans";

export const PARTS = ["cache_memory", "cache_redis", "pool_wait", "sql", "downstream", "own"] as const;
export type TPart = (typeof PARTS)[number];
export type TParts = Record<TPart, number>;

/**
 * Overlapping parts, highest first. A pool wait overlapping running SQL (parallel queries from one
 * request on a saturated pool) is pool time: more connections is what would shorten that instant.
 * Any I/O in flight outranks own code, since the request is waiting on it whatever the CPU does.
 */
export const PRECEDENCE: readonly TPart[] = ["pool_wait", "sql", "downstream", "cache_redis", "cache_memory", "own"];

export const PART_LABELS: Record<TPart, string> = {
  cache_memory: "in-memory cache",
  cache_redis: "Redis cache",
  pool_wait: "pool wait",
  sql: "SQL execution",
  downstream: "downstream calls",
  own: "own code",
};

/** One request (server span): its duration in ms and the parts it splits into (they sum to totalMs). */
export type TRequestAttribution = {
  traceId: string;
  spanId: string;
  service: string;
  route: string;
  status: string;
  startNs: number;
  totalMs: number;
  parts: TParts;
};

/** Mean per request over a set of requests of one route. */
export type TRouteAttribution = {
  service: string;
  route: string;
  count: number;
  totalMs: number;
  parts: TParts;
};

export type TAttributionChange = {
  service: string;
  route: string;
  countBefore: number;
  countAfter: number;
  before: TRouteAttribution;
  after: TRouteAttribution;
  /** Mean ms per request, after − before. */
  totalDeltaMs: number;
  deltaMs: TParts;
  /** The part that grew most; null when nothing grew. */
  dominant: TPart | null;
  dominantDeltaMs: number;
  /** dominantDeltaMs over the summed increases of the parts that grew (0..1); null when nothing grew. */
  share: number | null;
  /** The part with the next largest change, which the verdict rules out. */
  runnerUp: TPart | null;
  runnerUpDeltaMs: number;
  verdict: string;
};

const zeroParts = (): TParts => ({ cache_memory: 0, cache_redis: 0, pool_wait: 0, sql: 0, downstream: 0, own: 0 });

const PART_OF_CLASS: Record<TSpanClass, TPart | undefined> = {
  cache_memory: "cache_memory",
  cache_redis: "cache_redis",
  pool_wait: "pool_wait",
  sql: "sql",
  downstream: "downstream",
  internal: "own",
  server: undefined,
};

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** A span of the request, clipped to it; `active`/`below` are the sweep's state. */
type TItem = { start: number; end: number; part: TPart; parent: number; active: boolean; below: number };

/** Splits every server span of one trace into parts. Spans of other traces in the input are ignored. */
export function attributeTrace(spans: readonly TTraceSpan[]): TRequestAttribution[] {
  const first = spans[0];
  if (!first) return [];
  const index = indexTrace(spans.filter((s) => s.traceId === first.traceId));
  const out: TRequestAttribution[] = [];
  for (const root of index.byId.values()) {
    if (root.kind !== "server") continue;
    const totalNs = Math.max(0, root.durationNs);
    const partsNs = splitRequest(root, index.children, totalNs);
    const parts = zeroParts();
    let others = 0;
    for (const p of PARTS) {
      if (p === "own") continue;
      parts[p] = nsToMs(partsNs[p]);
      others += parts[p];
    }
    const totalMs = nsToMs(totalNs);
    // Own is the remainder, so the rounded parts still add up to the rounded total.
    parts.own = Math.max(0, round3(totalMs - others));
    out.push({
      traceId: root.traceId,
      spanId: root.spanId,
      service: root.service,
      route: routeOf(root),
      status: root.status,
      startNs: root.startNs,
      totalMs,
      parts,
    });
  }
  return out.sort((a, b) => a.startNs - b.startNs);
}

function splitRequest(root: TTraceSpan, children: Map<string, TTraceSpan[]>, totalNs: number): TParts {
  const rootStart = root.startNs;
  const rootEnd = root.startNs + totalNs;
  const items: TItem[] = [];
  // Depth-first over the request's own spans; the visited set guards against parent cycles in bad data.
  const visited = new Set<string>([root.spanId]);
  const stack: { span: TTraceSpan; parent: number }[] = (children.get(root.spanId) ?? []).map((span) => ({
    span,
    parent: -1,
  }));
  while (stack.length > 0) {
    const { span, parent } = stack.pop() as { span: TTraceSpan; parent: number };
    if (visited.has(span.spanId)) continue;
    visited.add(span.spanId);
    if (span.kind === "server" || span.service !== root.service) continue;
    const part = PART_OF_CLASS[classifySpan(span)];
    if (!part) continue;
    // A span outliving its request (fire-and-forget work) only counts while the request runs.
    const start = Math.max(rootStart, span.startNs);
    const end = Math.min(rootEnd, span.startNs + Math.max(0, span.durationNs));
    const idx = items.length;
    items.push({ start, end, part, parent, active: false, below: 0 });
    for (const c of children.get(span.spanId) ?? []) stack.push({ span: c, parent: idx });
  }

  const parts = zeroParts();
  const events: { t: number; start: boolean; i: number }[] = [];
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as TItem;
    if (it.end <= it.start) continue;
    events.push({ t: it.start, start: true, i }, { t: it.end, start: false, i });
  }
  events.sort((a, b) => a.t - b.t);

  // A span counts for an instant when it is active and none of its descendants is ("leaf-most").
  // item.below = its active descendants; leaves[part] = active spans of that part with none below.
  const leaves = zeroParts();
  const winner = (): TPart => PRECEDENCE.find((p) => leaves[p] > 0) ?? "own";

  let prev = rootStart;
  for (const ev of events) {
    if (ev.t > prev) {
      parts[winner()] += ev.t - prev;
      prev = ev.t;
    }
    const it = items[ev.i] as TItem;
    it.active = ev.start;
    if (it.below === 0) leaves[it.part] += ev.start ? 1 : -1;
    for (let a = it.parent; a >= 0; ) {
      const anc = items[a] as TItem;
      // An ancestor stops (or starts again) being a leaf when its first (or last) active descendant
      // starts (or ends).
      if (ev.start) {
        if (anc.active && anc.below === 0) leaves[anc.part]--;
        anc.below++;
      } else {
        anc.below--;
        if (anc.active && anc.below === 0) leaves[anc.part]++;
      }
      a = anc.parent;
    }
  }
  if (rootEnd > prev) parts[winner()] += rootEnd - prev;
  return parts;
}

/** Mean parts per request for each (service, route), busiest route first. */
export function aggregateAttribution(rows: readonly TRequestAttribution[]): TRouteAttribution[] {
  const groups = new Map<string, { service: string; route: string; count: number; total: number; parts: TParts }>();
  for (const r of rows) {
    const key = `${r.service}\u001f${r.route}`;
    let g = groups.get(key);
    if (!g) {
      g = { service: r.service, route: r.route, count: 0, total: 0, parts: zeroParts() };
      groups.set(key, g);
    }
    g.count++;
    g.total += r.totalMs;
    for (const p of PARTS) g.parts[p] += r.parts[p];
  }
  const out: TRouteAttribution[] = [];
  for (const g of groups.values()) {
    const parts = zeroParts();
    for (const p of PARTS) parts[p] = round3(g.parts[p] / g.count);
    out.push({ service: g.service, route: g.route, count: g.count, totalMs: round3(g.total / g.count), parts });
  }
  return out.sort((a, b) => b.count - a.count || a.route.localeCompare(b.route));
}

/** Signed milliseconds as a verdict shows them: whole ms from 10 up, one decimal below, two below 1. */
export function formatDeltaMs(ms: number): string {
  const abs = Math.abs(ms);
  const digits = abs >= 10 ? 0 : abs >= 1 ? 1 : 2;
  const text = String(Number(abs.toFixed(digits)));
  if (text === "0") return "0";
  return `${ms < 0 ? "-" : "+"}${text}`;
}

// Pool wait and SQL execution both read as "database time" on a dashboard; telling them apart is the
// point of this comparison, so when one dominates the other is always named, runner-up or not.
const CONFUSED_WITH: Partial<Record<TPart, TPart>> = { pool_wait: "sql", sql: "pool_wait" };

/**
 * Per route present on both sides: how each part's mean changed and which part explains the change.
 * Routes seen on one side only are left out (nothing to compare). Largest slowdown first.
 */
export function compareAttribution(
  before: readonly TRouteAttribution[],
  after: readonly TRouteAttribution[],
): TAttributionChange[] {
  const byKey = new Map(before.map((b) => [`${b.service}\u001f${b.route}`, b]));
  const out: TAttributionChange[] = [];
  for (const a of after) {
    const b = byKey.get(`${a.service}\u001f${a.route}`);
    if (!b) continue;
    const deltaMs = zeroParts();
    for (const p of PARTS) deltaMs[p] = round3(a.parts[p] - b.parts[p]);
    const totalDeltaMs = round3(a.totalMs - b.totalMs);
    // Ties go to PRECEDENCE order, so the result does not depend on object key order.
    const ranked = [...PRECEDENCE].sort((x, y) => deltaMs[y] - deltaMs[x]);
    const top = ranked[0] as TPart;
    const next = ranked[1] as TPart;
    const grew = PARTS.reduce((sum, p) => sum + Math.max(0, deltaMs[p]), 0);
    const slower = totalDeltaMs > 0 && deltaMs[top] > 0;
    const dominant = slower ? top : null;
    const share = slower ? deltaMs[top] / grew : null;
    let verdict: string;
    if (!slower) {
      verdict = `no slowdown (${formatDeltaMs(totalDeltaMs)} ms/request)`;
    } else {
      verdict =
        `${PART_LABELS[top]} ${formatDeltaMs(deltaMs[top])} ms/request ` +
        `(${Math.round((share as number) * 100)} % of the increase), ` +
        `not ${PART_LABELS[next]} (${formatDeltaMs(deltaMs[next])} ms)`;
      const twin = CONFUSED_WITH[top];
      if (twin && twin !== next) verdict += `, nor ${PART_LABELS[twin]} (${formatDeltaMs(deltaMs[twin])} ms)`;
    }
    out.push({
      service: a.service,
      route: a.route,
      countBefore: b.count,
      countAfter: a.count,
      before: b,
      after: a,
      totalDeltaMs,
      deltaMs,
      dominant,
      dominantDeltaMs: slower ? deltaMs[top] : 0,
      share,
      runnerUp: slower ? next : null,
      runnerUpDeltaMs: slower ? deltaMs[next] : 0,
      verdict,
    });
  }
  return out.sort((x, y) => y.totalDeltaMs - x.totalDeltaMs);
}
