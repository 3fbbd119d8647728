// Statement fingerprints: one text and one id per query shape, whatever its constants, so that
// `WHERE id = 5` and `WHERE id = 7`, or IN lists of 2 and 300 values, are counted as one query (what
// pg_stat_statements' queryid and pganalyze's fingerprints give). Pure and synchronous: the Queries
// views compute it at read time for each distinct stored statement (results are cached per string).
//
// Lexing is dialect-tolerant rather than exact. Decisions that need a guess:
// - a backslash escapes a quote inside '…' (MySQL, and PostgreSQL E'…'); if that leaves a string
//   unterminated, the statement is lexed again with standard-conforming strings (PostgreSQL's default),
//   where a backslash is an ordinary character;
// - "…" is a quoted identifier (kept as is), except in a statement that also uses MySQL backticks,
//   where "…" can only be a string literal;
// - `#` starts a MySQL comment unless it begins PostgreSQL's `#>`, `#>>` or `#-` JSON operators;
// - spacing is re-emitted by rule, never copied, so `id=5` and `id = 5` agree.
import { createHash } from "node:crypto";

export type TFingerprint = { text: string; id: string };

type TKind = "word" | "ident" | "lit" | "op" | "open" | "close" | "comma" | "dot" | "cast" | "semi";
// `glued`: a word directly before a quote (E'…', _utf8mb4'…'), which is part of the string literal.
type TToken = { kind: TKind; text: string; glued?: boolean };

// Upper-cased on output. Function names that are written both ways in the wild (count, now, coalesce)
// are here too, so that `count(*)` and `COUNT(*)` share a fingerprint; type names are not, so that
// casts (`::int`, `::timestamptz`) are kept as written.
const KEYWORDS = new Set(
  `ADD ALL ALTER ANALYZE AND ANY ARRAY AS ASC ASYMMETRIC AVG BEGIN BETWEEN BY CASE CAST COALESCE COLLATE COMMIT
  CONCAT CONFLICT CONSTRAINT COUNT CREATE CROSS CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DATE_TRUNC
  DEFAULT DELETE DESC DISTINCT DO DROP DUPLICATE ELSE END ESCAPE EXCEPT EXISTS EXPLAIN EXTRACT FALSE FETCH FILTER
  FIRST FOR FORCE FROM FULL GREATEST GROUP HAVING IF IGNORE ILIKE IN INDEX INNER INSERT INTERSECT INTERVAL INTO IS
  ISNULL JOIN KEY LAST LATERAL LEAST LEFT LIKE LIMIT LOCK LOCKED LOWER MATERIALIZED MAX MERGE MIN NATURAL NEXT NO
  NOT NOTHING NOTNULL NOW NOWAIT NULL NULLIF NULLS OF OFFSET ON ONLY OR ORDER OUTER OVER PARTITION PRIMARY RECURSIVE
  REPLACE RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET SHARE SIMILAR SKIP SOME START STRAIGHT_JOIN SUM
  SYMMETRIC TABLE THEN TIES TO TOP TRANSACTION TRUE TRUNCATE UNION UNIQUE UNNEST UPDATE UPPER USE USING VALUE VALUES
  WHEN WHERE WINDOW WITH WITHIN`.split(/\s+/),
);

// Words after which a `-` or `+` directly before a number is its sign, not a binary operator.
const SIGN_AFTER_WORDS = new Set(
  "SELECT WHERE AND OR NOT WHEN THEN ELSE BETWEEN IN VALUES LIMIT OFFSET RETURNING SET IS BY ON CASE AS LIKE ILIKE HAVING DEFAULT ANY SOME ALL".split(
    " ",
  ),
);
// Keywords that call for a space before a following "(" (the rest are function-like: `COUNT(`).
const FUNCTION_LIKE = new Set(
  "ANY ARRAY AVG CAST COALESCE CONCAT COUNT CURRENT_DATE DATE_TRUNC EXISTS EXTRACT GREATEST LEAST LOWER MAX MIN NOW NULLIF ROW SOME SUM UNNEST UPPER VALUES VALUE".split(
    " ",
  ),
);
// An identifier followed by "(" is a function call, written without a space, unless it names the
// table of an INSERT (`INSERT INTO orders (a, b)`) or a CTE (`WITH recent (id) AS`).
const TABLE_BEFORE_COLUMNS = new Set(["INTO", "TABLE", "WITH", "RECURSIVE"]);
// Multi-character operators, longest first.
const OPERATORS = [
  "#>>",
  "->>",
  "<=>",
  "!~*",
  "~~*",
  "#>",
  "#-",
  "->",
  "<=",
  ">=",
  "<>",
  "!=",
  "||",
  "&&",
  "<<",
  ">>",
  "@>",
  "<@",
  "?|",
  "?&",
  "!~",
  "~~",
  ":=",
  "=>",
];
// Before these, VALUES(…) is MySQL's function (`n = n + VALUES(n)`), not a row list.
const ARITHMETIC = new Set(["=", "+", "-", "*", "/", "||"]);
const STRING_PREFIX = /^(?:E|B|X|N|U&|_[A-Za-z0-9]+)$/i;

class Unterminated extends Error {}

function isIdentStart(c: string): boolean {
  return /[A-Za-z_\u0080-\uffff]/.test(c);
}
function isIdentChar(c: string): boolean {
  return /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
}
function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/** Lexes and normalizes literals in one pass; collapsing lists is a second pass over the tokens. */
function lex(sql: string, backslashEscapes: boolean): TToken[] {
  const out: TToken[] = [];
  const mysqlQuotes = sql.includes("`");
  const n = sql.length;
  let i = 0;
  const push = (kind: TKind, text: string) => out.push({ kind, text });
  const lit = () => {
    // A prefix word glued to a string (E'…', _utf8mb4'…', DATE '…' is a separate word) is part of it.
    const prev = out[out.length - 1];
    if (prev?.kind === "ident" && prev.glued) out.pop();
    push("lit", "?");
  };
  const signAllowed = (): boolean => {
    const prev = out[out.length - 1];
    if (!prev) return true;
    if (prev.kind === "op" || prev.kind === "open" || prev.kind === "comma") return true;
    return prev.kind === "word" && SIGN_AFTER_WORDS.has(prev.text);
  };
  const readQuoted = (quote: string, escapes: boolean): number => {
    // Returns the index just past the closing quote; a doubled quote is an escaped quote.
    let j = i + 1;
    for (;;) {
      if (j >= n) throw new Unterminated();
      const c = sql[j];
      if (escapes && c === "\\") {
        j += 2;
        continue;
      }
      if (c === quote) {
        if (sql[j + 1] === quote) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      j++;
    }
  };

  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1] ?? "";
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    // Comments: -- and # to the end of the line, /* */ nested as PostgreSQL nests them.
    if ((c === "-" && next === "-") || (c === "#" && next !== ">" && next !== "-")) {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (c === "/" && next === "*") {
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
      continue;
    }
    if (c === "'") {
      const prev = out[out.length - 1];
      const escapeString = prev?.kind === "ident" && prev.glued === true && /^E$/i.test(prev.text);
      i = readQuoted("'", backslashEscapes || escapeString);
      lit();
      continue;
    }
    if (c === '"') {
      const end = readQuoted('"', mysqlQuotes && backslashEscapes);
      if (mysqlQuotes) lit();
      else push("ident", sql.slice(i, end));
      i = end;
      continue;
    }
    if (c === "`") {
      const end = readQuoted("`", false);
      push("ident", sql.slice(i, end));
      i = end;
      continue;
    }
    // Dollar quoting ($$…$$, $tag$…$tag$) and positional parameters ($1).
    if (c === "$") {
      if (isDigit(next)) {
        let j = i + 1;
        while (isDigit(sql[j])) j++;
        i = j;
        push("lit", "?");
        continue;
      }
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 64));
      if (m) {
        const tag = m[0];
        const end = sql.indexOf(tag, i + tag.length);
        if (end === -1) throw new Unterminated();
        i = end + tag.length;
        lit();
        continue;
      }
    }
    // Numbers, with a sign when the context makes it one: -5, +1.5e-3, .5, 0x1F, 1_000.
    const signed =
      (c === "-" || c === "+") && (isDigit(next) || (next === "." && isDigit(sql[i + 2]))) && signAllowed();
    if (isDigit(c) || (c === "." && isDigit(next)) || signed) {
      let j = signed ? i + 1 : i;
      if (sql[j] === "0" && /[xXbBoO]/.test(sql[j + 1] ?? "") && /[0-9A-Fa-f]/.test(sql[j + 2] ?? "")) {
        j += 2;
        while (/[0-9A-Fa-f_]/.test(sql[j] ?? "")) j++;
      } else {
        while (isDigit(sql[j]) || sql[j] === "_") j++;
        if (sql[j] === "." && sql[j + 1] !== ".") {
          j++;
          while (isDigit(sql[j]) || sql[j] === "_") j++;
        }
        if (
          /[eE]/.test(sql[j] ?? "") &&
          (isDigit(sql[j + 1]) || (/[+-]/.test(sql[j + 1] ?? "") && isDigit(sql[j + 2])))
        ) {
          j += 2;
          while (isDigit(sql[j])) j++;
        }
      }
      i = j;
      push("lit", "?");
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentChar(sql[j] as string)) j++;
      const word = sql.slice(i, j);
      const upper = word.toUpperCase();
      // U&'…' is a prefix with an ampersand in it.
      if (upper === "U" && sql[j] === "&" && sql[j + 1] === "'") {
        out.push({ kind: "ident", text: "U&", glued: true });
        i = j + 1;
        continue;
      }
      const glued = sql[j] === "'" && STRING_PREFIX.test(word);
      if (glued) out.push({ kind: "ident", text: word, glued: true });
      else if (KEYWORDS.has(upper)) push("word", upper);
      else push("ident", word);
      i = j;
      continue;
    }
    // Placeholders of client libraries: ?, %s, %(name)s, :name (but not the :: cast).
    if (c === "%" && (next === "s" || next === "d")) {
      push("lit", "?");
      i += 2;
      continue;
    }
    if (c === "%" && next === "(") {
      const m = /^%\([A-Za-z0-9_]+\)s/.exec(sql.slice(i, i + 80));
      if (m) {
        push("lit", "?");
        i += m[0].length;
        continue;
      }
    }
    if (c === ":" && next === ":") {
      push("cast", "::");
      i += 2;
      continue;
    }
    if (c === ":" && isIdentStart(next) && sql[i - 1] !== ":") {
      let j = i + 1;
      while (j < n && isIdentChar(sql[j] as string)) j++;
      push("lit", "?");
      i = j;
      continue;
    }
    // `?` after an operand is PostgreSQL's jsonb "key exists" operator; elsewhere a placeholder.
    const operand = out[out.length - 1];
    if (c === "?" && next !== "|" && next !== "&" && operand?.kind !== "ident" && operand?.kind !== "close") {
      push("lit", "?");
      i++;
      continue;
    }
    if (c === "(" || c === "[") {
      push("open", c);
      i++;
      continue;
    }
    if (c === ")" || c === "]") {
      push("close", c);
      i++;
      continue;
    }
    if (c === ",") {
      push("comma", ",");
      i++;
      continue;
    }
    if (c === "." && next === "." && sql[i + 2] === ".") {
      // An already collapsed list: normalizing normalized text changes nothing.
      push("lit", "...");
      i += 3;
      continue;
    }
    if (c === ".") {
      push("dot", ".");
      i++;
      continue;
    }
    if (c === ";") {
      push("semi", ";");
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => sql.startsWith(o, i));
    push("op", op ?? c);
    i += op ? op.length : 1;
  }
  return out;
}

type TLexToken = TToken;

/** Index of the token closing the bracket opened at `open`, or -1. */
function closing(tokens: TLexToken[], open: number): number {
  let depth = 0;
  for (let j = open; j < tokens.length; j++) {
    const t = tokens[j] as TLexToken;
    if (t.kind === "open") depth++;
    else if (t.kind === "close") {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

/** True when the bracket's content is constants only (?, NULL, TRUE, FALSE, casts, signs). */
function constantsOnly(tokens: TLexToken[], from: number, to: number): boolean {
  if (to <= from) return false;
  for (let j = from; j < to; j++) {
    const t = tokens[j] as TLexToken;
    if (t.kind === "lit" || t.kind === "comma" || t.kind === "cast") continue;
    if (t.kind === "word" && (t.text === "NULL" || t.text === "TRUE" || t.text === "FALSE" || t.text === "DEFAULT"))
      continue;
    // A type name after `::`, with its optional [] or (n).
    const prev = tokens[j - 1];
    if ((t.kind === "ident" || t.kind === "word") && prev?.kind === "cast") continue;
    if (t.kind === "open" && t.text === "[" && tokens[j + 1]?.text === "]") {
      j++;
      continue;
    }
    return false;
  }
  return true;
}

const ELLIPSIS: TLexToken = { kind: "lit", text: "..." };

/** IN (…), ARRAY[…] of constants, and the rows of VALUES collapse to one `...`. */
function collapse(tokens: TLexToken[]): TLexToken[] {
  const out: TLexToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as TLexToken;
    out.push(t);
    const nextTok = tokens[i + 1];
    if (nextTok?.kind !== "open") continue;
    if ((t.text === "IN" && nextTok.text === "(") || (t.text === "ARRAY" && nextTok.text === "[")) {
      const end = closing(tokens, i + 1);
      if (end > 0 && constantsOnly(tokens, i + 2, end)) {
        out.push(nextTok, ELLIPSIS, tokens[end] as TLexToken);
        i = end;
      }
      continue;
    }
    if ((t.text === "VALUES" || t.text === "VALUE") && nextTok.text === "(") {
      // `a = VALUES(a)` in MySQL's ON DUPLICATE KEY UPDATE is a function, not a row list.
      if (ARITHMETIC.has(out[out.length - 2]?.text ?? "")) continue;
      let end = closing(tokens, i + 1);
      if (end < 0) continue;
      while (tokens[end + 1]?.kind === "comma" && tokens[end + 2]?.text === "(") {
        const more = closing(tokens, end + 2);
        if (more < 0) break;
        end = more;
      }
      out.push(nextTok, ELLIPSIS, { kind: "close", text: ")" });
      i = end;
    }
  }
  return out;
}

function render(tokens: TLexToken[]): string {
  let s = "";
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as TLexToken;
    const prev = tokens[i - 1];
    if (prev && spaceBetween(tokens, i, prev, t)) s += " ";
    s += t.text;
  }
  return s;
}

function spaceBetween(tokens: TLexToken[], i: number, prev: TLexToken, t: TLexToken): boolean {
  // Two operators written together would read back as another one (": ::" is not ":::").
  if (prev.text === ":" && (t.kind === "cast" || t.kind === "op")) return true;
  if (t.kind === "comma" || t.kind === "close" || t.kind === "dot" || t.kind === "cast" || t.kind === "semi")
    return false;
  // Array slices: arr[1:2]. A word right after ":" would read as a :name placeholder, so it keeps a space.
  if (t.text === ":") return prev.text === ":" || prev.kind === "cast";
  if (prev.kind === "dot" || prev.kind === "cast") return false;
  if (prev.text === ":") return t.kind !== "lit";
  if (prev.kind === "open") return false;
  if (t.text === "...") return true;
  if (t.kind === "open") {
    if (t.text === "[") return !(prev.kind === "ident" || prev.kind === "close" || prev.kind === "word");
    if (prev.kind === "ident") {
      // The table of INSERT INTO schema.t (cols) keeps its space; a function call has none.
      let j = i - 1;
      while (j >= 2 && tokens[j - 1]?.kind === "dot") j -= 2;
      const head = tokens[j - 1];
      return head?.kind === "word" && TABLE_BEFORE_COLUMNS.has(head.text);
    }
    if (prev.kind === "word" && (prev.text === "VALUES" || prev.text === "VALUE")) {
      return !ARITHMETIC.has(tokens[i - 2]?.text ?? "");
    }
    if (prev.kind === "word") return !FUNCTION_LIKE.has(prev.text);
    if (prev.kind === "close") return prev.text === ")";
    return true;
  }
  return true;
}

/** Normalized text of a statement: literals as `?`, lists collapsed, comments gone, one spacing. */
export function normalizeStatement(sql: string): string {
  let tokens: TLexToken[];
  try {
    tokens = lex(sql, true);
  } catch (e) {
    if (!(e instanceof Unterminated)) throw e;
    try {
      tokens = lex(sql, false);
    } catch (e2) {
      if (!(e2 instanceof Unterminated)) throw e2;
      // A statement cut short (agents truncate long ones): fingerprint what lexes, then mark the cut.
      tokens = [...lexPrefix(sql), { kind: "lit", text: "?" }];
    }
  }
  while (tokens.length > 0 && tokens[tokens.length - 1]?.kind === "semi") tokens.pop();
  return render(collapse(tokens));
}

/** The tokens before the first unterminated quote. */
function lexPrefix(sql: string): TLexToken[] {
  const cut = Math.max(0, ...["'", '"', "`", "$"].map((q) => sql.lastIndexOf(q)));
  try {
    return lex(sql.slice(0, cut), false);
  } catch {
    return [];
  }
}

/** Normalized text plus a short stable id (first 16 hex digits of the SHA-1 of the text). */
export function fingerprint(sql: string): TFingerprint {
  const text = normalizeStatement(sql);
  return { text, id: fingerprintId(text) };
}

export function fingerprintId(normalizedText: string): string {
  return createHash("sha1").update(normalizedText).digest("hex").slice(0, 16);
}

export const FINGERPRINT_ID_RE = /^[0-9a-f]{16}$/;
