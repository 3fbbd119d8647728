import { describe, expect, it } from "vitest";
import { classifySpan, indexTrace, routeOf, type TTraceSpan, toTraceSpan } from "./spans";
import { traceBuilder } from "./test-trace";

describe("classifySpan", () => {
  const t = traceBuilder();
  const root = t.server(0, 100);
  const by = (id: string) => t.spans.find((s) => s.spanId === id) as TTraceSpan;

  it("reads the agent's spans by their attributes", () => {
    expect(classifySpan(by(root))).toBe("server");
    expect(classifySpan(by(t.sql(root, 1, 1, "SELECT 1")))).toBe("sql");
    // The pool span carries db.system too: it must not pass for SQL.
    expect(classifySpan(by(t.pool(root, 1, 1)))).toBe("pool_wait");
    expect(classifySpan(by(t.cache(root, "memory", 1, 1)))).toBe("cache_memory");
    expect(classifySpan(by(t.cache(root, "redis", 1, 1)))).toBe("cache_redis");
    expect(classifySpan(by(t.client(root, 1, 1)))).toBe("downstream");
    expect(classifySpan(by(t.internal(root, 1, 1)))).toBe("internal");
  });

  it("reads other instrumentations' spellings", () => {
    const other = (name: string, kind: TTraceSpan["kind"], attributes: Record<string, unknown>) =>
      classifySpan({ ...by(root), name, kind, attributes });
    expect(other("pg-pool.connect", "internal", { "db.system": "postgresql" })).toBe("pool_wait");
    expect(other("GET", "client", { "db.system": "redis" })).toBe("cache_redis");
    expect(other("lookup", "internal", { "cache.name": "local" })).toBe("cache_memory");
    expect(other("query", "client", { "db.statement": "SELECT 1" })).toBe("sql");
    expect(other("publish", "producer", {})).toBe("downstream");
    expect(other("consume", "consumer", {})).toBe("internal");
  });
});

describe("toTraceSpan", () => {
  it("maps a stored row, lifting the statement column into attributes", () => {
    const s = toTraceSpan({
      traceId: "t",
      spanId: "a",
      parentSpanId: null,
      service: "api",
      name: "SELECT app",
      kind: "client",
      startNs: 1_700_000_000_123_456_789n,
      durationNs: 2_500_000n,
      status: "ok",
      route: null,
      dbSystem: "postgresql",
      dbStatement: "SELECT 1",
      attributes: { "db.response.returned_rows": 1 },
    });
    expect(s.durationNs).toBe(2_500_000);
    // Absolute Unix ns as a double: within 256 ns.
    expect(Math.abs(Number(BigInt(s.startNs) - 1_700_000_000_123_456_789n))).toBeLessThanOrEqual(256);
    expect(s.attributes).toEqual({
      "db.response.returned_rows": 1,
      "db.query.text": "SELECT 1",
      "db.system": "postgresql",
    });
    expect(classifySpan(s)).toBe("sql");
  });

  it("reads an unknown kind as unspecified and non-object attributes as none", () => {
    const s = toTraceSpan({
      traceId: "t",
      spanId: "a",
      parentSpanId: null,
      service: "api",
      name: "x",
      kind: "weird",
      startNs: 0n,
      durationNs: 0n,
      status: "unset",
      route: null,
      attributes: [1, 2],
    });
    expect(s.kind).toBe("unspecified");
    expect(s.attributes).toEqual({});
  });
});

describe("indexTrace", () => {
  it("scopes spans to their service's nearest server span and survives parent cycles", () => {
    const t = traceBuilder();
    const a = t.server(0, 100);
    const call = t.client(a, 10, 50);
    const b = t.server(12, 40, "GET /quote", { parent: call, service: "pricing" });
    const q = t.add({ parent: b, service: "pricing", start: 20, dur: 5, name: "q" });
    const w = t.internal(a, 70, 10);
    t.spans.push(
      { ...(t.spans[0] as TTraceSpan), spanId: "x", parentSpanId: "y", kind: "internal" },
      { ...(t.spans[0] as TTraceSpan), spanId: "y", parentSpanId: "x", kind: "internal" },
    );
    const index = indexTrace(t.spans);
    const scope = (id: string) => index.scopeOf(index.byId.get(id) as TTraceSpan).spanId;
    expect(scope(w)).toBe(a);
    expect(scope(call)).toBe(a);
    expect(scope(q)).toBe(b);
    expect(scope(b)).toBe(b);
    expect(["x", "y"]).toContain(scope("x"));
    expect(index.roots.map((s) => s.spanId)).toEqual([a]);
    expect(routeOf(index.byId.get(b) as TTraceSpan)).toBe("GET /quote");
  });
});
