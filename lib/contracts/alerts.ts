// Alerting as the browser receives it: rules, alert instances, silences, channels, history, the rule
// editor's preview, and the Socket.IO event of room "alerts". The server builds these shapes in
// server/alerts/views.ts; rule bodies are validated on the server (server/alerts/rules.ts), so the
// rule spec here is a reading schema, not the validation.
import { z } from "zod";

export const ALERT_STATES = ["inactive", "pending", "firing", "resolved"] as const;
export type TAlertStateName = (typeof ALERT_STATES)[number];
export const RULE_SOURCES = ["api", "file", "default"] as const;

const ZLabelsSchema = z.record(z.string(), z.string());
const ZThresholdSchema = z.union([z.number(), z.tuple([z.number(), z.number()]), z.null()]);

/** A rule as stored (server/alerts/rules.ts TAlertRule); kind-specific fields are optional here. */
export const ZAlertRuleSpecSchema = z.object({
  kind: z.enum(["threshold", "absence", "rate_of_change"]),
  name: z.string(),
  query: z.string().optional(),
  condition: z.enum(["above", "below", "outside", "present"]).optional(),
  threshold: z.number().optional(),
  low: z.number().optional(),
  high: z.number().optional(),
  inclusive: z.boolean().optional(),
  hysteresis: z.number().optional(),
  windowSeconds: z.number().optional(),
  job: z.string().optional(),
  forSeconds: z.number(),
  keepFiringForSeconds: z.number(),
  severity: z.enum(["info", "warning", "critical"]),
  labels: ZLabelsSchema,
  annotations: ZLabelsSchema,
  enabled: z.boolean(),
  channels: z.array(z.string()),
});
export type TAlertRuleSpec = z.infer<typeof ZAlertRuleSpecSchema>;

export const ZAlertRuleViewSchema = z.object({
  id: z.string(),
  source: z.enum(RULE_SOURCES),
  /** File rules are read-only through the API; edit the file and restart. */
  readOnly: z.boolean(),
  /** For file rules: the file it came from. */
  file: z.string().nullable(),
  version: z.number().int(),
  rule: ZAlertRuleSpecSchema,
  health: z.enum(["ok", "err", "unknown"]),
  lastError: z.string().nullable(),
  lastEvaluation: z.string().nullable(),
  firing: z.number().int(),
  pending: z.number().int(),
  updatedAt: z.string(),
});
export type TAlertRuleView = z.infer<typeof ZAlertRuleViewSchema>;
export const ZAlertRuleListSchema = z.object({ rules: z.array(ZAlertRuleViewSchema) });

/** One alert instance (rule × series label set). */
export const ZAlertViewSchema = z.object({
  key: z.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  severity: z.enum(["info", "warning", "critical"]),
  state: z.enum(ALERT_STATES),
  /** The alert's labels as notifications carry them: series labels, rule labels, alertname, severity. */
  labels: ZLabelsSchema,
  /** The rule's annotations rendered with the value that triggered it. */
  annotations: ZLabelsSchema,
  /** The latest evaluated value (null: the series is absent). */
  value: z.number().nullable(),
  /** The value that made it fire. */
  triggerValue: z.number().nullable(),
  threshold: ZThresholdSchema,
  activeAt: z.string().nullable(),
  firedAt: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  silenced: z.boolean(),
  /** Ids of the silences that hold it back. */
  silencedBy: z.array(z.string()),
  /** Explore with the rule's query and its threshold drawn (a relative link). */
  chartUrl: z.string(),
});
export type TAlertView = z.infer<typeof ZAlertViewSchema>;
export const ZAlertListSchema = z.object({
  alerts: z.array(ZAlertViewSchema),
  /** Whether this node runs the evaluator (false on a follower: the list then comes from the store). */
  evaluating: z.boolean(),
});
export type TAlertList = z.infer<typeof ZAlertListSchema>;

export const ZAlertHistoryEventSchema = z.object({
  id: z.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  key: z.string(),
  labels: ZLabelsSchema,
  from: z.enum(ALERT_STATES),
  to: z.enum(ALERT_STATES),
  value: z.number().nullable(),
  at: z.string(),
});
export type TAlertHistoryEvent = z.infer<typeof ZAlertHistoryEventSchema>;
export const ZAlertHistorySchema = z.object({ events: z.array(ZAlertHistoryEventSchema) });

export const ZSilenceMatcherSchema = z.object({
  name: z.string(),
  op: z.enum(["=", "!=", "=~", "!~"]),
  value: z.string(),
});
export const ZSilenceViewSchema = z.object({
  id: z.string(),
  matchers: z.array(ZSilenceMatcherSchema),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
  status: z.enum(["pending", "active", "expired"]),
});
export type TSilenceView = z.infer<typeof ZSilenceViewSchema>;
export const ZSilenceListSchema = z.object({ silences: z.array(ZSilenceViewSchema) });

export const ZChannelViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  groupBy: z.array(z.string()),
  groupWaitMs: z.number(),
  groupIntervalMs: z.number(),
  repeatIntervalMs: z.number(),
  /** Header names only: their values may be secrets. */
  headerNames: z.array(z.string()),
  status: z.object({
    sent: z.number().int(),
    failed: z.number().int(),
    lastSuccessAt: z.string().nullable(),
    lastError: z.string().nullable(),
    lastErrorAt: z.string().nullable(),
  }),
});
export type TChannelView = z.infer<typeof ZChannelViewSchema>;
export const ZChannelListSchema = z.object({ channels: z.array(ZChannelViewSchema) });

/** POST /api/alerts/rules/preview: the query over the range, and when the rule would have fired. */
export const ZRulePreviewSchema = z.object({
  start: z.number(),
  end: z.number(),
  stepMs: z.number(),
  /** The chart's series in Prometheus's matrix shape. */
  series: z.array(z.object({ metric: ZLabelsSchema, values: z.array(z.tuple([z.number(), z.string()])) })),
  threshold: ZThresholdSchema,
  /** Each time an instance would have fired: when, until when (null: still firing at the end). */
  periods: z.array(z.object({ labels: ZLabelsSchema, from: z.number(), to: z.number().nullable() })),
  fired: z.number().int(),
  warnings: z.array(z.string()),
});
export type TRulePreview = z.infer<typeof ZRulePreviewSchema>;

/** A rule body that failed validation: every problem, with the field it belongs to. */
export const ZFieldErrorsSchema = z.array(z.object({ path: z.string(), message: z.string() }));

/**
 * Room "alerts" (`emit("subscribe", { room: "alerts" })`): one `alert` event per state change of an
 * instance, as it happens (pending, firing, resolved, and inactive when a pending one clears).
 */
export const ZAlertEventSchema = z.object({
  from: z.enum(ALERT_STATES),
  to: z.enum(ALERT_STATES),
  at: z.number(),
  alert: ZAlertViewSchema,
});
export type TAlertEvent = z.infer<typeof ZAlertEventSchema>;
export const ALERT_EVENT = "alert";
