// HTTP server instrumentation: one SERVER span and one histogram observation per request, for Node's
// http server (by wrapping its "request" emit, so the handler runs inside the span's context) and for
// Fastify (hooks; the route is request.routeOptions.url).
import type { IncomingMessage, Server, ServerResponse } from "node:http";
// The global `performance` is a lazy accessor run on every read (Node 20); this binding is not.
import { performance } from "node:perf_hooks";
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from "fastify";
import type { TAgentMetrics } from "./metrics";

export type TRouteOf = (req: IncomingMessage) => string | undefined;

export type THttpDeps = {
  tracer: Tracer;
  metrics: TAgentMetrics;
  log: (message: string) => void;
  /**
   * True when a new root trace would be recorded now (a peek: the tracer's sampler takes the token).
   * `now` is performance.now() when the caller has it already.
   */
  canStartTrace?: (now?: number) => boolean;
};

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);
export const UNMATCHED_ROUTE = "unmatched";

/** Known HTTP methods as sent; anything else as `_OTHER` (OTel's spelling), so labels stay bounded. */
export function methodLabel(method: string | undefined): string {
  // Node's parser hands out the upper-case names: the common case is one Set lookup, no new string.
  if (method !== undefined && METHODS.has(method)) return method;
  const m = (method ?? "").toUpperCase();
  return METHODS.has(m) ? m : "_OTHER";
}

const statusLabels = new Map<number, string>();
/** The status code as a label value; the string of each code is made once. */
function statusLabel(status: number): string {
  let label = statusLabels.get(status);
  if (label === undefined) {
    label = String(status);
    if (statusLabels.size < 1000) statusLabels.set(status, label);
  }
  return label;
}

/**
 * Whether the request carries a W3C traceparent header. Reading `req.headers` would build Node's
 * lazily made headers object for every request, also where the service itself never reads it.
 */
function hasTraceparent(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  if (!raw) return req.headers?.traceparent !== undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 11 && name.toLowerCase() === "traceparent") return true;
  }
  return false;
}

/** Routes set explicitly by handlers (agent.setRoute), for servers without a router. */
export const explicitRoutes = new WeakMap<IncomingMessage, string>();

type TRequestTiming = { ctx: Context; span: Span | undefined; started: number; method: string; done: boolean };

// Requests that are not traced (most of them once a service is busy: see sampler.ts) still run inside a
// context, so that their DB and cache calls see an unsampled parent and record nothing; a root span
// there would start an orphan trace. One shared context serves them all: creating a span, its ids and
// a context per request, and binding req/res emitters, was most of the agent's cost per request.
export const UNSAMPLED_CONTEXT = trace.setSpan(
  ROOT_CONTEXT,
  trace.wrapSpanContext({
    traceId: "00000000000000000000000000000001",
    spanId: "0000000000000001",
    traceFlags: TraceFlags.NONE,
  }),
);

function startRequest(deps: THttpDeps, req: IncomingMessage, res: ServerResponse, route?: string): TRequestTiming {
  const method = methodLabel(req.method);
  const started = performance.now();
  const traced = hasTraceparent(req) || (deps.canStartTrace?.(started) ?? true);
  if (!traced) return { ctx: UNSAMPLED_CONTEXT, span: undefined, started, method, done: false };
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const url = req.url ?? "";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const span = deps.tracer.startSpan(
    route ? `${method} ${route}` : method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "http.request.method": method,
        ...(path ? { "url.path": path } : {}),
        ...(route ? { "http.route": route } : {}),
      },
    },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  if (span.isRecording()) {
    // Listeners added later (body parsing, 'finish' handlers) run in the request's context too.
    context.bind(ctx, req);
    context.bind(ctx, res);
  }
  return { ctx, span: span.isRecording() ? span : undefined, started, method, done: false };
}

function finishRequest(deps: THttpDeps, t: TRequestTiming, route: string, status: number, aborted: boolean) {
  if (t.done) return;
  t.done = true;
  const end = performance.now();
  try {
    deps.metrics.httpDuration
      .series(route, t.method, statusLabel(status))
      .observe(Math.max(0, (end - t.started) / 1000));
    const span = t.span;
    if (!span) return;
    span.updateName(`${t.method} ${route}`);
    span.setAttribute("http.route", route);
    span.setAttribute("http.response.status_code", status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
    if (aborted) span.setAttribute("http.request.aborted", true);
    span.end(end);
  } catch (err) {
    deps.log(`http instrumentation: ${(err as Error).message}`);
  }
}

const instrumentedServers = new WeakSet<Server>();

/** Times every request of a Node http(s) server. `routeOf` is asked once the response is done. */
export function instrumentHttpServer(deps: THttpDeps, server: Server, routeOf?: TRouteOf): void {
  if (instrumentedServers.has(server)) return;
  instrumentedServers.add(server);
  const originalEmit = server.emit as (this: Server, ...args: unknown[]) => boolean;
  const routeFor = (req: IncomingMessage): string => {
    let route: string | undefined;
    try {
      route = routeOf?.(req);
    } catch {}
    return route || explicitRoutes.get(req) || UNMATCHED_ROUTE;
  };
  server.emit = function emit(this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== "request") return originalEmit.call(this, event, ...args);
    const req = args[0] as IncomingMessage;
    const res = args[1] as ServerResponse;
    let timing: TRequestTiming | undefined;
    try {
      const t = startRequest(deps, req, res);
      timing = t;
      // 'close' follows 'finish' and also comes alone when the client goes away: one listener serves
      // both. on() rather than once(): the response emits 'close' once and is dropped after it, and
      // once() costs a wrapper and a removal per request.
      res.on("close", () => finishRequest(deps, t, routeFor(req), res.statusCode, !res.writableFinished));
    } catch (err) {
      deps.log(`http instrumentation: ${(err as Error).message}`);
    }
    if (!timing) return originalEmit.call(this, event, req, res);
    return context.with(timing.ctx, () => originalEmit.call(this, event, req, res));
  } as Server["emit"];
}

const fastifyTimings = new WeakMap<FastifyRequest, TRequestTiming>();

function fastifyRoute(request: FastifyRequest): string {
  return request.routeOptions?.url || UNMATCHED_ROUTE;
}

/** Adds the hooks to an app (or to the encapsulation context it is called with). */
export function instrumentFastify(deps: THttpDeps, app: FastifyInstance): void {
  app.addHook("onRequest", (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    let ctx: Context | undefined;
    try {
      const timing = startRequest(deps, request.raw, reply.raw, fastifyRoute(request));
      fastifyTimings.set(request, timing);
      ctx = timing.ctx;
    } catch (err) {
      deps.log(`fastify instrumentation: ${(err as Error).message}`);
    }
    if (ctx) context.with(ctx, done);
    else done();
  });
  app.addHook("onResponse", (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const t = fastifyTimings.get(request);
    if (t) finishRequest(deps, t, fastifyRoute(request), reply.statusCode, false);
    done();
  });
  app.addHook("onRequestAbort", (request: FastifyRequest, done: () => void) => {
    const t = fastifyTimings.get(request);
    if (t) finishRequest(deps, t, fastifyRoute(request), 499, true);
    done();
  });
}

/**
 * A Fastify plugin that instruments the whole app: marked skip-override (as fastify-plugin does) so
 * its hooks apply outside the register() scope.
 */
export function fastifyPlugin(deps: THttpDeps): FastifyPluginCallback {
  const plugin: FastifyPluginCallback = (app, _opts, done) => {
    instrumentFastify(deps, app);
    done();
  };
  Object.assign(plugin, {
    [Symbol.for("skip-override")]: true,
    [Symbol.for("fastify.display-name")]: "hotpath-agent",
  });
  return plugin;
}
