// Prometheus remote write 1.0: snappy block format around a protobuf WriteRequest.
//
// Decompression does not use snappyjs' uncompress: a crafted literal length with the top bit set
// makes its input position jump back by ~2^31 and it then spins for about a billion iterations; it
// also never checks that the output was filled. snappyBlockUncompress below validates every element.
//
// The decoder walks the wire format with a protobufjs Reader instead of materialising WriteRequest →
// TimeSeries → Label/Sample messages, so the only allocations are the output itself (one labels object
// per series, one sample object per sample): no message object per label and sample, no Long per
// timestamp. The reflected schema in remote-write.proto.ts stays the reference; a property test checks
// that both decoders agree.
import protobuf from "protobufjs";
import { compress } from "snappyjs";
import type { TLabels, TMetricMeta, TMetricType, TParsedMetrics, TParseResult, TSampleIn } from "../model";
import { RW_FIELDS, WriteRequestType } from "./remote-write.proto";

type Reader = protobuf.Reader;

export type TRemoteWriteOptions = {
  /** Upper bound for the size announced in the snappy header; guards against decompression bombs. */
  maxDecompressedBytes?: number;
};

export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

// Char loops instead of regexes: these run for every label of every series and the regex call
// overhead dominated the label loop in profiles.
function isNameChar(c: number, first: boolean, colon: boolean): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (!first && c >= 48 && c <= 57) || (colon && c === 58)
  );
}

/** [a-zA-Z_:][a-zA-Z0-9_:]* */
function isMetricName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isNameChar(s.charCodeAt(i), i === 0, true)) return false;
  return true;
}

/** [a-zA-Z_][a-zA-Z0-9_]* */
function isLabelName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isNameChar(s.charCodeAt(i), i === 0, false)) return false;
  return true;
}

/** Index = prometheus.MetricMetadata.MetricType enum value. */
const RW_TYPES: readonly TMetricType[] = [
  "untyped",
  "counter",
  "gauge",
  "histogram",
  "gaugehistogram",
  "summary",
  "info",
  "stateset",
];

// Module constants rather than RW_FIELDS.x.y in the case labels: imported bindings are reached through
// the module namespace under vite-node/tsx, and the per-field switch was measurably slower that way.
const F_WR_TIMESERIES = RW_FIELDS.writeRequest.timeseries;
const F_WR_METADATA = RW_FIELDS.writeRequest.metadata;
const F_TS_LABELS = RW_FIELDS.timeSeries.labels;
const F_TS_SAMPLES = RW_FIELDS.timeSeries.samples;
const F_LABEL_NAME = RW_FIELDS.label.name;
const F_LABEL_VALUE = RW_FIELDS.label.value;
const F_SAMPLE_VALUE = RW_FIELDS.sample.value;
const F_SAMPLE_TIMESTAMP = RW_FIELDS.sample.timestamp;
const F_META_TYPE = RW_FIELDS.metadata.type;
const F_META_FAMILY = RW_FIELDS.metadata.metricFamilyName;
const F_META_HELP = RW_FIELDS.metadata.help;
const F_META_UNIT = RW_FIELDS.metadata.unit;

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WIRE_TYPE_NAMES = ["varint", "64-bit", "length-delimited", "start-group", "end-group", "32-bit"];

class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where the walker is, so a low-level reader error can still say roughly where the bytes went bad. */
type TCursor = { ts: number; label: number; sample: number; meta: number };

function cursorText(c: TCursor): string {
  if (c.meta >= 0) return `metadata[${c.meta}]`;
  if (c.ts < 0) return "WriteRequest";
  if (c.sample >= 0) return `timeseries[${c.ts}].samples[${c.sample}]`;
  if (c.label >= 0) return `timeseries[${c.ts}].labels[${c.label}]`;
  return `timeseries[${c.ts}]`;
}

// Callers test the wire type inline so the field path string is only built on failure.
function wireTypeError(actual: number, expected: number, field: string): never {
  throw new FieldError(
    field,
    `wrong protobuf wire type ${WIRE_TYPE_NAMES[actual] ?? actual} for ${field}; expected ${WIRE_TYPE_NAMES[expected]}`,
  );
}

function readTag(r: Reader): number {
  const tag = r.tag();
  if (tag >>> 3 === 0) throw new Error(`illegal protobuf tag ${tag} (field number 0) at byte ${r.pos}`);
  return tag;
}

/**
 * int64 varint straight to a number (exact up to 2^53, which millisecond timestamps never reach);
 * protobufjs' own int64() allocates a Long per call.
 */
function readInt64(r: Reader): number {
  const buf = r.buf;
  const len = r.len;
  let pos = r.pos;
  let lo = 0;
  let b = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= len) throw new RangeError(`truncated varint at byte ${pos}`);
    b = buf[pos++] as number;
    lo |= (b & 127) << shift;
    if (b < 128) {
      r.pos = pos;
      return lo;
    }
  }
  if (pos >= len) throw new RangeError(`truncated varint at byte ${pos}`);
  b = buf[pos++] as number;
  lo = (lo | ((b & 127) << 28)) >>> 0;
  let hi = (b & 127) >> 4;
  if (b >= 128) {
    for (let shift = 3; shift < 38; shift += 7) {
      if (pos >= len) throw new RangeError(`truncated varint at byte ${pos}`);
      b = buf[pos++] as number;
      hi = (hi | ((b & 127) << shift)) >>> 0;
      if (b < 128) break;
    }
    if (b >= 128) throw new RangeError(`varint longer than 10 bytes at byte ${pos}`);
  }
  r.pos = pos;
  if (hi >>> 31) {
    // Two's complement negative: negate the 64-bit value before converting.
    const nlo = (~lo + 1) >>> 0;
    let nhi = ~hi >>> 0;
    if (nlo === 0) nhi = (nhi + 1) >>> 0;
    return -(nlo + nhi * 4294967296);
  }
  return lo + hi * 4294967296;
}

function setLabel(labels: TLabels, name: string, value: string): void {
  // A plain object would treat "__proto__" as the prototype setter and silently drop the label.
  if (name === "__proto__") {
    Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    labels[name] = value;
  }
}

type TMetaIn = { family: string; meta: TMetricMeta };

/**
 * Per-series scratch space, reused across series so a TimeSeries costs one labels object and one
 * sample object per sample and nothing else.
 */
class SeriesScratch {
  names: string[] = [];
  values: string[] = [];
  sampleValues: number[] = [];
  sampleTimes: number[] = [];
  labelCount = 0;
  sampleCount = 0;

  reset(): void {
    this.labelCount = 0;
    this.sampleCount = 0;
  }
}

function readLabel(r: Reader, end: number, s: SeriesScratch, tsIndex: number): void {
  const i = s.labelCount;
  let name = "";
  let value = "";
  while (r.pos < end) {
    const tag = readTag(r);
    switch (tag >>> 3) {
      case F_LABEL_NAME:
        if ((tag & 7) !== WT_LEN) wireTypeError(tag & 7, WT_LEN, `timeseries[${tsIndex}].labels[${i}].name`);
        name = r.string();
        break;
      case F_LABEL_VALUE:
        if ((tag & 7) !== WT_LEN) wireTypeError(tag & 7, WT_LEN, `timeseries[${tsIndex}].labels[${i}].value`);
        value = r.string();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  expectEnd(r, end);
  s.names[i] = name;
  s.values[i] = value;
  s.labelCount = i + 1;
}

function readSample(r: Reader, end: number, s: SeriesScratch, tsIndex: number): void {
  const i = s.sampleCount;
  let value = 0;
  let timestamp = 0;
  while (r.pos < end) {
    const tag = readTag(r);
    switch (tag >>> 3) {
      case F_SAMPLE_VALUE:
        if ((tag & 7) !== WT_I64) wireTypeError(tag & 7, WT_I64, `timeseries[${tsIndex}].samples[${i}].value`);
        value = r.double();
        break;
      case F_SAMPLE_TIMESTAMP:
        if ((tag & 7) !== WT_VARINT)
          wireTypeError(tag & 7, WT_VARINT, `timeseries[${tsIndex}].samples[${i}].timestamp`);
        timestamp = readInt64(r);
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  expectEnd(r, end);
  s.sampleValues[i] = value;
  s.sampleTimes[i] = timestamp;
  s.sampleCount = i + 1;
}

function readTimeSeries(r: Reader, end: number, s: SeriesScratch, c: TCursor, out: TSampleIn[], names: Set<string>) {
  const tsIndex = c.ts;
  s.reset();
  while (r.pos < end) {
    const tag = readTag(r);
    switch (tag >>> 3) {
      case F_TS_LABELS: {
        c.label = s.labelCount;
        if ((tag & 7) !== WT_LEN) wireTypeError(tag & 7, WT_LEN, `timeseries[${tsIndex}].labels[${c.label}]`);
        const len = r.size();
        readLabel(r, subEnd(r, len, end), s, tsIndex);
        c.label = -1;
        break;
      }
      case F_TS_SAMPLES: {
        c.sample = s.sampleCount;
        if ((tag & 7) !== WT_LEN) wireTypeError(tag & 7, WT_LEN, `timeseries[${tsIndex}].samples[${c.sample}]`);
        const len = r.size();
        readSample(r, subEnd(r, len, end), s, tsIndex);
        c.sample = -1;
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
  expectEnd(r, end);

  let name: string | undefined;
  const labels: TLabels = {};
  for (let i = 0; i < s.labelCount; i++) {
    const ln = s.names[i] as string;
    const lv = s.values[i] as string;
    if (ln === "__name__") {
      if (name !== undefined) {
        throw new FieldError(
          `timeseries[${tsIndex}].labels[${i}].name`,
          `duplicate label "__name__"; expected it once`,
        );
      }
      if (!isMetricName(lv)) {
        throw new FieldError(
          `timeseries[${tsIndex}].labels[${i}].value`,
          `invalid metric name ${JSON.stringify(lv)}; expected [a-zA-Z_:][a-zA-Z0-9_:]*`,
        );
      }
      name = lv;
      continue;
    }
    if (!isLabelName(ln)) {
      throw new FieldError(
        `timeseries[${tsIndex}].labels[${i}].name`,
        `invalid label name ${JSON.stringify(ln)}; expected [a-zA-Z_][a-zA-Z0-9_]*`,
      );
    }
    // Only own labels hold strings (inherited members like "toString" are functions), so this is an
    // own-property test without the cost of Object.hasOwn.
    if (typeof labels[ln] === "string") {
      throw new FieldError(`timeseries[${tsIndex}].labels[${i}].name`, `duplicate label name ${JSON.stringify(ln)}`);
    }
    // Prometheus semantics: a label with an empty value is the same as no label.
    if (lv !== "") setLabel(labels, ln, lv);
  }
  if (name === undefined) {
    throw new FieldError(
      `timeseries[${tsIndex}].labels`,
      `time series has no "__name__" label; expected the metric name`,
    );
  }
  if (s.sampleCount === 0) return;
  names.add(name);
  // Samples of one series share this labels object: it must be treated as immutable downstream.
  for (let i = 0; i < s.sampleCount; i++) {
    out.push({
      name,
      labels,
      value: s.sampleValues[i] as number,
      timestampMs: s.sampleTimes[i] as number,
      family: name,
    });
  }
}

function readMetadata(r: Reader, end: number, index: number): TMetaIn {
  let type = 0;
  let family = "";
  let help = "";
  let unit = "";
  while (r.pos < end) {
    const tag = readTag(r);
    switch (tag >>> 3) {
      case F_META_TYPE:
        if ((tag & 7) !== WT_VARINT) wireTypeError(tag & 7, WT_VARINT, `metadata[${index}].type`);
        type = r.int32();
        break;
      case F_META_FAMILY:
        if ((tag & 7) !== WT_LEN) wireTypeError(tag & 7, WT_LEN, `metadata[${index}].metric_family_name`);
        family = r.string();
        break;
      case F_META_HELP:
        if ((tag & 7) !== WT_LEN) wireTypeError(tag & 7, WT_LEN, `metadata[${index}].help`);
        help = r.string();
        break;
      case F_META_UNIT:
        if ((tag & 7) !== WT_LEN) wireTypeError(tag & 7, WT_LEN, `metadata[${index}].unit`);
        unit = r.string();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  expectEnd(r, end);
  const t = RW_TYPES[type];
  if (t === undefined) {
    throw new FieldError(`metadata[${index}].type`, `unknown metric type ${type}; expected 0..7 (UNKNOWN..STATESET)`);
  }
  if (!isMetricName(family)) {
    throw new FieldError(
      `metadata[${index}].metric_family_name`,
      `invalid metric family name ${JSON.stringify(family)}; expected [a-zA-Z_:][a-zA-Z0-9_:]*`,
    );
  }
  return { family, meta: { type: t, help, unit } };
}

/** The reader only knows the buffer's end, so a string can run past its enclosing message unnoticed. */
function expectEnd(r: Reader, end: number): void {
  if (r.pos !== end)
    throw new RangeError(`a field overruns its enclosing message (ends at byte ${end}, read to ${r.pos})`);
}

function subEnd(r: Reader, len: number, parentEnd: number): number {
  const end = r.pos + len;
  if (end > parentEnd) throw new RangeError(`length ${len} at byte ${r.pos} runs past the enclosing message`);
  return end;
}

const FAMILY_SUFFIXES = ["_bucket", "_sum", "_count", "_total"] as const;

function familyOf(name: string, declared: Map<string, TMetricMeta>): string | undefined {
  if (declared.has(name)) return name;
  for (const suffix of FAMILY_SUFFIXES) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (declared.has(base)) return base;
    }
  }
  return undefined;
}

function walk(buf: Uint8Array, c: TCursor): TParsedMetrics {
  const r = protobuf.Reader.create(buf as Buffer);
  const samples: TSampleIn[] = [];
  const names = new Set<string>();
  const declared = new Map<string, TMetricMeta>();
  const scratch = new SeriesScratch();
  let tsCount = 0;
  let metaCount = 0;
  while (r.pos < r.len) {
    const tag = readTag(r);
    switch (tag >>> 3) {
      case F_WR_TIMESERIES: {
        c.ts = tsCount++;
        if ((tag & 7) !== WT_LEN) wireTypeError(tag & 7, WT_LEN, `timeseries[${c.ts}]`);
        const len = r.size();
        readTimeSeries(r, subEnd(r, len, r.len), scratch, c, samples, names);
        break;
      }
      case F_WR_METADATA: {
        c.meta = metaCount++;
        if ((tag & 7) !== WT_LEN) wireTypeError(tag & 7, WT_LEN, `metadata[${c.meta}]`);
        const len = r.size();
        const m = readMetadata(r, subEnd(r, len, r.len), c.meta);
        declared.set(m.family, m.meta);
        c.meta = -1;
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }

  const meta = new Map<string, TMetricMeta>(declared);
  if (declared.size === 0) {
    for (const name of names) meta.set(name, { type: "untyped", help: "", unit: "" });
    return { samples, meta };
  }
  const familyByName = new Map<string, string>();
  for (const name of names) {
    const family = familyOf(name, declared);
    if (family === undefined) {
      meta.set(name, { type: "untyped", help: "", unit: "" });
    } else if (family !== name) {
      familyByName.set(name, family);
    }
  }
  if (familyByName.size > 0) {
    for (const s of samples) {
      const family = familyByName.get(s.name);
      if (family !== undefined) s.family = family;
    }
  }
  return { samples, meta };
}

class SnappyError extends Error {}

function snappyFail(message: string): never {
  throw new SnappyError(message);
}

/**
 * Snappy block format (https://github.com/google/snappy/blob/main/format_description.txt): a varint
 * uncompressed length, then literals and back-references. Every length and offset is checked against
 * the input and the announced output size, so hostile input ends in a SnappyError, never a hang or an
 * out-of-bounds write.
 */
export function snappyBlockUncompress(input: Uint8Array, maxLength: number): Buffer {
  const inLen = input.length;
  let pos = 0;
  let outLen = 0;
  for (let shift = 0; ; shift += 7) {
    if (shift > 28) snappyFail("uncompressed length varint is longer than 5 bytes");
    if (pos >= inLen) snappyFail("body ends inside the uncompressed length header");
    const b = input[pos++] as number;
    outLen += (b & 127) * 2 ** shift;
    if (b < 128) break;
  }
  if (outLen > 0xffffffff) snappyFail(`uncompressed length ${outLen} exceeds 32 bits`);
  if (outLen > maxLength) snappyFail(`uncompressed length ${outLen} is over the limit of ${maxLength} bytes`);
  const out = Buffer.allocUnsafe(outLen);
  let op = 0;
  while (pos < inLen) {
    const tag = input[pos++] as number;
    const kind = tag & 3;
    if (kind === 0) {
      let len = (tag >>> 2) + 1;
      if (len > 60) {
        const extra = len - 60;
        if (pos + extra > inLen) snappyFail(`literal length at byte ${pos - 1} runs past the end of the body`);
        len = 0;
        for (let i = 0; i < extra; i++) len += (input[pos + i] as number) * 2 ** (8 * i);
        len += 1;
        pos += extra;
      }
      if (pos + len > inLen) snappyFail(`literal of ${len} bytes at byte ${pos} runs past the end of the body`);
      if (op + len > outLen) snappyFail(`literal at byte ${pos} overflows the announced length ${outLen}`);
      if (len < 16) {
        for (let i = 0; i < len; i++) out[op + i] = input[pos + i] as number;
      } else {
        out.set(input.subarray(pos, pos + len), op);
      }
      pos += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (pos >= inLen) snappyFail(`copy at byte ${pos - 1} is truncated`);
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | (input[pos++] as number);
    } else if (kind === 2) {
      if (pos + 2 > inLen) snappyFail(`copy at byte ${pos - 1} is truncated`);
      len = (tag >>> 2) + 1;
      offset = (input[pos] as number) | ((input[pos + 1] as number) << 8);
      pos += 2;
    } else {
      if (pos + 4 > inLen) snappyFail(`copy at byte ${pos - 1} is truncated`);
      len = (tag >>> 2) + 1;
      offset =
        (input[pos] as number) +
        (input[pos + 1] as number) * 0x100 +
        (input[pos + 2] as number) * 0x10000 +
        (input[pos + 3] as number) * 0x1000000;
      pos += 4;
    }
    if (offset === 0 || offset > op) snappyFail(`copy offset ${offset} at output byte ${op} points outside the output`);
    if (op + len > outLen) snappyFail(`copy at output byte ${op} overflows the announced length ${outLen}`);
    if (offset >= len) {
      out.copyWithin(op, op - offset, op - offset + len);
    } else {
      // Overlapping copy repeats the last `offset` bytes (run-length style); must go byte by byte.
      for (let i = 0; i < len; i++) out[op + i] = out[op - offset + i] as number;
    }
    op += len;
  }
  if (op !== outLen) snappyFail(`body decompresses to ${op} bytes but announces ${outLen}; truncated?`);
  return out;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Decodes a remote write 1.0 body (snappy block format + protobuf WriteRequest). Samples carry the
 * series name from `__name__` and the remaining labels; the family comes from request metadata when
 * present (`x`, `x_bucket`, `x_sum`, `x_count`, `x_total` belong to family `x`), else the series
 * name with type "untyped". Metadata entries are returned even when no sample in this request uses
 * them, because Prometheus sends metadata in separate requests. Never throws.
 */
export function decodeRemoteWrite(body: Buffer, options: TRemoteWriteOptions = {}): TParseResult<TParsedMetrics> {
  const max = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  let raw: Uint8Array;
  try {
    raw = snappyBlockUncompress(body, max);
  } catch (e) {
    return {
      ok: false,
      error: {
        code: "parse_error",
        field: "body",
        message: `snappy decompression failed: ${errorMessage(e)}; expected a snappy block-format (not framed) body of at most ${max} bytes uncompressed`,
      },
    };
  }
  const cursor: TCursor = { ts: -1, label: -1, sample: -1, meta: -1 };
  try {
    return { ok: true, value: walk(raw, cursor) };
  } catch (e) {
    if (e instanceof FieldError) {
      return { ok: false, error: { code: "parse_error", field: e.field, message: e.message } };
    }
    return {
      ok: false,
      error: {
        code: "parse_error",
        field: "body",
        message: `malformed protobuf WriteRequest (while reading ${cursorText(cursor)}): ${errorMessage(e)}`,
      },
    };
  }
}

export type TRemoteWriteMetadataIn = {
  /** A model type name or the raw prometheus.MetricMetadata.MetricType number. */
  type: TMetricType | number;
  metricFamilyName: string;
  help?: string;
  unit?: string;
};

export type TRemoteWriteRequestIn = {
  timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[];
  metadata?: TRemoteWriteMetadataIn[];
};

/** Protobuf + snappy, as Prometheus sends it. For tests, benchmarks and the demo load generator. */
export function encodeRemoteWrite(req: TRemoteWriteRequestIn): Buffer {
  const message = {
    timeseries: req.timeseries,
    metadata: (req.metadata ?? []).map((m) => ({
      type: typeof m.type === "number" ? m.type : RW_TYPES.indexOf(m.type),
      metricFamilyName: m.metricFamilyName,
      help: m.help ?? "",
      unit: m.unit ?? "",
    })),
  };
  const bytes = WriteRequestType.encode(message).finish();
  return compress(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
