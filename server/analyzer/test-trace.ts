// Builds synthetic traces for the analyzer's tests, in milliseconds from the trace's start.

import type { TTraceSpan, TTraceSpanKind } from "./spans";

type TSpanSpec = {
  parent?: string;
  kind?: TTraceSpanKind;
  name?: string;
  service?: string;
  start: number;
  dur: number;
  route?: string;
  attrs?: Record<string, unknown>;
};

export function traceBuilder(traceId = "trace-1", service = "api") {
  const spans: TTraceSpan[] = [];
  let next = 0;
  const add = (s: TSpanSpec): string => {
    const spanId = `s${String(++next).padStart(3, "0")}`;
    spans.push({
      traceId,
      spanId,
      parentSpanId: s.parent,
      service: s.service ?? service,
      name: s.name ?? "span",
      kind: s.kind ?? "internal",
      startNs: s.start * 1e6,
      durationNs: s.dur * 1e6,
      status: "unset",
      route: s.route ?? null,
      attributes: s.attrs ?? {},
    });
    return spanId;
  };
  return {
    spans,
    add,
    server: (start: number, dur: number, route = "GET /orders/:id", extra: Partial<TSpanSpec> = {}) =>
      add({ kind: "server", name: route, route, start, dur, attrs: { "http.route": route }, ...extra }),
    sql: (parent: string, start: number, dur: number, statement: string, attrs: Record<string, unknown> = {}) =>
      add({
        parent,
        kind: "client",
        name: "SELECT app",
        start,
        dur,
        attrs: {
          "db.system": "postgresql",
          "db.query.text": statement,
          "db.client.connection.pool.name": "main",
          ...attrs,
        },
      }),
    pool: (parent: string, start: number, dur: number) =>
      add({
        parent,
        name: "pg.pool.connect",
        start,
        dur,
        attrs: {
          "db.system": "postgresql",
          "db.client.connection.pool.name": "main",
          "db.client.connection.wait_ms": dur,
        },
      }),
    cache: (parent: string, level: "memory" | "redis", start: number, dur: number, hit = false) =>
      add({
        parent,
        name: "cache.get",
        start,
        dur,
        attrs: { "cache.name": "products", "cache.level": level, "cache.hit": hit },
      }),
    client: (parent: string, start: number, dur: number, url = "http://pricing/quote") =>
      add({
        parent,
        kind: "client",
        name: "GET",
        start,
        dur,
        attrs: { "http.request.method": "GET", "url.full": url },
      }),
    internal: (parent: string, start: number, dur: number, name = "work") => add({ parent, name, start, dur }),
  };
}
