// PromQL parser: a lexer modelled on Prometheus's promql/parser/lex.go (same tokens, same lexer
// errors) and a precedence-climbing parser for the grammar of generated_parser.y, followed by the
// type checks of Prometheus's checkAST. Errors read like Prometheus's: `1:14: parse error: ...`.
import type { TMatcher } from "../selector";
import {
  AGGREGATORS,
  DOCUMENTED_TYPE,
  isComparison,
  isSetOp,
  type TAggregateOp,
  type TBinaryOp,
  type TExpr,
  type TPosRange,
  type TValueType,
  type TVectorMatching,
  type TVectorSelector,
} from "./ast";
import { FUNCTIONS } from "./functions";

export type TParseErrorPosition = { offset: number; line: number; column: number };
export type TParseError = { code: "bad_data"; message: string; position: TParseErrorPosition };
export type TParseResult = { ok: true; expr: TExpr } | { ok: false; error: TParseError };

// ---------------------------------------------------------------------------------------------
// Lexer

type TTokType =
  | "EOF"
  | "ERROR"
  | "IDENT"
  | "METRIC_IDENT"
  | "NUMBER"
  | "DURATION"
  | "STRING"
  | "KEYWORD"
  | "AGGR"
  | "OP"
  | "PUNCT";

type TToken = { type: TTokType; text: string; pos: number; end: number; value?: string };

const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "start",
  "end",
]);
const SET_OPS = new Set(["and", "or", "unless", "atan2"]);
/** Keywords Prometheus's grammar also accepts as metric names (its metric_identifier rule). */
const NAME_KEYWORDS = new Set(["and", "or", "unless", "offset", "by", "without", "start", "end"]);
const AGGR_SET = new Set<string>(AGGREGATORS);

const isAlpha = (c: string) => c === "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const isDigit = (c: string) => c >= "0" && c <= "9";
const isAlphaNumeric = (c: string) => isAlpha(c) || isDigit(c);
const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r";

/** Go's %q for a rune, as the lexer's messages print characters. */
function quoteRune(c: string): string {
  if (c === "'") return "'\\''";
  if (c === "\\") return "'\\\\'";
  if (c === "\n") return "'\\n'";
  if (c === "\t") return "'\\t'";
  return `'${c}'`;
}

function lex(input: string): TToken[] {
  const out: TToken[] = [];
  let i = 0;
  let parenDepth = 0;
  let bracketOpen = false;
  const emit = (type: TTokType, start: number, text = input.slice(start, i), value?: string) =>
    out.push({ type, text, pos: start, end: i, value });
  const error = (pos: number, message: string) => {
    out.push({ type: "ERROR", text: message, pos, end: pos });
  };

  const lexString = (start: number, quote: string): boolean => {
    // i is past the opening quote.
    let value = "";
    for (;;) {
      if (i >= input.length) {
        error(start, "unterminated quoted string");
        return false;
      }
      const c = input[i] as string;
      if (quote !== "`" && (c === "\n" || c === "\r")) {
        error(start, "unterminated quoted string");
        return false;
      }
      i++;
      if (c === quote) break;
      if (c === "\\" && quote !== "`") {
        const esc = unescapeAt(input, i, quote);
        if (!esc.ok) {
          error(i - 1, esc.message);
          return false;
        }
        value += esc.value;
        i = esc.next;
        continue;
      }
      value += c;
    }
    emit("STRING", start, input.slice(start, i), value);
    return true;
  };

  for (;;) {
    if (i >= input.length) {
      if (parenDepth !== 0) error(input.length, "unclosed left parenthesis");
      else if (bracketOpen) error(input.length, "unclosed left bracket");
      else out.push({ type: "EOF", text: "", pos: input.length, end: input.length });
      return out;
    }
    const start = i;
    const c = input[i] as string;
    i++;
    if (isSpace(c)) continue;
    if (c === "#") {
      while (i < input.length && input[i] !== "\n" && input[i] !== "\r") i++;
      continue;
    }
    if (c === ",") emit("PUNCT", start);
    else if (c === "*" || c === "/" || c === "%" || c === "+" || c === "-" || c === "^") emit("OP", start);
    else if (c === "=") {
      if (input[i] === "=") {
        i++;
        emit("OP", start);
      } else if (input[i] === "~") {
        error(start, `unexpected character after '=': ${quoteRune("~")}`);
        return out;
      } else emit("PUNCT", start);
    } else if (c === "!") {
      if (input[i] === "=") {
        i++;
        emit("OP", start);
      } else {
        error(start, `unexpected character after '!': ${quoteRune(input[i] ?? "")}`);
        return out;
      }
    } else if (c === "<" || c === ">") {
      if (input[i] === "=") i++;
      emit("OP", start);
    } else if (isDigit(c) || (c === "." && isDigit(input[i] ?? ""))) {
      i = start;
      const kind = scanNumberOrDuration();
      if (kind === undefined) {
        error(start, `bad ${bracketOpen ? "duration" : "number or duration"} syntax: "${input.slice(start, i)}"`);
        return out;
      }
      emit(kind, start);
    } else if (c === '"' || c === "'" || c === "`") {
      if (!lexString(start, c)) return out;
    } else if (isAlpha(c) || c === ":") {
      if (bracketOpen && c === ":") {
        emit("PUNCT", start);
        continue;
      }
      while (i < input.length && (isAlphaNumeric(input[i] as string) || input[i] === ":")) i++;
      const word = input.slice(start, i);
      const lower = word.toLowerCase();
      if (lower === "inf" || lower === "nan") emit("NUMBER", start);
      else if (SET_OPS.has(lower)) emit("OP", start, word, lower);
      else if (AGGR_SET.has(lower)) emit("AGGR", start, word, lower);
      else if (KEYWORDS.has(lower)) emit("KEYWORD", start, word, lower);
      else emit(word.includes(":") ? "METRIC_IDENT" : "IDENT", start);
    } else if (c === "(") {
      parenDepth++;
      emit("PUNCT", start);
    } else if (c === ")") {
      if (parenDepth === 0) {
        error(i, `unexpected right parenthesis ${quoteRune(")")}`);
        return out;
      }
      parenDepth--;
      emit("PUNCT", start);
    } else if (c === "{") {
      emit("PUNCT", start);
      if (!lexInsideBraces()) return out;
    } else if (c === "}") {
      error(start, `unexpected character: ${quoteRune("}")}`);
      return out;
    } else if (c === "[") {
      if (bracketOpen) {
        error(start, `unexpected left bracket ${quoteRune("[")}`);
        return out;
      }
      bracketOpen = true;
      emit("PUNCT", start);
    } else if (c === "]") {
      if (!bracketOpen) {
        error(start, `unexpected right bracket ${quoteRune("]")}`);
        return out;
      }
      bracketOpen = false;
      emit("PUNCT", start);
    } else if (c === "@") emit("PUNCT", start);
    else {
      error(start, `unexpected character: ${quoteRune(c)}`);
      return out;
    }
  }

  function scanNumberOrDuration(): "NUMBER" | "DURATION" | undefined {
    let digits = "0123456789";
    const accept = (set: string) => {
      if (i < input.length && set.includes(input[i] as string)) {
        i++;
        return true;
      }
      return false;
    };
    const acceptRun = (set: string) => {
      while (accept(set)) {
        // absorb
      }
    };
    const startI = i;
    if (accept("0") && accept("xX")) digits = "0123456789abcdefABCDEF";
    else i = startI;
    acceptRun(digits);
    if (accept(".")) acceptRun(digits);
    if (accept("eE")) {
      accept("+-");
      acceptRun("0123456789");
    }
    if (!isAlphaNumeric(input[i] ?? "")) return "NUMBER";
    // A duration: unit, optional "s" (for ms), then more number+unit pairs.
    if (!accept("smhdwy")) return undefined;
    accept("s");
    while (accept("0123456789")) {
      acceptRun("0123456789");
      if (!accept("smhdw")) return undefined;
      accept("s");
    }
    if (isAlphaNumeric(input[i] ?? "")) {
      i++;
      return undefined;
    }
    return "DURATION";
  }

  function lexInsideBraces(): boolean {
    for (;;) {
      if (i >= input.length) {
        error(input.length, "unexpected end of input inside braces");
        return false;
      }
      const start = i;
      const c = input[i] as string;
      i++;
      if (isSpace(c)) continue;
      if (isAlpha(c)) {
        while (i < input.length && isAlphaNumeric(input[i] as string)) i++;
        emit("IDENT", start);
      } else if (c === ",") emit("PUNCT", start);
      else if (c === '"' || c === "'" || c === "`") {
        if (!lexString(start, c)) return false;
      } else if (c === "=") {
        if (input[i] === "~") i++;
        emit(i - start === 2 ? "OP" : "PUNCT", start);
      } else if (c === "!") {
        const n = input[i] ?? "";
        if (n === "~" || n === "=") {
          i++;
          emit("OP", start);
        } else {
          error(start, `unexpected character after '!' inside braces: ${quoteRune(n)}`);
          return false;
        }
      } else if (c === "{") {
        error(start, `unexpected left brace ${quoteRune(c)}`);
        return false;
      } else if (c === "}") {
        emit("PUNCT", start);
        return true;
      } else {
        error(start, `unexpected character inside braces: ${quoteRune(c)}`);
        return false;
      }
    }
  }
}

/** Go string-literal escapes (strconv.Unquote). `at` is just past the backslash. */
function unescapeAt(
  s: string,
  at: number,
  quote: string,
): { ok: true; value: string; next: number } | { ok: false; message: string } {
  const c = s[at];
  const simple: Record<string, string> = {
    a: "\x07",
    b: "\b",
    f: "\f",
    n: "\n",
    r: "\r",
    t: "\t",
    v: "\v",
    "\\": "\\",
  };
  if (c === undefined) return { ok: false, message: "unterminated quoted string" };
  if (c in simple) return { ok: true, value: simple[c] as string, next: at + 1 };
  if (c === quote) return { ok: true, value: c, next: at + 1 };
  const hex = (len: number) => {
    const h = s.slice(at + 1, at + 1 + len);
    if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) return undefined;
    return Number.parseInt(h, 16);
  };
  if (c === "x") {
    const v = hex(2);
    if (v !== undefined) return { ok: true, value: String.fromCharCode(v), next: at + 3 };
  } else if (c === "u" || c === "U") {
    const len = c === "u" ? 4 : 8;
    const v = hex(len);
    if (v !== undefined && v <= 0x10ffff) return { ok: true, value: String.fromCodePoint(v), next: at + 1 + len };
  } else if (c >= "0" && c <= "7") {
    const o = s.slice(at, at + 3);
    if (/^[0-7]{3}$/.test(o) && Number.parseInt(o, 8) <= 255) {
      return { ok: true, value: String.fromCharCode(Number.parseInt(o, 8)), next: at + 3 };
    }
  }
  return { ok: false, message: "invalid syntax in quoted string" };
}

// ---------------------------------------------------------------------------------------------
// Durations

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** Prometheus's model.ParseDuration: `1h30m`, `5m`, `250ms`, `0`; milliseconds, or an error text. */
export function parsePromDuration(s: string): { ok: true; ms: number } | { ok: false; message: string } {
  if (s === "0") return { ok: true, ms: 0 };
  if (s === "") return { ok: false, message: "empty duration string" };
  const m = DURATION_RE.exec(s);
  if (!m) return { ok: false, message: `not a valid duration string: "${s}"` };
  let ms = 0;
  for (let k = 0; k < UNIT_MS.length; k++) {
    const g = m[k + 1];
    if (g !== undefined) ms += Number(g) * (UNIT_MS[k] as number);
  }
  if (!Number.isSafeInteger(ms)) return { ok: false, message: `duration out of range: "${s}"` };
  return { ok: true, ms };
}

/** Go's strconv number parsing as Prometheus's parser uses it: ParseInt(base 0), else ParseFloat. */
function parseNumber(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === "inf") return Number.POSITIVE_INFINITY;
  if (lower === "nan") return Number.NaN;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^0[0-7]+$/.test(text)) return Number.parseInt(text.slice(1), 8);
  if (/^0[xX]/.test(text)) return undefined;
  const v = Number(text);
  if (Number.isNaN(v)) return undefined;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Parser

class ParseFailure extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const PRECEDENCE: Record<string, number> = {
  or: 1,
  and: 2,
  unless: 2,
  "==": 3,
  "!=": 3,
  "<=": 3,
  "<": 3,
  ">=": 3,
  ">": 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
  "%": 5,
  "^": 6,
  atan2: 5,
};
/** Unary minus binds like `*`: `-a ^ b` is `-(a ^ b)`, `-a * b` is `(-a) * b`. */
const UNARY_OPERAND_PREC = 6;

/** How Prometheus's Item.desc() names a token in "unexpected ..." messages. */
function describeToken(t: TToken): string {
  switch (t.type) {
    case "EOF":
      return "end of input";
    case "IDENT":
      return `identifier "${t.text}"`;
    case "METRIC_IDENT":
      return `metric identifier "${t.text}"`;
    case "NUMBER":
      return `number "${t.text}"`;
    case "DURATION":
      return `duration "${t.text}"`;
    case "STRING":
      return `string ${t.text.length > 10 ? `${JSON.stringify(t.text).slice(0, 11)}..."` : JSON.stringify(t.text)}`;
    case "KEYWORD":
      return `<${t.value}>`;
    case "AGGR":
      return `<aggr:${t.value}>`;
    case "OP":
      return t.text === "=~" || t.text === "!~" || t.text === "!=" ? `"${t.text}"` : `<op:${t.value ?? t.text}>`;
    default:
      return `"${t.text}"`;
  }
}

class Parser {
  private i = 0;

  constructor(
    private readonly input: string,
    private readonly toks: TToken[],
  ) {}

  private peek(k = 0): TToken {
    return (this.toks[Math.min(this.i + k, this.toks.length - 1)] as TToken) ?? this.eof();
  }

  private eof(): TToken {
    return { type: "EOF", text: "", pos: this.input.length, end: this.input.length };
  }

  private next(): TToken {
    const t = this.peek();
    if (t.type === "ERROR") throw new ParseFailure(t.text, t.pos);
    if (this.i < this.toks.length) this.i++;
    return t;
  }

  private unexpected(t: TToken, context?: string, expected?: string): never {
    if (t.type === "ERROR") throw new ParseFailure(t.text, t.pos);
    let msg = `unexpected ${describeToken(t)}`;
    if (context) msg += ` in ${context}`;
    if (expected) msg += `, expected ${expected}`;
    throw new ParseFailure(msg, t.pos);
  }

  private is(t: TToken, type: TTokType, text?: string): boolean {
    return t.type === type && (text === undefined || t.text === text || t.value === text);
  }

  private expectPunct(text: string, context?: string, expected?: string): TToken {
    const t = this.peek();
    if (!this.is(t, "PUNCT", text)) this.unexpected(t, context, expected ?? `"${text}"`);
    return this.next();
  }

  parseTop(): TExpr {
    if (this.peek().type === "EOF") throw new ParseFailure("no expression found in input", 0);
    const e = this.parseExpr(0);
    const t = this.peek();
    if (t.type !== "EOF") this.unexpected(t);
    return e;
  }

  private binaryOpOf(t: TToken): TBinaryOp | undefined {
    if (t.type !== "OP") return undefined;
    const op = (t.value ?? t.text) as TBinaryOp;
    return PRECEDENCE[op] === undefined ? undefined : op;
  }

  private parseExpr(minPrec: number): TExpr {
    let lhs = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const op = this.binaryOpOf(t);
      if (!op) break;
      const prec = PRECEDENCE[op] as number;
      if (prec < minPrec) break;
      this.next();
      const { returnBool, matching } = this.parseBinModifiers(op);
      const rhs = this.parseExpr(op === "^" ? prec : prec + 1);
      lhs = {
        kind: "binary",
        op,
        lhs,
        rhs,
        returnBool,
        matching,
        opPos: t.pos,
        pos: { start: lhs.pos.start, end: rhs.pos.end },
      };
    }
    return lhs;
  }

  private parseBinModifiers(op: TBinaryOp): { returnBool: boolean; matching: TVectorMatching } {
    let returnBool = false;
    const matching: TVectorMatching = {
      card: isSetOp(op) ? "many-to-many" : "one-to-one",
      on: false,
      labels: [],
      include: [],
    };
    if (this.is(this.peek(), "KEYWORD", "bool")) {
      this.next();
      returnBool = true;
    }
    const t = this.peek();
    if (this.is(t, "KEYWORD", "on") || this.is(t, "KEYWORD", "ignoring")) {
      this.next();
      matching.on = t.value === "on";
      matching.labels = this.parseLabelList("grouping opts");
      const g = this.peek();
      if (this.is(g, "KEYWORD", "group_left") || this.is(g, "KEYWORD", "group_right")) {
        this.next();
        matching.card = g.value === "group_left" ? "many-to-one" : "one-to-many";
        if (this.is(this.peek(), "PUNCT", "(")) matching.include = this.parseLabelList("grouping opts");
      }
    }
    return { returnBool, matching };
  }

  /** `( label, label, ... )`, a trailing comma allowed; keywords are fine as label names. */
  private parseLabelList(context: string): string[] {
    this.expectPunct("(", context, '"("');
    const labels: string[] = [];
    for (;;) {
      const t = this.peek();
      if (this.is(t, "PUNCT", ")")) {
        this.next();
        return labels;
      }
      if (t.type === "IDENT" || t.type === "KEYWORD" || t.type === "AGGR" || (t.type === "OP" && t.value)) {
        this.next();
        labels.push(t.text);
      } else this.unexpected(t, context, "label");
      const sep = this.peek();
      if (this.is(sep, "PUNCT", ",")) this.next();
      else if (!this.is(sep, "PUNCT", ")")) this.unexpected(sep, context, '"," or ")"');
    }
  }

  private parseUnary(): TExpr {
    const t = this.peek();
    if (t.type === "OP" && (t.text === "-" || t.text === "+")) {
      this.next();
      const expr = this.parseExpr(UNARY_OPERAND_PREC);
      if (expr.kind === "number") {
        return {
          kind: "number",
          value: t.text === "-" ? -expr.value : expr.value,
          pos: { start: t.pos, end: expr.pos.end },
        };
      }
      return { kind: "unary", op: t.text as "-" | "+", expr, pos: { start: t.pos, end: expr.pos.end } };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(expr: TExpr): TExpr {
    let e = expr;
    for (;;) {
      const t = this.peek();
      if (this.is(t, "PUNCT", "[")) {
        this.next();
        const d = this.peek();
        if (d.type !== "DURATION" && d.type !== "NUMBER") this.unexpected(d, "subquery or range", "duration");
        const range = this.durationOf(this.next(), true);
        const close = this.peek();
        if (this.is(close, "PUNCT", ":")) {
          throw new ParseFailure("subqueries are not supported by Hotpath", t.pos);
        }
        if (!this.is(close, "PUNCT", "]")) this.unexpected(close, "subquery or range", '"]"');
        this.next();
        if (e.kind !== "vector") throw new ParseFailure("ranges only allowed for vector selectors", t.pos);
        if (e.hasOffset) throw new ParseFailure("no offset modifiers allowed before range", t.pos);
        e = { kind: "matrix", selector: e, rangeMs: range, pos: { start: e.pos.start, end: close.end } };
        continue;
      }
      if (this.is(t, "KEYWORD", "offset")) {
        this.next();
        let sign = 1;
        const s = this.peek();
        if (s.type === "OP" && (s.text === "-" || s.text === "+")) {
          this.next();
          if (s.text === "-") sign = -1;
        }
        const d = this.peek();
        if (d.type !== "DURATION" && d.type !== "NUMBER") this.unexpected(d, "offset", "duration");
        const off = sign * this.durationOf(this.next(), true);
        const sel = e.kind === "vector" ? e : e.kind === "matrix" ? e.selector : undefined;
        if (!sel) {
          throw new ParseFailure(
            "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
            e.pos.start,
          );
        }
        if (sel.hasOffset) throw new ParseFailure("offset may not be set multiple times", e.pos.start);
        sel.offsetMs = off;
        sel.hasOffset = true;
        e.pos = { start: e.pos.start, end: d.end };
        continue;
      }
      if (this.is(t, "PUNCT", "@")) throw new ParseFailure("the @ modifier is not supported by Hotpath", t.pos);
      return e;
    }
  }

  private durationOf(t: TToken, mustBePositive: boolean): number {
    if (t.type === "NUMBER") {
      throw new ParseFailure(`unexpected number "${t.text}", expected duration`, t.pos);
    }
    const d = parsePromDuration(t.text);
    if (!d.ok) throw new ParseFailure(d.message, t.pos);
    if (d.ms === 0 && mustBePositive) throw new ParseFailure("duration must be greater than 0", t.pos);
    return d.ms;
  }

  private parsePrimary(): TExpr {
    const t = this.peek();
    switch (t.type) {
      case "NUMBER": {
        this.next();
        const v = parseNumber(t.text);
        if (v === undefined)
          throw new ParseFailure(
            `error parsing number: strconv.ParseFloat: parsing ${JSON.stringify(t.text)}: invalid syntax`,
            t.pos,
          );
        return { kind: "number", value: v, pos: { start: t.pos, end: t.end } };
      }
      case "STRING":
        this.next();
        return { kind: "string", value: t.value ?? "", pos: { start: t.pos, end: t.end } };
      case "PUNCT":
        if (t.text === "(") {
          this.next();
          const inner = this.parseExpr(0);
          const close = this.peek();
          if (!this.is(close, "PUNCT", ")")) this.unexpected(close, "paren expression", '")"');
          this.next();
          return { kind: "paren", expr: inner, pos: { start: t.pos, end: close.end } };
        }
        if (t.text === "{") return this.parseSelector(undefined);
        return this.unexpected(t);
      case "IDENT":
      case "METRIC_IDENT": {
        if (t.type === "IDENT" && this.is(this.peek(1), "PUNCT", "(")) return this.parseCall();
        return this.parseSelector(this.next());
      }
      case "AGGR": {
        const n = this.peek(1);
        if (this.is(n, "PUNCT", "(") || this.is(n, "KEYWORD", "by") || this.is(n, "KEYWORD", "without")) {
          return this.parseAggregation();
        }
        return this.parseSelector(this.next());
      }
      case "KEYWORD":
      case "OP":
        if (NAME_KEYWORDS.has(t.value ?? "")) return this.parseSelector(this.next());
        return this.unexpected(t);
      default:
        return this.unexpected(t);
    }
  }

  private parseCall(): TExpr {
    const nameTok = this.next();
    const name = nameTok.text;
    if (!FUNCTIONS[name]) throw new ParseFailure(`unknown function with name "${name}"`, nameTok.pos);
    this.next(); // "("
    const args: TExpr[] = [];
    for (;;) {
      const t = this.peek();
      if (this.is(t, "PUNCT", ")")) {
        this.next();
        return { kind: "call", func: name, args, pos: { start: nameTok.pos, end: t.end } };
      }
      args.push(this.parseExpr(0));
      const sep = this.peek();
      if (this.is(sep, "PUNCT", ",")) this.next();
      else if (!this.is(sep, "PUNCT", ")")) this.unexpected(sep, "function call", '"," or ")"');
    }
  }

  private parseAggregation(): TExpr {
    const opTok = this.next();
    const op = opTok.value as TAggregateOp;
    let grouping: string[] | undefined;
    let without = false;
    const modifier = () => {
      const t = this.peek();
      if (this.is(t, "KEYWORD", "by") || this.is(t, "KEYWORD", "without")) {
        this.next();
        without = t.value === "without";
        return this.parseLabelList("grouping opts");
      }
      return undefined;
    };
    grouping = modifier();
    const open = this.peek();
    if (!this.is(open, "PUNCT", "(")) this.unexpected(open, "aggregation", '"("');
    this.next();
    const args: TExpr[] = [];
    let close: TToken;
    for (;;) {
      const t = this.peek();
      if (this.is(t, "PUNCT", ")")) {
        close = this.next();
        break;
      }
      args.push(this.parseExpr(0));
      const sep = this.peek();
      if (this.is(sep, "PUNCT", ",")) this.next();
      else if (!this.is(sep, "PUNCT", ")")) this.unexpected(sep, "aggregation", '"," or ")"');
    }
    let end = close.end;
    if (grouping === undefined) {
      const after = modifier();
      if (after) {
        grouping = after;
        end = this.toks[this.i - 1]?.end ?? end;
      }
    } else if (this.is(this.peek(), "KEYWORD", "by") || this.is(this.peek(), "KEYWORD", "without")) {
      this.unexpected(this.peek());
    }
    const pos = { start: opTok.pos, end };
    if (args.length === 0) throw new ParseFailure("no arguments for aggregate expression provided", opTok.pos);
    const wantParam = op === "topk" || op === "bottomk" || op === "quantile" || op === "count_values";
    const want = wantParam ? 2 : 1;
    if (args.length !== want) {
      throw new ParseFailure(
        `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`,
        pos.start,
      );
    }
    return {
      kind: "aggregate",
      op,
      param: wantParam ? args[0] : undefined,
      expr: args[args.length - 1] as TExpr,
      grouping: grouping ?? [],
      without,
      pos,
    };
  }

  private parseSelector(nameTok: TToken | undefined): TVectorSelector {
    const matchers: TMatcher[] = [];
    const start = nameTok?.pos ?? this.peek().pos;
    let end = nameTok?.end ?? start;
    if (nameTok) matchers.push({ name: "__name__", op: "=", value: nameTok.text });
    if (this.is(this.peek(), "PUNCT", "{")) {
      this.next();
      for (;;) {
        const t = this.peek();
        if (this.is(t, "PUNCT", "}")) {
          end = this.next().end;
          break;
        }
        if (t.type !== "IDENT") this.unexpected(t, "label matching", 'identifier or "}"');
        this.next();
        const opTok = this.peek();
        const op = opTok.text;
        if (!(op === "=" || op === "!=" || op === "=~" || op === "!~")) {
          this.unexpected(opTok, "label matching", "label matching operator");
        }
        this.next();
        const v = this.peek();
        if (v.type !== "STRING") this.unexpected(v, "label matching", "string");
        this.next();
        const m: TMatcher = { name: t.text, op: op as TMatcher["op"], value: v.value ?? "" };
        if (m.op === "=~" || m.op === "!~") {
          const re = compileAnchored(m.value);
          if (!re.ok) throw new ParseFailure(`error parsing regexp: ${re.message}`, t.pos);
          m.re = re.re;
        }
        matchers.push(m);
        const sep = this.peek();
        if (this.is(sep, "PUNCT", ",")) this.next();
        else if (!this.is(sep, "PUNCT", "}")) this.unexpected(sep, "label matching", '"," or "}"');
      }
    }
    return {
      kind: "vector",
      name: nameTok?.text,
      matchers,
      offsetMs: 0,
      hasOffset: false,
      pos: { start, end },
    };
  }
}

/**
 * An RE2 pattern anchored as Prometheus anchors label regexes. JavaScript has no inline flag groups
 * (before Node 23), so a leading `(?i)` / `(?s)` becomes a RegExp flag.
 */
export function compileAnchored(pattern: string): { ok: true; re: RegExp } | { ok: false; message: string } {
  let body = pattern;
  let flags = "";
  const lead = /^\(\?([is]+)\)/.exec(body);
  if (lead) {
    flags = [...new Set(lead[1])].join("");
    body = body.slice(lead[0].length);
  }
  try {
    return { ok: true, re: new RegExp(`^(?:${body})$`, flags) };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

// ---------------------------------------------------------------------------------------------
// Type checks (Prometheus's checkAST), run only when the text parsed.

export function typeOf(e: TExpr): TValueType {
  switch (e.kind) {
    case "number":
      return "scalar";
    case "string":
      return "string";
    case "vector":
      return "vector";
    case "matrix":
      return "matrix";
    case "paren":
      return typeOf(e.expr);
    case "unary":
      return typeOf(e.expr);
    case "call":
      return (FUNCTIONS[e.func] as { returnType: TValueType }).returnType;
    case "aggregate":
      return "vector";
    case "binary":
      return typeOf(e.lhs) === "scalar" && typeOf(e.rhs) === "scalar" ? "scalar" : "vector";
  }
}

function expectType(e: TExpr, want: TValueType, context: string): void {
  const got = typeOf(e);
  if (got !== want) {
    throw new ParseFailure(
      `expected type ${DOCUMENTED_TYPE[want]} in ${context}, got ${DOCUMENTED_TYPE[got]}`,
      e.pos.start,
    );
  }
}

function check(e: TExpr): void {
  switch (e.kind) {
    case "number":
    case "string":
    case "matrix":
      if (e.kind === "matrix") checkSelector(e.selector);
      return;
    case "vector":
      checkSelector(e);
      return;
    case "paren":
      check(e.expr);
      return;
    case "unary": {
      check(e.expr);
      const t = typeOf(e.expr);
      if (t !== "scalar" && t !== "vector") {
        throw new ParseFailure(
          `unary expression only allowed on expressions of type scalar or instant vector, got "${DOCUMENTED_TYPE[t]}"`,
          e.pos.start,
        );
      }
      return;
    }
    case "call": {
      const sig = FUNCTIONS[e.func] as (typeof FUNCTIONS)[string];
      const nargs = sig.argTypes.length;
      if (sig.variadic === 0) {
        if (nargs !== e.args.length) {
          throw new ParseFailure(
            `expected ${nargs} argument(s) in call to "${e.func}", got ${e.args.length}`,
            e.pos.start,
          );
        }
      } else {
        const na = nargs - 1;
        if (na > e.args.length) {
          throw new ParseFailure(
            `expected at least ${na} argument(s) in call to "${e.func}", got ${e.args.length}`,
            e.pos.start,
          );
        }
        const max = na + sig.variadic;
        if (sig.variadic > 0 && max < e.args.length) {
          throw new ParseFailure(
            `expected at most ${max} argument(s) in call to "${e.func}", got ${e.args.length}`,
            e.pos.start,
          );
        }
      }
      e.args.forEach((arg, idx) => {
        check(arg);
        const ti = Math.min(idx, nargs - 1);
        if (idx >= nargs && sig.variadic === 0) return;
        expectType(arg, sig.argTypes[ti] as TValueType, `call to function "${e.func}"`);
      });
      return;
    }
    case "aggregate": {
      check(e.expr);
      if (e.param) check(e.param);
      if (typeOf(e.expr) !== "vector") {
        throw new ParseFailure(
          `expected type instant vector in aggregation expression, got ${DOCUMENTED_TYPE[typeOf(e.expr)]}`,
          e.expr.pos.start,
        );
      }
      if (e.param) {
        if (e.op === "count_values") expectType(e.param, "string", "aggregation parameter");
        else expectType(e.param, "scalar", "aggregation parameter");
      }
      return;
    }
    case "binary": {
      check(e.lhs);
      check(e.rhs);
      const lt = typeOf(e.lhs);
      const rt = typeOf(e.rhs);
      const opPos = e.opPos;
      if (e.returnBool && !isComparison(e.op)) {
        throw new ParseFailure("bool modifier can only be used on comparison operators", opPos);
      }
      if (isComparison(e.op) && !e.returnBool && lt === "scalar" && rt === "scalar") {
        throw new ParseFailure("comparisons between scalars must use BOOL modifier", opPos);
      }
      const m = e.matching;
      if (m?.on) {
        for (const l of m.include) {
          if (m.labels.includes(l)) {
            throw new ParseFailure(`label "${l}" must not occur in ON and GROUP clause at once`, opPos);
          }
        }
      }
      if (lt !== "scalar" && lt !== "vector") {
        throw new ParseFailure("binary expression must contain only scalar and instant vector types", e.lhs.pos.start);
      }
      if (rt !== "scalar" && rt !== "vector") {
        throw new ParseFailure("binary expression must contain only scalar and instant vector types", e.rhs.pos.start);
      }
      if ((lt !== "vector" || rt !== "vector") && m) {
        if (m.labels.length > 0) {
          throw new ParseFailure("vector matching only allowed between instant vectors", e.pos.start);
        }
        e.matching = undefined;
      } else if (isSetOp(e.op) && m) {
        if (m.card === "one-to-many" || m.card === "many-to-one") {
          throw new ParseFailure(`no grouping allowed for "${e.op}" operation`, e.pos.start);
        }
      }
      if ((lt === "scalar" || rt === "scalar") && isSetOp(e.op)) {
        throw new ParseFailure(`set operator "${e.op}" not allowed in binary scalar expression`, e.pos.start);
      }
      return;
    }
  }
}

function checkSelector(s: TVectorSelector): void {
  if (s.name !== undefined) {
    const other = s.matchers.slice(1).find((m) => m.name === "__name__");
    if (other) {
      throw new ParseFailure(`metric name must not be set twice: "${s.name}" or "${other.value}"`, s.pos.start);
    }
  }
  const nonEmpty = s.matchers.some((m) => !matchesEmpty(m));
  if (!nonEmpty) throw new ParseFailure("vector selector must contain at least one non-empty matcher", s.pos.start);
}

function matchesEmpty(m: TMatcher): boolean {
  switch (m.op) {
    case "=":
      return m.value === "";
    case "!=":
      return m.value !== "";
    case "=~":
      return (m.re as RegExp).test("");
    case "!~":
      return !(m.re as RegExp).test("");
  }
}

function position(input: string, offset: number): TParseErrorPosition {
  let line = 1;
  let lastBreak = -1;
  const end = Math.min(Math.max(offset, 0), input.length);
  for (let k = 0; k < end; k++) {
    if (input[k] === "\n") {
      line++;
      lastBreak = k;
    }
  }
  return { offset, line, column: offset - lastBreak };
}

/** Parses and type-checks a PromQL expression. */
export function parse(input: string): TParseResult {
  try {
    const toks = lex(input);
    const parser = new Parser(input, toks);
    const expr = parser.parseTop();
    check(expr);
    return { ok: true, expr };
  } catch (e) {
    if (!(e instanceof ParseFailure)) throw e;
    const position_ = position(input, e.offset);
    return {
      ok: false,
      error: {
        code: "bad_data",
        message: `${position_.line}:${position_.column}: parse error: ${e.message}`,
        position: position_,
      },
    };
  }
}

export type { TPosRange };
