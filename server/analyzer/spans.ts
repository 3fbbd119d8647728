// The analyzer's view of a span: the few fields trace analysis needs, free of Prisma, so that the
// detectors are pure functions of an array (the wiring step reads rows from the `span` table and maps
// them with `toTraceSpan`). Also the one place that decides what a span *is* (`classifySpan`), which
// attribution and N+1 detection must agree on, and the tree index both walk.
//
// Times are JS numbers of nanoseconds rather than bigints: the arithmetic here is interval unions and
// sums, and a double holds absolute Unix nanoseconds to within 256 ns (2^61 > 1.7e18 > 2^60), which is
// far below the millisecond figures reported. Relative times (a test's 0, 1e6, …) are exact.
import type { TSpanKind } from "../ingest/model";

/** Span kinds as the ingest stores them (lower case); "unspecified" is read as internal. */
export type TTraceSpanKind = TSpanKind;

export type TTraceSpan = {
  traceId: string;
  spanId: string;
  /** Absent (or pointing at a span that was not stored) for a root. */
  parentSpanId?: string | null;
  service: string;
  name: string;
  kind: TTraceSpanKind;
  /** Start, in nanoseconds (Unix or relative: only differences are used). */
  startNs: number;
  durationNs: number;
  status: string;
  /** http.route of a server span (the `route` column). */
  route?: string | null;
  attributes: Record<string, unknown>;
};

export type TSpanClass = "cache_memory" | "cache_redis" | "pool_wait" | "sql" | "downstream" | "internal" | "server";

/** The columns of a stored `span` row that the analyzer reads (structurally, without Prisma's types). */
export type TStoredSpanLike = {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  kind: string;
  startNs: bigint;
  durationNs: bigint;
  status: string;
  route: string | null;
  dbSystem?: string | null;
  dbStatement?: string | null;
  attributes: unknown;
};

const KINDS = new Set<string>(["internal", "server", "client", "producer", "consumer", "unspecified"]);

/** A stored row as a TTraceSpan; lifted columns fill attributes the row's JSON lacks. */
export function toTraceSpan(row: TStoredSpanLike): TTraceSpan {
  const raw = row.attributes;
  const attributes: Record<string, unknown> =
    raw && typeof raw === "object" && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>) } : {};
  if (row.dbStatement && attributes["db.query.text"] === undefined) attributes["db.query.text"] = row.dbStatement;
  if (row.dbSystem && attributes["db.system"] === undefined) attributes["db.system"] = row.dbSystem;
  return {
    traceId: row.traceId,
    spanId: row.spanId,
    parentSpanId: row.parentSpanId,
    service: row.service,
    name: row.name,
    kind: (KINDS.has(row.kind) ? row.kind : "unspecified") as TTraceSpanKind,
    startNs: Number(row.startNs),
    durationNs: Number(row.durationNs),
    status: row.status,
    route: row.route,
    attributes,
  };
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** The statement of a DB span (`db.query.text`, or the older `db.statement`). */
export function statementOf(span: TTraceSpan): string | undefined {
  return str(span.attributes["db.query.text"]) ?? str(span.attributes["db.statement"]);
}

/** http.route of a server span, else its name (what the agent names it when no route matched). */
export function routeOf(span: TTraceSpan): string {
  return str(span.route) ?? str(span.attributes["http.route"]) ?? span.name;
}

// Pool acquisition spans: the agent's `pg.pool.connect` and what other instrumentations call theirs
// (`pg-pool.connect` from OTel's pg instrumentation, generic `*.pool.acquire`).
const POOL_SPAN_NAME = /(?:^|[.\-_:])pool[.\-_:](?:connect|acquire|checkout|wait)$/i;

/**
 * What a span spends its time on. Order matters: the agent's pool-wait span also carries db.system
 * (so it must be tested before "sql"), and Redis spans from generic instrumentations carry only
 * db.system=redis (a cache in this product's model, not a database).
 */
export function classifySpan(span: TTraceSpan): TSpanClass {
  const a = span.attributes;
  if (span.kind === "server") return "server";
  if (a["db.client.connection.wait_ms"] !== undefined || POOL_SPAN_NAME.test(span.name)) return "pool_wait";
  const level = a["cache.level"];
  if (level === "redis") return "cache_redis";
  if (level === "memory") return "cache_memory";
  const system = str(a["db.system"]) ?? str(a["db.system.name"]);
  if (system === "redis" || system === "memcached") return "cache_redis";
  // A cache span without a level: the agent always sets one, so this is someone else's in-process cache.
  if (a["cache.name"] !== undefined) return "cache_memory";
  if (system !== undefined || statementOf(span) !== undefined) return "sql";
  if (span.kind === "client" || span.kind === "producer") return "downstream";
  return "internal";
}

/** Parent/children links of one trace, with parents that were not stored treated as absent. */
export type TTraceIndex = {
  byId: Map<string, TTraceSpan>;
  children: Map<string, TTraceSpan[]>;
  /** Spans whose parent is absent from the trace. */
  roots: TTraceSpan[];
  /** The parent of a span within the trace, if stored. */
  parentOf(span: TTraceSpan): TTraceSpan | undefined;
  /**
   * The request a span belongs to: its nearest server-kind ancestor of the same service (or itself when
   * it is one); else the top of its chain, so a background job's trace is one scope too.
   */
  scopeOf(span: TTraceSpan): TTraceSpan;
};

export function indexTrace(spans: readonly TTraceSpan[]): TTraceIndex {
  const byId = new Map<string, TTraceSpan>();
  for (const s of spans) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  const children = new Map<string, TTraceSpan[]>();
  const roots: TTraceSpan[] = [];
  const parentOf = (s: TTraceSpan): TTraceSpan | undefined => {
    const p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
    return p && p !== s ? p : undefined;
  };
  for (const s of byId.values()) {
    const p = parentOf(s);
    if (!p) {
      roots.push(s);
      continue;
    }
    const list = children.get(p.spanId);
    if (list) list.push(s);
    else children.set(p.spanId, [s]);
  }
  const scopes = new Map<string, TTraceSpan>();
  const scopeOf = (span: TTraceSpan): TTraceSpan => {
    const known = scopes.get(span.spanId);
    if (known) return known;
    // Walk up with a visited set: stored data can hold a parent cycle, which must not hang the analyzer.
    const path: TTraceSpan[] = [];
    const seen = new Set<string>();
    let cur: TTraceSpan = span;
    let scope: TTraceSpan | undefined;
    for (;;) {
      // A cached answer is only valid for a span of the same service (it names that service's request).
      const cached = cur.service === span.service ? scopes.get(cur.spanId) : undefined;
      if (cached) {
        scope = cached;
        break;
      }
      path.push(cur);
      seen.add(cur.spanId);
      if (cur.kind === "server" && cur.service === span.service) {
        scope = cur;
        break;
      }
      const p = parentOf(cur);
      if (!p || seen.has(p.spanId)) {
        scope = cur;
        break;
      }
      cur = p;
    }
    // Every span of this service on the path below the scope has the same nearest server ancestor.
    for (const s of path) if (s.service === span.service) scopes.set(s.spanId, scope);
    return scope;
  };
  return { byId, children, roots, parentOf, scopeOf };
}

export const NS_PER_MS = 1_000_000;

/** Nanoseconds to milliseconds, rounded to the microsecond. */
export function nsToMs(ns: number): number {
  return Math.round(ns / 1000) / 1000;
}
