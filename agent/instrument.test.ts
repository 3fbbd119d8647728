// The instrumentation's untraced paths, which the integration test (every request traced) does not
// take: an untraced request runs in the shared unsampled context, is counted, records no span, and its
// pg queries record their duration but start no span (neither an unsampled child nor an orphan root).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { context, trace } from "@opentelemetry/api";
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import type pg from "pg";
import client from "prom-client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { instrumentHttpServer, UNSAMPLED_CONTEXT } from "./instrument-http";
import { wrapPgPool } from "./instrument-pg";
import { createMetrics } from "./metrics";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({
  sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
provider.register();
const tracer = provider.getTracer("test");
const registry = new client.Registry();
const metrics = createMetrics(registry, () => {});

/** A pg Pool stand-in: connect() hands out a client whose query() answers one row; query() as pg-pool's. */
function fakePool(): pg.Pool {
  const pgClient = {
    query: (_text: unknown, _values?: unknown) => Promise.resolve({ rowCount: 1, rows: [] }),
    release: () => {},
  };
  return {
    options: { database: "shop", max: 4 },
    totalCount: 1,
    idleCount: 1,
    waitingCount: 0,
    on: () => {},
    connect: () => Promise.resolve(pgClient),
    async query(this: pg.Pool, text: string, values?: unknown[]) {
      const c = await this.connect();
      try {
        return await c.query(text, values);
      } finally {
        c.release();
      }
    },
  } as unknown as pg.Pool;
}

function sampleValue(text: string, prefix: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("untraced requests", () => {
  let server: http.Server;
  let url: string;
  let traced = false;
  const seen: { unsampled: boolean }[] = [];

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      seen.push({ unsampled: context.active() === UNSAMPLED_CONTEXT });
      res.statusCode = 201;
      res.end("ok");
    });
    instrumentHttpServer({ tracer, metrics, log: () => {}, canStartTrace: () => traced }, server, (req) =>
      req.url?.startsWith("/items/") ? "/items/:id" : undefined,
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it("run in the unsampled context, are counted and record no span", async () => {
    exporter.reset();
    for (const id of [1, 2, 3]) expect((await fetch(`${url}/items/${id}`)).status).toBe(201);
    expect(seen.every((s) => s.unsampled)).toBe(true);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    const text = await registry.metrics();
    expect(
      sampleValue(text, 'http_server_request_duration_seconds_count{route="/items/:id",method="GET",status="201"}'),
    ).toBe(3);
  });

  it("a traceparent header traces the request even when the sampler says no", async () => {
    exporter.reset();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    await fetch(`${url}/items/9`, { headers: { TraceParent: `00-${traceId}-00f067aa0ba902b7-01` } });
    await new Promise((r) => setTimeout(r, 20));
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(["GET /items/:id"]);
    expect(spans[0]?.spanContext().traceId).toBe(traceId);
  });

  it("sampled ones get a server span", async () => {
    exporter.reset();
    traced = true;
    try {
      await fetch(`${url}/other`);
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      traced = false;
    }
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(["GET unmatched"]);
    expect(spans[0]?.attributes["http.response.status_code"]).toBe(201);
  });
});

describe("pg queries", () => {
  const pool = wrapPgPool({ tracer, metrics, log: () => {}, pendingExplains: new Set() }, fakePool(), {
    name: "main",
  });

  it("record a duration in every context, and a span only under a sampled parent or as a root", async () => {
    exporter.reset();
    await context.with(UNSAMPLED_CONTEXT, () => pool.query("SELECT * FROM items WHERE id = 1"));
    expect(exporter.getFinishedSpans()).toHaveLength(0);

    await tracer.startActiveSpan("request", async (parent) => {
      await pool.query("SELECT * FROM items WHERE id = 2");
      parent.end();
    });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual(["SELECT shop", "pg.pool.connect", "request"]);
    const child = spans.find((s) => s.name === "SELECT shop");
    const request = spans.find((s) => s.name === "request");
    expect(child?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
    expect(child?.attributes["db.query.text"]).toBe("SELECT * FROM items WHERE id = $1");

    exporter.reset();
    await context.with(trace.deleteSpan(context.active()), () => pool.query("SELECT 1"));
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(["SELECT shop"]);

    const text = await registry.metrics();
    expect(
      sampleValue(
        text,
        'db_client_operation_duration_seconds_count{db_system="postgresql",db_name="shop",db_operation="SELECT",db_statement="SELECT * FROM items WHERE id = $1"}',
      ),
    ).toBe(2);
    expect(sampleValue(text, 'db_client_connection_wait_time_seconds_count{pool="main"}')).toBe(3);
  });
});

describe("EXPLAIN of slow statements", () => {
  /** Answers EXPLAIN with a plan naming the call it explained, other statements after `delayMs`. */
  function slowPool(delay: { ms: number }): pg.Pool {
    let explains = 0;
    const pgClient = {
      query: async (config: unknown) => {
        const text = typeof config === "string" ? config : (config as { text: string }).text;
        if (text.startsWith("EXPLAIN")) {
          explains++;
          return { rowCount: 1, rows: [{ "QUERY PLAN": [{ Plan: { "Node Type": "Seq Scan", n: explains } }] }] };
        }
        await new Promise((r) => setTimeout(r, delay.ms));
        return { rowCount: 1, rows: [] };
      },
      release: () => {},
    };
    return { ...fakePool(), connect: () => Promise.resolve(pgClient) } as unknown as pg.Pool;
  }

  it("explains once a minute, and again after 5 s when the statement got 4x slower", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const delay = { ms: 10 };
      const pendingExplains = new Set<Promise<void>>();
      const pool = wrapPgPool(
        { tracer, metrics, log: () => {}, pendingExplains, explainSlowQueriesMs: 5 },
        slowPool(delay),
        { name: "main" },
      );
      const plans: (string | undefined)[] = [];
      const run = async () => {
        exporter.reset();
        await pool.query("SELECT * FROM orders WHERE customer_id = 7");
        await Promise.all(pendingExplains);
        const span = exporter.getFinishedSpans().find((x) => x.name.startsWith("SELECT"));
        plans.push(span?.attributes["db.plan"] as string | undefined);
      };
      vi.setSystemTime(1_000_000);
      await run(); // explained
      await run(); // as slow, within the minute: not
      // Far apart, so that a loaded machine's extra milliseconds cannot blur the 4x.
      vi.setSystemTime(1_006_000);
      delay.ms = 300;
      await run(); // 30x slower, 6 s on: explained again
      vi.setSystemTime(1_012_000);
      delay.ms = 350;
      await run(); // slower, but not 4x the last explained: not
      vi.setSystemTime(1_073_000);
      delay.ms = 10;
      await run(); // a minute on: explained
      expect(plans.map((p) => (p ? JSON.parse(p)[0].Plan.n : null))).toEqual([1, null, 2, null, 3]);
    } finally {
      vi.useRealTimers();
    }
  });
});
