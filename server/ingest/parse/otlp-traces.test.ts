import { context, type HrTime, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TParseResult, TSpanIn } from "../model";
import { ExportTraceServiceRequestType } from "./otlp-proto";
import { decodeOtlpTraces } from "./otlp-traces";

function ok<T>(r: TParseResult<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.value;
}

function nanos(t: HrTime): bigint {
  return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
}

function decodeBoth(spans: ReadableSpan[]): TSpanIn[] {
  const pb = ProtobufTraceSerializer.serializeRequest(spans);
  const js = JsonTraceSerializer.serializeRequest(spans);
  if (!pb || !js) throw new Error("serializer returned nothing");
  const fromPb = ok(decodeOtlpTraces(Buffer.from(pb), "protobuf"));
  const fromJson = ok(decodeOtlpTraces(Buffer.from(js), "json"));
  expect(fromJson).toEqual(fromPb);
  return fromPb;
}

function recordSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "checkout", "deployment.environment": "test" }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("hotpath-test", "0.1.0");
  const root = tracer.startSpan("GET /orders/:id", {
    kind: SpanKind.SERVER,
    attributes: { "http.request.method": "GET", "http.response.status_code": 500, ratio: 0.5, tags: ["a", "b"] },
  });
  const ctx = trace.setSpan(context.active(), root);
  const db = tracer.startSpan(
    "SELECT orders",
    { kind: SpanKind.CLIENT, attributes: { "db.system": "postgresql" } },
    ctx,
  );
  const err = new TypeError("order id must be numeric");
  db.recordException(err);
  db.setStatus({ code: SpanStatusCode.ERROR, message: "query failed" });
  db.end();
  tracer.startSpan("publish", { kind: SpanKind.PRODUCER }, ctx).end();
  tracer.startSpan("consume", { kind: SpanKind.CONSUMER }, ctx).end();
  tracer.startSpan("work", {}, ctx).end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  return exporter.getFinishedSpans();
}

describe("decodeOtlpTraces with the OpenTelemetry JS SDK and serializers", () => {
  const spans = recordSpans();
  const decoded = decodeBoth(spans);

  it("decodes every span with ids, kinds, times and status from the SDK", () => {
    expect(decoded).toHaveLength(spans.length);
    const kinds: Record<number, string> = {
      [SpanKind.INTERNAL]: "internal",
      [SpanKind.SERVER]: "server",
      [SpanKind.CLIENT]: "client",
      [SpanKind.PRODUCER]: "producer",
      [SpanKind.CONSUMER]: "consumer",
    };
    const statuses: Record<number, string> = {
      [SpanStatusCode.UNSET]: "unset",
      [SpanStatusCode.OK]: "ok",
      [SpanStatusCode.ERROR]: "error",
    };
    for (const s of spans) {
      const ctx = s.spanContext();
      const d = decoded.find((x) => x.spanId === ctx.spanId);
      expect(d, s.name).toBeDefined();
      expect(d).toMatchObject({
        traceId: ctx.traceId,
        parentSpanId: s.parentSpanContext?.spanId,
        name: s.name,
        kind: kinds[s.kind],
        startUnixNano: nanos(s.startTime),
        endUnixNano: nanos(s.endTime),
        status: statuses[s.status.code],
        statusMessage: s.status.message ?? "",
        scope: "hotpath-test",
      });
      expect(d?.resource["service.name"]).toBe("checkout");
      expect(d?.resource["deployment.environment"]).toBe("test");
    }
  });

  it("keeps parent/child links within one trace", () => {
    const root = decoded.find((d) => d.name === "GET /orders/:id");
    expect(root?.parentSpanId).toBeUndefined();
    const children = decoded.filter((d) => d.parentSpanId === root?.spanId);
    expect(children.map((c) => c.name).sort()).toEqual(["SELECT orders", "consume", "publish", "work"]);
    expect(new Set(decoded.map((d) => d.traceId)).size).toBe(1);
    expect(root?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root?.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it("flattens attributes and keeps the exception event", () => {
    const root = decoded.find((d) => d.name === "GET /orders/:id");
    expect(root?.attributes).toEqual({
      "http.request.method": "GET",
      "http.response.status_code": 500,
      ratio: 0.5,
      tags: ["a", "b"],
    });
    const db = decoded.find((d) => d.name === "SELECT orders");
    const sdkDb = spans.find((s) => s.name === "SELECT orders");
    expect(db?.status).toBe("error");
    expect(db?.statusMessage).toBe("query failed");
    expect(db?.events).toHaveLength(1);
    const ev = db?.events[0];
    expect(ev?.name).toBe("exception");
    expect(ev?.timeUnixNano).toBe(nanos(sdkDb?.events[0]?.time ?? [0, 0]));
    expect(ev?.attributes["exception.type"]).toBe("TypeError");
    expect(ev?.attributes["exception.message"]).toBe("order id must be numeric");
    expect(String(ev?.attributes["exception.stacktrace"])).toMatch(/^TypeError: order id must be numeric\n\s+at /);
  });
});

describe("decodeOtlpTraces keeps default-valued attributes", () => {
  it("0, false, empty string and negative ints through both serializers", () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider
      .getTracer("t")
      .startSpan("defaults", { attributes: { zero: 0, no: false, empty: "", neg: -1, big: 2 ** 60, nums: [0, 1.5] } })
      .end();
    const [s] = decodeBoth(exporter.getFinishedSpans());
    expect(s?.attributes).toEqual({
      zero: 0,
      no: false,
      empty: "",
      neg: -1,
      big: "1152921504606846976",
      nums: [0, 1.5],
    });
    expect(s?.kind).toBe("internal");
  });
});

const TRACE = "5b8efff798038103d269b633813fc60c";
const SPAN = "eee19b7ec3c1b174";

function jsonBody(span: Record<string, unknown>, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "svc" } }] },
          scopeSpans: [
            {
              scope: { name: "manual" },
              spans: [
                {
                  traceId: TRACE,
                  spanId: SPAN,
                  name: "op",
                  kind: 2,
                  startTimeUnixNano: "1700000000000000000",
                  endTimeUnixNano: "1700000000250000000",
                  ...span,
                },
              ],
            },
          ],
          ...extra,
        },
      ],
    }),
  );
}

describe("decodeOtlpTraces on hand-written OTLP/JSON", () => {
  it("decodes a minimal span, upper-case hex ids and enum names", () => {
    const [s] = ok(
      decodeOtlpTraces(
        jsonBody({ traceId: TRACE.toUpperCase(), kind: "SPAN_KIND_CLIENT", status: { code: "STATUS_CODE_ERROR" } }),
        "json",
      ),
    );
    expect(s).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      parentSpanId: undefined,
      name: "op",
      kind: "client",
      startUnixNano: 1700000000000000000n,
      endUnixNano: 1700000000250000000n,
      status: "error",
      statusMessage: "",
      attributes: {},
      resource: { "service.name": "svc" },
      scope: "manual",
      events: [],
    });
  });

  it("maps every AnyValue kind", () => {
    const attrs = [
      { key: "s", value: { stringValue: "x" } },
      { key: "b", value: { boolValue: false } },
      { key: "i", value: { intValue: "42" } },
      { key: "big", value: { intValue: "9007199254740993" } },
      { key: "neg", value: { intValue: -7 } },
      { key: "d", value: { doubleValue: 1.25 } },
      { key: "inf", value: { doubleValue: "Infinity" } },
      { key: "arr", value: { arrayValue: { values: [{ stringValue: "a" }, { intValue: 1 }, {}] } } },
      {
        key: "kv",
        value: {
          kvlistValue: {
            values: [
              { key: "k", value: { stringValue: "v" } },
              { key: "nested", value: { kvlistValue: { values: [{ key: "n", value: { boolValue: true } }] } } },
            ],
          },
        },
      },
      { key: "bytes", value: { bytesValue: "AQID" } },
      { key: "empty", value: {} },
      { key: "__proto__", value: { stringValue: "p" } },
    ];
    const [s] = ok(decodeOtlpTraces(jsonBody({ attributes: attrs }), "json"));
    expect(s?.attributes).toEqual({
      s: "x",
      b: false,
      i: 42,
      big: "9007199254740993",
      neg: -7,
      d: 1.25,
      inf: Number.POSITIVE_INFINITY,
      arr: ["a", 1, null],
      kv: '{"k":"v","nested":{"n":true}}',
      bytes: "AQID",
      empty: null,
      ["__proto__"]: "p",
    });
    expect(Object.hasOwn(s?.attributes ?? {}, "__proto__")).toBe(true);
  });

  it("protobuf bytes attributes become base64 and an all-zero parent means no parent", () => {
    const body = ExportTraceServiceRequestType.encode({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: Buffer.from(TRACE, "hex"),
                  spanId: Buffer.from(SPAN, "hex"),
                  parentSpanId: Buffer.alloc(8),
                  name: "op",
                  startTimeUnixNano: 1,
                  endTimeUnixNano: 2,
                  attributes: [{ key: "raw", value: { bytesValue: Buffer.from([1, 2, 3]) } }],
                },
              ],
            },
          ],
        },
      ],
    }).finish();
    const [s] = ok(decodeOtlpTraces(Buffer.from(body), "protobuf"));
    expect(s?.attributes).toEqual({ raw: "AQID" });
    expect(s?.parentSpanId).toBeUndefined();
    expect(s?.resource).toEqual({});
    expect(s?.scope).toBe("");
    expect(s?.kind).toBe("unspecified");
    expect(s?.status).toBe("unset");
  });

  it("keeps nanosecond precision beyond 2^53", () => {
    const [s] = ok(
      decodeOtlpTraces(
        jsonBody({ startTimeUnixNano: "1700000000123456789", endTimeUnixNano: "18446744073709551615" }),
        "json",
      ),
    );
    expect(s?.startUnixNano).toBe(1700000000123456789n);
    expect(s?.endUnixNano).toBe(18446744073709551615n);
  });

  describe("errors name the offending field", () => {
    const sp = "resourceSpans[0].scopeSpans[0].spans[0]";
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ["short traceId", { traceId: "abcd" }, `${sp}.traceId`, /expected 32 hex characters/],
      ["base64 traceId", { traceId: "W47/95gDgQPSabYzgT/GDA==" }, `${sp}.traceId`, /not base64/],
      ["missing traceId", { traceId: undefined }, `${sp}.traceId`, /missing or all zeros/],
      ["zero traceId", { traceId: "0".repeat(32) }, `${sp}.traceId`, /all zeros/],
      ["zero spanId", { spanId: "0000000000000000" }, `${sp}.spanId`, /all zeros/],
      ["long spanId", { spanId: `${SPAN}00` }, `${sp}.spanId`, /expected 16 hex characters/],
      ["bad parentSpanId", { parentSpanId: "xyz" }, `${sp}.parentSpanId`, /expected 16 hex/],
      ["missing name", { name: undefined }, `${sp}.name`, /name is missing/],
      ["name not a string", { name: 5 }, `${sp}.name`, /expected a string/],
      ["unknown kind", { kind: 9 }, `${sp}.kind`, /unknown enum value 9/],
      ["unknown status", { status: { code: 3 } }, `${sp}.status.code`, /unknown enum value 3/],
      [
        "end before start",
        { startTimeUnixNano: "20", endTimeUnixNano: "10" },
        `${sp}.endTimeUnixNano`,
        /expected end >= start/,
      ],
      ["non-numeric time", { startTimeUnixNano: "soon" }, `${sp}.startTimeUnixNano`, /64-bit integer/],
      ["fractional time", { startTimeUnixNano: 1.5 }, `${sp}.startTimeUnixNano`, /64-bit integer/],
      ["attributes not an array", { attributes: "x" }, `${sp}.attributes`, /expected an array/],
      [
        "attribute key not a string",
        {
          attributes: [
            { key: "ok", value: {} },
            { key: 1, value: {} },
          ],
        },
        `${sp}.attributes[1].key`,
        /expected a string/,
      ],
      [
        "event with bad time",
        { events: [{ name: "e", timeUnixNano: "x" }] },
        `${sp}.events[0].timeUnixNano`,
        /64-bit integer/,
      ],
    ];
    for (const [title, span, field, message] of cases) {
      it(title, () => {
        const r = decodeOtlpTraces(jsonBody(span), "json");
        expect(r.ok).toBe(false);
        if (r.ok) return;
        expect(r.error).toMatchObject({ code: "parse_error", field });
        expect(r.error.message).toMatch(message);
      });
    }

    it("resource attribute errors point into the resource", () => {
      const r = decodeOtlpTraces(
        jsonBody({}, { resource: { attributes: [{ key: "k", value: { intValue: "1.5" } }] } }),
        "json",
      );
      expect(r).toMatchObject({
        ok: false,
        error: { field: "resourceSpans[0].resource.attributes[0].value.intValue" },
      });
    });

    it("protobuf: wrong id length names the field", () => {
      const body = ExportTraceServiceRequestType.encode({
        resourceSpans: [
          { scopeSpans: [{ spans: [{ traceId: Buffer.alloc(8, 1), spanId: Buffer.alloc(8, 1), name: "x" }] }] },
        ],
      }).finish();
      const r = decodeOtlpTraces(Buffer.from(body), "protobuf");
      expect(r).toMatchObject({ ok: false, error: { field: `${sp}.traceId` } });
      if (!r.ok) expect(r.error.message).toMatch(/8 bytes; expected 16/);
    });

    it("non-JSON and non-protobuf bodies are body errors", () => {
      expect(decodeOtlpTraces(Buffer.from("<xml/>"), "json")).toMatchObject({ ok: false, error: { field: "body" } });
      expect(decodeOtlpTraces(Buffer.from([0x0a, 0xff]), "protobuf")).toMatchObject({
        ok: false,
        error: { field: "body" },
      });
    });
  });

  it("property: arbitrary bytes never throw, in either encoding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const enc of ["protobuf", "json"] as const) {
          const r = decodeOtlpTraces(Buffer.from(bytes), enc);
          if (!r.ok) expect(r.error.code).toBe("parse_error");
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("property: truncated or bit-flipped real protobuf exports never throw", () => {
    const pb = Buffer.from(ProtobufTraceSerializer.serializeRequest(recordSpans()) ?? []);
    fc.assert(
      fc.property(fc.nat(pb.length), fc.nat(pb.length * 8), (cut, bit) => {
        const b = Buffer.from(pb.subarray(0, cut));
        if (b.length > 0) {
          const at = (bit >> 3) % b.length;
          b[at] = (b[at] as number) ^ (1 << (bit & 7));
        }
        const r = decodeOtlpTraces(b, "protobuf");
        if (!r.ok) expect(r.error.code).toBe("parse_error");
      }),
      { numRuns: 1000 },
    );
  });

  it("deeply nested AnyValues are rejected, not a stack overflow", () => {
    const depth = 20_000;
    const deep = `${'{"arrayValue":{"values":['.repeat(depth)}{"stringValue":"leaf"}${"]}}".repeat(depth)}`;
    const body = jsonBody({ attributes: [{ key: "deep", value: { stringValue: "placeholder" } }] })
      .toString()
      .replace('{"stringValue":"placeholder"}', deep);
    const r = decodeOtlpTraces(Buffer.from(body), "json");
    expect(r).toMatchObject({ ok: false, error: { code: "parse_error" } });
    if (!r.ok) expect(r.error.message).toMatch(/nested deeper than 32/);
  });
});
