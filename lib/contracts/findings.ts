// Findings: what the analyzer says is the bottleneck, with its evidence and the fix (server/analyzer).
import { z } from "zod";

export const FINDING_KINDS = [
  "slow_query",
  "n_plus_one",
  "cache_hit_collapse",
  "cache_undersized",
  "pool_saturation",
  "connection_leak",
  "cpu_saturation",
  "event_loop_blocked",
  "memory_leak",
  "slow_dependency",
  "network_delay",
  "cache_backend_slow",
  "queue_backlog",
  "traffic_surge",
  "latency_regression",
] as const;

export const ZEvidenceSeriesSchema = z.object({
  label: z.string(),
  query: z.string(),
  unit: z.string(),
  baseline: z.number(),
  current: z.number(),
});

export const ZFindingSchema = z.object({
  id: z.string(),
  kind: z.enum(FINDING_KINDS),
  target: z.record(z.string(), z.string()),
  targetKey: z.string(),
  status: z.enum(["open", "resolved"]),
  severity: z.enum(["info", "warning", "critical"]),
  confidence: z.number(),
  /** The ranking score: strength of the evidence against the baseline, discounted when explained. */
  impact: z.number(),
  title: z.string(),
  summary: z.string(),
  recommendation: z.string(),
  evidence: z.object({
    series: z.array(ZEvidenceSeriesSchema),
    traces: z.array(z.string()),
    links: z.array(z.object({ label: z.string(), href: z.string() })),
    attribution: z
      .object({ route: z.string(), verdict: z.string(), deltaMs: z.record(z.string(), z.number()) })
      .optional(),
    plan: z.object({ statement: z.string(), traceId: z.string(), suggestion: z.string().optional() }).optional(),
    explainedBy: z.string().optional(),
  }),
  firstSeen: z.string(),
  lastSeen: z.string(),
  resolvedAt: z.string().nullable(),
  acknowledged: z.boolean(),
  muted: z.boolean(),
  /** After resolution: each evidence series at baseline, at its worst while open, and after. */
  impactReport: z
    .array(
      z.object({
        label: z.string(),
        unit: z.string(),
        before: z.number(),
        during: z.number(),
        after: z.number().nullable(),
      }),
    )
    .nullable(),
});
export type TFinding = z.infer<typeof ZFindingSchema>;

export const ZFindingListQuerySchema = z.object({
  status: z.enum(["open", "resolved", "all"]).default("open"),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const ZFindingPatchSchema = z
  .object({ acknowledged: z.boolean().optional(), muted: z.boolean().optional() })
  .refine((v) => v.acknowledged !== undefined || v.muted !== undefined, {
    message: "send acknowledged and/or muted (booleans)",
  });

export type TFindingEvent = { type: "opened" | "updated" | "resolved"; finding: TFinding };
