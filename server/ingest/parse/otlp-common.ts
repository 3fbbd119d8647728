// Shared pieces of the OTLP decoders. Both encodings end up as plain-ish objects with the same
// lowerCamelCase field names (protobufjs messages or JSON.parse output); the readers here absorb the
// representation differences: 64-bit integers arrive as Long (protobuf) or string/number (JSON),
// ids as bytes (protobuf) or hex strings (JSON), bytes values as bytes or base64 strings.
import type { TAttributes, TAttrValue, TParseError } from "../model";

export type TObj = Record<string, unknown>;

/** Thrown inside the walkers and turned into a parse_error result at the entry points. */
export class OtlpFieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Field path segment; the root path is "". */
export function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

export function fail(field: string, message: string): never {
  throw new OtlpFieldError(field, message);
}

export function toParseError(e: unknown, what: string): TParseError {
  if (e instanceof OtlpFieldError) return { code: "parse_error", field: e.field, message: e.message };
  const detail = e instanceof Error ? e.message : String(e);
  return { code: "parse_error", field: "body", message: `malformed ${what}: ${detail}` };
}

export type TEncoding = "json" | "protobuf";

/** JSON.parse with the failure reported as a parse_error on "body". */
export function parseJsonBody(body: Buffer, what: string): TObj {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (e) {
    fail("body", `invalid JSON in ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObj(parsed)) fail("body", `${what} must be a JSON object`);
  return parsed;
}

export function isObj(v: unknown): v is TObj {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/**
 * Own property only: unset protobufjs fields resolve to prototype defaults, and a oneof member that
 * was not sent must read as absent. null (allowed in JSON) also reads as absent.
 */
export function own(o: TObj, key: string): unknown {
  if (!Object.hasOwn(o, key)) return undefined;
  const v = o[key];
  return v === null ? undefined : v;
}

/** Field with protobuf default semantics: absent → the prototype default or undefined. */
function field(o: TObj, key: string): unknown {
  const v = o[key];
  return v === null ? undefined : v;
}

export function arrayField(o: TObj, key: string, path: string): unknown[] {
  const v = field(o, key);
  if (v === undefined) return EMPTY;
  if (!Array.isArray(v)) fail(join(path, key), `expected an array, got ${describeValue(v)}`);
  return v;
}

const EMPTY: unknown[] = [];

export function objectField(o: TObj, key: string, path: string): TObj | undefined {
  const v = own(o, key);
  if (v === undefined) return undefined;
  if (!isObj(v)) fail(join(path, key), `expected an object, got ${describeValue(v)}`);
  return v;
}

export function elementObject(v: unknown, path: string): TObj {
  if (!isObj(v)) fail(path, `expected an object, got ${describeValue(v)}`);
  return v;
}

export function stringField(o: TObj, key: string, path: string): string {
  const v = field(o, key);
  if (v === undefined) return "";
  if (typeof v !== "string") fail(join(path, key), `expected a string, got ${describeValue(v)}`);
  return v;
}

export function boolField(o: TObj, key: string, path: string): boolean {
  const v = field(o, key);
  if (v === undefined) return false;
  if (typeof v !== "boolean") fail(join(path, key), `expected a boolean, got ${describeValue(v)}`);
  return v;
}

export function uint32Field(o: TObj, key: string, path: string): number {
  const v = field(o, key);
  if (v === undefined) return 0;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
  return fail(join(path, key), `expected an unsigned 32-bit integer, got ${describeValue(v)}`);
}

export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

type TLongLike = { low: number; high: number; unsigned?: boolean };

function isLongLike(v: unknown): v is TLongLike {
  return typeof v === "object" && v !== null && typeof (v as TLongLike).low === "number";
}

const DIGITS_RE = /^-?\d+$/;
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/**
 * A 64-bit integer field as bigint. `signed` picks the protobuf interpretation of Long bits
 * (sfixed64/int64 vs fixed64/uint64); JSON carries the sign in the text.
 */
export function int64Value(v: unknown, path: string, signed: boolean): bigint {
  if (v === undefined || v === null) return 0n;
  if (isLongLike(v)) {
    const bits = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
    return signed ? BigInt.asIntN(64, bits) : bits;
  }
  let n: bigint;
  if (typeof v === "string" && DIGITS_RE.test(v)) {
    n = BigInt(v);
  } else if (typeof v === "number" && Number.isInteger(v)) {
    n = BigInt(v);
  } else {
    return fail(
      path,
      `expected a ${signed ? "" : "non-negative "}64-bit integer (number or decimal string), got ${describeValue(v)}`,
    );
  }
  if (signed ? n < I64_MIN || n > I64_MAX : n < 0n || n > U64_MAX) {
    fail(path, `integer ${n} out of range; expected a ${signed ? "signed" : "unsigned"} 64-bit value`);
  }
  return n;
}

export function uint64Field(o: TObj, key: string, path: string): bigint {
  return int64Value(field(o, key), join(path, key), false);
}

/** Numbers are exact below 2^53; larger counts lose precision like any float sample would. */
export function int64ToNumber(v: unknown, path: string, signed: boolean): number {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  return Number(int64Value(v, path, signed));
}

/** OTLP/JSON writes non-finite doubles as the strings "NaN", "Infinity" and "-Infinity". */
export function doubleValue(v: unknown, path: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    if (v === "NaN") return Number.NaN;
    if (v === "Infinity") return Number.POSITIVE_INFINITY;
    if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
    const n = Number(v);
    if (v.trim() !== "" && !Number.isNaN(n)) return n;
  }
  return fail(path, `expected a number, got ${describeValue(v)}`);
}

export function doubleField(o: TObj, key: string, path: string): number {
  const v = field(o, key);
  return v === undefined ? 0 : doubleValue(v, join(path, key));
}

/** Presence-aware double (proto3 `optional`): undefined when not sent. */
export function optionalDoubleField(o: TObj, key: string, path: string): number | undefined {
  const v = own(o, key);
  return v === undefined ? undefined : doubleValue(v, join(path, key));
}

/**
 * Enum as its number. OTLP/JSON requires integers, but names ("SPAN_KIND_SERVER") cost nothing to
 * accept and some hand-written clients send them.
 */
export function enumField(o: TObj, key: string, path: string, names: readonly string[]): number {
  const v = field(o, key);
  if (v === undefined) return 0;
  if (typeof v === "number" && Number.isInteger(v)) {
    if (v < 0 || v >= names.length) {
      fail(join(path, key), `unknown enum value ${v}; expected 0..${names.length - 1} (${names.join(", ")})`);
    }
    return v;
  }
  if (typeof v === "string") {
    const i = names.indexOf(v);
    if (i >= 0) return i;
  }
  return fail(
    join(path, key),
    `expected an enum number 0..${names.length - 1} (${names.join(", ")}), got ${describeValue(v)}`,
  );
}

const HEX_RE = /^[0-9a-fA-F]*$/;

/**
 * Trace/span id as lower-case hex; undefined when empty. `bytes` is the required length. JSON ids are
 * hex per the OTLP/JSON spec (unlike the protobuf JSON mapping's base64), protobuf ids are raw bytes.
 */
export function idField(o: TObj, key: string, path: string, bytes: number): string | undefined {
  // own(): the protobufjs default for an unset bytes field is a shared empty array on the prototype.
  const v = own(o, key);
  if (v === undefined) return undefined;
  let hex: string;
  if (v instanceof Uint8Array) {
    if (v.length === 0) return undefined;
    if (v.length !== bytes) fail(join(path, key), `id is ${v.length} bytes; expected ${bytes} bytes`);
    hex = (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength)).toString("hex");
  } else if (typeof v === "string") {
    if (v.length === 0) return undefined;
    if (v.length !== bytes * 2 || !HEX_RE.test(v)) {
      fail(
        join(path, key),
        `invalid id ${JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v)}; expected ${bytes * 2} hex characters (OTLP/JSON encodes ids as hex, not base64)`,
      );
    }
    hex = v.toLowerCase();
  } else {
    return fail(join(path, key), `expected a hex string, got ${describeValue(v)}`);
  }
  return hex;
}

export function isZeroHex(hex: string): boolean {
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 48) return false;
  return true;
}

const MAX_ANY_DEPTH = 32;

/**
 * AnyValue → attribute value: scalars as-is, arrays recursively, kvlists as a JSON string (the
 * attribute model is flat), bytes as base64, int64 as a number when exact and a decimal string beyond
 * 2^53, an empty AnyValue as null.
 */
export function anyValue(v: unknown, path: string, depth = 0): TAttrValue {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) fail(path, `expected an AnyValue object, got ${describeValue(v)}`);
  if (depth > MAX_ANY_DEPTH) fail(path, `AnyValue nested deeper than ${MAX_ANY_DEPTH} levels`);
  let x = own(v, "stringValue");
  if (x !== undefined) {
    if (typeof x !== "string") fail(`${path}.stringValue`, `expected a string, got ${describeValue(x)}`);
    return x;
  }
  x = own(v, "boolValue");
  if (x !== undefined) {
    if (typeof x !== "boolean") fail(`${path}.boolValue`, `expected a boolean, got ${describeValue(x)}`);
    return x;
  }
  x = own(v, "intValue");
  if (x !== undefined) {
    if (typeof x === "number" && Number.isSafeInteger(x)) return x;
    const n = int64Value(x, `${path}.intValue`, true);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
  }
  x = own(v, "doubleValue");
  if (x !== undefined) return doubleValue(x, `${path}.doubleValue`);
  x = own(v, "arrayValue");
  if (x !== undefined) {
    const arr = elementObject(x, `${path}.arrayValue`);
    const values = arrayField(arr, "values", `${path}.arrayValue`);
    const out: TAttrValue[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      out[i] = anyValue(values[i], `${path}.arrayValue.values[${i}]`, depth + 1);
    }
    return out;
  }
  x = own(v, "kvlistValue");
  if (x !== undefined) {
    const kv = elementObject(x, `${path}.kvlistValue`);
    return JSON.stringify(kvlistToObject(kv, `${path}.kvlistValue`, depth + 1));
  }
  x = own(v, "bytesValue");
  if (x !== undefined) {
    if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("base64");
    if (typeof x === "string") return x;
    fail(`${path}.bytesValue`, `expected base64 bytes, got ${describeValue(x)}`);
  }
  return null;
}

type TJsonish = TAttrValue | { [k: string]: TJsonish };

/** Nested kvlists stay objects inside the outer JSON string rather than double-encoded strings. */
function kvlistToObject(kv: TObj, path: string, depth: number): Record<string, TJsonish> {
  const values = arrayField(kv, "values", path);
  const out: Record<string, TJsonish> = {};
  for (let i = 0; i < values.length; i++) {
    const p = `${path}.values[${i}]`;
    const e = elementObject(values[i], p);
    const key = stringField(e, "key", p);
    const inner = own(e, "value");
    let val: TJsonish;
    if (isObj(inner) && own(inner, "kvlistValue") !== undefined) {
      if (depth > MAX_ANY_DEPTH) fail(p, `AnyValue nested deeper than ${MAX_ANY_DEPTH} levels`);
      val = kvlistToObject(
        elementObject(own(inner, "kvlistValue"), `${p}.value.kvlistValue`),
        `${p}.value.kvlistValue`,
        depth + 1,
      );
    } else {
      val = anyValue(inner, `${p}.value`, depth + 1);
    }
    defineKey(out, key, val);
  }
  return out;
}

/** Assignment that also works for the key "__proto__" (plain assignment would set the prototype). */
export function defineKey<T>(o: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") {
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    o[key] = value;
  }
}

/** repeated KeyValue → flat attributes; a repeated key keeps the last value. */
export function attributes(o: TObj, key: string, path: string): TAttributes {
  const list = arrayField(o, key, path);
  const out: TAttributes = {};
  for (let i = 0; i < list.length; i++) {
    const p = `${join(path, key)}[${i}]`;
    const kv = elementObject(list[i], p);
    const k = stringField(kv, "key", p);
    defineKey(out, k, anyValue(own(kv, "value"), `${p}.value`));
  }
  return out;
}

/** Attribute value as a Prometheus label value, like pdata's Value.AsString(). */
export function attrToLabelValue(v: TAttrValue): string {
  if (typeof v === "string") return v;
  if (v === null) return "";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}
