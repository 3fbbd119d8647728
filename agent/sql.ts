// SQL statement normalization for metric labels and span attributes: literals become placeholders,
// IN lists, ARRAY[...] literals and multi-row VALUES collapse, comments go, whitespace collapses, and
// the result is cut to a label-sized length. The statement text is what pg_stat_statements would show,
// so the same query with other constants lands in one series.

export type TNormalizeOptions = {
  /** `$n` (PostgreSQL style, numbered after the statement's own highest `$n`) or `?`. Default `$n`. */
  placeholder?: "$n" | "?";
  /** Cut the result to this many characters. Default 200. */
  maxLength?: number;
};

type TToken = {
  kind: "word" | "qident" | "lit" | "param" | "punct" | "collapsed";
  text: string;
  /** Whitespace (or a comment) came before this token in the source. */
  space: boolean;
};

// After these, a `-` directly before a number is a sign, not a binary minus.
const SIGN_AFTER_PUNCT = new Set(["=", "<", ">", "(", ",", "+", "-", "*", "/", "%", "^", "[", "|", "!"]);
const SIGN_AFTER_WORD = new Set([
  "SELECT",
  "WHERE",
  "AND",
  "OR",
  "NOT",
  "WHEN",
  "THEN",
  "ELSE",
  "BETWEEN",
  "IN",
  "VALUES",
  "LIMIT",
  "OFFSET",
  "RETURNING",
  "SET",
  "IS",
  "BY",
  "ON",
  "CASE",
  "AS",
  "LIKE",
  "ILIKE",
]);
const STRING_PREFIXES = new Set(["E", "B", "X", "N", "U&"]);
const CONSTANT_WORDS = new Set(["NULL", "TRUE", "FALSE"]);

function isWordStart(c: string): boolean {
  return /[A-Za-z_\u0080-\uffff]/.test(c);
}

function tokenize(sql: string): TToken[] {
  const out: TToken[] = [];
  const n = sql.length;
  let i = 0;
  let space = false;
  const push = (kind: TToken["kind"], text: string) => {
    out.push({ kind, text, space });
    space = false;
  };
  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1] ?? "";
    // whitespace and comments
    if (/\s/.test(c)) {
      space = true;
      i++;
      continue;
    }
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? n : end + 1;
      space = true;
      continue;
    }
    if (c === "/" && next === "*") {
      // PostgreSQL block comments nest.
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === "/" && sql[i + 1] === "*") {
          depth++;
          i += 2;
        } else if (sql[i] === "*" && sql[i + 1] === "/") {
          depth--;
          i += 2;
        } else i++;
      }
      space = true;
      continue;
    }
    // string literals, with an optional E/B/X/N prefix glued to the quote
    if (c === "'") {
      const prev = out[out.length - 1];
      let backslashEscapes = false;
      let hadSpace: boolean = space;
      if (prev && !space && prev.kind === "word" && STRING_PREFIXES.has(prev.text.toUpperCase())) {
        backslashEscapes = prev.text.toUpperCase() === "E";
        out.pop();
        hadSpace = prev.space;
      }
      i++;
      while (i < n) {
        const ch = sql[i];
        if (backslashEscapes && ch === "\\") {
          i += 2;
          continue;
        }
        if (ch === "'") {
          if (sql[i + 1] === "'") {
            i += 2;
            continue;
          }
          i++;
          break;
        }
        i++;
      }
      space = hadSpace;
      push("lit", "'…'");
      continue;
    }
    if (c === "$") {
      const param = /^\$(\d+)/.exec(sql.slice(i, i + 12));
      if (param) {
        push("param", param[0]);
        i += param[0].length;
        continue;
      }
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 66));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? n : close + tag[0].length;
        push("lit", "$$…$$");
        continue;
      }
    }
    if (c === '"') {
      let j = i + 1;
      while (j < n) {
        if (sql[j] === '"') {
          if (sql[j + 1] === '"') {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      push("qident", sql.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    const signed = c === "-" && /[0-9.]/.test(next) && signAllowed(out);
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(next)) || signed) {
      const m = /^-?(0[xXoObB][0-9a-fA-F_]+|(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][+-]?\d+)?)/.exec(
        sql.slice(i, i + 400),
      );
      if (m) {
        push("lit", "0");
        i += m[0].length;
        continue;
      }
    }
    if (c === "?" && !/[|&\-#]/.test(next)) {
      push("param", "?");
      i++;
      continue;
    }
    if (isWordStart(c)) {
      const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(sql.slice(i, i + 1000)) as RegExpExecArray;
      let text = m[0];
      // U&'…' unicode strings: keep the prefix attached for the string branch above.
      if (text.toUpperCase() === "U" && next === "&" && sql[i + 2] === "'") text = "U&";
      push("word", text);
      i += text.length;
      continue;
    }
    push("punct", c);
    i++;
  }
  return out;
}

function signAllowed(out: TToken[]): boolean {
  const prev = out[out.length - 1];
  if (!prev) return true;
  if (prev.kind === "punct") return SIGN_AFTER_PUNCT.has(prev.text);
  if (prev.kind === "word") return SIGN_AFTER_WORD.has(prev.text.toUpperCase());
  // After a literal, a parameter or a quoted identifier, `-1` is a subtraction.
  return false;
}

function isConstant(t: TToken | undefined): boolean {
  if (!t) return false;
  return t.kind === "lit" || t.kind === "param" || (t.kind === "word" && CONSTANT_WORDS.has(t.text.toUpperCase()));
}

/** Index just past `constant [::type]`, or -1. */
function skipConstant(toks: TToken[], i: number): number {
  if (!isConstant(toks[i])) return -1;
  let j = i + 1;
  if (toks[j]?.text === ":" && toks[j + 1]?.text === ":" && toks[j + 2]?.kind === "word") j += 3;
  return j;
}

/** `( c, c, … )` of constants starting at `open`: the index of the closing token, or -1. */
function constantList(toks: TToken[], open: number, close: string): number {
  let j = open + 1;
  for (;;) {
    const k = skipConstant(toks, j);
    if (k === -1) return -1;
    const t = toks[k];
    if (t?.text === close) return k;
    if (t?.text !== ",") return -1;
    j = k + 1;
  }
}

/** The index of the `)` matching the `(` at `open`, or -1. */
function matchParen(toks: TToken[], open: number): number {
  let depth = 0;
  for (let j = open; j < toks.length; j++) {
    const t = toks[j] as TToken;
    if (t.kind !== "punct") continue;
    if (t.text === "(") depth++;
    else if (t.text === ")") {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

function collapse(toks: TToken[]): TToken[] {
  const out: TToken[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] as TToken;
    out.push(t);
    const upper = t.kind === "word" ? t.text.toUpperCase() : "";
    const open = toks[i + 1];
    if (upper === "IN" && open?.text === "(") {
      const end = constantList(toks, i + 1, ")");
      if (end !== -1) {
        out.push({ kind: "collapsed", text: "(...)", space: open.space });
        i = end;
      }
    } else if (upper === "ARRAY" && open?.text === "[") {
      const end = constantList(toks, i + 1, "]");
      if (end !== -1) {
        out.push({ kind: "collapsed", text: "[...]", space: open.space });
        i = end;
      }
    } else if (upper === "VALUES" && open?.text === "(") {
      // Multi-row VALUES: keep the first row, fold the rest into ", ...".
      const firstEnd = matchParen(toks, i + 1);
      if (firstEnd === -1) continue;
      let end = firstEnd;
      let rows = 1;
      while (toks[end + 1]?.text === "," && toks[end + 2]?.text === "(") {
        const e = matchParen(toks, end + 2);
        if (e === -1) break;
        end = e;
        rows++;
      }
      if (rows > 1) {
        for (let k = i + 1; k <= firstEnd; k++) out.push(toks[k] as TToken);
        out.push({ kind: "collapsed", text: ", ...", space: false });
        i = end;
      }
    }
  }
  return out;
}

/** Normalizes one SQL statement; see the file comment. */
export function normalizeSql(sql: string, opts: TNormalizeOptions = {}): string {
  const placeholder = opts.placeholder ?? "$n";
  const maxLength = opts.maxLength ?? 200;
  const toks = tokenize(sql);
  let maxParam = 0;
  for (const t of toks)
    if (t.kind === "param" && t.text !== "?") maxParam = Math.max(maxParam, Number(t.text.slice(1)));
  const collapsed = collapse(toks);
  let next = maxParam;
  let out = "";
  for (const t of collapsed) {
    let text = t.text;
    if (t.kind === "lit") text = placeholder === "?" ? "?" : `$${++next}`;
    if (out.length > 0 && t.space) out += " ";
    out += text;
    if (out.length > maxLength * 2) break;
  }
  return out.length > maxLength ? out.slice(0, maxLength) : out;
}

const STATEMENT_VERBS = new Set(["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"]);

/** The operation name of a statement (SELECT, INSERT, BEGIN, …); WITH resolves to its main verb. */
export function sqlOperation(sql: string): string {
  const toks = tokenize(sql.length > 4000 ? sql.slice(0, 4000) : sql);
  const first = toks.find((t) => t.kind === "word");
  if (!first) return "OTHER";
  const verb = first.text.toUpperCase();
  if (verb === "WITH") {
    let depth = 0;
    for (const t of toks) {
      if (t.kind === "punct" && t.text === "(") depth++;
      else if (t.kind === "punct" && t.text === ")") depth--;
      else if (depth === 0 && t.kind === "word" && STATEMENT_VERBS.has(t.text.toUpperCase()))
        return t.text.toUpperCase();
    }
    return "WITH";
  }
  return /^[A-Z]{2,20}$/.test(verb) ? verb : "OTHER";
}
