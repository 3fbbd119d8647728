import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { z } from "zod";
import { ZFieldErrorsSchema } from "../../../lib/contracts/alerts";

const ZValidationAnswerSchema = z.union([
  z.object({ ok: z.literal(true) }),
  z.object({ error: z.object({ code: z.string(), message: z.string(), errors: ZFieldErrorsSchema.optional() }) }),
]);

export type TRuleFieldError = { path: string; message: string };

/**
 * The editor's live check of a draft (POST /api/alerts/rules/validate, nothing stored): the server's
 * own validation, every problem with its field. A refused draft is an answer here, not an error.
 */
export function useRuleValidationQuery(rule: Record<string, unknown> | undefined) {
  return useQuery({
    queryKey: ["alert-rule-validation", rule ?? {}],
    enabled: rule !== undefined,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
    queryFn: async ({ signal }): Promise<TRuleFieldError[]> => {
      const res = await fetch("/api/alerts/rules/validate", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(rule),
        signal,
      });
      const parsed = ZValidationAnswerSchema.safeParse(await res.json().catch(() => undefined));
      if (!parsed.success) throw new Error(`unexpected answer from the rule check (HTTP ${res.status})`);
      if ("ok" in parsed.data) return [];
      return parsed.data.error.errors ?? [{ path: "", message: parsed.data.error.message }];
    },
  });
}
