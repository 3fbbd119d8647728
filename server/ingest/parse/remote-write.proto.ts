// Prometheus remote write 1.0 schema (prompb/remote.proto + types.proto, the parts a receiver reads).
// The decoder walks the wire format by hand for speed; this reflected schema is the reference it is
// tested against and what encodeRemoteWrite uses, so both sides stay tied to the same field numbers.
import protobuf from "protobufjs";

export const REMOTE_WRITE_PROTO = `
syntax = "proto3";
package prometheus;

message WriteRequest {
  repeated TimeSeries timeseries = 1;
  reserved 2;
  repeated MetricMetadata metadata = 3;
}

message MetricMetadata {
  enum MetricType {
    UNKNOWN = 0;
    COUNTER = 1;
    GAUGE = 2;
    HISTOGRAM = 3;
    GAUGEHISTOGRAM = 4;
    SUMMARY = 5;
    INFO = 6;
    STATESET = 7;
  }
  MetricType type = 1;
  string metric_family_name = 2;
  string help = 4;
  string unit = 5;
}

message Sample {
  double value = 1;
  int64 timestamp = 2;
}

message Label {
  string name = 1;
  string value = 2;
}

message TimeSeries {
  repeated Label labels = 1;
  repeated Sample samples = 2;
  // exemplars = 3 and native histograms = 4 are skipped by the decoder.
}
`;

const root = protobuf.parse(REMOTE_WRITE_PROTO).root;

export const WriteRequestType = root.lookupType("prometheus.WriteRequest");

/** Wire field numbers the hand-written decoder relies on; the test suite checks them against the schema. */
export const RW_FIELDS = {
  writeRequest: { timeseries: 1, metadata: 3 },
  timeSeries: { labels: 1, samples: 2 },
  label: { name: 1, value: 2 },
  sample: { value: 1, timestamp: 2 },
  metadata: { type: 1, metricFamilyName: 2, help: 4, unit: 5 },
} as const;
