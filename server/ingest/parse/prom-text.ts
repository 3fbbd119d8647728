// Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text, parsed into the ingest model.
//
// This is the ingest hot path, so the scanner works on char codes within one line at a time, slices
// the input for names and unescaped values instead of building strings, and reports the first error
// by throwing an internal exception (try/catch costs nothing on the success path in V8).

import type { TLabels, TMetricMeta, TMetricType, TParsedMetrics, TParseError, TParseResult, TSampleIn } from "../model";

export type TPromTextOptions = { openMetrics?: boolean };

/**
 * Canonical text for a float label value (`le`, `quantile`), so `1`, `1.0` and `1e0` name the same
 * series. Follows JS number formatting (which is what prom-client emits) with Prometheus spellings
 * for the non-finite values.
 */
export function formatPromFloat(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Number.isNaN(n)) return "NaN";
  return String(n);
}

export function parsePromText(text: string, opts: TPromTextOptions = {}): TParseResult<TParsedMetrics> {
  const parser = new PromTextParser(text, opts.openMetrics === true);
  try {
    parser.run();
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: parser.errorFor(e) };
    throw e;
  }
  return { ok: true, value: { samples: parser.samples, meta: parser.meta } };
}

// ---- character classes ----------------------------------------------------------------------------

const C_TAB = 9;
const C_SPACE = 32;
const C_QUOTE = 34;
const C_HASH = 35;
const C_PLUS = 43;
const C_COMMA = 44;
const C_MINUS = 45;
const C_DOT = 46;
const C_0 = 48;
const C_9 = 57;
const C_EQ = 61;
const C_BACKSLASH = 92;
const C_LBRACE = 123;
const C_RBRACE = 125;
const C_CR = 13;
const C_NL = 10;

const CH_LABEL_START = 1;
const CH_LABEL = 2;
const CH_METRIC_START = 4;
const CH_METRIC = 8;

const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  const digit = c >= C_0 && c <= C_9;
  let cls = 0;
  if (letter) cls |= CH_LABEL_START | CH_LABEL | CH_METRIC_START | CH_METRIC;
  if (digit) cls |= CH_LABEL | CH_METRIC;
  if (c === 58) cls |= CH_METRIC_START | CH_METRIC; // ':' is reserved for recording rules but legal
  CHAR_CLASS[c] = cls;
}

function hasClass(c: number, cls: number): boolean {
  return c < 128 && ((CHAR_CLASS[c] as number) & cls) !== 0;
}

function isBlank(c: number): boolean {
  return c === C_SPACE || c === C_TAB;
}

function isDigit(c: number): boolean {
  return c >= C_0 && c <= C_9;
}

/** Keeps user-supplied text in error messages short; a hostile token can be megabytes long. */
function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

/** How to describe the character at `pos` in a message (or the end of the line). */
function describeChar(text: string, pos: number, end: number): string {
  if (pos >= end) return "end of line";
  const cp = text.codePointAt(pos) as number;
  return JSON.stringify(String.fromCodePoint(cp));
}

/**
 * Parses a Prometheus float: decimal with optional sign/fraction/exponent, or (case-insensitively)
 * Inf / Infinity with optional sign, or unsigned NaN; the same set Go's strconv.ParseFloat accepts
 * minus hex and underscores, which Prometheus rejects. Returns undefined when the token is not one.
 */
function parseFloatToken(text: string, start: number, end: number): number | undefined {
  if (start >= end) return undefined;
  let i = start;
  let c = text.charCodeAt(i);
  let negative = false;
  if (c === C_PLUS || c === C_MINUS) {
    negative = c === C_MINUS;
    i++;
    if (i === end) return undefined;
    c = text.charCodeAt(i);
  }
  if (isDigit(c) || c === C_DOT) {
    // Integers up to 15 digits are exact in a double, so accumulate them without allocating.
    let acc = 0;
    let digits = 0;
    while (i < end) {
      c = text.charCodeAt(i);
      if (!isDigit(c)) break;
      acc = acc * 10 + (c - C_0);
      digits++;
      i++;
    }
    if (i === end && digits > 0 && digits <= 15) return negative ? -acc : acc;
    if (i < end && text.charCodeAt(i) === C_DOT) {
      i++;
      while (i < end && isDigit(text.charCodeAt(i))) {
        digits++;
        i++;
      }
    }
    if (digits === 0) return undefined;
    if (i < end && (text.charCodeAt(i) | 32) === 101) {
      i++;
      if (i < end) {
        c = text.charCodeAt(i);
        if (c === C_PLUS || c === C_MINUS) i++;
      }
      let expDigits = 0;
      while (i < end && isDigit(text.charCodeAt(i))) {
        expDigits++;
        i++;
      }
      if (expDigits === 0) return undefined;
    }
    if (i !== end) return undefined;
    return Number(text.slice(start, end));
  }
  const len = end - i;
  if (len === 3 || len === 8) {
    const word = text.slice(i, end).toLowerCase();
    if (word === "inf" || word === "infinity") return negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    if (word === "nan" && i === start) return Number.NaN;
  }
  return undefined;
}

// ---- families --------------------------------------------------------------------------------------

type TFamilyState = {
  name: string;
  meta: TMetricMeta;
  typeSet: boolean;
  helpSet: boolean;
  unitSet: boolean;
  hasSamples: boolean;
};

/** What a series name means within its family; decides label normalisation and skipping. */
const KIND_PLAIN = 0;
const KIND_BUCKET = 1;
const KIND_QUANTILE = 2;
const KIND_CREATED = 3;

type TResolved = { family: TFamilyState; kind: number };

const PROM_TYPES = new Map<string, TMetricType>([
  ["counter", "counter"],
  ["gauge", "gauge"],
  ["histogram", "histogram"],
  ["summary", "summary"],
  ["untyped", "untyped"],
]);

const OM_TYPES = new Map<string, TMetricType>([
  ["counter", "counter"],
  ["gauge", "gauge"],
  ["histogram", "histogram"],
  ["gaugehistogram", "gaugehistogram"],
  ["stateset", "stateset"],
  ["info", "info"],
  ["summary", "summary"],
  ["unknown", "untyped"],
]);

/** Series-name suffixes and the family types that own them. */
const SUFFIXES: ReadonlyArray<readonly [string, ReadonlySet<TMetricType>]> = [
  ["_bucket", new Set<TMetricType>(["histogram", "gaugehistogram"])],
  ["_count", new Set<TMetricType>(["histogram", "summary"])],
  ["_sum", new Set<TMetricType>(["histogram", "summary"])],
  ["_total", new Set<TMetricType>(["counter"])],
  ["_created", new Set<TMetricType>(["counter", "histogram", "summary"])],
  ["_gcount", new Set<TMetricType>(["gaugehistogram"])],
  ["_gsum", new Set<TMetricType>(["gaugehistogram"])],
  ["_info", new Set<TMetricType>(["info"])],
];

// ---- label objects ---------------------------------------------------------------------------------

type TLabelBuilder = (values: readonly string[]) => TLabels;

// Building each label object key by key goes through megamorphic keyed stores, which dominated the
// profile. A function with an object literal per distinct label-name list makes every label object of
// that shape in one monomorphic allocation (and gives them a shared hidden class downstream).
// Compilation is bounded per parse and in total so hostile input can't turn it into a CPU sink.
const LABEL_BUILDERS = new Map<string, TLabelBuilder>();
const MAX_CACHED_BUILDERS = 2048;
const MAX_COMPILES_PER_PARSE = 64;

function compileLabelBuilder(names: readonly string[]): TLabelBuilder {
  // `__proto__: x` in a literal sets the prototype instead of defining a property.
  if (names.includes("__proto__")) return genericLabelBuilder(names);
  // Safe to splice into source: label names were validated as [a-zA-Z_][a-zA-Z0-9_]*.
  const fields = names.map((n, k) => `${n}: v[${k}]`).join(", ");
  try {
    return new Function("v", `"use strict"; return { ${fields} };`) as TLabelBuilder;
  } catch {
    // e.g. node --disallow-code-generation-from-strings
    return genericLabelBuilder(names);
  }
}

function genericLabelBuilder(names: readonly string[]): TLabelBuilder {
  return (values) => {
    const labels: TLabels = {};
    for (let k = 0; k < names.length; k++) {
      const name = names[k] as string;
      const value = values[k] as string;
      if (name === "__proto__") {
        Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
      } else {
        labels[name] = value;
      }
    }
    return labels;
  };
}

// ---- parser -----------------------------------------------------------------------------------------

class Fail {
  constructor(
    readonly message: string,
    readonly pos: number,
  ) {}
}

class PromTextParser {
  readonly samples: TSampleIn[] = [];
  readonly meta = new Map<string, TMetricMeta>();
  private readonly families = new Map<string, TFamilyState>();
  /** Series name → family; cleared whenever a `# TYPE` line could change the answer. */
  private readonly resolved = new Map<string, TResolved>();
  /** Raw `le`/`quantile` text → canonical text; bucket bounds repeat on every series. */
  private readonly floatLabelCache = new Map<string, string>();
  private lineNo = 0;
  private lineStart = 0;

  // Per-sample scratch state. Consecutive lines mostly repeat the previous line's metric name, label
  // names and many label values; reusing those strings lets Map lookups and shape checks hit cached
  // hashes and identical strings, and means fewer stored samples hold slices of the request body.
  private prevName = "";
  private prevResolvedName = "";
  private prevResolved: TResolved | undefined;
  private readonly labelNames: string[] = [];
  private readonly labelValues: string[] = [];
  private labelCount = 0;
  /** Whether the current line's label names differ from the previous line's at some index. */
  private shapeChanged = false;
  private prevCount = -1;
  private prevBuild: TLabelBuilder | undefined;
  private compiledBuilders = 0;
  /** Index of the current sample's `le` / `quantile` label and the position of its opening quote. */
  private leIndex = -1;
  private lePos = -1;
  private quantileIndex = -1;
  private quantilePos = -1;

  constructor(
    private readonly text: string,
    private readonly om: boolean,
  ) {}

  errorFor(f: Fail): TParseError {
    // Columns count code points so that a line with emoji or CJK text still points at the right glyph.
    let column = 1;
    const text = this.text;
    for (let i = this.lineStart; i < f.pos && i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < f.pos) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
      column++;
    }
    return { code: "parse_error", message: f.message, line: this.lineNo, column };
  }

  run(): void {
    const text = this.text;
    const len = text.length;
    let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    let sawEof = false;
    while (pos < len) {
      this.lineNo++;
      this.lineStart = pos;
      let nl = text.indexOf("\n", pos);
      if (nl === -1) nl = len;
      let end = nl;
      if (end > pos && text.charCodeAt(end - 1) === C_CR) end--;
      if (sawEof) throw new Fail('unexpected content after "# EOF": it must be the last line', pos);
      sawEof = this.parseLine(pos, end);
      pos = nl + 1;
    }
    if (this.om && !sawEof) {
      // Point just past the last line so the user sees that something is missing at the end.
      if (len > 0 && text.charCodeAt(len - 1) === C_NL) {
        this.lineNo++;
        this.lineStart = len;
      } else if (this.lineNo === 0) {
        this.lineNo = 1;
      }
      throw new Fail('missing "# EOF": OpenMetrics input must end with a "# EOF" line', len);
    }
  }

  /** Returns true when the line was the OpenMetrics `# EOF` marker. */
  private parseLine(start: number, end: number): boolean {
    const text = this.text;
    let i = start;
    if (!this.om) {
      while (i < end && isBlank(text.charCodeAt(i))) i++;
    }
    if (i === end) return false;
    if (text.charCodeAt(i) === C_HASH) return this.parseComment(i, end);
    this.parseSample(i, end);
    return false;
  }

  // ---- comments / metadata ----

  private parseComment(hashPos: number, end: number): boolean {
    const text = this.text;
    let i = hashPos + 1;
    if (i >= end || !isBlank(text.charCodeAt(i))) return false; // "#foo": an ordinary comment
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    const kwStart = i;
    while (i < end && !isBlank(text.charCodeAt(i))) i++;
    const kwLen = i - kwStart;
    if (kwLen === 3 && text.startsWith("EOF", kwStart)) {
      if (!this.om) return false;
      if (i !== end) throw new Fail('unexpected text after "# EOF"', i);
      return true;
    }
    if (kwLen !== 4) return false;
    let keyword: "HELP" | "TYPE" | "UNIT";
    if (text.startsWith("HELP", kwStart)) keyword = "HELP";
    else if (text.startsWith("TYPE", kwStart)) keyword = "TYPE";
    else if (this.om && text.startsWith("UNIT", kwStart)) keyword = "UNIT";
    else return false;

    while (i < end && isBlank(text.charCodeAt(i))) i++;
    const nameStart = i;
    if (i >= end || !hasClass(text.charCodeAt(i), CH_METRIC_START)) {
      throw new Fail(`expected a metric name after "# ${keyword}", found ${describeChar(text, i, end)}`, i);
    }
    i++;
    while (i < end && hasClass(text.charCodeAt(i), CH_METRIC)) i++;
    const name = text.slice(nameStart, i);
    if (i < end && !isBlank(text.charCodeAt(i))) {
      throw new Fail(
        `invalid character ${describeChar(text, i, end)} in metric name "${clip(name)}" after "# ${keyword}"`,
        i,
      );
    }
    while (i < end && isBlank(text.charCodeAt(i))) i++;

    if (keyword === "TYPE") this.parseTypeLine(name, i, end);
    else if (keyword === "HELP") this.parseHelpLine(name, nameStart, i, end);
    else this.parseUnitLine(name, nameStart, i, end);
    return false;
  }

  private parseTypeLine(name: string, i: number, end: number): void {
    const text = this.text;
    const wordStart = i;
    while (i < end && !isBlank(text.charCodeAt(i))) i++;
    const word = text.slice(wordStart, i);
    const types = this.om ? OM_TYPES : PROM_TYPES;
    const type = types.get(word);
    if (type === undefined) {
      const allowed = [...types.keys()].join(", ");
      const what = word === "" ? `missing type for "${clip(name)}"` : `unknown metric type "${clip(word)}"`;
      const hint = !this.om && OM_TYPES.has(word) ? " (that type only exists in OpenMetrics)" : "";
      throw new Fail(`${what}: expected one of ${allowed}${hint}`, wordStart);
    }
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i < end) throw new Fail(`unexpected text after the type of "${clip(name)}"`, i);

    let family = this.families.get(name);
    if (family === undefined) {
      family = this.newFamily(name);
    } else if (family.typeSet) {
      throw new Fail(`duplicate "# TYPE" line for "${clip(name)}"`, wordStart);
    } else if (family.hasSamples) {
      throw new Fail(`"# TYPE" for "${clip(name)}" must come before its samples`, wordStart);
    }
    family.meta.type = type;
    family.typeSet = true;
    if (this.resolved.size > 0) this.resolved.clear();
    this.prevResolved = undefined;
  }

  private parseHelpLine(name: string, nameStart: number, i: number, end: number): void {
    const family = this.families.get(name) ?? this.newFamily(name);
    if (family.helpSet) throw new Fail(`duplicate "# HELP" line for "${clip(name)}"`, nameStart);
    family.helpSet = true;
    family.meta.help = this.unescapeHelp(i, end);
  }

  private parseUnitLine(name: string, nameStart: number, i: number, end: number): void {
    const text = this.text;
    const family = this.families.get(name) ?? this.newFamily(name);
    if (family.unitSet) throw new Fail(`duplicate "# UNIT" line for "${clip(name)}"`, nameStart);
    let unitEnd = end;
    while (unitEnd > i && isBlank(text.charCodeAt(unitEnd - 1))) unitEnd--;
    for (let j = i; j < unitEnd; j++) {
      if (!hasClass(text.charCodeAt(j), CH_METRIC)) {
        throw new Fail(`invalid character ${describeChar(text, j, end)} in the unit of "${clip(name)}"`, j);
      }
    }
    family.unitSet = true;
    family.meta.unit = text.slice(i, unitEnd);
  }

  /** Help text escapes: `\\` and `\n` (and `\"` in OpenMetrics); unknown escapes stay as written. */
  private unescapeHelp(start: number, end: number): string {
    // Slice first: an indexOf on the whole input would rescan the rest of the document per HELP line.
    const raw = this.text.slice(start, end);
    let bs = raw.indexOf("\\");
    if (bs === -1) return raw;
    let out = "";
    let chunk = 0;
    while (bs !== -1 && bs < raw.length - 1) {
      const next = raw.charCodeAt(bs + 1);
      let rep: string | undefined;
      if (next === C_BACKSLASH) rep = "\\";
      else if (next === 110) rep = "\n";
      else if (next === C_QUOTE && this.om) rep = '"';
      if (rep !== undefined) {
        out += raw.slice(chunk, bs) + rep;
        chunk = bs + 2;
        bs = raw.indexOf("\\", chunk);
      } else {
        bs = raw.indexOf("\\", bs + 1);
      }
    }
    return out + raw.slice(chunk);
  }

  private newFamily(name: string): TFamilyState {
    const meta: TMetricMeta = { type: "untyped", help: "", unit: "" };
    const family: TFamilyState = { name, meta, typeSet: false, helpSet: false, unitSet: false, hasSamples: false };
    this.families.set(name, family);
    this.meta.set(name, meta);
    return family;
  }

  private resolve(name: string): TResolved {
    const exact = this.families.get(name);
    if (exact !== undefined) {
      return { family: exact, kind: exact.meta.type === "summary" ? KIND_QUANTILE : KIND_PLAIN };
    }
    for (const [suffix, owners] of SUFFIXES) {
      if (name.length <= suffix.length || !name.endsWith(suffix)) continue;
      const base = this.families.get(name.slice(0, name.length - suffix.length));
      if (base?.typeSet && owners.has(base.meta.type)) {
        let kind = KIND_PLAIN;
        if (suffix === "_bucket") kind = KIND_BUCKET;
        else if (suffix === "_created" && this.om) kind = KIND_CREATED;
        return { family: base, kind };
      }
      break; // the suffixes are mutually exclusive at the end of a name
    }
    return { family: this.newFamily(name), kind: KIND_PLAIN };
  }

  // ---- samples ----

  private parseSample(start: number, end: number): void {
    const text = this.text;
    let i = start;
    let c = text.charCodeAt(i);
    // Most lines repeat the previous line's metric name (histogram buckets, label variants).
    let name = this.prevName;
    const nameEnd = start + name.length;
    if (
      name.length > 0 &&
      nameEnd <= end &&
      (nameEnd === end || !hasClass(text.charCodeAt(nameEnd), CH_METRIC)) &&
      text.slice(start, nameEnd) === name
    ) {
      i = nameEnd;
    } else {
      if (!hasClass(c, CH_METRIC_START)) {
        throw new Fail(
          `unexpected character ${describeChar(text, i, end)}: expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or "#"`,
          i,
        );
      }
      i++;
      while (i < end && hasClass(text.charCodeAt(i), CH_METRIC)) i++;
      name = text.slice(start, i);
      this.prevName = name;
    }

    this.shapeChanged = false;
    this.labelCount = 0;
    this.leIndex = -1;
    this.quantileIndex = -1;
    let sawBlank = false;
    if (i < end) {
      c = text.charCodeAt(i);
      if (isBlank(c) && !this.om) {
        while (i < end && isBlank(text.charCodeAt(i))) i++;
        sawBlank = true;
        c = i < end ? text.charCodeAt(i) : -1;
      }
      if (c === C_LBRACE) {
        i = this.parseLabels(i, end, this.labelNames, this.labelValues, true);
        sawBlank = false;
      }
    }

    // value
    if (!sawBlank) {
      if (i >= end) throw new Fail(`expected a value after "${clip(name)}"`, i);
      c = text.charCodeAt(i);
      if (!isBlank(c)) {
        const after = text.charCodeAt(i - 1) === C_RBRACE ? "the label set" : `metric name "${clip(name)}"`;
        throw new Fail(
          `unexpected character ${describeChar(text, i, end)} after ${after}: expected a space and the value`,
          i,
        );
      }
      i++;
      while (i < end && isBlank(text.charCodeAt(i))) i++;
    }
    const valueStart = i;
    while (i < end && !isBlank(text.charCodeAt(i))) i++;
    if (valueStart === i) throw new Fail(`expected a value after "${clip(name)}"`, i);
    const value = parseFloatToken(text, valueStart, i);
    if (value === undefined) {
      throw new Fail(
        `invalid value "${clip(text.slice(valueStart, i))}": expected a number, +Inf, -Inf or NaN`,
        valueStart,
      );
    }

    // optional timestamp, then (OpenMetrics) optional exemplar
    let timestampMs: number | undefined;
    if (i < end) {
      while (i < end && isBlank(text.charCodeAt(i))) i++;
      if (i < end && text.charCodeAt(i) !== C_HASH) {
        const tsStart = i;
        while (i < end && !isBlank(text.charCodeAt(i))) i++;
        timestampMs = this.parseTimestamp(tsStart, i);
        while (i < end && isBlank(text.charCodeAt(i))) i++;
      }
      if (i < end) {
        if (text.charCodeAt(i) !== C_HASH) throw new Fail("unexpected text after the timestamp", i);
        if (!this.om) {
          throw new Fail(
            'unexpected "#" after the sample: exemplars are only allowed in OpenMetrics (Content-Type application/openmetrics-text)',
            i,
          );
        }
        this.parseExemplar(i, end);
      }
    }

    let res = this.prevResolved;
    if (res === undefined || name !== this.prevResolvedName) {
      res = this.resolved.get(name);
      if (res === undefined) {
        res = this.resolve(name);
        this.resolved.set(name, res);
      }
      this.prevResolved = res;
      this.prevResolvedName = name;
    }
    const family = res.family;
    family.hasSamples = true;
    if (res.kind === KIND_CREATED) {
      // This line changed labelNames without building, so the cached builder no longer matches them.
      this.prevBuild = undefined;
      return;
    }
    const values = this.labelValues;
    if (res.kind === KIND_BUCKET && this.leIndex >= 0) {
      values[this.leIndex] = this.normaliseFloatLabel("le", values[this.leIndex] as string, this.lePos);
    } else if (res.kind === KIND_QUANTILE && this.quantileIndex >= 0) {
      values[this.quantileIndex] = this.normaliseFloatLabel(
        "quantile",
        values[this.quantileIndex] as string,
        this.quantilePos,
      );
    }
    const count = this.labelCount;
    let build = this.prevBuild;
    if (build === undefined || this.shapeChanged || count !== this.prevCount) {
      build = this.builderFor(count);
      this.prevBuild = build;
      this.prevCount = count;
    }
    this.samples.push({ name, labels: build(values), value, timestampMs, family: family.name });
  }

  private builderFor(count: number): TLabelBuilder {
    const names = this.labelNames.slice(0, count);
    const key = names.join(",");
    let build = LABEL_BUILDERS.get(key);
    if (build === undefined) {
      if (this.compiledBuilders < MAX_COMPILES_PER_PARSE) {
        this.compiledBuilders++;
        build = compileLabelBuilder(names);
        if (LABEL_BUILDERS.size >= MAX_CACHED_BUILDERS) LABEL_BUILDERS.clear();
        LABEL_BUILDERS.set(key, build);
      } else {
        build = genericLabelBuilder(names);
      }
    }
    return build;
  }

  private normaliseFloatLabel(label: string, raw: string, pos: number): string {
    const cached = this.floatLabelCache.get(raw);
    if (cached !== undefined) return cached;
    const n = parseFloatToken(raw, 0, raw.length);
    if (n === undefined) {
      throw new Fail(`invalid "${label}" value "${clip(raw)}": expected a number, +Inf, -Inf or NaN`, pos + 1);
    }
    const canonical = formatPromFloat(n);
    this.floatLabelCache.set(raw, canonical);
    return canonical;
  }

  private parseTimestamp(start: number, end: number): number {
    const text = this.text;
    const raw = () => text.slice(start, end);
    if (this.om) {
      // OpenMetrics timestamps are seconds as a float.
      const seconds = parseFloatToken(text, start, end);
      if (seconds === undefined || !Number.isFinite(seconds)) {
        throw new Fail(`invalid timestamp "${clip(raw())}": expected Unix time in seconds, e.g. 1700000000.123`, start);
      }
      const ms = Math.round(seconds * 1000);
      if (!Number.isSafeInteger(ms)) throw new Fail(`timestamp "${clip(raw())}" is out of range`, start);
      return ms === 0 ? 0 : ms; // avoid -0
    }
    let i = start;
    let c = text.charCodeAt(i);
    if (c === C_MINUS || c === C_PLUS) i++;
    if (i === end) throw new Fail(`invalid timestamp "${clip(raw())}": expected integer milliseconds`, start);
    for (; i < end; i++) {
      c = text.charCodeAt(i);
      if (!isDigit(c)) {
        throw new Fail(`invalid timestamp "${clip(raw())}": expected integer milliseconds since the Unix epoch`, start);
      }
    }
    const ms = Number(raw());
    if (!Number.isSafeInteger(ms)) throw new Fail(`timestamp "${clip(raw())}" is out of range`, start);
    return ms === 0 ? 0 : ms; // avoid -0
  }

  /** ` # {labels} value [timestamp]`: validated so typos are caught, then dropped. */
  private parseExemplar(hashPos: number, end: number): void {
    const text = this.text;
    let i = hashPos + 1;
    if (i >= end || !isBlank(text.charCodeAt(i))) {
      throw new Fail(`expected " {" after "#" to start an exemplar, found ${describeChar(text, i, end)}`, i);
    }
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i >= end || text.charCodeAt(i) !== C_LBRACE) {
      throw new Fail(`expected "{" to start the exemplar's labels, found ${describeChar(text, i, end)}`, i);
    }
    i = this.parseLabels(i, end, [], [], false);
    if (i >= end || !isBlank(text.charCodeAt(i))) {
      throw new Fail(`expected a space and the exemplar value, found ${describeChar(text, i, end)}`, i);
    }
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    const valueStart = i;
    while (i < end && !isBlank(text.charCodeAt(i))) i++;
    if (parseFloatToken(text, valueStart, i) === undefined) {
      throw new Fail(
        `invalid exemplar value "${clip(text.slice(valueStart, i))}": expected a number, +Inf, -Inf or NaN`,
        valueStart,
      );
    }
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i < end) {
      const tsStart = i;
      while (i < end && !isBlank(text.charCodeAt(i))) i++;
      this.parseTimestamp(tsStart, i);
      while (i < end && isBlank(text.charCodeAt(i))) i++;
      if (i < end) throw new Fail("unexpected text after the exemplar", i);
    }
  }

  /**
   * Parses `{name="value",...}` starting at the "{" into `names`/`values` and returns the position
   * after "}". The arrays still hold the previous line's labels, which are reused when they match.
   * `forSample` (false for exemplars) also maintains `labelCount`, `shapeChanged` and the
   * `le`/`quantile` bookkeeping, and rejects `__name__`.
   */
  private parseLabels(open: number, end: number, names: string[], values: string[], forSample: boolean): number {
    const text = this.text;
    let i = open + 1;
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i < end && text.charCodeAt(i) === C_RBRACE) {
      if (forSample) this.labelCount = 0;
      return i + 1;
    }
    for (let index = 0; ; index++) {
      const nameStart = i;
      let name = names[index];
      const eqPos = name === undefined ? -1 : nameStart + name.length;
      if (
        name !== undefined &&
        eqPos < end &&
        text.charCodeAt(eqPos) === C_EQ &&
        text.slice(nameStart, eqPos) === name
      ) {
        i = eqPos;
      } else {
        const c = i < end ? text.charCodeAt(i) : -1;
        if (!hasClass(c, CH_LABEL_START)) {
          if (c === C_QUOTE) throw new Fail("quoted label names are not supported; use [a-zA-Z_][a-zA-Z0-9_]*", i);
          if (i >= end) throw new Fail('unterminated label set: expected a label name or "}"', i);
          throw new Fail(`unexpected character ${describeChar(text, i, end)}: expected a label name or "}"`, i);
        }
        i++;
        while (i < end && hasClass(text.charCodeAt(i), CH_LABEL)) i++;
        const scanned = text.slice(nameStart, i);
        if (scanned !== name) {
          name = scanned;
          names[index] = name;
          if (forSample) this.shapeChanged = true;
        }
        while (i < end && isBlank(text.charCodeAt(i))) i++;
        if (i >= end || text.charCodeAt(i) !== C_EQ) {
          throw new Fail(`expected "=" after label name "${clip(name)}", found ${describeChar(text, i, end)}`, i);
        }
      }
      const labelName = name as string;
      i++; // "="
      while (i < end && isBlank(text.charCodeAt(i))) i++;
      if (i >= end || text.charCodeAt(i) !== C_QUOTE) {
        throw new Fail(
          `expected '"' to start the value of label "${clip(labelName)}", found ${describeChar(text, i, end)}`,
          i,
        );
      }
      const quotePos = i;
      const valueStart = i + 1;
      // indexOf may run past this line only when the line is broken, which ends the parse anyway.
      const close = text.indexOf('"', valueStart);
      if (close === -1 || close >= end) {
        throw new Fail(`unterminated label value for "${clip(labelName)}": missing closing '"'`, quotePos);
      }
      let value = text.slice(valueStart, close);
      const backslash = value.indexOf("\\");
      if (backslash === -1) {
        i = close;
        const prevValue = values[index];
        if (value === prevValue) value = prevValue;
      } else {
        const r = this.unescapeLabelValue(valueStart, valueStart + backslash, end);
        if (r.close >= end) {
          throw new Fail(`unterminated label value for "${clip(labelName)}": missing closing '"'`, quotePos);
        }
        value = r.value;
        i = r.close;
      }
      values[index] = value;
      i++; // closing quote
      if (forSample) {
        if (labelName === "__name__") {
          throw new Fail('label "__name__" is not allowed inside braces: write the metric name before "{"', nameStart);
        }
        if (labelName === "le") {
          this.leIndex = index;
          this.lePos = quotePos;
        } else if (labelName === "quantile") {
          this.quantileIndex = index;
          this.quantilePos = quotePos;
        }
      }
      for (let j = 0; j < index; j++) {
        if (names[j] === labelName) throw new Fail(`duplicate label "${clip(labelName)}"`, nameStart);
      }
      while (i < end && isBlank(text.charCodeAt(i))) i++;
      const c = i < end ? text.charCodeAt(i) : -1;
      if (c === C_COMMA) {
        i++;
        while (i < end && isBlank(text.charCodeAt(i))) i++;
        if (i < end && text.charCodeAt(i) === C_RBRACE) {
          if (forSample) this.labelCount = index + 1;
          return i + 1;
        }
        continue;
      }
      if (c === C_RBRACE) {
        if (forSample) this.labelCount = index + 1;
        return i + 1;
      }
      throw new Fail(
        `expected "," or "}" after the value of label "${clip(labelName)}", found ${describeChar(text, i, end)}`,
        i,
      );
    }
  }

  /**
   * Slow path for label values containing backslashes. `\\`, `\"`, `\n` are decoded; any other
   * escape is kept as written, as the Prometheus server does. Returns the closing quote position,
   * or `end` when the value is unterminated.
   */
  private unescapeLabelValue(
    valueStart: number,
    firstBackslash: number,
    end: number,
  ): { value: string; close: number } {
    const text = this.text;
    let out = text.slice(valueStart, firstBackslash);
    let chunk = firstBackslash;
    let i = firstBackslash;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === C_QUOTE) return { value: out + text.slice(chunk, i), close: i };
      if (c === C_BACKSLASH) {
        if (i + 1 >= end) break;
        const next = text.charCodeAt(i + 1);
        let rep: string | undefined;
        if (next === C_BACKSLASH) rep = "\\";
        else if (next === C_QUOTE) rep = '"';
        else if (next === 110) rep = "\n";
        if (rep !== undefined) {
          out += text.slice(chunk, i) + rep;
          chunk = i + 2;
        }
        i += 2;
        continue;
      }
      i++;
    }
    return { value: out, close: end };
  }
}
