// Prometheus's HTTP query API over Hotpath's store, so Grafana's Prometheus data source (and any
// Prometheus client) can query Hotpath: /api/v1/query, /api/v1/query_range, /api/v1/labels,
// /api/v1/label/<name>/values, /api/v1/metadata and /api/v1/status/buildinfo. GET and POST (form
// encoded, as Grafana sends) are both accepted; answers and errors use Prometheus's envelope and
// number formatting. /api/v1/series is registered by ./routes.ts.
import type { PrismaClient } from "@prisma/client";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { KeyStore } from "../auth/keys";
import { authorize } from "../auth/request";
import type { QueryCache } from "../cache/query-cache";
import type { RollupCache } from "../cache/rollup-cache";
import {
  DEFAULT_TIMEOUT_MS,
  instantQuery,
  MAX_RANGE_MS,
  PromQLError,
  rangeQuery,
  type TEngineOptions,
  type TPromErrorType,
  type TQueryResult,
} from "./promql/eval";
import { formatTimestamp, formatValue, labelsJson } from "./promql/format";
import { parse, parsePromDuration } from "./promql/parse";
import type { TSampleSource } from "./promql/source";
import { storeSource } from "./promql/store-source";
import { findSeries } from "./raw";
import { chooseResolution, DEFAULT_RETENTION, parseMaxResolution, planResolution, type TRetention } from "./resolution";
import { parseSelector, type TSelector } from "./selector";

type TErrorType = TPromErrorType | "unauthorized" | "forbidden" | "internal";

const STATUS: Record<TErrorType, number> = {
  bad_data: 400,
  execution: 422,
  timeout: 503,
  canceled: 499,
  unauthorized: 401,
  forbidden: 403,
  internal: 500,
};

/** Series looked at by /api/v1/labels and /api/v1/label/<name>/values with match[]. */
const MAX_LABEL_SERIES = 100_000;
/** `start` on the label endpoints is compared with the series' last ingest time, with this slack. */
const LAST_SEEN_SLACK_MS = 3_600_000;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export type TPromApiOptions = {
  /** The longest a query may run (a smaller `timeout` parameter wins). Default 30 s. */
  timeoutMs?: number;
  /** Replaces the store as the source of samples (tests). */
  source?: TSampleSource;
  engine?: Omit<TEngineOptions, "timeoutMs" | "signal">;
  /** Hotpath's multi-level query cache for query_range results, invalidated by new data. */
  cache?: QueryCache;
  /** How long raw samples and rollups are kept: range queries pick their resolution with it. */
  retention?: TRetention;
  /** Statements a rollup read may run side by side (PostgreSQL: 2; PGlite has one connection: 1). */
  readConcurrency?: number;
  /** Decoded rollup segments of the past, shared by range queries (server/cache/rollup-cache.ts). */
  rollupCache?: RollupCache;
};

class ParamError extends Error {}

type TParams = { get(name: string): string | undefined; all(name: string): string[] };

/** Go's r.FormValue / r.Form: body values first, then the URL's. */
function paramsOf(req: FastifyRequest): TParams {
  const query = (req.query ?? {}) as Record<string, string | string[] | undefined>;
  const body = req.body;
  const fromBody = (name: string): string[] => {
    if (body instanceof URLSearchParams) return body.getAll(name);
    if (body && typeof body === "object") {
      const v = (body as Record<string, unknown>)[name];
      if (Array.isArray(v)) return v.map(String);
      if (v !== undefined && v !== null) return [String(v)];
    }
    return [];
  };
  const fromQuery = (name: string): string[] => {
    const v = query[name];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  return {
    all: (name) => [...fromBody(name), ...fromQuery(name)],
    get: (name) => fromBody(name)[0] ?? fromQuery(name)[0],
  };
}

/** Prometheus's parseTime: Unix seconds (fractions rounded to ms) or RFC 3339. */
export function parsePromTime(s: string): number | undefined {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const t = Number(s);
    const whole = Math.trunc(t);
    const frac = t - whole;
    const ms = whole * 1000 + Math.sign(frac) * Math.round(Math.abs(frac) * 1000);
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  if (/^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/.test(s)) {
    const t = Date.parse(s);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/** Prometheus's parseDuration: seconds as a float, or a duration such as `15s` or `1h30m`. */
export function parsePromDurationParam(s: string): number | undefined {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const ms = Math.trunc(Number(s) * 1000);
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const d = parsePromDuration(s);
  return d.ok ? d.ms : undefined;
}

function timeParam(p: TParams, name: string, fallback: number | undefined): number {
  const v = p.get(name);
  if (v === undefined || v === "") {
    if (fallback !== undefined) return fallback;
    throw new ParamError(`invalid parameter "${name}": cannot parse "" to a valid timestamp`);
  }
  const t = parsePromTime(v);
  if (t === undefined) {
    const prefix = name === "time" ? "Invalid time value for 'time': " : "";
    throw new ParamError(`invalid parameter "${name}": ${prefix}cannot parse "${v}" to a valid timestamp`);
  }
  return t;
}

function durationParam(p: TParams, name: string): number | undefined {
  const v = p.get(name);
  if (v === undefined || v === "") return undefined;
  const d = parsePromDurationParam(v);
  if (d === undefined) throw new ParamError(`invalid parameter "${name}": cannot parse "${v}" to a valid duration`);
  return d;
}

function send(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).header("content-type", "application/json").send(body);
}

function sendError(reply: FastifyReply, errorType: TErrorType, error: string) {
  return send(reply, STATUS[errorType], JSON.stringify({ status: "error", errorType, error }));
}

function sendData(reply: FastifyReply, data: unknown, warnings: string[] = []) {
  const body: Record<string, unknown> = { status: "success", data };
  if (warnings.length > 0) body.warnings = warnings;
  return send(reply, 200, JSON.stringify(body));
}

/** A query result in Prometheus's exact JSON: timestamps in seconds, values as strings. */
export function formatQueryResult(r: TQueryResult, warnings: string[] = []): string {
  const point = (ms: number, v: number) => `[${formatTimestamp(ms)},"${formatValue(v)}"]`;
  let result: string;
  switch (r.resultType) {
    case "vector":
      result = `[${r.result.map((s) => `{"metric":${labelsJson(s.labels)},"value":${point(r.timeMs, s.value)}}`).join(",")}]`;
      break;
    case "matrix":
      result = `[${r.result
        .map(
          (s) =>
            `{"metric":${labelsJson(s.labels)},"values":[${s.ts.map((t, i) => point(t, s.values[i] as number)).join(",")}]}`,
        )
        .join(",")}]`;
      break;
    case "scalar":
      result = point(r.timeMs, r.result);
      break;
    case "string":
      result = `[${formatTimestamp(r.timeMs)},${JSON.stringify(r.result)}]`;
      break;
  }
  const warn = warnings.length > 0 ? `,"warnings":${JSON.stringify(warnings)}` : "";
  return `{"status":"success","data":{"resultType":"${r.resultType}","result":${result}}${warn}}`;
}

function selectorsParam(p: TParams): TSelector[] {
  const out: TSelector[] = [];
  for (const m of p.all("match[]")) {
    const parsed = parseSelector(m);
    if (!parsed.ok) {
      throw new ParamError(`invalid parameter "match[]": ${m}: column ${parsed.error.column}: ${parsed.error.message}`);
    }
    out.push(parsed.value);
  }
  return out;
}

export function registerPromApi(
  api: FastifyInstance,
  deps: { prisma: PrismaClient; keys: KeyStore },
  options: TPromApiOptions = {},
): void {
  const source = options.source ?? storeSource(deps.prisma);
  const maxTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  const guard = async (req: FastifyRequest, reply: FastifyReply) => {
    const auth = await authorize(deps.keys, req, "read", { openCidrs: [], dashboardAllowed: true });
    if (!auth.ok) return sendError(reply, auth.status === 401 ? "unauthorized" : "forbidden", auth.message);
  };

  /** Runs a handler and turns parameter and engine errors into Prometheus's error envelope. */
  const handle =
    (fn: (p: TParams, req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        return await fn(paramsOf(req), req, reply);
      } catch (e) {
        if (e instanceof ParamError) return sendError(reply, "bad_data", e.message);
        if (e instanceof PromQLError) return sendError(reply, e.errorType, e.message);
        req.log.error({ err: e }, "prometheus API request failed");
        return sendError(reply, "internal", "internal error; the server log has the details");
      }
    };

  const engineOptions = (p: TParams, reply: FastifyReply): TEngineOptions => {
    const timeout = durationParam(p, "timeout");
    const ac = new AbortController();
    reply.raw.once("close", () => {
      if (!reply.raw.writableFinished) ac.abort();
    });
    return {
      ...options.engine,
      timeoutMs: timeout !== undefined && timeout > 0 ? Math.min(timeout, maxTimeoutMs) : maxTimeoutMs,
      signal: ac.signal,
    };
  };

  /** PromQL parse errors name the parameter, as Prometheus's invalidParamError does. */
  const queryParamErrors = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      if (e instanceof PromQLError && e.errorType === "bad_data" && /^\d+:\d+: parse error/.test(e.message)) {
        throw new ParamError(`invalid parameter "query": ${e.message}`);
      }
      throw e;
    }
  };

  const query = handle(async (p, _req, reply) => {
    const time = timeParam(p, "time", Date.now());
    const opts = engineOptions(p, reply);
    const q = p.get("query") ?? "";
    const result = await queryParamErrors(() => instantQuery(source, q, time, opts));
    return send(reply, 200, formatQueryResult(result));
  });

  const queryRange = handle(async (p, _req, reply) => {
    const start = timeParam(p, "start", undefined);
    const end = timeParam(p, "end", undefined);
    if (end < start) throw new ParamError('invalid parameter "end": end timestamp must not be before start time');
    const stepRaw = p.get("step") ?? "";
    const step = parsePromDurationParam(stepRaw);
    if (step === undefined) {
      throw new ParamError(`invalid parameter "step": cannot parse "${stepRaw}" to a valid duration`);
    }
    if (step <= 0) {
      throw new ParamError(
        'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    }
    if (Math.floor((end - start) / step) > 11_000) {
      throw new PromQLError(
        "bad_data",
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
      );
    }
    const maxRange = options.engine?.maxRangeMs ?? MAX_RANGE_MS;
    if (end - start > maxRange) {
      throw new PromQLError(
        "bad_data",
        `the query range (end - start) may not exceed ${Math.round(maxRange / 86_400_000)} days`,
      );
    }
    const maxResolution = parseMaxResolution(p.get("max_source_resolution"));
    if (maxResolution === "invalid") {
      throw new ParamError(
        `invalid parameter "max_source_resolution": cannot parse "${p.get("max_source_resolution")}"; expected auto, raw, 1m or 1h`,
      );
    }
    const opts = engineOptions(p, reply);
    const q = p.get("query") ?? "";
    // Raw samples, 1 m or 1 h rollups: from the range and step, then what the query allows.
    const now = Date.now();
    const retention = options.retention ?? DEFAULT_RETENTION;
    const preferred = chooseResolution({
      startMs: start,
      endMs: end,
      stepMs: step,
      nowMs: now,
      retention,
      max: maxResolution,
    });
    const cache = options.cache && !options.source && p.get("nocache") !== "1" ? options.cache : undefined;
    // The resolution is part of the key: one window answered from rollups and from raw samples differs
    // (rollup steps are evaluated on the bucket grid), and which one applies changes with time. With
    // the query text it also fixes the plan below, so the key is complete before the query is parsed.
    const key = `range\u0000${preferred}\u0000${step}\u0000${start}\u0000${end}\u0000${q}`;
    const hit = await cache?.get(key);
    if (hit) return send(reply, 200, hit.value);
    const expr = await queryParamErrors(async () => {
      const parsed = parse(q);
      if (!parsed.ok) throw new PromQLError("bad_data", parsed.error.message);
      return parsed.expr;
    });
    const plan = planResolution(expr, preferred, { startMs: start, nowMs: now, retention });
    const engine: TEngineOptions = { ...opts, rollupWidthMs: plan.widthMs, rawSinceMs: now - retention.rawMs };
    // A source that notes which series and span the query read: new data there invalidates the entry.
    const ids = new Set<number>();
    let readFrom = start;
    const recording = options.source
      ? options.source
      : storeSource(deps.prisma, {
          readConcurrency: options.readConcurrency,
          rollupCache: p.get("nocache") === "1" ? undefined : options.rollupCache,
          onRead: (found, from) => {
            for (const id of found) ids.add(id);
            readFrom = Math.min(readFrom, from);
          },
        });
    const result = await queryParamErrors(() => rangeQuery(recording, expr, start, end, step, engine));
    const body = formatQueryResult(result, plan.warnings);
    await cache?.set(key, body, { seriesIds: [...ids], startMs: readFrom, endMs: end });
    return send(reply, 200, body);
  });

  /** Series for the label endpoints: every series, or those matching match[], seen since `start`. */
  const labelSeries = async (p: TParams) => {
    const selectors = selectorsParam(p);
    const startRaw = p.get("start");
    const since = startRaw ? timeParam(p, "start", undefined) - LAST_SEEN_SLACK_MS : undefined;
    if (p.get("end")) timeParam(p, "end", undefined);
    return { selectors, since };
  };

  const labels = handle(async (p, _req, reply) => {
    const { selectors, since } = await labelSeries(p);
    const names = new Set<string>();
    const warnings: string[] = [];
    if (selectors.length === 0) {
      const rows = await deps.prisma.$queryRaw<{ k: string }[]>`
        SELECT DISTINCT k FROM series, jsonb_object_keys(labels) AS k
        WHERE last_seen >= ${new Date(since ?? 0)}`;
      for (const r of rows) names.add(r.k);
      const any = await deps.prisma.series.findFirst({
        where: { lastSeen: { gte: new Date(since ?? 0) } },
        select: { id: true },
      });
      if (any) names.add("__name__");
    } else {
      const series = await findSeries(deps.prisma, selectors, MAX_LABEL_SERIES);
      if (series.length >= MAX_LABEL_SERIES)
        warnings.push(`only the first ${MAX_LABEL_SERIES} matching series were read`);
      const lastSeen = since === undefined ? undefined : await lastSeenSince(deps.prisma, series, since);
      for (const s of series) {
        if (lastSeen && !lastSeen.has(s.id)) continue;
        names.add("__name__");
        for (const k of Object.keys(s.labels)) names.add(k);
      }
    }
    return sendData(reply, [...names].sort(byteOrder), warnings);
  });

  const labelValues = handle(async (p, req, reply) => {
    const name = (req.params as { name: string }).name;
    if (!LABEL_NAME_RE.test(name)) throw new ParamError(`invalid label name: "${name}"`);
    const { selectors, since } = await labelSeries(p);
    const values = new Set<string>();
    const warnings: string[] = [];
    if (selectors.length === 0) {
      const seen = new Date(since ?? 0);
      const rows =
        name === "__name__"
          ? await deps.prisma.$queryRaw<{ v: string }[]>`
              SELECT DISTINCT name AS v FROM series WHERE last_seen >= ${seen}`
          : await deps.prisma.$queryRaw<{ v: string }[]>`
              SELECT DISTINCT labels->>${name} AS v FROM series
              WHERE labels->>${name} IS NOT NULL AND last_seen >= ${seen}`;
      for (const r of rows) if (r.v) values.add(r.v);
    } else {
      const series = await findSeries(deps.prisma, selectors, MAX_LABEL_SERIES);
      if (series.length >= MAX_LABEL_SERIES)
        warnings.push(`only the first ${MAX_LABEL_SERIES} matching series were read`);
      const lastSeen = since === undefined ? undefined : await lastSeenSince(deps.prisma, series, since);
      for (const s of series) {
        if (lastSeen && !lastSeen.has(s.id)) continue;
        const v = name === "__name__" ? s.name : s.labels[name];
        if (v) values.add(v);
      }
    }
    return sendData(reply, [...values].sort(byteOrder), warnings);
  });

  const metadata = handle(async (p, _req, reply) => {
    const limitRaw = p.get("limit");
    const limit = limitRaw === undefined || limitRaw === "" ? -1 : Number(limitRaw);
    if (!Number.isInteger(limit)) throw new ParamError(`invalid parameter "limit": "${limitRaw}" is not a number`);
    const metric = p.get("metric");
    const rows = await deps.prisma.$queryRaw<{ name: string; type: string; help: string; unit: string }[]>`
      SELECT DISTINCT name, type, help, unit FROM series ORDER BY name`;
    const out: Record<string, { type: string; help: string; unit: string }[]> = {};
    for (const r of rows) {
      const family = familyName(r.name, r.type);
      if (metric && family !== metric) continue;
      const list = out[family] ?? [];
      if (!out[family]) {
        if (limit >= 0 && Object.keys(out).length >= limit) continue;
        out[family] = list;
      }
      const entry = { type: r.type === "untyped" ? "unknown" : r.type, help: r.help, unit: r.unit };
      if (!list.some((m) => m.type === entry.type && m.help === entry.help && m.unit === entry.unit)) list.push(entry);
    }
    return sendData(reply, out);
  });

  const buildinfo = handle(async (_p, _req, reply) =>
    sendData(reply, {
      version: "2.42.0",
      revision: "hotpath",
      branch: "HEAD",
      buildUser: "hotpath",
      buildDate: "20230131-00:00:00",
      goVersion: "go1.19.5",
      application: "hotpath",
    }),
  );

  void api.register(async (scope) => {
    // Grafana POSTs form-encoded bodies; this parser applies to these routes only.
    if (!scope.hasContentTypeParser("application/x-www-form-urlencoded")) {
      scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
        done(null, new URLSearchParams(body as string));
      });
    }
    scope.addHook("preHandler", guard);
    for (const [url, h] of [
      ["/api/v1/query", query],
      ["/api/v1/query_range", queryRange],
      ["/api/v1/labels", labels],
      ["/api/v1/label/:name/values", labelValues],
    ] as const) {
      scope.get(url, h);
      scope.post(url, h);
    }
    scope.get("/api/v1/metadata", metadata);
    scope.get("/api/v1/status/buildinfo", buildinfo);
  });
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The metric family a series belongs to: `x_bucket`, `x_sum` and `x_count` of a histogram are `x`. */
function familyName(name: string, type: string): string {
  const suffixes =
    type === "histogram" || type === "gaugehistogram"
      ? ["_bucket", "_sum", "_count", "_gsum", "_gcount"]
      : type === "summary"
        ? ["_sum", "_count"]
        : [];
  for (const s of suffixes) if (name.endsWith(s) && name.length > s.length) return name.slice(0, -s.length);
  return name;
}

async function lastSeenSince(prisma: PrismaClient, series: { id: number }[], since: number): Promise<Set<number>> {
  const rows = await prisma.series.findMany({
    where: { id: { in: series.map((s) => s.id) }, lastSeen: { gte: new Date(since) } },
    select: { id: true },
  });
  return new Set(rows.map((r) => r.id));
}
