// Silences: label matchers with a time window, as in Alertmanager. A silenced alert still changes
// state and shows in the UI; only its notifications are held back. Regexes are anchored
// (`^(?:re)$`), the way Prometheus and Alertmanager match them, so `api` does not match `api-2`.
import { z } from "zod";
import { compileAnchored } from "../query/promql/parse";
import { LABEL_NAME_RE, sortedNames, type TLabels } from "./labels";

const ZMatcherSchema = z
  .object({
    name: z
      .string({ error: "matcher name must be a string" })
      .regex(LABEL_NAME_RE, "matcher name must be a label name ([a-zA-Z_][a-zA-Z0-9_]*)"),
    value: z.string({ error: "matcher value must be a string" }),
    op: z.enum(["=", "!=", "=~", "!~"], { error: 'op must be "=", "!=", "=~" or "!~"' }),
  })
  .superRefine((m, ctx) => {
    if (m.op !== "=~" && m.op !== "!~") return;
    const re = compileAnchored(m.value);
    if (!re.ok) ctx.addIssue({ code: "custom", path: ["value"], message: `invalid regular expression: ${re.message}` });
  });

/** Epoch ms, or an RFC 3339 time as Alertmanager's API takes it. */
const ZTimeSchema = z.union([
  z.number({ error: "expected epoch milliseconds or an RFC 3339 time" }).int().nonnegative(),
  z.iso
    .datetime({ offset: true, error: "expected epoch milliseconds or an RFC 3339 time" })
    .transform((s) => Date.parse(s)),
]);

export const ZSilenceSchema = z
  .object({
    id: z.string({ error: "id must be a string" }).min(1, "id must not be empty"),
    matchers: z
      .array(ZMatcherSchema, { error: "matchers must be a list" })
      .min(1, "a silence needs at least one matcher"),
    startsAt: ZTimeSchema,
    endsAt: ZTimeSchema,
    createdBy: z.string({ error: "createdBy must be a string" }).trim().min(1, "createdBy must not be empty"),
    comment: z.string({ error: "comment must be a string" }).default(""),
  })
  .superRefine((s, ctx) => {
    if (!(s.endsAt > s.startsAt))
      ctx.addIssue({ code: "custom", path: ["endsAt"], message: "endsAt must be after startsAt" });
    // Alertmanager's rule: a silence whose every matcher matches "" would silence every alert.
    if (s.matchers.length > 0 && s.matchers.every((m) => matcherMatches(m, "")))
      ctx.addIssue({
        code: "custom",
        path: ["matchers"],
        message:
          'at least one matcher must not match the empty string (such as alertname="…"), or the silence would match every alert',
      });
  });

export type TSilenceMatcher = z.output<typeof ZMatcherSchema>;
export type TSilenceInput = z.input<typeof ZSilenceSchema>;
/** startsAt / endsAt in epoch ms. */
export type TSilence = z.output<typeof ZSilenceSchema>;
/** What silenceFromAlert returns: the caller adds id, createdBy and comment. */
export type TSilenceDraft = Pick<TSilence, "matchers" | "startsAt" | "endsAt">;

const regexCache = new Map<string, RegExp | null>();

function anchored(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    const c = compileAnchored(pattern);
    re = c.ok ? c.re : null;
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/** A missing label matches as the empty string, as in Prometheus (`team=""` matches no team). */
export function matcherMatches(m: TSilenceMatcher, value: string): boolean {
  switch (m.op) {
    case "=":
      return value === m.value;
    case "!=":
      return value !== m.value;
    case "=~":
      return anchored(m.value)?.test(value) ?? false;
    case "!~":
      return !(anchored(m.value)?.test(value) ?? false);
  }
}

/** Active from startsAt (inclusive) until endsAt (exclusive). */
export function silenceActive(s: Pick<TSilence, "startsAt" | "endsAt">, nowMs: number): boolean {
  return s.startsAt <= nowMs && nowMs < s.endsAt;
}

export function silenceMatches(s: Pick<TSilence, "matchers">, labels: TLabels): boolean {
  return s.matchers.every((m) => matcherMatches(m, labels[m.name] ?? ""));
}

/** The active silences that match `labels`; empty when the alert is not silenced. */
export function silencedBy<T extends Pick<TSilence, "matchers" | "startsAt" | "endsAt">>(
  labels: TLabels,
  silences: readonly T[],
  nowMs: number,
): T[] {
  return silences.filter((s) => silenceActive(s, nowMs) && silenceMatches(s, labels));
}

export function isSilenced(
  labels: TLabels,
  silences: readonly Pick<TSilence, "matchers" | "startsAt" | "endsAt">[],
  nowMs: number,
): boolean {
  return silences.some((s) => silenceActive(s, nowMs) && silenceMatches(s, labels));
}

/** The one-click silence: an equality matcher for every label of the alert, from now for durationMs. */
export function silenceFromAlert(labels: TLabels, durationMs: number, nowMs: number): TSilenceDraft {
  return {
    matchers: sortedNames(labels).map((name) => ({ name, value: labels[name] as string, op: "=" as const })),
    startsAt: nowMs,
    endsAt: nowMs + durationMs,
  };
}
