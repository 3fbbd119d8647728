// Dashboards as stored and served: panels of PromQL queries on a 12-column grid.
import { z } from "zod";

export const PANEL_KINDS = ["timeseries", "bar", "stat", "table", "heatmap"] as const;
export const UNITS = ["short", "s", "ms", "bytes", "percent", "ratio", "reqps", "ops"] as const;

export const ZPanelQuerySchema = z.object({
  expr: z.string().trim().min(1, "a panel query needs an expression"),
  legend: z.string().max(200).optional(),
});

export const ZPanelSchema = z.object({
  id: z.string().min(1).max(64),
  title: z.string().max(200),
  kind: z.enum(PANEL_KINDS),
  style: z.enum(["line", "area", "stacked"]).optional(),
  unit: z.enum(UNITS).default("short"),
  queries: z.array(ZPanelQuerySchema).min(1, "a panel needs at least one query").max(10),
  grid: z.object({
    x: z.number().int().min(0).max(11),
    y: z.number().int().min(0).max(1000),
    w: z.number().int().min(1).max(12),
    h: z.number().int().min(1).max(40),
  }),
  thresholds: z.array(z.number()).max(5).optional(),
});
export type TPanel = z.infer<typeof ZPanelSchema>;

export const ZDashboardSpecSchema = z.object({
  panels: z.array(ZPanelSchema).max(100),
  timeRange: z.object({ from: z.string(), to: z.string() }).default({ from: "now-1h", to: "now" }),
});
export type TDashboardSpec = z.infer<typeof ZDashboardSpecSchema>;

export const ZDashboardInputSchema = z.object({
  title: z.string().trim().min(1, "title is required").max(200),
  description: z.string().max(2000).default(""),
  spec: ZDashboardSpecSchema,
});
export type TDashboardInput = z.infer<typeof ZDashboardInputSchema>;

export const ZDashboardUpdateSchema = ZDashboardInputSchema.extend({
  /** The version the edit started from: a stale one answers 409 instead of overwriting. */
  version: z.number().int().positive(),
});

export const ZDashboardSchema = z.object({
  uid: z.string(),
  title: z.string(),
  description: z.string(),
  provisioned: z.boolean(),
  version: z.number(),
  spec: ZDashboardSpecSchema,
  updatedAt: z.string(),
});
export type TDashboard = z.infer<typeof ZDashboardSchema>;

export const ZDashboardListSchema = z.object({
  dashboards: z.array(ZDashboardSchema.omit({ spec: true }).extend({ panels: z.number() })),
});
