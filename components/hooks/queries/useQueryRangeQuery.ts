import { queryOptions, useQuery } from "@tanstack/react-query";
import type { z } from "zod";
import { ZPromErrorSchema, ZPromQueryResponseSchema } from "../../../lib/contracts/prom";
import type { TRangeResult } from "../../charts/series";
import { resolveRange, type TTimeRange } from "../../common/time-range";
import type { TApiFetchError } from "../apiFetch";

/**
 * apiFetch for the Prometheus-compatible API, whose errors come in Prometheus's own envelope
 * (`{status: "error", errorType, error}`) rather than Hotpath's: the PromQL parse error is the message
 * the user needs, so it is read from there. Same contract as apiFetch otherwise.
 */
export async function promFetch<S extends z.ZodType>(
  path: string,
  schema: S,
  signal?: AbortSignal,
): Promise<z.infer<S>> {
  const fail = (message: string, code: string, status: number): TApiFetchError =>
    Object.assign(new Error(message), { code, status });
  let res: Response;
  try {
    res = await fetch(path, { signal, headers: { accept: "application/json" } });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw fail(`cannot reach Hotpath (${(err as Error).message})`, "network_error", 0);
  }
  const body: unknown = await res.json().catch(() => undefined);
  const promError = ZPromErrorSchema.safeParse(body);
  if (promError.success) throw fail(promError.data.error, promError.data.errorType, res.status);
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    const hint = res.status === 404 && !e?.message ? ` (${path.split("?")[0]} is not available on this server)` : "";
    throw fail(e?.message ?? `${res.status} ${res.statusText}${hint}`, e?.code ?? "http_error", res.status);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw fail(
      `unexpected response from ${path.split("?")[0]}: ${parsed.error.issues[0]?.message}`,
      "bad_response",
      res.status,
    );
  }
  return parsed.data;
}

export type TQueryRangeParams = { query: string; range: TTimeRange; stepMs: number };

/**
 * The key holds the range as written ("now-1h"), not resolved: a relative range keeps one cache entry
 * that each fetch (and the live socket) slides forward, instead of a new entry per second.
 */
export function queryRangeKey(p: TQueryRangeParams) {
  return ["query-range", { query: p.query.trim(), from: p.range.from, to: p.range.to, stepMs: p.stepMs }] as const;
}

export async function fetchQueryRange(
  p: TQueryRangeParams,
  signal?: AbortSignal,
  nowMs = Date.now(),
): Promise<TRangeResult> {
  const r = resolveRange(p.range, nowMs);
  if (!r)
    throw Object.assign(new Error(`cannot read the time range ${p.range.from} → ${p.range.to}`), {
      code: "bad_range",
      status: 0,
    });
  // Not aligned to the step, as in Prometheus's own UI: the last point is "now", so a sample pushed a
  // second ago shows, and a rate's last point is not evaluated in the future over a half-empty window
  // (rounding the end down hides the newest step; rounding it up makes the last rate dip).
  const { start, end } = r;
  const qs = new URLSearchParams({
    query: p.query,
    start: String(start / 1000),
    end: String(end / 1000),
    step: String(p.stepMs / 1000),
  });
  const body = await promFetch(`/api/v1/query_range?${qs}`, ZPromQueryResponseSchema, signal);
  return { start: r.start, end: r.end, stepMs: p.stepMs, data: body.data, warnings: body.warnings };
}

export function queryRangeOptions(
  p: TQueryRangeParams,
  opts: { refetchInterval?: number | false; enabled?: boolean } = {},
) {
  const key = queryRangeKey(p);
  return queryOptions({
    queryKey: key,
    queryFn: ({ signal }) => fetchQueryRange(p, signal),
    enabled: (opts.enabled ?? true) && p.query.trim() !== "",
    refetchInterval: opts.refetchInterval ?? false,
    // A new range or step of the same query shows the previous answer until the new one lands; a
    // different query does not (its series would be mislabelled).
    placeholderData: (prev, prevQuery) => (prevQuery?.queryKey[1].query === key[1].query ? prev : undefined),
    // A PromQL mistake will not fix itself by retrying.
    retry: (n, err) => n < 2 && ![400, 422].includes((err as TApiFetchError).status),
  });
}

export function useQueryRangeQuery(
  p: TQueryRangeParams,
  opts: { refetchInterval?: number | false; enabled?: boolean } = {},
) {
  return useQuery(queryRangeOptions(p, opts));
}

export type TQueryRangesParams = { queries: string[]; range: TTimeRange; stepMs: number };
export type TQueryRangesResult = { results: (TRangeResult | undefined)[]; errors: (TApiFetchError | undefined)[] };

/**
 * Several queries over one window, for a panel with more than one: "now" is read once, so every query is
 * evaluated at the same timestamps and their series line up row by row (fetched separately, each would
 * read its own "now" and the chart would hold only gaps). One failing query leaves the others drawn.
 */
export function queryRangesOptions(p: TQueryRangesParams, opts: { refetchInterval?: number | false } = {}) {
  const key = [
    "query-ranges",
    { queries: p.queries.map((q) => q.trim()), from: p.range.from, to: p.range.to, stepMs: p.stepMs },
  ] as const;
  return queryOptions({
    queryKey: key,
    queryFn: async ({ signal }): Promise<TQueryRangesResult> => {
      const now = Date.now();
      const settled = await Promise.allSettled(
        p.queries.map((query) =>
          query.trim()
            ? fetchQueryRange({ query, range: p.range, stepMs: p.stepMs }, signal, now)
            : Promise.resolve(undefined),
        ),
      );
      const failed = settled.filter((s) => s.status === "rejected");
      // All failed: an error React Query can retry and report.
      if (failed.length > 0 && failed.length === settled.filter((_, i) => p.queries[i]?.trim()).length) {
        throw (failed[0] as PromiseRejectedResult).reason;
      }
      return {
        results: settled.map((s) => (s.status === "fulfilled" ? s.value : undefined)),
        errors: settled.map((s) => (s.status === "rejected" ? (s.reason as TApiFetchError) : undefined)),
      };
    },
    enabled: p.queries.some((q) => q.trim() !== ""),
    refetchInterval: opts.refetchInterval ?? false,
    placeholderData: (prev, prevQuery) =>
      JSON.stringify(prevQuery?.queryKey[1].queries) === JSON.stringify(key[1].queries) ? prev : undefined,
    retry: (n, err) => n < 2 && ![400, 422].includes((err as TApiFetchError).status),
  });
}

export function useQueryRangesQuery(p: TQueryRangesParams, opts: { refetchInterval?: number | false } = {}) {
  return useQuery(queryRangesOptions(p, opts));
}
