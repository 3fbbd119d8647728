import fc from "fast-check";
import protobuf from "protobufjs";
import { compress } from "snappyjs";
import { describe, expect, it } from "vitest";
import type { TParsedMetrics, TParseResult } from "../model";
import {
  decodeRemoteWrite,
  encodeRemoteWrite,
  snappyBlockUncompress,
  type TRemoteWriteRequestIn,
} from "./remote-write";
import { RW_FIELDS, WriteRequestType } from "./remote-write.proto";

function ok(r: TParseResult<TParsedMetrics>): TParsedMetrics {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.value;
}

function err(r: TParseResult<TParsedMetrics>) {
  if (r.ok) throw new Error("expected a parse_error");
  if (!("field" in r.error)) throw new Error("expected a field location");
  return r.error;
}

function rawBody(message: Record<string, unknown>, type = WriteRequestType): Buffer {
  const bytes = type.encode(message).finish();
  return compress(Buffer.from(bytes));
}

const T0 = 1_700_000_000_123;

describe("decodeRemoteWrite", () => {
  it("decodes series into exact samples with __name__ split from the labels", () => {
    const body = encodeRemoteWrite({
      timeseries: [
        {
          labels: [
            { name: "__name__", value: "http_requests_total" },
            { name: "job", value: "api" },
            { name: "code", value: "200" },
          ],
          samples: [
            { value: 10, timestamp: T0 },
            { value: 12.5, timestamp: T0 + 15_000 },
          ],
        },
        { labels: [{ name: "__name__", value: "up" }], samples: [{ value: 1, timestamp: T0 }] },
      ],
    });
    const v = ok(decodeRemoteWrite(body));
    expect(v.samples).toEqual([
      {
        name: "http_requests_total",
        labels: { job: "api", code: "200" },
        value: 10,
        timestampMs: T0,
        family: "http_requests_total",
      },
      {
        name: "http_requests_total",
        labels: { job: "api", code: "200" },
        value: 12.5,
        timestampMs: T0 + 15_000,
        family: "http_requests_total",
      },
      { name: "up", labels: {}, value: 1, timestampMs: T0, family: "up" },
    ]);
    expect([...v.meta]).toEqual([
      ["http_requests_total", { type: "untyped", help: "", unit: "" }],
      ["up", { type: "untyped", help: "", unit: "" }],
    ]);
  });

  it("keeps special float values and extreme int64 timestamps", () => {
    const staleNaN = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0] as number;
    const body = encodeRemoteWrite({
      timeseries: [
        {
          labels: [{ name: "__name__", value: "x" }],
          samples: [
            { value: Number.POSITIVE_INFINITY, timestamp: 0 },
            { value: Number.NEGATIVE_INFINITY, timestamp: -1 },
            { value: staleNaN, timestamp: Number.MAX_SAFE_INTEGER },
            { value: -0.5, timestamp: -Number.MAX_SAFE_INTEGER },
            { value: 5e-324, timestamp: 2 ** 32 },
          ],
        },
      ],
    });
    const v = ok(decodeRemoteWrite(body));
    expect(v.samples.map((s) => [s.value, s.timestampMs])).toEqual([
      [Number.POSITIVE_INFINITY, 0],
      [Number.NEGATIVE_INFINITY, -1],
      [Number.NaN, Number.MAX_SAFE_INTEGER],
      [-0.5, -Number.MAX_SAFE_INTEGER],
      [5e-324, 2 ** 32],
    ]);
  });

  it("groups series into metadata families (x, x_bucket, x_sum, x_count, x_total)", () => {
    const series = (name: string, extra: { name: string; value: string }[] = []) => ({
      labels: [{ name: "__name__", value: name }, ...extra],
      samples: [{ value: 1, timestamp: T0 }],
    });
    const body = encodeRemoteWrite({
      timeseries: [
        series("http_request_duration_seconds_bucket", [{ name: "le", value: "0.1" }]),
        series("http_request_duration_seconds_bucket", [{ name: "le", value: "+Inf" }]),
        series("http_request_duration_seconds_sum"),
        series("http_request_duration_seconds_count"),
        series("requests_total"),
        series("temperature_celsius"),
        series("rpc_latency", [{ name: "quantile", value: "0.99" }]),
        series("no_metadata_here"),
      ],
      metadata: [
        {
          type: "histogram",
          metricFamilyName: "http_request_duration_seconds",
          help: "Request latency.",
          unit: "seconds",
        },
        { type: "counter", metricFamilyName: "requests", help: "Requests." },
        { type: "gauge", metricFamilyName: "temperature_celsius", help: "Temp.", unit: "celsius" },
        { type: "summary", metricFamilyName: "rpc_latency" },
        { type: "info", metricFamilyName: "only_metadata", help: "No samples in this request." },
      ],
    });
    const v = ok(decodeRemoteWrite(body));
    expect(v.samples.map((s) => [s.name, s.family])).toEqual([
      ["http_request_duration_seconds_bucket", "http_request_duration_seconds"],
      ["http_request_duration_seconds_bucket", "http_request_duration_seconds"],
      ["http_request_duration_seconds_sum", "http_request_duration_seconds"],
      ["http_request_duration_seconds_count", "http_request_duration_seconds"],
      ["requests_total", "requests"],
      ["temperature_celsius", "temperature_celsius"],
      ["rpc_latency", "rpc_latency"],
      ["no_metadata_here", "no_metadata_here"],
    ]);
    expect(Object.fromEntries(v.meta)).toEqual({
      http_request_duration_seconds: { type: "histogram", help: "Request latency.", unit: "seconds" },
      requests: { type: "counter", help: "Requests.", unit: "" },
      temperature_celsius: { type: "gauge", help: "Temp.", unit: "celsius" },
      rpc_latency: { type: "summary", help: "", unit: "" },
      only_metadata: { type: "info", help: "No samples in this request.", unit: "" },
      no_metadata_here: { type: "untyped", help: "", unit: "" },
    });
    expect(v.samples[0]?.labels).toEqual({ le: "0.1" });
  });

  it("prefers an exact family over a suffix match", () => {
    const body = encodeRemoteWrite({
      timeseries: [{ labels: [{ name: "__name__", value: "jobs_count" }], samples: [{ value: 3, timestamp: T0 }] }],
      metadata: [
        { type: "summary", metricFamilyName: "jobs" },
        { type: "gauge", metricFamilyName: "jobs_count" },
      ],
    });
    expect(ok(decodeRemoteWrite(body)).samples[0]?.family).toBe("jobs_count");
  });

  it("drops empty-valued labels and accepts label names that shadow Object.prototype", () => {
    const body = encodeRemoteWrite({
      timeseries: [
        {
          labels: [
            { name: "__name__", value: "m" },
            { name: "empty", value: "" },
            { name: "toString", value: "a" },
            { name: "__proto__", value: "b" },
            { name: "constructor", value: "c" },
          ],
          samples: [{ value: 1, timestamp: T0 }],
        },
      ],
    });
    const labels = ok(decodeRemoteWrite(body)).samples[0]?.labels ?? {};
    expect(Object.keys(labels).sort()).toEqual(["__proto__", "constructor", "toString"]);
    expect(Object.getOwnPropertyDescriptor(labels, "__proto__")?.value).toBe("b");
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
  });

  it("skips series without float samples and ignores exemplar/histogram fields", () => {
    const extended = protobuf
      .parse(`
      syntax = "proto3";
      message Label { string name = 1; string value = 2; }
      message Sample { double value = 1; int64 timestamp = 2; }
      message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
      message Histogram { uint64 count_int = 1; double sum = 3; }
      message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
      message WriteRequest { repeated TimeSeries timeseries = 1; string junk = 99; }
    `)
      .root.lookupType("WriteRequest");
    const body = rawBody(
      {
        junk: "ignored",
        timeseries: [
          {
            labels: [{ name: "__name__", value: "native" }],
            histograms: [{ countInt: 3, sum: 1.5 }],
          },
          {
            labels: [{ name: "__name__", value: "with_exemplar" }],
            samples: [{ value: 2, timestamp: T0 }],
            exemplars: [{ labels: [{ name: "trace_id", value: "abc" }], value: 2, timestamp: T0 }],
          },
        ],
      },
      extended,
    );
    const v = ok(decodeRemoteWrite(body));
    expect(v.samples).toEqual([
      { name: "with_exemplar", labels: {}, value: 2, timestampMs: T0, family: "with_exemplar" },
    ]);
    expect([...v.meta.keys()]).toEqual(["with_exemplar"]);
  });

  it("accepts an empty request", () => {
    const v = ok(decodeRemoteWrite(encodeRemoteWrite({ timeseries: [] })));
    expect(v.samples).toEqual([]);
    expect(v.meta.size).toBe(0);
  });

  describe("errors name the offending field", () => {
    const cases: [string, TRemoteWriteRequestIn, string, RegExp][] = [
      [
        "missing __name__",
        {
          timeseries: [
            { labels: [{ name: "__name__", value: "ok" }], samples: [] },
            { labels: [{ name: "job", value: "x" }], samples: [{ value: 1, timestamp: 1 }] },
          ],
        },
        "timeseries[1].labels",
        /__name__/,
      ],
      [
        "invalid label name",
        {
          timeseries: [
            {
              labels: [
                { name: "__name__", value: "m" },
                { name: "job", value: "x" },
                { name: "http.method", value: "GET" },
              ],
              samples: [],
            },
          ],
        },
        "timeseries[0].labels[2].name",
        /invalid label name "http\.method"/,
      ],
      [
        "empty label name",
        {
          timeseries: [
            {
              labels: [
                { name: "__name__", value: "m" },
                { name: "", value: "x" },
              ],
              samples: [],
            },
          ],
        },
        "timeseries[0].labels[1].name",
        /invalid label name ""/,
      ],
      [
        "duplicate label",
        {
          timeseries: [
            {
              labels: [
                { name: "__name__", value: "m" },
                { name: "a", value: "1" },
                { name: "a", value: "2" },
              ],
              samples: [],
            },
          ],
        },
        "timeseries[0].labels[2].name",
        /duplicate label name "a"/,
      ],
      [
        "duplicate __name__",
        {
          timeseries: [
            {
              labels: [
                { name: "__name__", value: "m" },
                { name: "__name__", value: "n" },
              ],
              samples: [],
            },
          ],
        },
        "timeseries[0].labels[1].name",
        /duplicate label "__name__"/,
      ],
      [
        "invalid metric name",
        { timeseries: [{ labels: [{ name: "__name__", value: "1up" }], samples: [] }] },
        "timeseries[0].labels[0].value",
        /invalid metric name "1up"/,
      ],
      [
        "metadata without family name",
        { timeseries: [], metadata: [{ type: "counter", metricFamilyName: "" }] },
        "metadata[0].metric_family_name",
        /invalid metric family name ""/,
      ],
      [
        "unknown metadata type",
        { timeseries: [], metadata: [{ type: 42, metricFamilyName: "x" }] },
        "metadata[0].type",
        /unknown metric type 42/,
      ],
    ];
    for (const [title, req, field, message] of cases) {
      it(title, () => {
        const e = err(decodeRemoteWrite(encodeRemoteWrite(req)));
        expect(e).toMatchObject({ code: "parse_error", field });
        expect(e.message).toMatch(message);
      });
    }

    it("wrong wire type", () => {
      // timeseries[0] = { samples: [{ timestamp sent as a 64-bit fixed field }] }
      const sample = protobuf.Writer.create()
        .uint32((2 << 3) | 1)
        .fixed64(5)
        .finish();
      const series = protobuf.Writer.create()
        .uint32((2 << 3) | 2)
        .bytes(sample)
        .finish();
      const req = protobuf.Writer.create()
        .uint32((1 << 3) | 2)
        .bytes(series)
        .finish();
      const e = err(decodeRemoteWrite(compress(Buffer.from(req))));
      expect(e).toMatchObject({ field: "timeseries[0].samples[0].timestamp" });
      expect(e.message).toMatch(/wire type 64-bit .* expected varint/);
    });

    it("a string running past its enclosing label", () => {
      // The label claims 3 bytes, but its name string inside claims 5.
      const series = Buffer.from([(1 << 3) | 2, 3, (1 << 3) | 2, 5, ...Buffer.from("abcde")]);
      const req = Buffer.concat([Buffer.from([(1 << 3) | 2, series.length]), series]);
      const e = err(decodeRemoteWrite(compress(req)));
      expect(e.field).toBe("body");
      expect(e.message).toMatch(/overruns/);
    });

    it("nested length running past its parent", () => {
      // timeseries[0] claims 3 bytes, its label claims 10.
      const req = Buffer.from([(1 << 3) | 2, 3, (1 << 3) | 2, 10, 0]);
      const e = err(decodeRemoteWrite(compress(req)));
      expect(e.field).toBe("body");
      expect(e.message).toMatch(/timeseries\[0\]/);
    });
  });

  describe("never throws on bad bodies", () => {
    const valid = encodeRemoteWrite({
      timeseries: Array.from({ length: 20 }, (_, i) => ({
        labels: [
          { name: "__name__", value: `metric_${i}` },
          { name: "instance", value: `host-${i}:9100` },
        ],
        samples: [{ value: i * 1.5, timestamp: T0 + i }],
      })),
      metadata: [{ type: "gauge", metricFamilyName: "metric_1", help: "help" }],
    });

    it("rejects garbage and truncated snappy with a body error", () => {
      expect(err(decodeRemoteWrite(Buffer.from("definitely not snappy")))).toMatchObject({ field: "body" });
      expect(err(decodeRemoteWrite(Buffer.alloc(0)))).toMatchObject({ field: "body" });
      const truncated = err(decodeRemoteWrite(valid.subarray(0, valid.length - 7)));
      expect(truncated.field).toBe("body");
      expect(truncated.message).toMatch(/snappy/);
    });

    it("refuses bodies whose snappy header announces more than the limit", () => {
      const e = err(decodeRemoteWrite(valid, { maxDecompressedBytes: 100 }));
      expect(e.field).toBe("body");
      expect(e.message).toMatch(/over the limit/);
    });

    it("does not hang on input that sends snappyjs' uncompress into an endless loop", () => {
      // A literal whose 4-byte length has the top bit set: snappyjs computes a negative length, moves
      // its input position back by ~2^31 and then spins through a billion one-byte "literals".
      const hostile = Buffer.from(`0afc00000080${"00".repeat(10)}`, "hex");
      const e = err(decodeRemoteWrite(hostile));
      expect(e.field).toBe("body");
      expect(e.message).toMatch(/literal/);
      const found = Buffer.from(
        "af3d4044b00575f2c739beaa54496dd97dbca38afc00d2bd8707640ddcc75217be658dc9caa5b76b04bd1b",
        "hex",
      );
      expect(err(decodeRemoteWrite(found)).field).toBe("body");
    });

    it("property: snappyBlockUncompress inverts snappyjs compress", () => {
      const text = fc.string({ maxLength: 3000 }).map((x) => Buffer.from(x.repeat(3)));
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: 5000 }).map((b) => Buffer.from(b)),
            text,
          ),
          (raw) => {
            expect(snappyBlockUncompress(compress(raw), raw.length)).toEqual(raw);
          },
        ),
        { numRuns: 300 },
      );
    });

    it("property: arbitrary bytes → result, never an exception", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
          const r = decodeRemoteWrite(Buffer.from(bytes));
          if (!r.ok) expect(r.error.code).toBe("parse_error");
        }),
        { numRuns: 2000 },
      );
    });

    it("property: valid snappy around arbitrary bytes → result, never an exception", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
          const r = decodeRemoteWrite(compress(Buffer.from(bytes)));
          if (!r.ok) expect(typeof r.error.message).toBe("string");
        }),
        { numRuns: 2000 },
      );
    });

    it("property: truncated or bit-flipped valid payloads → result, never an exception", () => {
      fc.assert(
        fc.property(fc.nat(valid.length), fc.nat(valid.length * 8), fc.boolean(), (cut, bit, flip) => {
          const b = Buffer.from(valid.subarray(0, flip ? valid.length : cut));
          if (flip && b.length > 0) {
            const at = (bit >> 3) % b.length;
            b[at] = (b[at] as number) ^ (1 << (bit & 7));
          }
          const r = decodeRemoteWrite(b);
          if (!r.ok) expect(r.error.code).toBe("parse_error");
        }),
        { numRuns: 2000 },
      );
    });
  });

  it("property: the hand-written walker agrees with the reflected protobufjs decode", () => {
    const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/).filter((n) => n !== "__name__");
    const value = fc.string({ maxLength: 12 });
    const series = fc.record({
      metric: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,16}$/),
      labels: fc.uniqueArray(fc.tuple(name, value), { selector: (l) => l[0], maxLength: 5 }),
      samples: fc.array(
        fc.record({
          value: fc.double(),
          timestamp: fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
        }),
        { maxLength: 5 },
      ),
    });
    fc.assert(
      fc.property(fc.array(series, { maxLength: 8 }), (list) => {
        const req: TRemoteWriteRequestIn = {
          timeseries: list.map((s) => ({
            labels: [{ name: "__name__", value: s.metric }, ...s.labels.map(([n, v]) => ({ name: n, value: v }))],
            samples: s.samples,
          })),
        };
        const body = encodeRemoteWrite(req);
        const got = ok(decodeRemoteWrite(body));
        const reference = WriteRequestType.toObject(
          WriteRequestType.decode(Buffer.from(WriteRequestType.encode(req).finish())),
          { longs: Number, defaults: true, arrays: true },
        ) as TRemoteWriteRequestIn;
        const expected = reference.timeseries.flatMap((ts) => {
          const labels: Record<string, string> = {};
          let metric = "";
          for (const l of ts.labels) {
            if (l.name === "__name__") metric = l.value;
            else if (l.value !== "") labels[l.name] = l.value;
          }
          return ts.samples.map((s) => ({
            name: metric,
            labels,
            value: s.value,
            timestampMs: s.timestamp,
            family: metric,
          }));
        });
        expect(got.samples).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("RW_FIELDS matches the reflected schema", () => {
    const root = WriteRequestType.root;
    const id = (type: string, field: string) => root.lookupType(`prometheus.${type}`).fields[field]?.id;
    expect(RW_FIELDS.writeRequest).toEqual({
      timeseries: id("WriteRequest", "timeseries"),
      metadata: id("WriteRequest", "metadata"),
    });
    expect(RW_FIELDS.timeSeries).toEqual({ labels: id("TimeSeries", "labels"), samples: id("TimeSeries", "samples") });
    expect(RW_FIELDS.label).toEqual({ name: id("Label", "name"), value: id("Label", "value") });
    expect(RW_FIELDS.sample).toEqual({ value: id("Sample", "value"), timestamp: id("Sample", "timestamp") });
    expect(RW_FIELDS.metadata).toEqual({
      type: id("MetricMetadata", "type"),
      metricFamilyName: id("MetricMetadata", "metricFamilyName"),
      help: id("MetricMetadata", "help"),
      unit: id("MetricMetadata", "unit"),
    });
  });
});
