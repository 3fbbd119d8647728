// The ingest pipeline's internal model: what every protocol parser produces and what the pipeline
// validates, limits, stores and announces. Parsers are pure (bytes in, model or error out) so they
// can be tested and fuzzed without HTTP.

/** Label set without `__name__`; keys are unique. Order is not significant (the hash sorts). */
export type TLabels = Record<string, string>;

export type TMetricType =
  | "counter"
  | "gauge"
  | "histogram"
  | "gaugehistogram"
  | "summary"
  | "info"
  | "stateset"
  | "untyped";

/**
 * Metadata of a metric family, keyed by the family name. Samples of a histogram family carry their
 * own series names (`x_bucket`, `x_sum`, `x_count`); `family` on a sample points back here.
 */
export type TMetricMeta = { type: TMetricType; help: string; unit: string };

export type TSampleIn = {
  /** Series name as stored and queried, e.g. `http_server_request_duration_seconds_bucket`. */
  name: string;
  labels: TLabels;
  value: number;
  /** Unix milliseconds; undefined means "time of receipt", filled in by the pipeline. */
  timestampMs: number | undefined;
  /** Name of the metric family this sample belongs to (key into TParsedMetrics.meta). */
  family: string;
  /**
   * OTLP delta temporality: the value is an increment since the previous point of this series, not a
   * running total. The pipeline turns it into a cumulative counter so queries see one convention.
   */
  delta?: true;
};

export type TParsedMetrics = {
  samples: TSampleIn[];
  meta: Map<string, TMetricMeta>;
};

export type TSpanKind = "internal" | "server" | "client" | "producer" | "consumer" | "unspecified";
export type TSpanStatus = "unset" | "ok" | "error";
export type TAttrValue = string | number | boolean | null | TAttrValue[];
export type TAttributes = Record<string, TAttrValue>;

export type TSpanEventIn = { name: string; timeUnixNano: bigint; attributes: TAttributes };

export type TSpanIn = {
  traceId: string; // 32 lower-case hex chars
  spanId: string; // 16 lower-case hex chars
  parentSpanId: string | undefined;
  name: string;
  kind: TSpanKind;
  startUnixNano: bigint;
  endUnixNano: bigint;
  status: TSpanStatus;
  statusMessage: string;
  attributes: TAttributes;
  resource: TAttributes; // includes service.name when the sender set it
  scope: string;
  events: TSpanEventIn[];
};

/** Where in the input a problem is: line/column (1-based) for text, a field path for JSON/protobuf. */
export type TInputLocation = { line: number; column: number } | { field: string };

export type TParseError = {
  code: "parse_error";
  message: string;
} & ({ line: number; column: number } | { field: string });

export type TParseResult<T> = { ok: true; value: T } | { ok: false; error: TParseError };
