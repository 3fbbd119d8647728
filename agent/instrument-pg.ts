// node-postgres instrumentation. The Pool object is patched in place (same object back):
//   pool.connect   → wait time histogram + a `pg.pool.connect` span (when inside a traced request);
//                    the client handed out gets its query() instrumented once
//   client.query   → db_client_operation_duration_seconds + a CLIENT span with the normalized statement
//   pool.query     → goes through the two above (pg-pool's query calls this.connect, then client.query)
//   'connect' event→ db_client_connection_create_total
// Opt-in: statements slower than explainSlowQueriesMs get an `EXPLAIN (FORMAT JSON)` on another
// connection (sampled: one per statement per minute, or after 5 s if it got 4x slower; one at a time) and the plan as span attribute
// db.plan; the span ends when the plan is in (or after 2 s), the caller never waits for it.

// The global `performance` is a lazy accessor run on every read (Node 20); this binding is not.
import { performance } from "node:perf_hooks";
import { context, type Span, SpanKind, SpanStatusCode, TraceFlags, type Tracer, trace } from "@opentelemetry/api";
import type pg from "pg";
import type { TAgentMetrics } from "./metrics";
import type { HistogramSeries } from "./series";
import { normalizeSql, sqlOperation } from "./sql";

export type TPgDeps = {
  tracer: Tracer;
  metrics: TAgentMetrics;
  log: (message: string) => void;
  explainSlowQueriesMs?: number;
  /** Explains still running, so flush() can wait for their spans. */
  pendingExplains: Set<Promise<void>>;
};

export type TWrapPgOptions = { name: string; dbName?: string };

/** Marks the agent's own EXPLAIN queries so the instrumentation passes them through. */
const INTERNAL = Symbol("hotpath.internal");
const MAX_STATEMENTS = 1000;
const OVERFLOW_STATEMENT = "(other statements)";
const EXPLAINABLE = new Set(["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE"]);
const EXPLAIN_EVERY_MS = 60_000;
const EXPLAIN_AGAIN_SLOWER = 4;
const EXPLAIN_AGAIN_AFTER_MS = 5_000;
const EXPLAIN_TIMEOUT_MS = 2000;
const MAX_PLAN_CHARS = 64 * 1024;

type TLoose = (...args: unknown[]) => unknown;
type TNormalized = { statement: string; label: string; operation: string; duration?: HistogramSeries };

const wrappedPools = new WeakSet<object>();
const wrappedClients = new WeakSet<object>();

function dbNameOf(pool: pg.Pool, given?: string): string {
  if (given) return given;
  const o = pool.options as pg.PoolConfig;
  if (o.database) return o.database;
  if (o.connectionString) {
    try {
      const name = decodeURIComponent(new URL(o.connectionString).pathname.replace(/^\//, ""));
      if (name) return name;
    } catch {}
  }
  return process.env.PGDATABASE || "postgres";
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === "function";
}

export function wrapPgPool<P extends pg.Pool>(deps: TPgDeps, pool: P, opts: TWrapPgOptions): P {
  if (wrappedPools.has(pool)) return pool;
  wrappedPools.add(pool);
  const poolName = opts.name;
  const dbName = dbNameOf(pool, opts.dbName);
  const { metrics, tracer } = deps;

  metrics.sources.pools.set(poolName, () => ({
    totalCount: pool.totalCount,
    idleCount: pool.idleCount,
    waitingCount: pool.waitingCount,
    max: (pool.options as pg.PoolConfig).max ?? 10,
  }));
  pool.on("connect", () => metrics.connCreate.inc({ pool: poolName }));

  // Statement normalization is cached; the label set is capped so dynamic SQL cannot grow it forever.
  const normalized = new Map<string, TNormalized>();
  const labels = new Set<string>();
  const normalize = (text: string): TNormalized => {
    let n = normalized.get(text);
    if (n) return n;
    const statement = normalizeSql(text, { maxLength: 2000 });
    let label = statement.slice(0, 200);
    if (!labels.has(label)) {
      if (labels.size >= MAX_STATEMENTS) label = OVERFLOW_STATEMENT;
      else labels.add(label);
    }
    n = { statement, label, operation: sqlOperation(text) };
    if (normalized.size >= 5000) normalized.clear();
    normalized.set(text, n);
    return n;
  };

  const originalConnect = (pool.connect as TLoose).bind(pool);

  // EXPLAIN sampling
  const lastExplained = new Map<string, { at: number; ms: number }>();
  let explaining = 0;
  const shouldExplain = (n: TNormalized, ms: number): boolean => {
    const limit = deps.explainSlowQueriesMs;
    if (limit === undefined || ms < limit || explaining > 0 || !EXPLAINABLE.has(n.operation)) return false;
    const now = Date.now();
    const last = lastExplained.get(n.statement);
    // Once a minute; sooner when the statement became several times slower than when last explained
    // (a dropped index, a new plan): the plan a user then opens is the one that explains the slowdown.
    if (last !== undefined) {
      const age = now - last.at;
      const slower = ms >= EXPLAIN_AGAIN_SLOWER * last.ms && age >= EXPLAIN_AGAIN_AFTER_MS;
      if (age < EXPLAIN_EVERY_MS && !slower) return false;
    }
    if (lastExplained.size >= 1000) lastExplained.clear();
    lastExplained.set(n.statement, { at: now, ms });
    return true;
  };
  const explain = async (text: string, values: unknown): Promise<string | undefined> => {
    const client = (await (originalConnect() as Promise<pg.PoolClient>)) as pg.PoolClient;
    try {
      const res = await client.query({
        text: `EXPLAIN (FORMAT JSON) ${text}`,
        values: Array.isArray(values) ? values : undefined,
        [INTERNAL]: true,
      } as pg.QueryConfig);
      const row = res.rows[0] as Record<string, unknown> | undefined;
      const plan = row?.["QUERY PLAN"];
      if (plan === undefined) return undefined;
      const json = typeof plan === "string" ? plan : JSON.stringify(plan);
      return json.length > MAX_PLAN_CHARS ? undefined : json;
    } finally {
      client.release();
    }
  };
  const explainThenEnd = (span: Span, endTime: number, text: string, values: unknown) => {
    explaining++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), EXPLAIN_TIMEOUT_MS);
      timer.unref();
    });
    const p: Promise<void> = Promise.race([explain(text, values), timeout])
      .then(
        (plan) => {
          if (plan) span.setAttribute("db.plan", plan);
        },
        (err: unknown) => {
          span.setAttribute("db.plan.error", (err as Error).message?.slice(0, 200) ?? "failed");
        },
      )
      .finally(() => {
        clearTimeout(timer);
        explaining--;
        span.end(endTime);
        deps.pendingExplains.delete(p);
      });
    deps.pendingExplains.add(p);
  };

  const instrumentClient = (client: pg.PoolClient | pg.Client) => {
    if (wrappedClients.has(client)) return;
    wrappedClients.add(client);
    const originalQuery = client.query as unknown as TLoose;
    (client as unknown as { query: TLoose }).query = function query(this: unknown, ...args: unknown[]) {
      const config = args[0] as { text?: unknown; submit?: unknown; [INTERNAL]?: boolean } | string | undefined;
      const text = typeof config === "string" ? config : config?.text;
      if (typeof text !== "string" || (typeof config === "object" && config?.[INTERNAL])) {
        return originalQuery.apply(client, args);
      }
      let n: TNormalized;
      let span: Span | undefined;
      const started = performance.now();
      try {
        n = normalize(text);
        // Inside an untraced request the parent-based sampler drops the span anyway (a valid parent
        // that is not sampled); not starting it spares its ids, attributes and sampling per query.
        const parent = trace.getSpanContext(context.active());
        const unsampledParent =
          parent !== undefined && trace.isSpanContextValid(parent) && (parent.traceFlags & TraceFlags.SAMPLED) === 0;
        if (!unsampledParent) {
          span = tracer.startSpan(`${n.operation} ${dbName}`, {
            kind: SpanKind.CLIENT,
            attributes: {
              "db.system": "postgresql",
              "db.system.name": "postgresql",
              "db.namespace": dbName,
              "db.operation.name": n.operation,
              "db.query.text": n.statement,
              "db.client.connection.pool.name": poolName,
            },
          });
        }
      } catch (err) {
        deps.log(`pg instrumentation: ${(err as Error).message}`);
        return originalQuery.apply(client, args);
      }
      const values = typeof config === "object" ? (config as { values?: unknown }).values : args[1];
      let finished = false;
      const finish = (err: unknown, result?: unknown) => {
        if (finished) return;
        finished = true;
        const end = performance.now();
        const ms = end - started;
        try {
          n.duration ??= metrics.dbDuration.series("postgresql", dbName, n.operation, n.label);
          n.duration.observe(ms / 1000);
          if (!span) return;
          const rows = (result as { rowCount?: unknown } | undefined)?.rowCount;
          if (typeof rows === "number") span.setAttribute("db.response.returned_rows", rows);
          if (err) {
            const e = err as Error & { code?: string };
            span.recordException(e);
            span.setAttribute("error.type", e.code ?? e.name ?? "Error");
            span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
          }
          // Only a recorded span can carry the plan: an EXPLAIN for an unsampled one would be lost
          // and would also use up the statement's one EXPLAIN a minute.
          if (!err && span.isRecording() && shouldExplain(n, ms)) explainThenEnd(span, end, text, values);
          else span.end(end);
        } catch (e) {
          deps.log(`pg instrumentation: ${(e as Error).message}`);
        }
      };

      const submittable = typeof config === "object" && typeof config?.submit === "function";
      const cbIndex = submittable ? -1 : args.findLastIndex((a) => typeof a === "function");
      if (cbIndex > 0) {
        const cb = args[cbIndex] as TLoose;
        args[cbIndex] = function callback(this: unknown, err: unknown, res: unknown) {
          finish(err, res);
          return cb.call(this, err, res);
        };
      }
      let out: unknown;
      try {
        out = originalQuery.apply(client, args);
      } catch (err) {
        finish(err);
        throw err;
      }
      if (cbIndex > 0) return out;
      if (isThenable(out)) {
        out.then(
          (res) => finish(undefined, res),
          (err: unknown) => finish(err),
        );
      } else if (submittable && typeof (out as { once?: unknown })?.once === "function") {
        const em = out as { once(event: string, fn: (arg?: unknown) => void): void };
        em.once("end", (res) => finish(undefined, res));
        em.once("error", (err) => finish(err));
      } else {
        finish(undefined);
      }
      return out;
    };
  };

  let connWait: HistogramSeries | undefined;
  const connect = function connect(this: unknown, ...args: unknown[]) {
    const started = performance.now();
    const parentCtx = context.active();
    const parent = trace.getSpan(parentCtx);
    const span = parent?.isRecording()
      ? tracer.startSpan(
          "pg.pool.connect",
          {
            kind: SpanKind.INTERNAL,
            attributes: { "db.system": "postgresql", "db.client.connection.pool.name": poolName },
          },
          parentCtx,
        )
      : undefined;
    const handedOut = (err: unknown, client?: pg.PoolClient) => {
      try {
        const end = performance.now();
        connWait ??= metrics.connWait.series(poolName);
        connWait.observe((end - started) / 1000);
        if (span) {
          span.setAttribute("db.client.connection.wait_ms", Math.round((end - started) * 1000) / 1000);
          if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
          span.end(end);
        }
        if (client) instrumentClient(client);
      } catch (e) {
        deps.log(`pg instrumentation: ${(e as Error).message}`);
      }
    };
    const cb = args[0];
    if (typeof cb === "function") {
      // pg-pool may call back from another request's release(): restore the caller's context.
      const bound = context.bind(parentCtx, cb as TLoose);
      return originalConnect((err: unknown, client: pg.PoolClient | undefined, release: unknown) => {
        handedOut(err, err ? undefined : client);
        return bound(err, client, release);
      });
    }
    return (originalConnect() as Promise<pg.PoolClient>).then(
      (client) => {
        handedOut(undefined, client);
        return client;
      },
      (err: unknown) => {
        handedOut(err);
        throw err;
      },
    );
  };
  (pool as unknown as { connect: TLoose }).connect = connect;
  return pool;
}
