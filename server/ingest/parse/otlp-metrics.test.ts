import { type HrTime, ValueType } from "@opentelemetry/api";
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
  type ViewOptions,
} from "@opentelemetry/sdk-metrics";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TParseResult, TSampleIn } from "../model";
import {
  decodeOtlpMetrics,
  formatFloatPlain,
  promLabelName,
  promMetricName,
  promUnit,
  type TOtlpMetricsResult,
  type TOtlpNamingKind,
} from "./otlp-metrics";
import { ExportMetricsServiceRequestType } from "./otlp-proto";

class TestReader extends MetricReader {
  constructor(temporality: AggregationTemporality) {
    super({ aggregationTemporalitySelector: () => temporality });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const RESOURCE = {
  "service.name": "checkout",
  "service.namespace": "shop",
  "service.instance.id": "pod-1",
  "host.name": "node-7",
};

function setup(temporality: AggregationTemporality, views: ViewOptions[] = []) {
  const reader = new TestReader(temporality);
  const provider = new MeterProvider({ resource: resourceFromAttributes(RESOURCE), readers: [reader], views });
  return { reader, meter: provider.getMeter("test-meter", "1.2.3") };
}

function ok<T>(r: TParseResult<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.value;
}

/** Decodes the export with both real OTel serializers and checks both encodings agree. */
function decodeBoth(rm: ResourceMetrics): TOtlpMetricsResult {
  const pb = ProtobufMetricsSerializer.serializeRequest(rm);
  const js = JsonMetricsSerializer.serializeRequest(rm);
  if (!pb || !js) throw new Error("serializer returned nothing");
  const fromPb = ok(decodeOtlpMetrics(Buffer.from(pb), "protobuf"));
  const fromJson = ok(decodeOtlpMetrics(Buffer.from(js), "json"));
  expect(fromJson.samples).toEqual(fromPb.samples);
  expect([...fromJson.meta]).toEqual([...fromPb.meta]);
  return fromPb;
}

function hrToMs(t: HrTime): number {
  return t[0] * 1000 + Math.floor(t[1] / 1e6);
}

/** Timestamp of the first data point of the named metric, as the decoder should report it. */
function pointMs(rm: ResourceMetrics, name: string): number {
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      const p = m.dataPoints[0];
      if (m.descriptor.name === name && p) return hrToMs(p.endTime);
    }
  }
  throw new Error(`no metric ${name}`);
}

function byKey(samples: TSampleIn[]): TSampleIn[] {
  const key = (s: TSampleIn) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
  return [...samples].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

const JOB = { job: "shop/checkout", instance: "pod-1" };

describe("decodeOtlpMetrics with the OpenTelemetry JS SDK and serializers", () => {
  it("cumulative counter, up-down counter, gauge and explicit-bucket histogram", async () => {
    const { reader, meter } = setup(AggregationTemporality.CUMULATIVE);
    const counter = meter.createCounter("http.requests", { unit: "{request}", description: "Requests served." });
    counter.add(3, { "http.route": "/a", "http.response.status_code": 200 });
    counter.add(2, { "http.route": "/a", "http.response.status_code": 200 });
    const queue = meter.createUpDownCounter("queue.depth", { valueType: ValueType.INT });
    queue.add(-2);
    queue.add(5);
    meter.createGauge("process.cpu.utilization", { unit: "1" }).record(0.25, { "cpu.mode": "user" });
    const hist = meter.createHistogram("http.server.request.duration", {
      unit: "s",
      description: "Duration of HTTP server requests.",
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.1, 1] },
    });
    for (const v of [0.003, 0.05, 0.05, 2]) hist.record(v, { "http.route": "/a" });

    const { resourceMetrics: rm, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const got = decodeBoth(rm);
    const t = (name: string) => pointMs(rm, name);
    const h = "http_server_request_duration_seconds";
    const hl = { http_route: "/a", ...JOB };
    const expected: TSampleIn[] = [
      {
        name: "http_requests_total",
        labels: { http_route: "/a", http_response_status_code: "200", ...JOB },
        value: 5,
        timestampMs: t("http.requests"),
        family: "http_requests_total",
      },
      { name: "queue_depth", labels: { ...JOB }, value: 3, timestampMs: t("queue.depth"), family: "queue_depth" },
      {
        name: "process_cpu_utilization_ratio",
        labels: { cpu_mode: "user", ...JOB },
        value: 0.25,
        timestampMs: t("process.cpu.utilization"),
        family: "process_cpu_utilization_ratio",
      },
      ...(
        [
          ["0.005", 1],
          ["0.01", 1],
          ["0.1", 3],
          ["1", 3],
          ["+Inf", 4],
        ] as const
      ).map(([le, value]) => ({
        name: `${h}_bucket`,
        labels: { ...hl, le },
        value,
        timestampMs: t("http.server.request.duration"),
        family: h,
      })),
      { name: `${h}_sum`, labels: hl, value: 2.103, timestampMs: t("http.server.request.duration"), family: h },
      { name: `${h}_count`, labels: hl, value: 4, timestampMs: t("http.server.request.duration"), family: h },
    ];
    expect(byKey(got.samples)).toEqual(byKey(expected));
    expect(got.samples.every((s) => s.delta === undefined)).toBe(true);
    expect(Object.fromEntries(got.meta)).toEqual({
      http_requests_total: { type: "counter", help: "Requests served.", unit: "" },
      queue_depth: { type: "gauge", help: "", unit: "" },
      process_cpu_utilization_ratio: { type: "gauge", help: "", unit: "ratio" },
      [h]: { type: "histogram", help: "Duration of HTTP server requests.", unit: "seconds" },
    });
    expect(got.skippedExponentialHistograms).toBe(0);
  });

  it("flags DELTA counters and histograms as delta", async () => {
    const { reader, meter } = setup(AggregationTemporality.DELTA);
    const counter = meter.createCounter("jobs.processed");
    const hist = meter.createHistogram("payload.size", { unit: "By", advice: { explicitBucketBoundaries: [100] } });
    const queue = meter.createUpDownCounter("queue.depth");
    counter.add(4);
    hist.record(50);
    queue.add(2);
    decodeBoth((await reader.collect()).resourceMetrics);
    counter.add(3);
    hist.record(500);
    queue.add(-1);
    const { resourceMetrics: rm } = await reader.collect();
    const got = decodeBoth(rm);
    const summary = byKey(got.samples).map((s) => [s.name, s.labels.le, s.value, s.delta]);
    expect(summary).toEqual([
      ["jobs_processed_total", undefined, 3, true],
      ["payload_size_bytes_bucket", "+Inf", 1, true],
      ["payload_size_bytes_bucket", "100", 0, true],
      ["payload_size_bytes_count", undefined, 1, true],
      ["payload_size_bytes_sum", undefined, 500, true],
      // A non-monotonic delta sum stays a gauge but keeps the flag: its points are increments too.
      ["queue_depth", undefined, -1, true],
    ]);
    expect(got.meta.get("jobs_processed_total")?.type).toBe("counter");
    expect(got.meta.get("payload_size_bytes")).toEqual({ type: "histogram", help: "", unit: "bytes" });
  });

  it("skips exponential histograms without failing the request", async () => {
    const { reader, meter } = setup(AggregationTemporality.CUMULATIVE, [
      { instrumentName: "rpc.latency", aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
    ]);
    meter.createHistogram("rpc.latency", { unit: "ms" }).record(12);
    meter.createCounter("rpc.calls").add(1);
    const got = decodeBoth((await reader.collect()).resourceMetrics);
    expect(got.skippedExponentialHistograms).toBe(1);
    expect(got.samples.map((s) => s.name)).toEqual(["rpc_calls_total"]);
    expect([...got.meta.keys()]).toEqual(["rpc_calls_total"]);
  });

  it("zero values and empty/false attributes survive protobuf decoding", async () => {
    const { reader, meter } = setup(AggregationTemporality.CUMULATIVE);
    meter.createGauge("zero.double").record(0, { empty: "", off: false, n: 0, neg: -1 });
    meter.createGauge("zero.int", { valueType: ValueType.INT }).record(0);
    meter.createCounter("never.incremented").add(0);
    const got = decodeBoth((await reader.collect()).resourceMetrics);
    expect(got.samples.map((s) => [s.name, s.value, s.labels])).toEqual([
      ["zero_double", 0, { off: "false", n: "0", neg: "-1", ...JOB }],
      ["zero_int", 0, { ...JOB }],
      ["never_incremented_total", 0, { ...JOB }],
    ]);
  });

  it("sanitizes attribute keys like Prometheus and lets the resource own job/instance", async () => {
    const { reader, meter } = setup(AggregationTemporality.CUMULATIVE);
    meter.createGauge("temp").record(21.5, {
      "a.b": "dot",
      a_b: "underscore",
      "2xx": "digit",
      _private: "single",
      __reserved: "double",
      ünï: "utf8",
      job: "overridden",
      empty: "",
      flag: true,
      list: ["x", "y"],
    });
    const got = decodeBoth((await reader.collect()).resourceMetrics);
    expect(got.samples[0]?.labels).toEqual({
      a_b: "dot;underscore",
      key_2xx: "digit",
      key_private: "single",
      __reserved: "double",
      key_n_: "utf8",
      flag: "true",
      list: '["x","y"]',
      ...JOB,
    });
  });
});

describe("decodeOtlpMetrics on hand-written OTLP/JSON", () => {
  const wrap = (metrics: unknown[], resourceAttrs: unknown[] = []) =>
    Buffer.from(
      JSON.stringify({
        resourceMetrics: [
          { resource: { attributes: resourceAttrs }, scopeMetrics: [{ scope: { name: "s" }, metrics }] },
        ],
      }),
    );

  it("summary → quantile series, _sum and _count", () => {
    const body = wrap(
      [
        {
          name: "rpc.duration",
          unit: "ms",
          description: "RPC latency.",
          summary: {
            dataPoints: [
              {
                attributes: [{ key: "method", value: { stringValue: "Get" } }],
                timeUnixNano: "1700000000123456789",
                count: "10",
                sum: 123.5,
                quantileValues: [
                  { quantile: 0.5, value: 10 },
                  { quantile: 0.99, value: 40 },
                ],
              },
            ],
          },
        },
      ],
      [{ key: "service.name", value: { stringValue: "rpc" } }],
    );
    const got = ok(decodeOtlpMetrics(body, "json"));
    const base = { name: "rpc_duration_milliseconds", timestampMs: 1700000000123, family: "rpc_duration_milliseconds" };
    expect(got.samples).toEqual([
      { ...base, labels: { method: "Get", job: "rpc", quantile: "0.5" }, value: 10 },
      { ...base, labels: { method: "Get", job: "rpc", quantile: "0.99" }, value: 40 },
      { ...base, name: "rpc_duration_milliseconds_sum", labels: { method: "Get", job: "rpc" }, value: 123.5 },
      { ...base, name: "rpc_duration_milliseconds_count", labels: { method: "Get", job: "rpc" }, value: 10 },
    ]);
    expect(got.meta.get("rpc_duration_milliseconds")).toEqual({
      type: "summary",
      help: "RPC latency.",
      unit: "milliseconds",
    });
  });

  it("accepts int64 as strings, non-finite doubles as strings, zero time as 'now', and skips no-value points", () => {
    const body = wrap([
      {
        name: "g",
        gauge: {
          dataPoints: [
            { asInt: "9007199254740993", timeUnixNano: "0" },
            { asDouble: "NaN", timeUnixNano: 1_000_000 },
            { asDouble: "-Infinity" },
            { asDouble: 1, flags: 1 },
          ],
        },
      },
      {
        name: "h",
        histogram: {
          aggregationTemporality: "AGGREGATION_TEMPORALITY_CUMULATIVE",
          dataPoints: [{ count: 3, bucketCounts: ["1", 2, "0"], explicitBounds: [1e-7, 1e21] }],
        },
      },
    ]);
    const got = ok(decodeOtlpMetrics(body, "json"));
    expect(got.samples.map((s) => [s.name, s.labels.le, s.value, s.timestampMs])).toEqual([
      ["g", undefined, 9007199254740992, undefined],
      ["g", undefined, Number.NaN, 1],
      ["g", undefined, Number.NEGATIVE_INFINITY, undefined],
      ["h_bucket", "0.0000001", 1, undefined],
      ["h_bucket", "1000000000000000000000", 3, undefined],
      ["h_bucket", "+Inf", 3, undefined],
      ["h_count", undefined, 3, undefined],
    ]);
  });

  it("an empty request and an empty metric are fine", () => {
    expect(ok(decodeOtlpMetrics(Buffer.from("{}"), "json")).samples).toEqual([]);
    expect(ok(decodeOtlpMetrics(Buffer.alloc(0), "protobuf")).samples).toEqual([]);
    expect(ok(decodeOtlpMetrics(wrap([{ name: "nothing" }]), "json")).samples).toEqual([]);
  });

  describe("errors name the offending field", () => {
    const m0 = "resourceMetrics[0].scopeMetrics[0].metrics[0]";
    const cases: [string, unknown[], string, RegExp][] = [
      ["missing metric name", [{ gauge: { dataPoints: [{ asDouble: 1 }] } }], `${m0}.name`, /name is missing/],
      [
        "name with no valid characters",
        [{ name: "...", gauge: { dataPoints: [] } }],
        `${m0}.name`,
        /no characters valid/,
      ],
      [
        "non-numeric asDouble",
        [{ name: "g", gauge: { dataPoints: [{ asDouble: 1 }, { asDouble: "abc" }] } }],
        `${m0}.gauge.dataPoints[1].asDouble`,
        /expected a number/,
      ],
      [
        "point without value",
        [{ name: "g", gauge: { dataPoints: [{ timeUnixNano: "1" }] } }],
        `${m0}.gauge.dataPoints[0]`,
        /asDouble or asInt/,
      ],
      [
        "bucket count mismatch",
        [{ name: "h", histogram: { dataPoints: [{ count: 1, bucketCounts: [1], explicitBounds: [1, 2] }] } }],
        `${m0}.histogram.dataPoints[0].bucketCounts`,
        /expected 3/,
      ],
      [
        "bounds not increasing",
        [{ name: "h", histogram: { dataPoints: [{ count: 1, bucketCounts: [1, 0, 0], explicitBounds: [2, 1] }] } }],
        `${m0}.histogram.dataPoints[0].explicitBounds[1]`,
        /strictly increasing/,
      ],
      [
        "negative count",
        [{ name: "h", histogram: { dataPoints: [{ count: "-1" }] } }],
        `${m0}.histogram.dataPoints[0].count`,
        /out of range/,
      ],
      [
        "unknown temporality",
        [{ name: "s", sum: { aggregationTemporality: 7, dataPoints: [] } }],
        `${m0}.sum.aggregationTemporality`,
        /unknown enum value 7/,
      ],
      [
        "attributes not an array",
        [{ name: "g", gauge: { dataPoints: [{ asDouble: 1, attributes: { a: 1 } }] } }],
        `${m0}.gauge.dataPoints[0].attributes`,
        /expected an array/,
      ],
      [
        "attribute key that cannot become a label",
        [{ name: "g", gauge: { dataPoints: [{ asDouble: 1, attributes: [{ key: "..", value: { intValue: 1 } }] }] } }],
        `${m0}.gauge.dataPoints[0].attributes[0].key`,
        /valid label name/,
      ],
      [
        "bad AnyValue",
        [
          {
            name: "g",
            gauge: { dataPoints: [{ asDouble: 1, attributes: [{ key: "k", value: { boolValue: "yes" } }] }] },
          },
        ],
        `${m0}.gauge.dataPoints[0].attributes[0].value.boolValue`,
        /expected a boolean/,
      ],
    ];
    for (const [title, metrics, field, message] of cases) {
      it(title, () => {
        const r = decodeOtlpMetrics(wrap(metrics), "json");
        expect(r.ok).toBe(false);
        if (r.ok) return;
        expect(r.error).toMatchObject({ code: "parse_error", field });
        expect(r.error.message).toMatch(message);
      });
    }

    it("bodies that are not a JSON object", () => {
      for (const body of ["{", "[]", "null", "42", "\u0000"]) {
        const r = decodeOtlpMetrics(Buffer.from(body), "json");
        expect(r).toMatchObject({ ok: false, error: { code: "parse_error", field: "body" } });
      }
      const r = decodeOtlpMetrics(Buffer.from(JSON.stringify({ resourceMetrics: {} })), "json");
      expect(r).toMatchObject({ ok: false, error: { field: "resourceMetrics" } });
    });

    it("protobuf: invalid wire data is a body error", () => {
      const r = decodeOtlpMetrics(Buffer.from([0x0a, 0x05, 0x12]), "protobuf");
      expect(r).toMatchObject({ ok: false, error: { code: "parse_error", field: "body" } });
    });

    it("protobuf: semantic errors carry the same field paths as JSON", () => {
      const body = ExportMetricsServiceRequestType.encode({
        resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "ok", gauge: { dataPoints: [{}] } }] }] }],
      }).finish();
      const r = decodeOtlpMetrics(Buffer.from(body), "protobuf");
      expect(r).toMatchObject({ ok: false, error: { field: `${m0}.gauge.dataPoints[0]` } });
    });
  });

  it("property: arbitrary bytes never throw, in either encoding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const enc of ["protobuf", "json"] as const) {
          const r = decodeOtlpMetrics(Buffer.from(bytes), enc);
          if (!r.ok) expect(r.error.code).toBe("parse_error");
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("property: arbitrary JSON values never throw", () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), (text) => {
        const r = decodeOtlpMetrics(Buffer.from(text), "json");
        if (!r.ok) expect(r.error.code).toBe("parse_error");
      }),
      { numRuns: 1000 },
    );
  });

  it("property: truncated real protobuf exports never throw", async () => {
    const { reader, meter } = setup(AggregationTemporality.CUMULATIVE);
    meter.createCounter("c").add(1, { a: "b" });
    meter.createHistogram("h").record(3, { x: 1 });
    const pb = Buffer.from(ProtobufMetricsSerializer.serializeRequest((await reader.collect()).resourceMetrics) ?? []);
    fc.assert(
      fc.property(fc.nat(pb.length), fc.nat(pb.length * 8), (cut, bit) => {
        const b = Buffer.from(pb.subarray(0, cut));
        if (b.length > 0) {
          const at = (bit >> 3) % b.length;
          b[at] = (b[at] as number) ^ (1 << (bit & 7));
        }
        const r = decodeOtlpMetrics(b, "protobuf");
        if (!r.ok) expect(r.error.code).toBe("parse_error");
      }),
      { numRuns: 1000 },
    );
  });
});

describe("Prometheus naming helpers", () => {
  const names: [string, string, TOtlpNamingKind, string][] = [
    ["http.server.request.duration", "s", "histogram", "http_server_request_duration_seconds"],
    ["requests.count", "1", "counter", "requests_count_total"],
    ["memory.usage", "By", "gauge", "memory_usage_bytes"],
    ["throughput", "By/s", "gauge", "throughput_bytes_per_second"],
    ["requests", "1/s", "gauge", "requests_per_second"],
    ["http.requests", "{request}", "counter", "http_requests_total"],
    ["custom_metric", "By/{custom}", "gauge", "custom_metric_bytes"],
    ["custom_metric", "unit@with#special/chars", "gauge", "custom_metric_unit_with_special_per_chars"],
    ["requests_total", "", "counter", "requests_total"],
    ["total.requests", "", "counter", "requests_total"],
    ["cpu_usage_ratio", "1", "gauge", "cpu_usage_ratio"],
    ["utilization", "1", "updowncounter", "utilization"],
    ["response_time_seconds", "s", "gauge", "response_time_seconds"],
    ["metric__with__multiple__underscores", "", "gauge", "metric_with_multiple_underscores"],
    ["2xx.responses", "", "counter", "_2xx_responses_total"],
    ["ns:metric", "ms", "summary", "ns:metric_milliseconds"],
    ["a.b", "constructor", "gauge", "a_b_constructor"],
    ["@#$%", "", "gauge", ""],
  ];
  it.each(names)("promMetricName(%j, %j, %s) = %j", (name, unit, kind, want) => {
    expect(promMetricName(name, unit, kind)).toBe(want);
  });

  it("promUnit", () => {
    expect(promUnit("s", "histogram")).toBe("seconds");
    expect(promUnit("By/s", "gauge")).toBe("bytes_per_second");
    expect(promUnit("1/s", "gauge")).toBe("per_second");
    expect(promUnit("1", "gauge")).toBe("ratio");
    expect(promUnit("1", "counter")).toBe("");
    expect(promUnit("{request}", "counter")).toBe("");
  });

  it("promLabelName", () => {
    expect(promLabelName("http.method")).toBe("http_method");
    expect(promLabelName("123invalid")).toBe("key_123invalid");
    expect(promLabelName("_private")).toBe("key_private");
    expect(promLabelName("__reserved__")).toBe("__reserved__");
    expect(promLabelName("ok_name")).toBe("ok_name");
  });

  it("formatFloatPlain matches Go's FormatFloat(x, 'f', -1, 64)", () => {
    expect([0.005, 1, 2.5, 1e-7, 1.5e-10, 1e21, 1.25e22, -3e-7, 100].map(formatFloatPlain)).toEqual([
      "0.005",
      "1",
      "2.5",
      "0.0000001",
      "0.00000000015",
      "1000000000000000000000",
      "12500000000000000000000",
      "-0.0000003",
      "100",
    ]);
    expect([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN].map(formatFloatPlain)).toEqual([
      "+Inf",
      "-Inf",
      "NaN",
    ]);
  });
});
