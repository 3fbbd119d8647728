// Drill-down views as the browser receives them (server/drilldown/routes.ts): services (RED per
// service), query fingerprints and one fingerprint's detail, caches, span search and one trace. Every
// response carries the ids the UI needs to link onwards: routes → traces → fingerprints → traces, and
// caches → the routes that miss most. Times are Unix milliseconds, durations milliseconds.
import { z } from "zod";

/** The range a response covers, after clamping to at most 30 days (the end is kept, the start moves). */
export const ZRangeOutSchema = z.object({
  start: z.number(),
  end: z.number(),
  /** True when the asked range was longer than the limit and was cut to its last 30 days. */
  clamped: z.boolean(),
});
export type TRangeOut = z.infer<typeof ZRangeOutSchema>;

export const MAX_RANGE_MS = 30 * 86_400_000;

// ---------------------------------------------------------------- services

export const ZServiceOperationSchema = z.object({
  name: z.string(),
  route: z.string().nullable(),
  calls: z.number(),
  errors: z.number(),
  totalMs: z.number(),
  meanMs: z.number(),
  p95Ms: z.number(),
});
export type TServiceOperation = z.infer<typeof ZServiceOperationSchema>;

export const ZServicePointSchema = z.object({
  t: z.number(),
  ratePerSec: z.number(),
  errorPct: z.number().nullable(),
  p95Ms: z.number().nullable(),
});

export const ZServiceSchema = z.object({
  service: z.string(),
  requests: z.number(),
  ratePerSec: z.number(),
  errors: z.number(),
  errorPct: z.number(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  p99Ms: z.number(),
  totalMs: z.number(),
  /** Server span names by total time, each with its route for linking to its traces. */
  topOperations: z.array(ZServiceOperationSchema),
  series: z.array(ZServicePointSchema),
});
export type TService = z.infer<typeof ZServiceSchema>;

export const ZServicesResponseSchema = z.object({
  range: ZRangeOutSchema,
  bucketMs: z.number(),
  services: z.array(ZServiceSchema),
});
export type TServicesResponse = z.infer<typeof ZServicesResponseSchema>;

// ---------------------------------------------------------------- queries

export const QUERY_SORTS = ["total", "mean", "p95", "calls"] as const;
export type TQuerySort = (typeof QUERY_SORTS)[number];

export const ZQueryTrendPointSchema = z.object({ t: z.number(), calls: z.number(), meanMs: z.number().nullable() });

export const ZQueryStatSchema = z.object({
  fingerprint: z.string(),
  text: z.string(),
  /** The most frequent statement as stored (already normalized by the agent, usually). */
  example: z.string(),
  dbSystem: z.string().nullable(),
  services: z.array(z.string()),
  calls: z.number(),
  errors: z.number(),
  totalMs: z.number(),
  /** Share of all DB time in the range (with the same filters), 0..100. */
  sharePct: z.number(),
  meanMs: z.number(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  p99Ms: z.number(),
  /** Sum of `db.response.returned_rows` where reported, else null. */
  rows: z.number().nullable(),
  rowsPerCall: z.number().nullable(),
  trend: z.array(ZQueryTrendPointSchema),
});
export type TQueryStat = z.infer<typeof ZQueryStatSchema>;

export const ZQueryListResponseSchema = z.object({
  range: ZRangeOutSchema,
  bucketMs: z.number(),
  sort: z.enum(QUERY_SORTS),
  totalDbMs: z.number(),
  totalCalls: z.number(),
  /** Fingerprints in the range (with the filters), of which `queries` are the first `limit`. */
  fingerprints: z.number(),
  queries: z.array(ZQueryStatSchema),
  facets: z.object({ services: z.array(z.string()), dbs: z.array(z.string()) }),
  /** True when more distinct statements existed than one request reads (the costliest are kept). */
  truncated: z.boolean(),
});
export type TQueryListResponse = z.infer<typeof ZQueryListResponseSchema>;

export const ZPlanNodeSchema = z.object({
  id: z.number(),
  parentId: z.number().nullable(),
  depth: z.number(),
  nodeType: z.string(),
  relation: z.string().nullable(),
  alias: z.string().nullable(),
  indexName: z.string().nullable(),
  startupCost: z.number().nullable(),
  totalCost: z.number().nullable(),
  /** This node's cost without its children's (or its own time when the plan was analyzed). */
  selfCost: z.number(),
  /** selfCost as a share of the whole plan, 0..1. */
  costShare: z.number(),
  planRows: z.number().nullable(),
  actualTotalMs: z.number().nullable(),
  actualRows: z.number().nullable(),
  rowsRemovedByFilter: z.number().nullable(),
  /** The conditions and keys that explain the node: Filter, Index Cond, Hash Cond, Sort Key… */
  details: z.record(z.string(), z.string()),
  costliest: z.boolean(),
  /** CREATE INDEX statement suggested for this node, if any. */
  suggestion: z.string().nullable(),
});
export type TPlanNode = z.infer<typeof ZPlanNodeSchema>;

export const ZIndexSuggestionSchema = z.object({
  nodeId: z.number(),
  relation: z.string(),
  columns: z.array(z.string()),
  filter: z.string(),
  sql: z.string(),
  reason: z.string(),
});
export type TIndexSuggestion = z.infer<typeof ZIndexSuggestionSchema>;

export const ZQueryPlanSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  capturedAtMs: z.number(),
  analyzed: z.boolean(),
  totalCost: z.number().nullable(),
  nodes: z.array(ZPlanNodeSchema),
  costliestNodeId: z.number().nullable(),
  suggestions: z.array(ZIndexSuggestionSchema),
});
export type TQueryPlan = z.infer<typeof ZQueryPlanSchema>;

export const ZQueryDetailResponseSchema = z.object({
  range: ZRangeOutSchema,
  bucketMs: z.number(),
  fingerprint: z.string(),
  text: z.string(),
  /** Distinct stored statements with this fingerprint (the first few). */
  statements: z.array(z.string()),
  dbSystem: z.string().nullable(),
  summary: z.object({
    calls: z.number(),
    errors: z.number(),
    totalMs: z.number(),
    meanMs: z.number(),
    p50Ms: z.number(),
    p95Ms: z.number(),
    p99Ms: z.number(),
    rows: z.number().nullable(),
    rowsPerCall: z.number().nullable(),
  }),
  series: z.array(
    z.object({ t: z.number(), calls: z.number(), meanMs: z.number().nullable(), p95Ms: z.number().nullable() }),
  ),
  /** The server routes whose requests issue it (the trace's server span of the same service). */
  routes: z.array(
    z.object({
      service: z.string(),
      route: z.string(),
      calls: z.number(),
      totalMs: z.number(),
      meanMs: z.number(),
      traces: z.number(),
      exampleTraceId: z.string(),
    }),
  ),
  /** Traces that issue it most. */
  traces: z.array(
    z.object({
      traceId: z.string(),
      calls: z.number(),
      totalMs: z.number(),
      startMs: z.number(),
      service: z.string(),
      route: z.string().nullable(),
    }),
  ),
  slowest: z.array(
    z.object({
      traceId: z.string(),
      spanId: z.string(),
      durationMs: z.number(),
      startMs: z.number(),
      service: z.string(),
      route: z.string().nullable(),
      status: z.string(),
    }),
  ),
  nPlusOne: z.object({
    threshold: z.number(),
    detected: z.boolean(),
    maxRepeats: z.number(),
    tracesAffected: z.number(),
    tracesSeen: z.number(),
    traces: z.array(
      z.object({ traceId: z.string(), repeats: z.number(), totalMs: z.number(), route: z.string().nullable() }),
    ),
  }),
  plan: ZQueryPlanSchema.nullable(),
});
export type TQueryDetailResponse = z.infer<typeof ZQueryDetailResponseSchema>;

// ---------------------------------------------------------------- caches

export const CACHE_DETECTION_KINDS = ["hit_ratio_drop", "miss_storm", "eviction_churn"] as const;

export const ZCacheDetectionSchema = z.object({
  kind: z.enum(CACHE_DETECTION_KINDS),
  cache: z.string(),
  level: z.string().nullable(),
  severity: z.enum(["warning", "critical"]),
  title: z.string(),
  message: z.string(),
  /** When it happened (the peak, or the start of the recent window). */
  atMs: z.number().nullable(),
  evidence: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
});
export type TCacheDetection = z.infer<typeof ZCacheDetectionSchema>;

export const ZCachePointSchema = z.object({
  t: z.number(),
  hitRatio: z.number().nullable(),
  hitsPerSec: z.number(),
  missesPerSec: z.number(),
  evictionsPerSec: z.number(),
  p95Ms: z.number().nullable(),
  entries: z.number().nullable(),
});
export type TCachePoint = z.infer<typeof ZCachePointSchema>;

export const ZCacheLevelSchema = z.object({
  cache: z.string(),
  level: z.string(),
  services: z.array(z.string()),
  hits: z.number(),
  misses: z.number(),
  hitRatio: z.number().nullable(),
  hitsPerSec: z.number(),
  missesPerSec: z.number(),
  evictionsPerSec: z.number(),
  setsPerSec: z.number().nullable(),
  p95Ms: z.number().nullable(),
  entries: z.number().nullable(),
  /** Median hit ratio before the last 5 minutes, and the hit ratio of the last 5 minutes. */
  baselineHitRatio: z.number().nullable(),
  recentHitRatio: z.number().nullable(),
  series: z.array(ZCachePointSchema),
  detections: z.array(ZCacheDetectionSchema),
});
export type TCacheLevel = z.infer<typeof ZCacheLevelSchema>;

export const ZCacheHierarchySchema = z.object({
  cache: z.string(),
  /** Levels in lookup order (memory before redis). */
  levels: z.array(z.string()),
  getsPerSec: z.number(),
  /** Misses of the last level: the lookups that reached the database. */
  dbReadsPerSec: z.number(),
  effectiveHitRatio: z.number().nullable(),
  series: z.array(z.object({ t: z.number(), effectiveHitRatio: z.number().nullable() })),
});
export type TCacheHierarchy = z.infer<typeof ZCacheHierarchySchema>;

export const ZCacheMissRouteSchema = z.object({
  cache: z.string(),
  level: z.string().nullable(),
  service: z.string(),
  route: z.string(),
  misses: z.number(),
  traces: z.number(),
  exampleTraceId: z.string(),
});
export type TCacheMissRoute = z.infer<typeof ZCacheMissRouteSchema>;

export const ZCachesResponseSchema = z.object({
  range: ZRangeOutSchema,
  bucketMs: z.number(),
  caches: z.array(ZCacheLevelSchema),
  hierarchies: z.array(ZCacheHierarchySchema),
  detections: z.array(ZCacheDetectionSchema),
  missRoutes: z.array(ZCacheMissRouteSchema),
});
export type TCachesResponse = z.infer<typeof ZCachesResponseSchema>;

// ---------------------------------------------------------------- spans and traces

export const SPAN_CATEGORIES = ["http", "db", "cache", "internal"] as const;
export const ZSpanCategorySchema = z.enum(SPAN_CATEGORIES);
export type TSpanCategory = z.infer<typeof ZSpanCategorySchema>;

export const ZSpanHitSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  service: z.string(),
  name: z.string(),
  kind: z.string(),
  category: ZSpanCategorySchema,
  startMs: z.number(),
  durationMs: z.number(),
  status: z.string(),
  route: z.string().nullable(),
  dbStatement: z.string().nullable(),
});
export type TSpanHit = z.infer<typeof ZSpanHitSchema>;

export const ZSpanSearchResponseSchema = z.object({
  range: ZRangeOutSchema,
  spans: z.array(ZSpanHitSchema),
  /** True when more spans matched than `limit` (the newest are returned). */
  truncated: z.boolean(),
});
export type TSpanSearchResponse = z.infer<typeof ZSpanSearchResponseSchema>;

export const ZTraceSpanSchema = z.object({
  spanId: z.string(),
  parentSpanId: z.string().nullable(),
  service: z.string(),
  name: z.string(),
  kind: z.string(),
  category: ZSpanCategorySchema,
  startMs: z.number(),
  /** From the start of the trace. */
  offsetMs: z.number(),
  durationMs: z.number(),
  /** Time not covered by the span's children. */
  selfMs: z.number(),
  depth: z.number(),
  status: z.string(),
  statusMessage: z.string(),
  route: z.string().nullable(),
  dbSystem: z.string().nullable(),
  dbStatement: z.string().nullable(),
  fingerprint: z.object({ id: z.string(), text: z.string() }).nullable(),
  attributes: z.record(z.string(), z.unknown()),
  resource: z.record(z.string(), z.unknown()),
  events: z.array(
    z.object({ name: z.string(), timeMs: z.number().nullable(), attributes: z.record(z.string(), z.unknown()) }),
  ),
});
export type TTraceSpan = z.infer<typeof ZTraceSpanSchema>;

export const ZTraceViewResponseSchema = z.object({
  traceId: z.string(),
  startMs: z.number(),
  durationMs: z.number(),
  services: z.array(z.string()),
  /** The root server span's route, if any. */
  route: z.string().nullable(),
  spans: z.array(ZTraceSpanSchema),
  /** Self time per category and its share of the summed self time, 0..1. */
  byCategory: z.array(z.object({ category: ZSpanCategorySchema, selfMs: z.number(), share: z.number() })),
  truncated: z.boolean(),
});
export type TTraceViewResponse = z.infer<typeof ZTraceViewResponseSchema>;
