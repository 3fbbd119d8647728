// The subset of opentelemetry-proto v1 (common, resource, metrics, trace and the two collector
// request messages) that the OTLP decoders read. Field numbers and scalar types follow
// opentelemetry-proto v1.x and match what @opentelemetry/otlp-transformer 0.223 writes (its
// hand-rolled serializers document the numbers inline). Fields we never read (exemplars, links,
// exponential histogram buckets, dropped counts, schema URLs) are left out: the decoder skips
// unknown fields, so omitting them costs nothing and keeps the decode cheaper.
import protobuf from "protobufjs";

export const OTLP_PROTO = `
syntax = "proto3";
package opentelemetry.proto;

message AnyValue {
  // oneof value (see the note below on why these are \`optional\` instead)
  optional string string_value = 1;
  optional bool bool_value = 2;
  optional int64 int_value = 3;
  optional double double_value = 4;
  ArrayValue array_value = 5;
  KeyValueList kvlist_value = 6;
  optional bytes bytes_value = 7;
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue {
  string key = 1;
  AnyValue value = 2;
}
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
}
message Resource {
  repeated KeyValue attributes = 1;
}

// ---- metrics/v1 ----
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics {
  Resource resource = 1;
  repeated ScopeMetrics scope_metrics = 2;
}
message ScopeMetrics {
  InstrumentationScope scope = 1;
  repeated Metric metrics = 2;
}
message Metric {
  string name = 1;
  string description = 2;
  string unit = 3;
  oneof data {
    Gauge gauge = 5;
    Sum sum = 7;
    Histogram histogram = 9;
    ExponentialHistogram exponential_histogram = 10;
    Summary summary = 11;
  }
}
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum {
  repeated NumberDataPoint data_points = 1;
  int32 aggregation_temporality = 2;
  bool is_monotonic = 3;
}
message Histogram {
  repeated HistogramDataPoint data_points = 1;
  int32 aggregation_temporality = 2;
}
// Only its presence matters: exponential histograms are skipped.
message ExponentialHistogram {
  int32 aggregation_temporality = 2;
}
message Summary { repeated SummaryDataPoint data_points = 1; }
message NumberDataPoint {
  repeated KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  // oneof value
  optional double as_double = 4;
  optional sfixed64 as_int = 6;
  uint32 flags = 8;
}
message HistogramDataPoint {
  repeated KeyValue attributes = 9;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  optional double sum = 5;
  repeated fixed64 bucket_counts = 6;
  repeated double explicit_bounds = 7;
  uint32 flags = 10;
  optional double min = 11;
  optional double max = 12;
}
message SummaryDataPoint {
  repeated KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  double sum = 5;
  message ValueAtQuantile {
    double quantile = 1;
    double value = 2;
  }
  repeated ValueAtQuantile quantile_values = 6;
  uint32 flags = 8;
}

// ---- trace/v1 ----
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans {
  Resource resource = 1;
  repeated ScopeSpans scope_spans = 2;
}
message ScopeSpans {
  InstrumentationScope scope = 1;
  repeated Span spans = 2;
}
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  fixed32 flags = 16;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  message Event {
    fixed64 time_unix_nano = 1;
    string name = 2;
    repeated KeyValue attributes = 3;
  }
  repeated Event events = 11;
  Status status = 15;
}
message Status {
  string message = 2;
  int32 code = 3;
}
`;

// The AnyValue and NumberDataPoint oneofs are declared as proto3 `optional` fields: same wire format
// and still explicit presence (protobufjs only sets an own property for a field that was on the wire,
// even at its default value), but protobufjs implements a real oneof with a setter that `delete`s every
// sibling member on each decoded value, which cost about a third of trace decoding in profiles.
// Plain proto3 fields would not do: protobufjs drops default values of implicit-presence fields, so
// an attribute "" or a gauge at 0 would look unset.
//
// Enums are declared as int32 above: same varint on the wire, and it keeps unknown values visible as
// numbers so validation can name them instead of protobufjs mapping them silently.
const root = protobuf.parse(OTLP_PROTO).root;

export const ExportMetricsServiceRequestType = root.lookupType("opentelemetry.proto.ExportMetricsServiceRequest");
export const ExportTraceServiceRequestType = root.lookupType("opentelemetry.proto.ExportTraceServiceRequest");

/**
 * Decoded messages use the protobufjs camelCase field names, which are also the OTLP/JSON names, so
 * one walker reads both encodings. Unset fields fall back to prototype defaults (not own properties);
 * 64-bit fields are Long objects; bytes are Buffers.
 */
export function decodeOtlpProtobuf(type: protobuf.Type, body: Buffer): Record<string, unknown> {
  return type.decode(body) as unknown as Record<string, unknown>;
}
