// OTLP/HTTP metrics (ExportMetricsServiceRequest, protobuf or JSON) → Prometheus-style samples.
// Naming and label translation follow Prometheus' own OTLP receiver with its default
// "UnderscoreEscapingWithSuffixes" strategy (github.com/prometheus/otlptranslator), so a metric sent
// over OTLP is queried under the same name it would have in Prometheus.
import type { TAttributes, TLabels, TMetricMeta, TMetricType, TParsedMetrics, TParseResult, TSampleIn } from "../model";
import {
  anyValue,
  arrayField,
  attributes,
  attrToLabelValue,
  boolField,
  defineKey,
  doubleField,
  doubleValue,
  elementObject,
  enumField,
  fail,
  int64ToNumber,
  int64Value,
  objectField,
  optionalDoubleField,
  own,
  parseJsonBody,
  stringField,
  type TEncoding,
  type TObj,
  toParseError,
  uint32Field,
  uint64Field,
} from "./otlp-common";
import { decodeOtlpProtobuf, ExportMetricsServiceRequestType } from "./otlp-proto";

/** Which naming rules apply: Prometheus distinguishes these, e.g. `_ratio` only for real gauges. */
export type TOtlpNamingKind = "gauge" | "counter" | "updowncounter" | "histogram" | "summary";

const UNIT_MAP: Record<string, string> = {
  d: "days",
  h: "hours",
  min: "minutes",
  s: "seconds",
  ms: "milliseconds",
  us: "microseconds",
  ns: "nanoseconds",
  By: "bytes",
  KiBy: "kibibytes",
  MiBy: "mebibytes",
  GiBy: "gibibytes",
  TiBy: "tibibytes",
  KBy: "kilobytes",
  kBy: "kilobytes",
  MBy: "megabytes",
  GBy: "gigabytes",
  TBy: "terabytes",
  m: "meters",
  V: "volts",
  A: "amperes",
  J: "joules",
  W: "watts",
  g: "grams",
  Cel: "celsius",
  Hz: "hertz",
  "1": "",
  "%": "percent",
};

const PER_UNIT_MAP: Record<string, string> = {
  s: "second",
  m: "minute",
  h: "hour",
  d: "day",
  w: "week",
  mo: "month",
  y: "year",
};

function lookup(map: Record<string, string>, key: string): string {
  // hasOwn: unit strings are user input and must not hit Object.prototype ("constructor", ...).
  return Object.hasOwn(map, key) ? (map[key] as string) : key;
}

function unitSuffixes(unit: string): [main: string, per: string] {
  const slash = unit.indexOf("/");
  const mainRaw = (slash < 0 ? unit : unit.slice(0, slash)).trim();
  const perRaw = slash < 0 ? "" : unit.slice(slash + 1).trim();
  // `{...}` is a UCUM annotation ("{request}"), not a unit, so it never becomes a suffix.
  const main = mainRaw !== "" && !/[{}]/.test(mainRaw) ? lookup(UNIT_MAP, mainRaw) : "";
  let per = perRaw !== "" && !/[{}]/.test(perRaw) ? lookup(PER_UNIT_MAP, perRaw) : "";
  if (per !== "") per = `per_${per}`;
  return [main, per];
}

function cleanUpUnit(u: string): string {
  return u
    .replace(/[^a-zA-Z0-9:]/gu, "_")
    .replace(/__+/g, "_")
    .replace(/^_/, "");
}

/** Prometheus metric name for an OTLP metric, e.g. ("http.server.request.duration", "s", histogram) → "http_server_request_duration_seconds". */
export function promMetricName(name: string, unit: string, kind: TOtlpNamingKind): string {
  // Splitting on "_" too collapses runs of underscores, as the compatibility spec requires.
  let tokens = name.split(/[^a-zA-Z0-9:]+/u).filter((t) => t !== "");
  const [mainRaw, perRaw] = unitSuffixes(unit);
  let main = cleanUpUnit(mainRaw);
  let per = cleanUpUnit(perRaw);
  if (tokens.includes(main)) main = "";
  if (per === "per_") {
    per = "";
  } else {
    per = per.replace(/_$/, "");
    if (tokens.includes(per)) per = "";
  }
  if (per !== "") main = main.replace(/_$/, "");
  if (main !== "") tokens.push(main);
  if (per !== "") tokens.push(per);
  if (kind === "counter") {
    tokens = tokens.filter((t) => t !== "total");
    tokens.push("total");
  }
  if (unit === "1" && kind === "gauge") {
    tokens = tokens.filter((t) => t !== "ratio");
    tokens.push("ratio");
  }
  const joined = tokens.join("_");
  return /^[0-9]/.test(joined) ? `_${joined}` : joined;
}

/** The unit word Prometheus would record in metadata ("seconds", "bytes_per_second", "ratio"). */
export function promUnit(unit: string, kind: TOtlpNamingKind): string {
  if (unit === "1" && kind === "gauge") return "ratio";
  const [main, per] = unitSuffixes(unit);
  const m = cleanUpUnit(main);
  const p = cleanUpUnit(per);
  const u = m !== "" && p !== "" ? `${m}_${p}` : m !== "" ? m : p;
  return u.replace(/^_/, "").replace(/_$/, "");
}

/** Prometheus label name for an attribute key: invalid chars → "_", "key_"/"key" prefixes for digits and single "_". */
export function promLabelName(key: string): string {
  if (key === "") return "";
  let n = key.replace(/[^a-zA-Z0-9_]/gu, "_");
  const c = n.charCodeAt(0);
  if (c >= 48 && c <= 57) n = `key_${n}`;
  else if (c === 95 && !n.startsWith("__")) n = `key${n}`;
  return n;
}

/** Go's strconv.FormatFloat(x, 'f', -1, 64), which Prometheus uses for `le` and `quantile` values. */
export function formatFloatPlain(x: number): string {
  if (x === Number.POSITIVE_INFINITY) return "+Inf";
  if (x === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Number.isNaN(x)) return "NaN";
  const s = String(x);
  const e = s.indexOf("e");
  if (e < 0) return s;
  const neg = s.startsWith("-");
  const mantissa = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf(".");
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot < 0 ? mantissa.length : dot) + exp;
  let out: string;
  if (point <= 0) out = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}

const TEMPORALITY_NAMES = [
  "AGGREGATION_TEMPORALITY_UNSPECIFIED",
  "AGGREGATION_TEMPORALITY_DELTA",
  "AGGREGATION_TEMPORALITY_CUMULATIVE",
] as const;
const TEMPORALITY_DELTA = 1;
/** DataPointFlags.FLAG_NO_RECORDED_VALUE: the point only marks a gap. */
const FLAG_NO_RECORDED_VALUE = 1;

type TResourceLabels = { job: string | undefined; instance: string | undefined };

class MetricsWalker {
  readonly samples: TSampleIn[] = [];
  readonly meta = new Map<string, TMetricMeta>();
  /** Exponential histograms are not converted (no classic-bucket form); counted so callers can log it. */
  skippedExponentialHistograms = 0;
  private readonly labelNames = new Map<string, string>();
  private readonly metricNames = new Map<string, string>();

  walk(req: TObj): void {
    const rms = arrayField(req, "resourceMetrics", "");
    for (let ri = 0; ri < rms.length; ri++) {
      const rp = `resourceMetrics[${ri}]`;
      const rm = elementObject(rms[ri], rp);
      const resource = objectField(rm, "resource", rp);
      const res = resource ? resourceLabels(attributes(resource, "attributes", `${rp}.resource`)) : NO_RESOURCE;
      const sms = arrayField(rm, "scopeMetrics", rp);
      for (let si = 0; si < sms.length; si++) {
        const sp = `${rp}.scopeMetrics[${si}]`;
        const sm = elementObject(sms[si], sp);
        const metrics = arrayField(sm, "metrics", sp);
        for (let mi = 0; mi < metrics.length; mi++) {
          const mp = `${sp}.metrics[${mi}]`;
          this.metric(elementObject(metrics[mi], mp), mp, res);
        }
      }
    }
  }

  private metric(m: TObj, path: string, res: TResourceLabels): void {
    const rawName = stringField(m, "name", path);
    if (rawName === "") fail(`${path}.name`, "metric name is missing or empty; expected a non-empty string");
    const help = stringField(m, "description", path);
    const unit = stringField(m, "unit", path);

    const gauge = objectField(m, "gauge", path);
    if (gauge) {
      const name = this.name(rawName, unit, "gauge", path);
      this.setMeta(name, "gauge", help, promUnit(unit, "gauge"));
      this.numberPoints(gauge, `${path}.gauge`, name, res, false);
      return;
    }
    const sum = objectField(m, "sum", path);
    if (sum) {
      const sp = `${path}.sum`;
      const monotonic = boolField(sum, "isMonotonic", sp);
      // UNSPECIFIED is invalid per spec; reading it as cumulative is the forgiving choice.
      const delta = enumField(sum, "aggregationTemporality", sp, TEMPORALITY_NAMES) === TEMPORALITY_DELTA;
      const kind: TOtlpNamingKind = monotonic ? "counter" : "updowncounter";
      const name = this.name(rawName, unit, kind, path);
      this.setMeta(name, monotonic ? "counter" : "gauge", help, promUnit(unit, kind));
      this.numberPoints(sum, sp, name, res, delta);
      return;
    }
    const histogram = objectField(m, "histogram", path);
    if (histogram) {
      const hp = `${path}.histogram`;
      const delta = enumField(histogram, "aggregationTemporality", hp, TEMPORALITY_NAMES) === TEMPORALITY_DELTA;
      const name = this.name(rawName, unit, "histogram", path);
      this.setMeta(name, "histogram", help, promUnit(unit, "histogram"));
      this.histogramPoints(histogram, hp, name, res, delta);
      return;
    }
    const summary = objectField(m, "summary", path);
    if (summary) {
      const name = this.name(rawName, unit, "summary", path);
      this.setMeta(name, "summary", help, promUnit(unit, "summary"));
      this.summaryPoints(summary, `${path}.summary`, name, res);
      return;
    }
    if (objectField(m, "exponentialHistogram", path)) this.skippedExponentialHistograms++;
    // A metric without data is invalid per spec but harmless; Prometheus drops it too.
  }

  private name(raw: string, unit: string, kind: TOtlpNamingKind, path: string): string {
    const key = `${kind}\u0000${unit}\u0000${raw}`;
    let name = this.metricNames.get(key);
    if (name === undefined) {
      name = promMetricName(raw, unit, kind);
      if (name === "") {
        fail(`${path}.name`, `metric name ${JSON.stringify(raw)} has no characters valid in a Prometheus name`);
      }
      this.metricNames.set(key, name);
    }
    return name;
  }

  private setMeta(family: string, type: TMetricType, help: string, unit: string): void {
    // First definition wins: two scopes declaring one name differently must not flip the type per request order.
    if (!this.meta.has(family)) this.meta.set(family, { type, help, unit });
  }

  private labelName(key: string, path: string): string {
    let n = this.labelNames.get(key);
    if (n === undefined) {
      n = promLabelName(key);
      if (n === "" || (n !== key && /^_+$/.test(n))) {
        fail(path, `attribute key ${JSON.stringify(key)} does not map to a valid label name`);
      }
      this.labelNames.set(key, n);
    }
    return n;
  }

  /** Data point attributes + job/instance from the resource, as Prometheus builds them. */
  private labels(p: TObj, path: string, res: TResourceLabels): TLabels {
    const list = arrayField(p, "attributes", path);
    const labels: TLabels = {};
    if (list.length > 0) {
      const pairs: [string, string, number][] = new Array(list.length);
      for (let i = 0; i < list.length; i++) {
        const ap = `${path}.attributes[${i}]`;
        const kv = elementObject(list[i], ap);
        pairs[i] = [stringField(kv, "key", ap), attrToLabelValue(anyValue(own(kv, "value"), `${ap}.value`)), i];
      }
      // Sorted by original key so keys that collide after sanitizing ("a.b", "a_b") join in a stable order.
      if (pairs.length > 1) pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const [key, value, i] of pairs) {
        const name = this.labelName(key, `${path}.attributes[${i}].key`);
        if (name === "__name__") continue;
        const existing = Object.hasOwn(labels, name) ? labels[name] : undefined;
        if (existing !== undefined) labels[name] = `${existing};${value}`;
        else if (value !== "") defineKey(labels, name, value);
      }
    }
    if (res.job !== undefined) labels.job = res.job;
    if (res.instance !== undefined) labels.instance = res.instance;
    return labels;
  }

  private push(name: string, labels: TLabels, value: number, ts: number | undefined, family: string, delta: boolean) {
    const s: TSampleIn = { name, labels, value, timestampMs: ts, family };
    if (delta) s.delta = true;
    this.samples.push(s);
  }

  private numberPoints(data: TObj, path: string, name: string, res: TResourceLabels, delta: boolean): void {
    const points = arrayField(data, "dataPoints", path);
    for (let i = 0; i < points.length; i++) {
      const pp = `${path}.dataPoints[${i}]`;
      const p = elementObject(points[i], pp);
      if (uint32Field(p, "flags", pp) & FLAG_NO_RECORDED_VALUE) continue;
      const d = own(p, "asDouble");
      const n = own(p, "asInt");
      let value: number;
      if (d !== undefined) value = doubleValue(d, `${pp}.asDouble`);
      else if (n !== undefined) value = int64ToNumber(n, `${pp}.asInt`, true);
      else fail(pp, "data point has no value; expected asDouble or asInt");
      this.push(name, this.labels(p, pp, res), value, timestampMs(p, pp), name, delta);
    }
  }

  private histogramPoints(data: TObj, path: string, name: string, res: TResourceLabels, delta: boolean): void {
    const points = arrayField(data, "dataPoints", path);
    const bucketName = `${name}_bucket`;
    const sumName = `${name}_sum`;
    const countName = `${name}_count`;
    for (let i = 0; i < points.length; i++) {
      const pp = `${path}.dataPoints[${i}]`;
      const p = elementObject(points[i], pp);
      if (uint32Field(p, "flags", pp) & FLAG_NO_RECORDED_VALUE) continue;
      const labels = this.labels(p, pp, res);
      const ts = timestampMs(p, pp);
      const count = Number(uint64Field(p, "count", pp));
      const sum = optionalDoubleField(p, "sum", pp);
      const counts = arrayField(p, "bucketCounts", pp);
      const bounds = arrayField(p, "explicitBounds", pp);
      if (counts.length !== 0 && counts.length !== bounds.length + 1) {
        fail(
          `${pp}.bucketCounts`,
          `${counts.length} bucket counts for ${bounds.length} explicit bounds; expected ${bounds.length + 1} (one more than bounds) or none`,
        );
      }
      if (counts.length > 0) {
        // OTLP counts are per bucket; Prometheus `le` buckets are cumulative.
        let cumulative = 0;
        let prev = Number.NEGATIVE_INFINITY;
        for (let b = 0; b < bounds.length; b++) {
          const bound = doubleValue(bounds[b], `${pp}.explicitBounds[${b}]`);
          if (!(bound > prev)) {
            fail(`${pp}.explicitBounds[${b}]`, `bound ${bound} does not increase; expected strictly increasing bounds`);
          }
          prev = bound;
          cumulative += Number(int64Value(counts[b], `${pp}.bucketCounts[${b}]`, false));
          this.push(bucketName, { ...labels, le: formatFloatPlain(bound) }, cumulative, ts, name, delta);
        }
      }
      // +Inf takes the point's count, as Prometheus does, so it always equals x_count.
      this.push(bucketName, { ...labels, le: "+Inf" }, count, ts, name, delta);
      if (sum !== undefined) this.push(sumName, labels, sum, ts, name, delta);
      this.push(countName, labels, count, ts, name, delta);
    }
  }

  private summaryPoints(data: TObj, path: string, name: string, res: TResourceLabels): void {
    const points = arrayField(data, "dataPoints", path);
    const sumName = `${name}_sum`;
    const countName = `${name}_count`;
    for (let i = 0; i < points.length; i++) {
      const pp = `${path}.dataPoints[${i}]`;
      const p = elementObject(points[i], pp);
      if (uint32Field(p, "flags", pp) & FLAG_NO_RECORDED_VALUE) continue;
      const labels = this.labels(p, pp, res);
      const ts = timestampMs(p, pp);
      const quantiles = arrayField(p, "quantileValues", pp);
      for (let q = 0; q < quantiles.length; q++) {
        const qp = `${pp}.quantileValues[${q}]`;
        const qv = elementObject(quantiles[q], qp);
        const quantile = doubleField(qv, "quantile", qp);
        const value = doubleField(qv, "value", qp);
        this.push(name, { ...labels, quantile: formatFloatPlain(quantile) }, value, ts, name, false);
      }
      this.push(sumName, labels, doubleField(p, "sum", pp), ts, name, false);
      this.push(countName, labels, Number(uint64Field(p, "count", pp)), ts, name, false);
    }
  }
}

const NO_RESOURCE: TResourceLabels = { job: undefined, instance: undefined };

function resourceLabels(attrs: TAttributes): TResourceLabels {
  const name = attrs["service.name"];
  const ns = attrs["service.namespace"];
  const inst = attrs["service.instance.id"];
  let job: string | undefined;
  if (name !== undefined && name !== null) {
    const n = attrToLabelValue(name);
    job = ns !== undefined && ns !== null ? `${attrToLabelValue(ns)}/${n}` : n;
  }
  const instance = inst !== undefined && inst !== null ? attrToLabelValue(inst) : undefined;
  return { job: job === "" ? undefined : job, instance: instance === "" ? undefined : instance };
}

function timestampMs(p: TObj, path: string): number | undefined {
  const ns = uint64Field(p, "timeUnixNano", path);
  return ns === 0n ? undefined : Number(ns / 1_000_000n);
}

export type TOtlpMetricsResult = TParsedMetrics & { skippedExponentialHistograms: number };

/**
 * Decodes an OTLP metrics export request. Gauge → gauge; monotonic sum → counter (`_total`), DELTA
 * points flagged `delta`; non-monotonic sum → gauge; histogram → `_bucket{le}` (cumulative), `_sum`,
 * `_count`; summary → `{quantile}`, `_sum`, `_count`. Exponential histograms are skipped (counted in
 * `skippedExponentialHistograms`). Never throws.
 */
export function decodeOtlpMetrics(body: Buffer, encoding: TEncoding): TParseResult<TOtlpMetricsResult> {
  try {
    const req =
      encoding === "json"
        ? parseJsonBody(body, "OTLP/JSON ExportMetricsServiceRequest")
        : decodeOtlpProtobuf(ExportMetricsServiceRequestType, body);
    const w = new MetricsWalker();
    w.walk(req);
    return {
      ok: true,
      value: { samples: w.samples, meta: w.meta, skippedExponentialHistograms: w.skippedExponentialHistograms },
    };
  } catch (e) {
    return {
      ok: false,
      error: toParseError(e, encoding === "json" ? "OTLP/JSON metrics request" : "OTLP protobuf metrics request"),
    };
  }
}
