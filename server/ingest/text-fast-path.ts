// The scrape-cache trick Prometheus uses, applied to pushes: an agent pushes the same series text
// every time, so the raw `name{labels}` bytes of a line identify its series. On a hit, a line costs a
// slice, a map lookup and a number parse: no label parsing, no canonical key, no hash. Anything
// unusual (a new series, a comment that matters, a value the simple scan is unsure of) falls back to
// the full parser for the whole request, which also decides errors, so both paths accept the same
// input and answer the same way.

export type TFastResult = { ids: Int32Array; values: Float64Array; ts: Float64Array; hasTs: Uint8Array };

const CR = 13;
const SPACE = 32;
const TAB = 9;
const HASH = 35;
const LBRACE = 123;
const RBRACE = 125;
const QUOTE = 34;
const BACKSLASH = 92;

type TTemplate = { raws: string[]; ids: number[] };

type TContext = {
  byRaw: Map<string, number>;
  /**
   * The series lines of the last request that began with a given series, in order: an agent's next
   * push is usually laid out alike, so its lines are checked by byte comparison against these.
   */
  templates: Map<string, TTemplate>;
};

const NO_TEMPLATE: TTemplate = { raws: [], ids: [] };

export class RawSeriesCache {
  // Per extra-label context (query-string job/instance, a grouping key): raw series text → id.
  private readonly contexts = new Map<string, TContext>();
  private entries = 0;

  constructor(private readonly maxEntries: number) {}

  /** Resolves every sample line from the cache, or returns undefined when any line needs the parser. */
  tryResolve(text: string, context: string): TFastResult | undefined {
    const ctx = this.contexts.get(context);
    if (!ctx) return undefined;
    const { byRaw } = ctx;
    const first = firstSeries(text);
    if (first === undefined) return undefined;
    const { raws: template, ids: templateIds } = ctx.templates.get(first) ?? NO_TEMPLATE;
    let templateMisses = 0;
    let n = 0;
    // Over-allocate by line count; trimmed below.
    let lines = 1;
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
    const ids = new Int32Array(lines);
    const values = new Float64Array(lines);
    const ts = new Float64Array(lines);
    const hasTs = new Uint8Array(lines);
    const len = text.length;
    let pos = 0;
    while (pos < len) {
      let end = text.indexOf("\n", pos);
      if (end === -1) end = len;
      let lineEnd = end;
      if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === CR) lineEnd--;
      const c0 = text.charCodeAt(pos);
      if (lineEnd === pos || c0 === HASH) {
        // Comments: # TYPE/HELP only matter for new series, which the full parser handles.
        pos = end + 1;
        continue;
      }
      if (c0 === SPACE || c0 === TAB) return undefined;
      // Same line as last time? A compare of bytes, no slicing or hashing.
      const expected = template[n];
      let seriesEnd: number;
      let id: number | undefined;
      if (
        expected !== undefined &&
        text.startsWith(expected, pos) &&
        text.charCodeAt(pos + expected.length) === SPACE
      ) {
        seriesEnd = pos + expected.length;
        id = templateIds[n] as number;
      } else {
        seriesEnd = scanSeriesEnd(text, pos, lineEnd);
        if (seriesEnd < 0) return undefined;
        id = byRaw.get(text.slice(pos, seriesEnd));
        if (id === undefined) return undefined;
        templateMisses++;
      }
      // value [timestamp]
      const vStart = seriesEnd + 1;
      let vEnd = text.indexOf(" ", vStart);
      if (vEnd === -1 || vEnd > lineEnd) vEnd = lineEnd;
      const value = parseValue(text, vStart, vEnd);
      if (value === undefined) return undefined;
      ids[n] = id;
      values[n] = value;
      if (vEnd < lineEnd) {
        const t = parseTimestamp(text, vEnd + 1, lineEnd);
        if (t === undefined) return undefined;
        ts[n] = t;
        hasTs[n] = 1;
      }
      n++;
      pos = end + 1;
    }
    const result = {
      ids: ids.subarray(0, n),
      values: values.subarray(0, n),
      ts: ts.subarray(0, n),
      hasTs: hasTs.subarray(0, n),
    };
    if (templateMisses > 0 || template.length !== n) this.retemplate(ctx, first, text);
    return result;
  }

  private retemplate(ctx: TContext, first: string, text: string): void {
    const raws = seriesLines(text);
    if (!raws) return;
    const ids: number[] = [];
    for (const raw of raws) {
      const id = ctx.byRaw.get(raw);
      if (id === undefined) return;
      ids.push(id);
    }
    this.setTemplate(ctx, first, { raws, ids });
  }

  private setTemplate(ctx: TContext, first: string, template: TTemplate): void {
    if (!ctx.templates.has(first) && ctx.templates.size >= 10_000) ctx.templates.clear();
    ctx.templates.set(first, template);
  }

  /**
   * After the full parser accepted `text` and its samples got `ids` (one per sample, in order),
   * remembers each sample line's raw series text. Skipped when lines and samples do not pair up
   * one to one (OpenMetrics `_created` lines, exemplars, odd spacing): those requests simply keep
   * taking the full path.
   */
  learn(text: string, context: string, ids: Int32Array, names: string[]): void {
    const raws = seriesLines(text);
    if (!raws || raws.length !== ids.length) return;
    let ctx = this.contexts.get(context);
    if (!ctx) {
      ctx = { byRaw: new Map(), templates: new Map() };
      this.contexts.set(context, ctx);
    }
    for (let i = 0; i < raws.length; i++) {
      const raw = raws[i] as string;
      const name = names[i] as string;
      // The raw text must start with the parsed name, or the pairing is off: learn nothing more.
      if (!raw.startsWith(name) || (raw.length > name.length && raw.charCodeAt(name.length) !== LBRACE)) return;
      if (!ctx.byRaw.has(raw)) {
        if (this.entries >= this.maxEntries) {
          this.reset();
          return;
        }
        ctx.byRaw.set(raw, ids[i] as number);
        this.entries++;
      }
    }
    if (raws.length > 0) this.setTemplate(ctx, raws[0] as string, { raws, ids: Array.from(ids) });
  }

  private reset(): void {
    // A bound, not an LRU: past it, start over and relearn from the next pushes.
    this.contexts.clear();
    this.entries = 0;
  }
}

/** The raw series text of the first sample line. */
function firstSeries(text: string): string | undefined {
  const len = text.length;
  let pos = 0;
  while (pos < len) {
    let end = text.indexOf("\n", pos);
    if (end === -1) end = len;
    let lineEnd = end;
    if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === CR) lineEnd--;
    const c0 = text.charCodeAt(pos);
    if (lineEnd > pos && c0 !== HASH) {
      const seriesEnd = scanSeriesEnd(text, pos, lineEnd);
      return seriesEnd < 0 ? undefined : text.slice(pos, seriesEnd);
    }
    pos = end + 1;
  }
  return undefined;
}

/** The raw series text of every sample line, in order; undefined if a line is not simple. */
function seriesLines(text: string): string[] | undefined {
  const raws: string[] = [];
  const len = text.length;
  let pos = 0;
  while (pos < len) {
    let end = text.indexOf("\n", pos);
    if (end === -1) end = len;
    let lineEnd = end;
    if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === CR) lineEnd--;
    const first = text.charCodeAt(pos);
    if (lineEnd > pos && first !== HASH) {
      if (first === SPACE || first === TAB) return undefined;
      const seriesEnd = scanSeriesEnd(text, pos, lineEnd);
      if (seriesEnd < 0) return undefined;
      raws.push(text.slice(pos, seriesEnd));
    }
    pos = end + 1;
  }
  return raws;
}

/** Index just past `name` or `name{...}`, where a single space must follow; -1 if unsure. */
function scanSeriesEnd(text: string, pos: number, lineEnd: number): number {
  let i = pos;
  while (i < lineEnd) {
    const c = text.charCodeAt(i);
    if (c === SPACE) return i;
    if (c === TAB) return -1;
    if (c === LBRACE) break;
    i++;
  }
  if (i >= lineEnd) return -1;
  // Inside braces: skip quoted values with escapes.
  i++;
  while (i < lineEnd) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i++;
      while (i < lineEnd) {
        const q = text.charCodeAt(i);
        if (q === BACKSLASH) i += 2;
        else if (q === QUOTE) break;
        else i++;
      }
      if (i >= lineEnd) return -1;
    } else if (c === RBRACE) {
      return i + 1 < lineEnd && text.charCodeAt(i + 1) === SPACE ? i + 1 : -1;
    }
    i++;
  }
  return -1;
}

function parseValue(text: string, start: number, end: number): number | undefined {
  if (end <= start) return undefined;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    // Digits, sign, dot, exponent: anything else (Inf, NaN, hex, junk) goes to the full parser.
    if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 101 || c === 69)) return undefined;
  }
  const v = Number(text.slice(start, end));
  return Number.isNaN(v) ? undefined : v;
}

function parseTimestamp(text: string, start: number, end: number): number | undefined {
  if (end <= start || end - start > 16) return undefined;
  let v = 0;
  let i = start;
  const neg = text.charCodeAt(i) === 45;
  if (neg) i++;
  if (i >= end) return undefined;
  for (; i < end; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}
