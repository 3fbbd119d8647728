// Notification channels: webhooks that receive Alertmanager's JSON, with the grouping settings of an
// Alertmanager route (group_by, group_wait, group_interval, repeat_interval) on the channel itself.
import { z } from "zod";
import { LABEL_NAME_RE } from "./labels";

const ms = (field: string, max: number, fallback: number) =>
  z
    .number({ error: `${field} must be a number of milliseconds` })
    .int(`${field} must be a whole number of milliseconds`)
    .min(0, `${field} must be 0 or more`)
    .max(max, `${field} must be at most ${max} ms`)
    .default(fallback);

export const ZChannelInputSchema = z.object({
  name: z
    .string({ error: (iss) => (iss.input === undefined ? "name is required" : "name must be a string") })
    .trim()
    .min(1, "name must not be empty")
    .max(100, "name must be at most 100 characters"),
  url: z
    .string({ error: (iss) => (iss.input === undefined ? "url is required" : "url must be a string") })
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return u.protocol === "http:" || u.protocol === "https:";
      } catch {
        return false;
      }
    }, "url must be an http:// or https:// URL, such as http://alert-receiver:9000/hook"),
  /** Label names alerts are grouped by; "..." groups by every label (one notification per alert). */
  groupBy: z
    .array(
      z
        .string({ error: "groupBy entries must be label names" })
        .refine((v) => v === "..." || LABEL_NAME_RE.test(v), "groupBy entries must be label names or ..."),
      { error: "groupBy must be a list of label names" },
    )
    .default(["alertname"]),
  groupWaitMs: ms("groupWaitMs", 3_600_000, 30_000),
  groupIntervalMs: ms("groupIntervalMs", 86_400_000, 300_000).refine(
    (v) => v >= 1000,
    "groupIntervalMs must be at least 1000",
  ),
  repeatIntervalMs: ms("repeatIntervalMs", 30 * 86_400_000, 4 * 3_600_000).refine(
    (v) => v >= 1000,
    "repeatIntervalMs must be at least 1000",
  ),
  /** Sent with every request (an Authorization header, for example). */
  headers: z
    .record(z.string(), z.string({ error: "header values must be strings" }), {
      error: "headers must be an object of name → value",
    })
    .default({})
    .superRefine((h, ctx) => {
      for (const name of Object.keys(h)) {
        if (!/^[A-Za-z0-9-]+$/.test(name))
          ctx.addIssue({ code: "custom", path: [name], message: `"${name}" is not a valid header name` });
        if (name.toLowerCase() === "content-type")
          ctx.addIssue({ code: "custom", path: [name], message: "content-type is always application/json" });
      }
    }),
});
export type TChannelInput = z.input<typeof ZChannelInputSchema>;
export type TChannelSpec = z.output<typeof ZChannelInputSchema>;
export type TChannel = TChannelSpec & { id: string };
