// Drill-down reads: RED per service, SQL fingerprints and one fingerprint's detail (routes, traces,
// N+1, plan and candidate index), caches (hit ratio from counter deltas, hierarchy, detections), span
// search and one trace as a waterfall. Aggregation happens in SQL (GROUP BY statement, percentile_cont
// on PostgreSQL and PGlite alike); only merging statements that share a fingerprint, plan parsing and
// counter arithmetic happen here. Every range is clamped to 30 days and every list is capped.
import { Prisma, type PrismaClient } from "@prisma/client";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import {
  MAX_RANGE_MS,
  QUERY_SORTS,
  type TCacheDetection,
  type TCacheHierarchy,
  type TCacheLevel,
  type TCacheMissRoute,
  type TCachePoint,
  type TCachesResponse,
  type TIndexSuggestion,
  type TPlanNode,
  type TQueryDetailResponse,
  type TQueryListResponse,
  type TQueryPlan,
  type TQueryStat,
  type TRangeOut,
  type TService,
  type TServicesResponse,
  type TSpanCategory,
  type TSpanHit,
  type TSpanSearchResponse,
  type TTraceSpan,
  type TTraceViewResponse,
} from "../../lib/contracts/drilldown";
import type { TLabels } from "../ingest/model";
import { findSeries, readSamples, type TSeriesRow } from "../query/raw";
import { parseSelector } from "../query/selector";
import { fingerprint, type TFingerprint } from "../sql/fingerprint";

// ---------------------------------------------------------------- limits and shared schemas

/** Distinct statements read per request; the costliest are kept when there are more. */
export const MAX_STATEMENTS = 5000;
export const MAX_SERVICES = 100;
export const MAX_TRACE_SPANS = 5000;
/** The same fingerprint this many times in one trace is an N+1 pattern. */
export const N_PLUS_ONE_THRESHOLD = 5;
/** The recent window that cache hit ratios are compared with their baseline over. */
export const RECENT_WINDOW_MS = 5 * 60_000;
/** Misses of one key within one second that make a miss storm (from cache.get spans with cache.key). */
export const MISS_STORM_PER_KEY_PER_SEC = 10;
const DEFAULT_RANGE_MS = 3_600_000;

const timeMs = z.coerce.number().int().nonnegative();
export const ZRangeQuerySchema = z.object({ start: timeMs.optional(), end: timeMs.optional() });
export type TRangeQuery = z.infer<typeof ZRangeQuerySchema>;

export const ZServicesQuerySchema = ZRangeQuerySchema;

export const ZQueryListQuerySchema = ZRangeQuerySchema.extend({
  service: z.string().trim().min(1).max(200).optional(),
  db: z.string().trim().min(1).max(200).optional(),
  sort: z.enum(QUERY_SORTS).default("total"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type TQueryListQuery = z.infer<typeof ZQueryListQuerySchema>;

export const ZQueryDetailQuerySchema = ZRangeQuerySchema.extend({
  service: z.string().trim().min(1).max(200).optional(),
});
export type TQueryDetailQuery = z.infer<typeof ZQueryDetailQuerySchema>;

export const ZCachesQuerySchema = ZRangeQuerySchema;

export const ZSpanSearchQuerySchema = ZRangeQuerySchema.extend({
  service: z.string().trim().min(1).max(200).optional(),
  route: z.string().trim().min(1).max(500).optional(),
  operation: z.string().trim().min(1).max(500).optional(),
  kind: z.enum(["internal", "server", "client", "producer", "consumer", "unspecified"]).optional(),
  status: z.enum(["unset", "ok", "error"]).optional(),
  minDurationMs: z.coerce.number().nonnegative().optional(),
  /** `key=value` on span attributes, compared as text (`db.response.returned_rows=0`, `cache.hit=false`). */
  attr: z
    .string()
    .trim()
    .max(500)
    .regex(/^[^=]+=.*$/, 'expected "key=value"')
    .optional(),
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{16}$/, "expected a 16-hex-digit fingerprint id")
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(300),
});
export type TSpanSearchQuery = z.infer<typeof ZSpanSearchQuerySchema>;

export class RangeError400 extends Error {}

/** start/end (Unix ms) → a range of at most 30 days ending at `end` (default: the last hour). */
export function resolveRange(q: TRangeQuery, now = Date.now()): TRangeOut {
  const end = q.end ?? now;
  let start = q.start ?? end - DEFAULT_RANGE_MS;
  if (start >= end) throw new RangeError400("start must be before end");
  let clamped = false;
  if (end - start > MAX_RANGE_MS) {
    start = end - MAX_RANGE_MS;
    clamped = true;
  }
  return { start, end, clamped };
}

/** A bucket width (whole seconds, at least `minMs`) that cuts the range into about `count` buckets. */
export function bucketFor(range: TRangeOut, count: number, minMs = 1000): number {
  return Math.max(minMs, Math.ceil((range.end - range.start) / count / 1000) * 1000);
}

const ns = (ms: number) => BigInt(Math.floor(ms)) * 1_000_000n;
const round = (x: number, digits = 3) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
const num = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 0 : x);
const SEP = "\u001f";

function bucketStarts(range: TRangeOut, bucketMs: number): number[] {
  const n = Math.max(1, Math.ceil((range.end - range.start) / bucketMs));
  return Array.from({ length: n }, (_, i) => range.start + i * bucketMs);
}

// ---------------------------------------------------------------- fingerprints, cached per statement

const fingerprints = new LRUCache<string, TFingerprint>({ max: 20_000 });

export function fingerprintOf(statement: string): TFingerprint {
  let fp = fingerprints.get(statement);
  if (!fp) {
    fp = fingerprint(statement);
    fingerprints.set(statement, fp);
  }
  return fp;
}

// ---------------------------------------------------------------- services

type TServiceRow = {
  service: string;
  requests: number;
  errors: number;
  total_ms: number;
  p50: number;
  p95: number;
  p99: number;
};
type TOpRow = {
  service: string;
  name: string;
  route: string | null;
  calls: number;
  errors: number;
  total_ms: number;
  p95: number;
};
type TServiceBucketRow = { service: string; b: number; n: number; e: number; p95: number };

export async function listServices(prisma: PrismaClient, range: TRangeOut): Promise<TServicesResponse> {
  const s = ns(range.start);
  const e = ns(range.end);
  const bucketMs = bucketFor(range, 30);
  const rows = await prisma.$queryRaw<TServiceRow[]>`
    SELECT service, count(*)::float8 AS requests,
      (count(*) FILTER (WHERE status = 'error'))::float8 AS errors,
      sum(duration_ns)::float8 / 1e6 AS total_ms,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ns::float8) / 1e6 AS p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ns::float8) / 1e6 AS p95,
      percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ns::float8) / 1e6 AS p99
    FROM span WHERE kind = 'server' AND start_ns >= ${s} AND start_ns < ${e}
    GROUP BY service ORDER BY requests DESC LIMIT ${MAX_SERVICES}`;
  if (rows.length === 0) return { range, bucketMs, services: [] };
  const names = rows.map((r) => r.service);
  const ops = await prisma.$queryRaw<TOpRow[]>`
    SELECT service, name, route, calls, errors, total_ms, p95 FROM (
      SELECT service, name, route, count(*)::float8 AS calls,
        (count(*) FILTER (WHERE status = 'error'))::float8 AS errors,
        sum(duration_ns)::float8 / 1e6 AS total_ms,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ns::float8) / 1e6 AS p95,
        row_number() OVER (PARTITION BY service ORDER BY sum(duration_ns) DESC) AS rn
      FROM span WHERE kind = 'server' AND start_ns >= ${s} AND start_ns < ${e} AND service = ANY(${names}::text[])
      GROUP BY service, name, route
    ) ranked WHERE rn <= 8 ORDER BY service, total_ms DESC`;
  const buckets = await prisma.$queryRaw<TServiceBucketRow[]>`
    SELECT service, ((start_ns - ${s}) / ${ns(bucketMs)})::int AS b, count(*)::float8 AS n,
      (count(*) FILTER (WHERE status = 'error'))::float8 AS e,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ns::float8) / 1e6 AS p95
    FROM span WHERE kind = 'server' AND start_ns >= ${s} AND start_ns < ${e} AND service = ANY(${names}::text[])
    GROUP BY 1, 2`;
  const seconds = (range.end - range.start) / 1000;
  const starts = bucketStarts(range, bucketMs);
  const services: TService[] = rows.map((r) => {
    const byBucket = new Map(buckets.filter((b) => b.service === r.service).map((b) => [b.b, b]));
    return {
      service: r.service,
      requests: r.requests,
      ratePerSec: round(r.requests / seconds, 4),
      errors: r.errors,
      errorPct: round((100 * r.errors) / r.requests, 2),
      p50Ms: round(num(r.p50)),
      p95Ms: round(num(r.p95)),
      p99Ms: round(num(r.p99)),
      totalMs: round(num(r.total_ms)),
      topOperations: ops
        .filter((o) => o.service === r.service)
        .map((o) => ({
          name: o.name,
          route: o.route,
          calls: o.calls,
          errors: o.errors,
          totalMs: round(num(o.total_ms)),
          meanMs: round(num(o.total_ms) / o.calls),
          p95Ms: round(num(o.p95)),
        })),
      series: starts.map((t, i) => {
        const b = byBucket.get(i);
        const width = Math.min(bucketMs, range.end - t) / 1000;
        return {
          t,
          ratePerSec: b ? round(b.n / width, 4) : 0,
          errorPct: b ? round((100 * b.e) / b.n, 2) : null,
          p95Ms: b ? round(num(b.p95)) : null,
        };
      }),
    };
  });
  return { range, bucketMs, services };
}

// ---------------------------------------------------------------- query fingerprints

type TStatementRow = {
  stmt: string;
  service: string;
  db_system: string | null;
  calls: number;
  errors: number;
  total_ms: number;
  rows: number | null;
  rows_n: number;
  all_ms: number;
  all_calls: number;
  n_groups: number;
};

type TFpAgg = {
  id: string;
  text: string;
  statements: string[];
  /** Calls per stored statement, for picking the example. */
  callsByStatement: Map<string, number>;
  example: string;
  dbSystem: string | null;
  services: Set<string>;
  calls: number;
  errors: number;
  totalMs: number;
  rows: number | null;
  rowsN: number;
};

function spanFilters(f: { service?: string; db?: string }): Prisma.Sql {
  const parts: Prisma.Sql[] = [];
  if (f.service) parts.push(Prisma.sql`AND service = ${f.service}`);
  if (f.db) parts.push(Prisma.sql`AND (db_system = ${f.db} OR attributes->>'db.namespace' = ${f.db})`);
  return parts.length > 0 ? Prisma.join(parts, " ") : Prisma.empty;
}

// Rows returned, where the span reports them as a number. Computed once per span in a subquery kept
// apart by OFFSET 0: inlined, PostgreSQL would evaluate it once per aggregate that reads it.
const ROWS_EXPR = Prisma.sql`CASE WHEN jsonb_typeof(attributes->'db.response.returned_rows') = 'number'
  THEN (attributes->'db.response.returned_rows')::float8 END`;

/** Per distinct statement in the range (costliest first, capped), merged into fingerprints. */
async function statementAggregates(
  prisma: PrismaClient,
  range: TRangeOut,
  filters: { service?: string; db?: string },
): Promise<{ fps: Map<string, TFpAgg>; allMs: number; allCalls: number; truncated: boolean }> {
  // Grouped by (statement, service) rather than aggregating DISTINCT services per statement: a hash
  // aggregate on two keys costs far less than a sort per group, and the merge happens here anyway.
  const rows = await prisma.$queryRaw<TStatementRow[]>`
    SELECT db_statement AS stmt, service, max(db_system) AS db_system, count(*)::float8 AS calls,
      (count(*) FILTER (WHERE status = 'error'))::float8 AS errors,
      sum(duration_ns)::float8 / 1e6 AS total_ms,
      sum(rr) AS rows, count(rr)::float8 AS rows_n,
      (sum(sum(duration_ns)) OVER ())::float8 / 1e6 AS all_ms,
      (sum(count(*)) OVER ())::float8 AS all_calls,
      (count(*) OVER ())::float8 AS n_groups
    FROM (
      SELECT db_statement, service, db_system, status, duration_ns, ${ROWS_EXPR} AS rr FROM span
      WHERE db_statement IS NOT NULL AND start_ns >= ${ns(range.start)} AND start_ns < ${ns(range.end)}
        ${spanFilters(filters)}
      OFFSET 0
    ) s
    GROUP BY db_statement, service ORDER BY total_ms DESC LIMIT ${MAX_STATEMENTS}`;
  const fps = new Map<string, TFpAgg>();
  for (const r of rows) {
    const fp = fingerprintOf(r.stmt);
    let a = fps.get(fp.id);
    if (!a) {
      a = {
        id: fp.id,
        text: fp.text,
        statements: [],
        callsByStatement: new Map(),
        example: r.stmt,
        dbSystem: r.db_system,
        services: new Set(),
        calls: 0,
        errors: 0,
        totalMs: 0,
        rows: null,
        rowsN: 0,
      };
      fps.set(fp.id, a);
    }
    const stmtCalls = (a.callsByStatement.get(r.stmt) ?? 0) + r.calls;
    if (!a.callsByStatement.has(r.stmt)) a.statements.push(r.stmt);
    a.callsByStatement.set(r.stmt, stmtCalls);
    if (stmtCalls > (a.callsByStatement.get(a.example) ?? 0)) a.example = r.stmt;
    a.dbSystem ??= r.db_system;
    a.services.add(r.service);
    a.calls += r.calls;
    a.errors += r.errors;
    a.totalMs += num(r.total_ms);
    if (r.rows !== null) a.rows = (a.rows ?? 0) + r.rows;
    a.rowsN += r.rows_n;
  }
  const first = rows[0];
  return {
    fps,
    allMs: first ? num(first.all_ms) : 0,
    allCalls: first ? first.all_calls : 0,
    truncated: first ? first.n_groups > rows.length : false,
  };
}

function statementMap(aggs: TFpAgg[]): { stmts: string[]; ids: string[] } {
  const stmts: string[] = [];
  const ids: string[] = [];
  for (const a of aggs) {
    for (const s of a.statements) {
      stmts.push(s);
      ids.push(a.id);
    }
  }
  return { stmts, ids };
}

type TPctRow = { fp: string; p50: number; p95: number; p99: number };
type TTrendRow = { fp: string; b: number; n: number; ms: number };
type TFpStatsRow = { fp: string; b: number | null; n: number; ms: number; p50: number; p95: number; p99: number };

/**
 * Per fingerprint: percentiles ("pct"), calls and time per bucket ("trends"), or both in one pass over
 * the range ("both", GROUPING SETS), since reading the spans is most of the cost.
 */
async function fingerprintStats(
  prisma: PrismaClient,
  range: TRangeOut,
  filters: { service?: string; db?: string },
  aggs: TFpAgg[],
  what: { pct: true; bucketMs?: number } | { pct: false; bucketMs: number },
): Promise<{ pct: Map<string, TPctRow>; trends: Map<string, TTrendRow[]> }> {
  const pct = new Map<string, TPctRow>();
  const trends = new Map<string, TTrendRow[]>();
  if (aggs.length === 0) return { pct, trends };
  const { stmts, ids } = statementMap(aggs);
  const s = ns(range.start);
  // The statements join through DISTINCT ON: over a bare unnest() the planner knows nothing of the
  // statements' distinctness and expects each to match as many spans as a common one, ~10x too many
  // rows over a day. That estimate made it sort-merge on the statement text (external sorts) and
  // JIT-compile with inlining and optimisation: 0.6 s of a 0.84 s query over a day of 1M spans.
  const bucket =
    what.bucketMs === undefined ? Prisma.sql`NULL::int` : Prisma.sql`((start_ns - ${s}) / ${ns(what.bucketMs)})::int`;
  // Rows of the per-fingerprint set have a NULL bucket.
  const sets = !what.pct ? Prisma.sql`(1, 2)` : what.bucketMs === undefined ? Prisma.sql`(1)` : Prisma.sql`(1), (1, 2)`;
  const percentiles = what.pct
    ? Prisma.sql`percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ns::float8) / 1e6 AS p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ns::float8) / 1e6 AS p95,
      percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ns::float8) / 1e6 AS p99`
    : Prisma.sql`NULL::float8 AS p50, NULL::float8 AS p95, NULL::float8 AS p99`;
  const rows = await prisma.$queryRaw<TFpStatsRow[]>`
    SELECT m.fp, ${bucket} AS b, count(*)::float8 AS n, sum(duration_ns)::float8 / 1e6 AS ms, ${percentiles}
    FROM span JOIN (
      SELECT DISTINCT ON (stmt) stmt, fp FROM unnest(${stmts}::text[], ${ids}::text[]) AS u(stmt, fp)
    ) m ON db_statement = m.stmt
    WHERE db_statement IS NOT NULL AND start_ns >= ${s} AND start_ns < ${ns(range.end)} ${spanFilters(filters)}
    GROUP BY GROUPING SETS (${sets})`;
  for (const r of rows) {
    if (r.b === null) {
      pct.set(r.fp, r);
      continue;
    }
    const list = trends.get(r.fp) ?? [];
    list.push(r as TTrendRow);
    trends.set(r.fp, list);
  }
  return { pct, trends };
}

// The filter choices change slowly and cost two scans: kept for 30 s per (minute-rounded) range.
const facetCache = new LRUCache<string, { services: string[]; dbs: string[] }>({ max: 100, ttl: 30_000 });

async function dbFacets(prisma: PrismaClient, range: TRangeOut): Promise<{ services: string[]; dbs: string[] }> {
  const key = `${Math.floor(range.start / 60_000)}:${Math.floor(range.end / 60_000)}`;
  const cached = facetCache.get(key);
  if (cached) return cached;
  // One pass for the three lists (a value is NULL outside its own grouping set).
  const rows = await prisma.$queryRaw<{ service: string | null; db_system: string | null; ns: string | null }[]>`
    SELECT service, db_system, attributes->>'db.namespace' AS ns FROM span
    WHERE db_statement IS NOT NULL AND start_ns >= ${ns(range.start)} AND start_ns < ${ns(range.end)}
    GROUP BY GROUPING SETS ((1), (2), (3))`;
  const sorted = (xs: (string | null)[]) =>
    [...new Set(xs.filter((x): x is string => x !== null))].sort((a, b) => a.localeCompare(b)).slice(0, 200);
  const facets = {
    services: sorted(rows.map((r) => r.service)),
    dbs: sorted(rows.flatMap((r) => [r.db_system, r.ns])),
  };
  facetCache.set(key, facets);
  return facets;
}

export async function listQueries(
  prisma: PrismaClient,
  range: TRangeOut,
  q: Omit<TQueryListQuery, "start" | "end">,
): Promise<TQueryListResponse> {
  const bucketMs = bucketFor(range, 30);
  const filters = { service: q.service, db: q.db };
  const [{ fps, allMs, allCalls, truncated }, facets] = await Promise.all([
    statementAggregates(prisma, range, filters),
    dbFacets(prisma, range),
  ]);
  let all = [...fps.values()];
  let pct: Map<string, TPctRow>;
  let trends: Map<string, TTrendRow[]>;
  if (q.sort === "p95") {
    // p95 of a fingerprint is not a function of its statements' p95s: compute it for all, then sort,
    // then the trends of the kept ones (a second pass, rather than trends for thousands).
    pct = (await fingerprintStats(prisma, range, filters, all, { pct: true })).pct;
    all.sort((a, b) => num(pct.get(b.id)?.p95) - num(pct.get(a.id)?.p95) || b.totalMs - a.totalMs);
    all = all.slice(0, q.limit);
    trends = (await fingerprintStats(prisma, range, filters, all, { pct: false, bucketMs })).trends;
  } else {
    const key: Record<Exclude<typeof q.sort, "p95">, (a: TFpAgg) => number> = {
      total: (a) => a.totalMs,
      mean: (a) => a.totalMs / a.calls,
      calls: (a) => a.calls,
    };
    const k = key[q.sort];
    all.sort((a, b) => k(b) - k(a) || b.totalMs - a.totalMs);
    all = all.slice(0, q.limit);
    ({ pct, trends } = await fingerprintStats(prisma, range, filters, all, { pct: true, bucketMs }));
  }
  const starts = bucketStarts(range, bucketMs);
  const queries: TQueryStat[] = all.map((a) => {
    const p = pct.get(a.id);
    const byBucket = new Map<number, { n: number; ms: number }>();
    for (const r of trends.get(a.id) ?? []) {
      const x = byBucket.get(r.b) ?? { n: 0, ms: 0 };
      x.n += r.n;
      x.ms += num(r.ms);
      byBucket.set(r.b, x);
    }
    return {
      fingerprint: a.id,
      text: a.text,
      example: a.example,
      dbSystem: a.dbSystem,
      services: [...a.services].sort(),
      calls: a.calls,
      errors: a.errors,
      totalMs: round(a.totalMs),
      sharePct: allMs > 0 ? round((100 * a.totalMs) / allMs, 2) : 0,
      meanMs: round(a.totalMs / a.calls),
      p50Ms: round(num(p?.p50)),
      p95Ms: round(num(p?.p95)),
      p99Ms: round(num(p?.p99)),
      rows: a.rows,
      rowsPerCall: a.rows !== null && a.rowsN > 0 ? round(a.rows / a.rowsN, 2) : null,
      trend: starts.map((t, i) => {
        const x = byBucket.get(i);
        return { t, calls: x?.n ?? 0, meanMs: x ? round(x.ms / x.n) : null };
      }),
    };
  });
  return {
    range,
    bucketMs,
    sort: q.sort,
    totalDbMs: round(allMs),
    totalCalls: allCalls,
    fingerprints: fps.size,
    queries,
    facets,
    truncated,
  };
}

/** The stored statements in the range whose fingerprint is `id`. */
export async function statementsForFingerprint(
  prisma: PrismaClient,
  range: TRangeOut,
  id: string,
  filters: { service?: string; db?: string } = {},
): Promise<{ statements: string[]; text: string | null; dbSystem: string | null }> {
  const rows = await prisma.$queryRaw<{ stmt: string; db_system: string | null }[]>`
    SELECT db_statement AS stmt, max(db_system) AS db_system FROM span
    WHERE db_statement IS NOT NULL AND start_ns >= ${ns(range.start)} AND start_ns < ${ns(range.end)}
      ${spanFilters(filters)}
    GROUP BY db_statement ORDER BY count(*) DESC LIMIT ${MAX_STATEMENTS}`;
  const statements: string[] = [];
  let text: string | null = null;
  let dbSystem: string | null = null;
  for (const r of rows) {
    const fp = fingerprintOf(r.stmt);
    if (fp.id !== id) continue;
    statements.push(r.stmt);
    text ??= fp.text;
    dbSystem ??= r.db_system;
  }
  return { statements, text, dbSystem };
}

type TSummaryRow = {
  calls: number;
  errors: number;
  total_ms: number;
  p50: number;
  p95: number;
  p99: number;
  rows: number | null;
  rows_n: number;
};
type TDetailBucketRow = { b: number; n: number; ms: number; p95: number };
type TRouteRow = {
  service: string;
  route: string;
  calls: number;
  total_ms: number;
  traces: number;
  example: string;
};
type TTraceRow = {
  trace_id: string;
  calls: number;
  total_ms: number;
  start_ns: bigint;
  service: string;
  route: string | null;
};
type TSlowRow = {
  trace_id: string;
  span_id: string;
  duration_ns: bigint;
  start_ns: bigint;
  service: string;
  status: string;
  route: string | null;
};
type TNPlusOneRow = { traces: number; affected: number; max_repeats: number };
type TPlanRow = { trace_id: string; span_id: string; start_ns: bigint; plan: string };

const nsToMs = (x: bigint) => Number(x / 1000n) / 1000;

/**
 * The server route of a span's request: the trace's first server span of the same service (a DB or
 * cache call is made while that service handles the request). Used as a CTE named `srv`.
 */
function serverSpansOf(tracesCte: string): Prisma.Sql {
  return Prisma.raw(`srv AS (
    SELECT DISTINCT ON (p.trace_id, p.service) p.trace_id, p.service, coalesce(p.route, p.name) AS route
    FROM span p WHERE p.kind = 'server' AND p.trace_id IN (SELECT trace_id FROM ${tracesCte})
    ORDER BY p.trace_id, p.service, p.start_ns)`);
}

export async function getQueryDetail(
  prisma: PrismaClient,
  range: TRangeOut,
  id: string,
  filters: { service?: string } = {},
): Promise<TQueryDetailResponse | undefined> {
  const found = await statementsForFingerprint(prisma, range, id, filters);
  if (found.statements.length === 0 || found.text === null) return undefined;
  const stmts = found.statements;
  const s = ns(range.start);
  const e = ns(range.end);
  const f = spanFilters(filters);
  const bucketMs = bucketFor(range, 60);
  const q = Prisma.sql`SELECT trace_id, span_id, service, duration_ns, start_ns, status FROM span
    WHERE db_statement = ANY(${stmts}::text[]) AND start_ns >= ${s} AND start_ns < ${e} ${f}`;

  // Independent reads of the same spans: concurrent, so that PostgreSQL overlaps them.
  const [[summary], buckets, routes, traces, [nPlusOne], slowest, [planRow]] = await Promise.all([
    prisma.$queryRaw<TSummaryRow[]>`
      SELECT count(*)::float8 AS calls, (count(*) FILTER (WHERE status = 'error'))::float8 AS errors,
        sum(duration_ns)::float8 / 1e6 AS total_ms,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ns::float8) / 1e6 AS p50,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ns::float8) / 1e6 AS p95,
        percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ns::float8) / 1e6 AS p99,
        sum(rr) AS rows, count(rr)::float8 AS rows_n
      FROM (
        SELECT status, duration_ns, ${ROWS_EXPR} AS rr FROM span
        WHERE db_statement = ANY(${stmts}::text[]) AND start_ns >= ${s} AND start_ns < ${e} ${f}
        OFFSET 0
      ) q`,
    prisma.$queryRaw<TDetailBucketRow[]>`
      SELECT ((start_ns - ${s}) / ${ns(bucketMs)})::int AS b, count(*)::float8 AS n,
        sum(duration_ns)::float8 / 1e6 AS ms,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ns::float8) / 1e6 AS p95
      FROM span WHERE db_statement = ANY(${stmts}::text[]) AND start_ns >= ${s} AND start_ns < ${e} ${f}
      GROUP BY 1`,
    prisma.$queryRaw<TRouteRow[]>`
      WITH q AS (${q}), ${serverSpansOf("q")}
      SELECT q.service, coalesce(srv.route, '(no server span)') AS route, count(*)::float8 AS calls,
        sum(q.duration_ns)::float8 / 1e6 AS total_ms, count(DISTINCT q.trace_id)::float8 AS traces,
        max(q.trace_id) AS example
      FROM q LEFT JOIN srv ON srv.trace_id = q.trace_id AND srv.service = q.service
      GROUP BY 1, 2 ORDER BY total_ms DESC LIMIT 50`,
    prisma.$queryRaw<TTraceRow[]>`
      WITH q AS (${q}), t AS (
        SELECT trace_id, min(service) AS service, count(*)::float8 AS calls,
          sum(duration_ns)::float8 / 1e6 AS total_ms, min(start_ns) AS start_ns
        FROM q GROUP BY trace_id ORDER BY calls DESC, total_ms DESC LIMIT 50
      ), ${serverSpansOf("t")}
      SELECT t.trace_id, t.calls, t.total_ms, t.start_ns, t.service, srv.route
      FROM t LEFT JOIN srv ON srv.trace_id = t.trace_id AND srv.service = t.service
      ORDER BY t.calls DESC, t.total_ms DESC`,
    prisma.$queryRaw<TNPlusOneRow[]>`
      WITH q AS (${q}), t AS (SELECT trace_id, count(*) AS c FROM q GROUP BY trace_id)
      SELECT count(*)::float8 AS traces,
        (count(*) FILTER (WHERE c >= ${N_PLUS_ONE_THRESHOLD}))::float8 AS affected,
        coalesce(max(c), 0)::float8 AS max_repeats
      FROM t`,
    // Fenced like the plan lookup below: unfenced, the planner walks the duration_ns index from the
    // top, and for a frequent, fast statement visits most spans before it finds ten of this one in the
    // range (2.4 s for the last hour of 1M spans).
    prisma.$queryRaw<TSlowRow[]>`
      WITH q AS (SELECT * FROM (${q} OFFSET 0) f ORDER BY duration_ns DESC LIMIT 10), ${serverSpansOf("q")}
      SELECT q.trace_id, q.span_id, q.duration_ns, q.start_ns, q.service, q.status, srv.route
      FROM q LEFT JOIN srv ON srv.trace_id = q.trace_id AND srv.service = q.service
      ORDER BY q.duration_ns DESC`,
    // Fenced (OFFSET 0): with a bare ORDER BY start_ns DESC LIMIT 1 the planner walks the start_ns
    // index backwards, visiting every span of the range in random order when the statement has no plan
    // (most have none): 1.4 s over a day of 1M spans, against 0.3 s for a filtered scan.
    prisma.$queryRaw<TPlanRow[]>`
      SELECT trace_id, span_id, start_ns, plan FROM (
        SELECT trace_id, span_id, start_ns, attributes->>'db.plan' AS plan FROM span
        WHERE db_statement = ANY(${stmts}::text[]) AND start_ns >= ${s} AND start_ns < ${e} ${f}
        OFFSET 0
      ) p WHERE plan IS NOT NULL ORDER BY start_ns DESC LIMIT 1`,
  ]);
  const sum = summary as TSummaryRow;
  const byBucket = new Map(buckets.map((b) => [b.b, b]));
  let plan: TQueryPlan | null = null;
  if (planRow) {
    const parsed = parsePlan(planRow.plan);
    if (parsed) {
      plan = { traceId: planRow.trace_id, spanId: planRow.span_id, capturedAtMs: nsToMs(planRow.start_ns), ...parsed };
    }
  }
  const repeats = traces.filter((t) => t.calls >= N_PLUS_ONE_THRESHOLD);
  return {
    range,
    bucketMs,
    fingerprint: id,
    text: found.text,
    statements: stmts.slice(0, 10),
    dbSystem: found.dbSystem,
    summary: {
      calls: sum.calls,
      errors: sum.errors,
      totalMs: round(num(sum.total_ms)),
      meanMs: sum.calls > 0 ? round(num(sum.total_ms) / sum.calls) : 0,
      p50Ms: round(num(sum.p50)),
      p95Ms: round(num(sum.p95)),
      p99Ms: round(num(sum.p99)),
      rows: sum.rows,
      rowsPerCall: sum.rows !== null && sum.rows_n > 0 ? round(sum.rows / sum.rows_n, 2) : null,
    },
    series: bucketStarts(range, bucketMs).map((t, i) => {
      const b = byBucket.get(i);
      return {
        t,
        calls: b?.n ?? 0,
        meanMs: b ? round(num(b.ms) / b.n) : null,
        p95Ms: b ? round(num(b.p95)) : null,
      };
    }),
    routes: routes.map((r) => ({
      service: r.service,
      route: r.route,
      calls: r.calls,
      totalMs: round(num(r.total_ms)),
      meanMs: round(num(r.total_ms) / r.calls),
      traces: r.traces,
      exampleTraceId: r.example,
    })),
    traces: traces.map((t) => ({
      traceId: t.trace_id,
      calls: t.calls,
      totalMs: round(num(t.total_ms)),
      startMs: nsToMs(t.start_ns),
      service: t.service,
      route: t.route,
    })),
    slowest: slowest.map((r) => ({
      traceId: r.trace_id,
      spanId: r.span_id,
      durationMs: nsToMs(r.duration_ns),
      startMs: nsToMs(r.start_ns),
      service: r.service,
      route: r.route,
      status: r.status,
    })),
    nPlusOne: {
      threshold: N_PLUS_ONE_THRESHOLD,
      detected: num(nPlusOne?.affected) > 0,
      maxRepeats: num(nPlusOne?.max_repeats),
      tracesAffected: num(nPlusOne?.affected),
      tracesSeen: num(nPlusOne?.traces),
      traces: repeats
        .slice(0, 20)
        .map((t) => ({ traceId: t.trace_id, repeats: t.calls, totalMs: round(num(t.total_ms)), route: t.route })),
    },
    plan,
  };
}

// ---------------------------------------------------------------- EXPLAIN (FORMAT JSON) plans

type TRawPlanNode = Record<string, unknown> & { Plans?: TRawPlanNode[] };

const DETAIL_KEYS = [
  "Filter",
  "Index Cond",
  "Recheck Cond",
  "Hash Cond",
  "Merge Cond",
  "Join Filter",
  "Join Type",
  "Sort Key",
  "Group Key",
  "Strategy",
  "Scan Direction",
  "Subplan Name",
  "Parent Relationship",
];

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The root plan node of EXPLAIN (FORMAT JSON) output, however it was wrapped or encoded. */
function planRoot(input: unknown, depth = 0): TRawPlanNode | undefined {
  if (depth > 3) return undefined;
  if (typeof input === "string") {
    try {
      return planRoot(JSON.parse(input), depth + 1);
    } catch {
      return undefined;
    }
  }
  if (Array.isArray(input)) return planRoot(input[0], depth + 1);
  if (input && typeof input === "object") {
    const o = input as Record<string, unknown>;
    if (o.Plan && typeof o.Plan === "object") return o.Plan as TRawPlanNode;
    if (o["QUERY PLAN"] !== undefined) return planRoot(o["QUERY PLAN"], depth + 1);
    if (typeof o["Node Type"] === "string") return o as TRawPlanNode;
  }
  return undefined;
}

/**
 * Flattens a plan (pre-order, with depth and parent), computes each node's own cost (its total minus
 * its children's; its own time when the plan was analyzed), marks the costliest node and suggests an
 * index for sequential scans that filter on plain columns.
 */
export function parsePlan(json: string): Omit<TQueryPlan, "traceId" | "spanId" | "capturedAtMs"> | undefined {
  const root = planRoot(json);
  if (!root) return undefined;
  const analyzed = numOrNull(root["Actual Total Time"]) !== null;
  const nodes: TPlanNode[] = [];
  const raws: TRawPlanNode[] = [];
  const walk = (n: TRawPlanNode, parentId: number | null, depth: number) => {
    if (nodes.length >= 1000) return;
    const id = nodes.length;
    const details: Record<string, string> = {};
    for (const k of DETAIL_KEYS) {
      const v = n[k];
      if (typeof v === "string") details[k] = v;
      else if (Array.isArray(v)) details[k] = v.map(String).join(", ");
    }
    nodes.push({
      id,
      parentId,
      depth,
      nodeType: str(n["Node Type"]) ?? "?",
      relation: str(n["Relation Name"]),
      alias: str(n.Alias),
      indexName: str(n["Index Name"]),
      startupCost: numOrNull(n["Startup Cost"]),
      totalCost: numOrNull(n["Total Cost"]),
      selfCost: 0,
      costShare: 0,
      planRows: numOrNull(n["Plan Rows"]),
      actualTotalMs: numOrNull(n["Actual Total Time"]),
      actualRows: numOrNull(n["Actual Rows"]),
      rowsRemovedByFilter: numOrNull(n["Rows Removed by Filter"]),
      details,
      costliest: false,
      suggestion: null,
    });
    raws.push(n);
    for (const c of Array.isArray(n.Plans) ? n.Plans : []) walk(c, id, depth + 1);
  };
  walk(root, null, 0);
  // Own cost: inclusive figure minus the children's. Analyzed: time × loops; else the planner's cost.
  const inclusive = (i: number): number => {
    const n = nodes[i] as TPlanNode;
    if (analyzed) return num(n.actualTotalMs) * (numOrNull((raws[i] as TRawPlanNode)["Actual Loops"]) ?? 1);
    return num(n.totalCost);
  };
  for (const n of nodes) {
    const children = nodes.filter((c) => c.parentId === n.id);
    n.selfCost = round(Math.max(0, inclusive(n.id) - children.reduce((a, c) => a + inclusive(c.id), 0)));
  }
  const totalSelf = nodes.reduce((a, n) => a + n.selfCost, 0);
  let costliest: TPlanNode | undefined;
  for (const n of nodes) {
    n.costShare = totalSelf > 0 ? round(n.selfCost / totalSelf, 4) : 0;
    if (!costliest || n.selfCost > costliest.selfCost) costliest = n;
  }
  if (costliest) costliest.costliest = true;
  const suggestions: TIndexSuggestion[] = [];
  for (const n of nodes) {
    const s = suggestIndex(n, str((raws[n.id] as TRawPlanNode).Schema));
    if (s) {
      n.suggestion = s.sql;
      suggestions.push(s);
    }
  }
  suggestions.sort((a, b) => (nodes[b.nodeId] as TPlanNode).selfCost - (nodes[a.nodeId] as TPlanNode).selfCost);
  return {
    analyzed,
    totalCost: numOrNull(root["Total Cost"]),
    nodes,
    costliestNodeId: costliest?.id ?? null,
    suggestions,
  };
}

const PLAIN_IDENT = /^[a-z_][a-z0-9_$]*$/;
const quoteIdent = (s: string) => (PLAIN_IDENT.test(s) ? s : `"${s.replace(/"/g, '""')}"`);

/**
 * Columns a filter compares with constants: `(customer_id = 42)`, `((status)::text = 'x'::text)`,
 * `(o.total > $1)`, `(id = ANY ('{1,2}'::integer[]))`. Equality columns first, then one range column
 * (the usual b-tree column order). A filter with OR, or comparing two columns, gives none.
 */
export function filterColumns(filter: string, names: { relation: string; alias: string | null }): string[] {
  if (/\bOR\b/i.test(filter)) return [];
  const eq: string[] = [];
  const rangeCols: string[] = [];
  const re =
    /(^|[\s(])\(?((?:[A-Za-z_][\w$]*|"(?:[^"]|"")+")(?:\.(?:[A-Za-z_][\w$]*|"(?:[^"]|"")+"))?)\)?(?:::[A-Za-z_][\w ]*?(?:\[\])?)?\s*(=|<>|!=|<=|>=|<|>)\s*(ANY\s*\(|ALL\s*\()?\s*(\S)/g;
  for (const m of filter.matchAll(re)) {
    const ref = m[2] as string;
    const op = m[3] as string;
    const rhsStart = filter.slice((m.index ?? 0) + (m[0].length - 1));
    // The right side must be a constant, a parameter or a function call; a bare column is a join.
    const rhsIdent =
      /^\(?((?:[A-Za-z_][\w$]*|"(?:[^"]|"")+")(?:\.(?:[A-Za-z_][\w$]*|"(?:[^"]|"")+"))?)\)?(\s*\()?/.exec(rhsStart);
    if (rhsIdent && !rhsIdent[2] && !/^(true|false|null)$/i.test(rhsIdent[1] ?? "")) continue;
    if (op === "<>" || op === "!=") continue;
    if (/^(true|false|null|not|and)$/i.test(ref)) continue;
    const parts = ref.split(".");
    if (parts.length === 2 && parts[0] !== names.relation && parts[0] !== names.alias) continue;
    const col = parts[parts.length - 1] as string;
    const target = op === "=" ? eq : rangeCols;
    if (!eq.includes(col) && !rangeCols.includes(col)) target.push(col);
  }
  return [...eq, ...rangeCols.slice(0, 1)];
}

function suggestIndex(n: TPlanNode, schema: string | null): TIndexSuggestion | undefined {
  if (n.nodeType !== "Seq Scan" || !n.relation) return undefined;
  const filter = n.details.Filter;
  if (!filter) return undefined;
  const columns = filterColumns(filter, { relation: n.relation, alias: n.alias });
  if (columns.length === 0) return undefined;
  const table = `${schema && schema !== "public" ? `${quoteIdent(schema)}.` : ""}${quoteIdent(n.relation)}`;
  const cols = columns.map((c) => (c.startsWith('"') ? c : quoteIdent(c)));
  const removed =
    n.rowsRemovedByFilter !== null
      ? `; it discarded ${n.rowsRemovedByFilter} rows to return ${n.actualRows ?? "?"}`
      : n.planRows !== null
        ? `; the planner expects ${n.planRows} rows out`
        : "";
  return {
    nodeId: n.id,
    relation: n.relation,
    columns,
    filter,
    sql: `CREATE INDEX ON ${table} (${cols.join(", ")})`,
    reason: `Sequential scan of ${n.relation} filtered by ${filter}${removed}.`,
  };
}

// ---------------------------------------------------------------- caches (from metrics)

export type TIncrement = { t: number; inc: number };

/** Increments between consecutive samples of a counter; a drop is a reset (the new value counts). */
export function counterIncrements(ts: number[], values: number[], startMs: number, endMs: number): TIncrement[] {
  const out: TIncrement[] = [];
  for (let i = 1; i < ts.length; i++) {
    const t = ts[i] as number;
    if (t < startMs || t > endMs) continue;
    const v = values[i] as number;
    const prev = values[i - 1] as number;
    if (!Number.isFinite(v) || !Number.isFinite(prev)) continue;
    out.push({ t, inc: v >= prev ? v - prev : v });
  }
  return out;
}

/** Prometheus's histogram_quantile over cumulative bucket counts (le ascending, +Inf last). */
export function histogramQuantile(q: number, buckets: { le: number; count: number }[]): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (total <= 0 || sorted.length < 2) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket <= 0 ? b.le : prevLe + (b.le - prevLe) * ((rank - prevCount) / inBucket);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const LEVEL_ORDER = ["memory", "local", "l1", "redis", "remote", "l2"];
const levelRank = (l: string) => {
  const i = LEVEL_ORDER.indexOf(l);
  return i === -1 ? LEVEL_ORDER.length : i;
};

type TSeriesData = { ts: number[]; values: number[] };
type TRollupRow = { series_id: number; bucket: bigint; first: number; last: number; increase: number };

/**
 * Counter increments (or gauge values) for series over the range: raw samples where the store still
 * has them, and the 1-minute (≤ 2 days) or 1-hour rollups before a series' first raw sample, since
 * raw samples are kept for a day by default and the range may be 30.
 */
async function seriesPoints(
  prisma: PrismaClient,
  ids: number[],
  range: TRangeOut,
  kind: "counter" | "gauge",
): Promise<Map<number, TIncrement[]>> {
  const out = new Map<number, TIncrement[]>();
  if (ids.length === 0) return out;
  // A little before the range, so that the first increment inside it has a previous sample.
  const raw = await readSamples(prisma, ids, range.start - RECENT_WINDOW_MS, range.end);
  const firstRaw = new Map<number, number>();
  for (const id of ids) {
    const s = raw.get(id) as TSeriesData | undefined;
    const list: TIncrement[] = [];
    if (s && s.ts.length > 0) {
      firstRaw.set(id, s.ts[0] as number);
      if (kind === "counter") list.push(...counterIncrements(s.ts, s.values, range.start, range.end));
      else
        for (let i = 0; i < s.ts.length; i++) {
          const t = s.ts[i] as number;
          if (t >= range.start && t <= range.end) list.push({ t, inc: s.values[i] as number });
        }
    }
    out.set(id, list);
  }
  const width = range.end - range.start > 2 * 86_400_000 ? 3_600_000 : 60_000;
  const table = Prisma.raw(width === 60_000 ? "rollup_1m" : "rollup_1h");
  const oldest = Math.min(range.end, ...ids.map((id) => firstRaw.get(id) ?? range.end));
  if (oldest - range.start < width) return out;
  const rows = await prisma.$queryRaw<TRollupRow[]>`
    SELECT series_id, bucket, first, last, increase FROM ${table}
    WHERE series_id = ANY(${ids}::int[]) AND bucket >= ${BigInt(range.start - width)} AND bucket < ${BigInt(oldest)}
    ORDER BY series_id, bucket`;
  let prev: TRollupRow | undefined;
  for (const r of rows) {
    const b = Number(r.bucket);
    const before = firstRaw.get(r.series_id) ?? Number.POSITIVE_INFINITY;
    const contiguous = prev && prev.series_id === r.series_id && Number(prev.bucket) === b - width;
    if (b + width <= before && b >= range.start) {
      const list = out.get(r.series_id) as TIncrement[];
      if (kind === "gauge") list.push({ t: b + width - 1, inc: r.last });
      else {
        // Rollups hold the increase inside a bucket; the step from the previous bucket's last sample
        // to this bucket's first belongs to this bucket too.
        const step = contiguous && prev ? (r.first >= prev.last ? r.first - prev.last : r.first) : 0;
        list.push({ t: b + width - 1, inc: r.increase + step });
      }
    }
    prev = r;
  }
  for (const list of out.values()) list.sort((a, b) => a.t - b.t);
  return out;
}

async function seriesNamed(prisma: PrismaClient, name: string): Promise<TSeriesRow[]> {
  const sel = parseSelector(name);
  if (!sel.ok) return [];
  return findSeries(prisma, [sel.value], 5000);
}

type TLevelAcc = {
  cache: string;
  level: string;
  services: Set<string>;
  hits: number[];
  misses: number[];
  evictions: number[];
  sets: number[];
  hasSets: boolean;
  hasEvictions: boolean;
  /** Per bucket, per le: summed increments of the get-latency histogram. */
  latency: Map<number, number>[];
  hasLatency: boolean;
  /** Per bucket, per series: the last gauge value. */
  entries: Map<number, number>[];
  hasEntries: boolean;
  recentHits: number;
  recentMisses: number;
};

const addAt = (xs: number[], i: number, v: number) => {
  xs[i] = (xs[i] ?? 0) + v;
};

type TMissKeyRow = { cache: string; level: string | null; key: string; sec: bigint; n: number };

export async function getCaches(prisma: PrismaClient, range: TRangeOut): Promise<TCachesResponse> {
  const bucketMs = bucketFor(range, 60, 15_000);
  const starts = bucketStarts(range, bucketMs);
  const nb = starts.length;
  const bucketOf = (t: number) => Math.min(nb - 1, Math.max(0, Math.floor((t - range.start) / bucketMs)));
  const recentFrom = range.end - RECENT_WINDOW_MS;

  const [requests, evictions, opCounts, latency, entries] = await Promise.all([
    seriesNamed(prisma, "cache_requests_total"),
    seriesNamed(prisma, "cache_evictions_total"),
    seriesNamed(prisma, 'cache_operation_duration_seconds_count{operation="set"}'),
    seriesNamed(prisma, 'cache_operation_duration_seconds_bucket{operation="get"}'),
    seriesNamed(prisma, "cache_entries"),
  ]);
  const accs = new Map<string, TLevelAcc>();
  const accOf = (labels: TLabels): TLevelAcc => {
    const cache = labels.cache ?? "(unnamed)";
    const level = labels.level ?? "";
    const key = `${cache}${SEP}${level}`;
    let a = accs.get(key);
    if (!a) {
      a = {
        cache,
        level,
        services: new Set(),
        hits: new Array(nb).fill(0),
        misses: new Array(nb).fill(0),
        evictions: new Array(nb).fill(0),
        sets: new Array(nb).fill(0),
        hasSets: false,
        hasEvictions: false,
        latency: Array.from({ length: nb }, () => new Map()),
        hasLatency: false,
        entries: Array.from({ length: nb }, () => new Map()),
        hasEntries: false,
        recentHits: 0,
        recentMisses: 0,
      };
      accs.set(key, a);
    }
    if (labels.job) a.services.add(labels.job);
    return a;
  };

  const counters = [...requests, ...evictions, ...opCounts, ...latency];
  const [counterPoints, gaugePoints] = await Promise.all([
    seriesPoints(
      prisma,
      counters.map((s) => s.id),
      range,
      "counter",
    ),
    seriesPoints(
      prisma,
      entries.map((s) => s.id),
      range,
      "gauge",
    ),
  ]);
  for (const s of requests) {
    const a = accOf(s.labels);
    const hit = s.labels.result === "hit";
    if (!hit && s.labels.result !== "miss") continue;
    for (const p of counterPoints.get(s.id) ?? []) {
      addAt(hit ? a.hits : a.misses, bucketOf(p.t), p.inc);
      if (p.t > recentFrom) {
        if (hit) a.recentHits += p.inc;
        else a.recentMisses += p.inc;
      }
    }
  }
  for (const s of evictions) {
    const a = accOf(s.labels);
    a.hasEvictions = true;
    for (const p of counterPoints.get(s.id) ?? []) addAt(a.evictions, bucketOf(p.t), p.inc);
  }
  for (const s of opCounts) {
    const a = accOf(s.labels);
    a.hasSets = true;
    for (const p of counterPoints.get(s.id) ?? []) addAt(a.sets, bucketOf(p.t), p.inc);
  }
  for (const s of latency) {
    const le = s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    if (Number.isNaN(le)) continue;
    const a = accOf(s.labels);
    a.hasLatency = true;
    for (const p of counterPoints.get(s.id) ?? []) {
      const m = a.latency[bucketOf(p.t)] as Map<number, number>;
      m.set(le, (m.get(le) ?? 0) + p.inc);
    }
  }
  for (const s of entries) {
    const a = accOf(s.labels);
    a.hasEntries = true;
    for (const p of gaugePoints.get(s.id) ?? []) (a.entries[bucketOf(p.t)] as Map<number, number>).set(s.id, p.inc);
  }

  const seconds = (range.end - range.start) / 1000;
  const widthOf = (i: number) => Math.max(1, Math.min(bucketMs, range.end - (starts[i] as number)) / 1000);
  const sumArr = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
  const q95 = (ms: Map<number, number>[]): number | null => {
    const merged = new Map<number, number>();
    for (const m of ms) for (const [le, c] of m) merged.set(le, (merged.get(le) ?? 0) + c);
    const v = histogramQuantile(
      0.95,
      [...merged].map(([le, count]) => ({ le, count })),
    );
    return v === null ? null : round(v * 1000);
  };

  const caches: TCacheLevel[] = [];
  for (const a of [...accs.values()].sort(
    (x, y) => x.cache.localeCompare(y.cache) || levelRank(x.level) - levelRank(y.level),
  )) {
    // A level with no requests, evictions or entries at all in the range (a stale series) is skipped.
    const hits = sumArr(a.hits);
    const misses = sumArr(a.misses);
    const lastEntries = new Map<number, number>();
    for (const m of a.entries) for (const [id, v] of m) lastEntries.set(id, v);
    if (hits + misses === 0 && sumArr(a.evictions) === 0 && lastEntries.size === 0) continue;
    let carried = new Map<number, number>();
    const series: TCachePoint[] = starts.map((t, i) => {
      const h = a.hits[i] as number;
      const m = a.misses[i] as number;
      const w = widthOf(i);
      carried = new Map([...carried, ...(a.entries[i] as Map<number, number>)]);
      return {
        t,
        hitRatio: h + m > 0 ? round(h / (h + m), 4) : null,
        hitsPerSec: round(h / w, 4),
        missesPerSec: round(m / w, 4),
        evictionsPerSec: round((a.evictions[i] as number) / w, 4),
        p95Ms: a.hasLatency ? q95([a.latency[i] as Map<number, number>]) : null,
        entries: a.hasEntries && carried.size > 0 ? sumArr([...carried.values()]) : null,
      };
    });
    const baselineBuckets = series.filter(
      (p, i) => p.t + bucketMs <= recentFrom && (a.hits[i] as number) + (a.misses[i] as number) >= 5,
    );
    const baselineHitRatio = median(baselineBuckets.map((p) => p.hitRatio as number));
    const recentGets = a.recentHits + a.recentMisses;
    const recentHitRatio = recentGets > 0 ? round(a.recentHits / recentGets, 4) : null;
    const level: TCacheLevel = {
      cache: a.cache,
      level: a.level,
      services: [...a.services].sort(),
      hits,
      misses,
      hitRatio: hits + misses > 0 ? round(hits / (hits + misses), 4) : null,
      hitsPerSec: round(hits / seconds, 4),
      missesPerSec: round(misses / seconds, 4),
      evictionsPerSec: round(sumArr(a.evictions) / seconds, 4),
      setsPerSec: a.hasSets ? round(sumArr(a.sets) / seconds, 4) : null,
      p95Ms: a.hasLatency ? q95(a.latency) : null,
      entries: a.hasEntries && lastEntries.size > 0 ? sumArr([...lastEntries.values()]) : null,
      baselineHitRatio: baselineHitRatio === null ? null : round(baselineHitRatio, 4),
      recentHitRatio,
      series,
      detections: [],
    };
    level.detections = detectCacheIssues(level, {
      baselineBuckets: baselineBuckets.length,
      recentGets,
      recentFrom,
      sets: a.hasSets ? sumArr(a.sets) : null,
      evictions: sumArr(a.evictions),
    });
    caches.push(level);
  }

  // Miss storms by key, when the agent records cache.key on cache.get spans.
  const s = ns(range.start);
  const e = ns(range.end);
  const storms = await prisma.$queryRaw<TMissKeyRow[]>`
    SELECT attributes->>'cache.name' AS cache, attributes->>'cache.level' AS level,
      attributes->>'cache.key' AS key, start_ns / 1000000000 AS sec, count(*)::float8 AS n
    FROM span
    WHERE name = 'cache.get' AND start_ns >= ${s} AND start_ns < ${e}
      AND attributes->>'cache.hit' = 'false' AND attributes->>'cache.key' IS NOT NULL
    GROUP BY 1, 2, 3, 4 HAVING count(*) >= ${MISS_STORM_PER_KEY_PER_SEC}
    ORDER BY n DESC LIMIT 20`;
  const stormDetections: TCacheDetection[] = [];
  const seenStorm = new Set<string>();
  for (const r of storms) {
    const k = `${r.cache}${SEP}${r.level}${SEP}${r.key}`;
    if (seenStorm.has(k)) continue;
    seenStorm.add(k);
    stormDetections.push({
      kind: "miss_storm",
      cache: r.cache,
      level: r.level,
      severity: r.n >= 5 * MISS_STORM_PER_KEY_PER_SEC ? "critical" : "warning",
      title: "Miss storm",
      message: `${r.n} misses for key "${r.key}" within one second: concurrent requests recompute the same value (a stampede). Coalesce lookups of one key or refresh it before it expires.`,
      atMs: Number(r.sec) * 1000,
      evidence: { key: r.key, missesInOneSecond: r.n },
    });
  }
  for (const d of stormDetections) {
    const target = caches.find((c) => c.cache === d.cache && (d.level === null || c.level === d.level));
    if (target) target.detections = [...target.detections.filter((x) => x.kind !== "miss_storm"), d];
  }

  const hierarchies = cacheHierarchies(caches, starts);
  const missRoutes = await cacheMissRoutes(prisma, range);
  const detections = [
    ...caches.flatMap((c) => c.detections),
    ...stormDetections.filter(
      (d) => !caches.some((c) => c.cache === d.cache && (d.level === null || c.level === d.level)),
    ),
  ];
  return { range, bucketMs, caches, hierarchies, detections, missRoutes };
}

/** Inline detections for one cache level: hit-ratio drop, miss-rate spike, eviction churn. */
export function detectCacheIssues(
  c: TCacheLevel,
  ctx: { baselineBuckets: number; recentGets: number; recentFrom: number; sets: number | null; evictions: number },
): TCacheDetection[] {
  const out: TCacheDetection[] = [];
  const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;
  if (c.baselineHitRatio !== null && c.recentHitRatio !== null && ctx.baselineBuckets >= 3 && ctx.recentGets >= 20) {
    const drop = c.baselineHitRatio - c.recentHitRatio;
    if (drop >= 0.15 && c.recentHitRatio <= c.baselineHitRatio * 0.85) {
      out.push({
        kind: "hit_ratio_drop",
        cache: c.cache,
        level: c.level,
        severity: drop >= 0.3 ? "critical" : "warning",
        title: "Hit ratio drop",
        message: `Hit ratio fell to ${pct(c.recentHitRatio)} in the last 5 minutes from a median of ${pct(c.baselineHitRatio)} before: more lookups reach the next level. Look for a deploy, a flush, shorter TTLs or new keys.`,
        atMs: ctx.recentFrom,
        evidence: {
          baselineHitRatio: c.baselineHitRatio,
          recentHitRatio: c.recentHitRatio,
          recentGets: ctx.recentGets,
        },
      });
    }
  }
  // A miss-rate spike: the busiest bucket far above the usual (median) miss rate.
  const missRates = c.series.map((p) => p.missesPerSec);
  const usual = median(missRates.filter((x) => x > 0)) ?? 0;
  let peak = 0;
  let peakAt: number | null = null;
  for (const p of c.series) {
    if (p.missesPerSec > peak) {
      peak = p.missesPerSec;
      peakAt = p.t;
    }
  }
  // A sustained rise in the recent window that is already reported as a hit-ratio drop is that drop,
  // not a storm: a storm is a burst.
  const width = (c.series[1]?.t ?? 0) - (c.series[0]?.t ?? 0);
  const partOfDrop = out.length > 0 && peakAt !== null && peakAt + width > ctx.recentFrom;
  if (!partOfDrop && missRates.filter((x) => x > 0).length >= 5 && peak >= 1 && peak >= 4 * usual) {
    out.push({
      kind: "miss_storm",
      cache: c.cache,
      level: c.level,
      severity: peak >= 10 * usual ? "critical" : "warning",
      title: "Miss storm",
      message: `Misses peaked at ${round(peak, 2)}/s against a usual ${round(usual, 2)}/s: many lookups missed at once (expiry of hot keys, a flush or a stampede).`,
      atMs: peakAt,
      evidence: { peakMissesPerSec: round(peak, 2), usualMissesPerSec: round(usual, 2) },
    });
  }
  // Eviction churn: entries pushed out about as fast as they are written, so the cache is too small.
  const writes = ctx.sets ?? c.misses;
  if (ctx.evictions > 0 && writes > 0 && c.evictionsPerSec >= 0.5 && ctx.evictions / writes >= 0.5) {
    out.push({
      kind: "eviction_churn",
      cache: c.cache,
      level: c.level,
      severity: ctx.evictions / writes >= 0.9 ? "critical" : "warning",
      title: "Eviction churn",
      message: `${round(c.evictionsPerSec, 2)} evictions/s for ${round(ctx.evictions / writes, 2)} per ${ctx.sets === null ? "miss" : "set"}: the working set does not fit. Raise the size limit or cache fewer, smaller values.`,
      atMs: null,
      evidence: {
        evictionsPerSec: c.evictionsPerSec,
        [ctx.sets === null ? "evictionsPerMiss" : "evictionsPerSet"]: round(ctx.evictions / writes, 3),
      },
    });
  }
  return out;
}

/** Per cache name, its levels in lookup order and the share of first-level gets that reached the DB. */
export function cacheHierarchies(caches: TCacheLevel[], starts: number[]): TCacheHierarchy[] {
  const byName = new Map<string, TCacheLevel[]>();
  for (const c of caches) byName.set(c.cache, [...(byName.get(c.cache) ?? []), c]);
  const out: TCacheHierarchy[] = [];
  for (const [cache, levels] of byName) {
    const sorted = [...levels].sort((a, b) => levelRank(a.level) - levelRank(b.level));
    const first = sorted[0] as TCacheLevel;
    const last = sorted[sorted.length - 1] as TCacheLevel;
    const gets = first.hitsPerSec + first.missesPerSec;
    out.push({
      cache,
      levels: sorted.map((l) => l.level),
      getsPerSec: round(gets, 4),
      dbReadsPerSec: last.missesPerSec,
      effectiveHitRatio: gets > 0 ? round(Math.min(1, Math.max(0, 1 - last.missesPerSec / gets)), 4) : null,
      series: starts.map((t, i) => {
        const f = first.series[i];
        const l = last.series[i];
        const g = f ? f.hitsPerSec + f.missesPerSec : 0;
        return {
          t,
          effectiveHitRatio: g > 0 && l ? round(Math.min(1, Math.max(0, 1 - l.missesPerSec / g)), 4) : null,
        };
      }),
    });
  }
  return out;
}

type TMissRouteRow = {
  cache: string | null;
  level: string | null;
  service: string;
  route: string | null;
  misses: number;
  traces: number;
  example: string;
};

/** The routes whose requests miss each cache most (cache.get spans with cache.hit=false). */
async function cacheMissRoutes(prisma: PrismaClient, range: TRangeOut): Promise<TCacheMissRoute[]> {
  const rows = await prisma.$queryRaw<TMissRouteRow[]>`
    WITH m AS (
      SELECT trace_id, service, attributes->>'cache.name' AS cache, attributes->>'cache.level' AS level
      FROM span
      WHERE name = 'cache.get' AND start_ns >= ${ns(range.start)} AND start_ns < ${ns(range.end)}
        AND attributes->>'cache.hit' = 'false'
    ), ${serverSpansOf("m")}
    SELECT m.cache, m.level, m.service, srv.route, count(*)::float8 AS misses,
      count(DISTINCT m.trace_id)::float8 AS traces, max(m.trace_id) AS example
    FROM m LEFT JOIN srv ON srv.trace_id = m.trace_id AND srv.service = m.service
    GROUP BY 1, 2, 3, 4 ORDER BY misses DESC LIMIT 50`;
  return rows.map((r) => ({
    cache: r.cache ?? "(unnamed)",
    level: r.level,
    service: r.service,
    route: r.route ?? "(no server span)",
    misses: r.misses,
    traces: r.traces,
    exampleTraceId: r.example,
  }));
}

// ---------------------------------------------------------------- spans and traces

type TCategoryInput = { kind: string; name: string; dbSystem: string | null; attributes: unknown };

/** Waterfall colour: HTTP/server, DB (statements and pool waits), cache, everything else. */
export function spanCategory(s: TCategoryInput): TSpanCategory {
  const a = (s.attributes && typeof s.attributes === "object" ? s.attributes : {}) as Record<string, unknown>;
  const system = s.dbSystem ?? (typeof a["db.system"] === "string" ? (a["db.system"] as string) : null);
  if (s.name.startsWith("cache.") || a["cache.name"] !== undefined || system === "redis" || system === "memcached")
    return "cache";
  if (system || s.name.startsWith("pg.pool") || a["db.client.connection.pool.name"] !== undefined) return "db";
  if (s.kind === "server" || a["http.request.method"] !== undefined || a["http.method"] !== undefined) return "http";
  return "internal";
}

type TSearchRow = {
  trace_id: string;
  span_id: string;
  service: string;
  name: string;
  kind: string;
  start_ns: bigint;
  duration_ns: bigint;
  status: string;
  route: string | null;
  db_system: string | null;
  db_statement: string | null;
  attributes: unknown;
};

export async function searchSpanHits(
  prisma: PrismaClient,
  range: TRangeOut,
  q: Omit<TSpanSearchQuery, "start" | "end">,
): Promise<TSpanSearchResponse> {
  const parts: Prisma.Sql[] = [];
  if (q.service) parts.push(Prisma.sql`AND service = ${q.service}`);
  if (q.route) parts.push(Prisma.sql`AND route = ${q.route}`);
  if (q.operation) parts.push(Prisma.sql`AND name = ${q.operation}`);
  if (q.kind) parts.push(Prisma.sql`AND kind = ${q.kind}`);
  if (q.status) parts.push(Prisma.sql`AND status = ${q.status}`);
  if (q.minDurationMs !== undefined) parts.push(Prisma.sql`AND duration_ns >= ${ns(q.minDurationMs)}`);
  if (q.attr) {
    const eq = q.attr.indexOf("=");
    const key = q.attr.slice(0, eq).trim();
    const value = q.attr.slice(eq + 1).trim();
    parts.push(Prisma.sql`AND attributes->>${key} = ${value}`);
  }
  if (q.fingerprint) {
    const { statements } = await statementsForFingerprint(prisma, range, q.fingerprint, { service: q.service });
    if (statements.length === 0) return { range, spans: [], truncated: false };
    parts.push(Prisma.sql`AND db_statement = ANY(${statements}::text[])`);
  }
  const rows = await prisma.$queryRaw<TSearchRow[]>`
    SELECT trace_id, span_id, service, name, kind, start_ns, duration_ns, status, route, db_system, db_statement,
      attributes
    FROM span WHERE start_ns >= ${ns(range.start)} AND start_ns < ${ns(range.end)}
      ${parts.length > 0 ? Prisma.join(parts, " ") : Prisma.empty}
    ORDER BY start_ns DESC LIMIT ${q.limit + 1}`;
  const spans: TSpanHit[] = rows.slice(0, q.limit).map((r) => ({
    traceId: r.trace_id,
    spanId: r.span_id,
    service: r.service,
    name: r.name,
    kind: r.kind,
    category: spanCategory({ kind: r.kind, name: r.name, dbSystem: r.db_system, attributes: r.attributes }),
    startMs: nsToMs(r.start_ns),
    durationMs: nsToMs(r.duration_ns),
    status: r.status,
    route: r.route,
    dbStatement: r.db_statement,
  }));
  return { range, spans, truncated: rows.length > q.limit };
}

type TStoredEvent = { name?: unknown; timeUnixNano?: unknown; attributes?: unknown };

const asRecord = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** One trace as a waterfall: spans in tree order with depth, self time, category and fingerprint. */
export async function getTraceView(prisma: PrismaClient, traceId: string): Promise<TTraceViewResponse | undefined> {
  const rows = await prisma.span.findMany({
    where: { traceId },
    orderBy: { startNs: "asc" },
    take: MAX_TRACE_SPANS + 1,
  });
  if (rows.length === 0) return undefined;
  const truncated = rows.length > MAX_TRACE_SPANS;
  const list = rows.slice(0, MAX_TRACE_SPANS);
  const ids = new Set(list.map((r) => r.spanId));
  const children = new Map<string | null, typeof list>();
  for (const r of list) {
    // A parent that is not stored (another service did not report, or it was cut) makes a root.
    const parent = r.parentSpanId && ids.has(r.parentSpanId) ? r.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  let traceStart = list[0]?.startNs as bigint;
  let traceEnd = 0n;
  for (const r of list) {
    if (r.startNs < traceStart) traceStart = r.startNs;
    if (r.startNs + r.durationNs > traceEnd) traceEnd = r.startNs + r.durationNs;
  }
  const spans: TTraceSpan[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      const kids = children.get(r.spanId) ?? [];
      const start = r.startNs;
      const end = r.startNs + r.durationNs;
      const selfNs = r.durationNs - coveredNs(start, end, kids);
      const fp = r.dbStatement ? fingerprintOf(r.dbStatement) : null;
      spans.push({
        spanId: r.spanId,
        parentSpanId: r.parentSpanId,
        service: r.service,
        name: r.name,
        kind: r.kind,
        category: spanCategory(r),
        startMs: nsToMs(r.startNs),
        offsetMs: nsToMs(r.startNs - traceStart),
        durationMs: nsToMs(r.durationNs),
        selfMs: nsToMs(selfNs > 0n ? selfNs : 0n),
        depth,
        status: r.status,
        statusMessage: r.statusMessage,
        route: r.route,
        dbSystem: r.dbSystem,
        dbStatement: r.dbStatement,
        fingerprint: fp ? { id: fp.id, text: fp.text } : null,
        attributes: asRecord(r.attributes),
        resource: asRecord(r.resource),
        events: (Array.isArray(r.events) ? (r.events as TStoredEvent[]) : []).map((ev) => ({
          name: typeof ev.name === "string" ? ev.name : "",
          timeMs:
            typeof ev.timeUnixNano === "string" && /^\d+$/.test(ev.timeUnixNano)
              ? nsToMs(BigInt(ev.timeUnixNano))
              : null,
          attributes: asRecord(ev.attributes),
        })),
      });
      if (depth < 200) walk(r.spanId, depth + 1);
    }
  };
  walk(null, 0);
  const byCat = new Map<TSpanCategory, number>();
  for (const sp of spans) byCat.set(sp.category, (byCat.get(sp.category) ?? 0) + sp.selfMs);
  const totalSelf = [...byCat.values()].reduce((a, b) => a + b, 0);
  const root = spans.find((sp) => sp.depth === 0 && sp.kind === "server") ?? spans.find((sp) => sp.route);
  return {
    traceId,
    startMs: nsToMs(traceStart),
    durationMs: nsToMs(traceEnd - traceStart),
    services: [...new Set(spans.map((sp) => sp.service))].sort(),
    route: root?.route ?? null,
    spans,
    byCategory: [...byCat]
      .map(([category, selfMs]) => ({
        category,
        selfMs: round(selfMs),
        share: totalSelf > 0 ? round(selfMs / totalSelf, 4) : 0,
      }))
      .sort((a, b) => b.selfMs - a.selfMs),
    truncated,
  };
}

/** Length of the union of the children's intervals, clipped to [start, end). */
export function coveredNs(start: bigint, end: bigint, kids: { startNs: bigint; durationNs: bigint }[]): bigint {
  const iv = kids
    .map((k) => [
      k.startNs < start ? start : k.startNs,
      k.startNs + k.durationNs > end ? end : k.startNs + k.durationNs,
    ])
    .filter(([a, b]) => (b as bigint) > (a as bigint))
    .sort((x, y) => ((x[0] as bigint) < (y[0] as bigint) ? -1 : 1)) as [bigint, bigint][];
  let covered = 0n;
  let curStart = -1n;
  let curEnd = -1n;
  for (const [a, b] of iv) {
    if (a > curEnd) {
      if (curEnd > curStart) covered += curEnd - curStart;
      curStart = a;
      curEnd = b;
    } else if (b > curEnd) curEnd = b;
  }
  if (curEnd > curStart) covered += curEnd - curStart;
  return covered;
}
