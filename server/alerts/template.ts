// Annotation templates, rendered the way Prometheus renders them (Go text/template with its alert
// functions) for the subset that alert summaries use: `{{ $value }}`, `{{ $labels.route }}`,
// `{{ $threshold }}`, `{{ humanize $value }}` or `{{ $value | humanize }}`, printf, and the
// `{{-`/`-}}` trim markers. It is an interpreter over a fixed vocabulary, never eval, so a rule
// author cannot run code. Control structures (if/range/with) are refused by validateTemplate rather
// than half-supported.
import { sortedNames, type TLabels } from "./labels";

/** A rule's threshold as templates see it: one number, a band, or none (present/absence rules). */
export type TThresholdValue = number | [number, number] | null;

export type TTemplateData = {
  /** The alert instance's labels (the series' labels). */
  labels: TLabels;
  /** The sample value; null when the series is absent (absence rules). */
  value: number | null;
  threshold?: TThresholdValue;
  externalLabels?: TLabels;
};

export type TTemplateProblem = {
  /** 0-based offset into the template of the thing that is wrong. */
  offset: number;
  line: number;
  column: number;
  /** What was written there: `$foo`, `if`, `humanise`… */
  name: string;
  message: string;
};

export type TTemplateCheck = { ok: true } | { ok: false; errors: TTemplateProblem[] };

/** Renders best-effort: anything validateTemplate would report renders as empty text. */
export function renderTemplate(text: string, data: TTemplateData): string {
  return run(text, data, []);
}

/** Every unknown variable, unknown function and unsupported construct, with where it is. */
export function validateTemplate(text: string): TTemplateCheck {
  const problems: TTemplateProblem[] = [];
  run(text, { labels: {}, value: 0, threshold: 0, externalLabels: {} }, problems);
  return problems.length === 0 ? { ok: true } : { ok: false, errors: problems };
}

// ---------------------------------------------------------------------------------------------
// Go number formatting. Prometheus prints $value with Go's %v and the humanize family with %.4g;
// JavaScript's defaults differ (1e21 threshold, no "+Inf"), so both are rebuilt here.

function nonFinite(v: number): string | undefined {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return undefined;
}

/** Digits and decimal exponent of v rounded to `precision` significant digits (shortest when undefined). */
function decompose(v: number, precision: number | undefined): { neg: boolean; digits: string; exp: number } {
  const s = precision === undefined ? Math.abs(v).toExponential() : Math.abs(v).toExponential(precision - 1);
  const [mant = "0", e = "0"] = s.split("e");
  return { neg: v < 0 || Object.is(v, -0), digits: mant.replace(".", ""), exp: Number(e) };
}

/** strconv.FormatFloat(v, 'g', prec, 64) / fmt's %v when prec is undefined (shortest). */
export function formatGoFloat(v: number, precision?: number): string {
  const special = nonFinite(v);
  if (special) return special;
  const { neg, digits: raw, exp } = decompose(v, precision);
  const digits = raw.replace(/0+$/, "") || "0";
  // Go switches to %e when exp < -4 or exp >= eprec; eprec is 6 for the shortest form (fmt's %v),
  // else the precision, lowered to the digit count when every digit is left of the point.
  let eprec = precision ?? 6;
  if (precision !== undefined && eprec > digits.length && digits.length >= exp + 1) eprec = digits.length;
  const sign = neg ? "-" : "";
  if (v === 0) return `${sign}0`;
  if (exp < -4 || exp >= eprec) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${mant}e${exp < 0 ? "-" : "+"}${e < 10 ? `0${e}` : e}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}${frac ? `.${frac}` : ""}`;
}

const g4 = (v: number) => formatGoFloat(v, 4);

/** Prometheus's humanize: SI prefixes, 4 significant digits. */
export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  let x = v;
  let prefix = "";
  if (Math.abs(x) >= 1) {
    for (const p of ["k", "M", "G", "T", "P", "E", "Z", "Y"]) {
      if (Math.abs(x) < 1000) break;
      prefix = p;
      x /= 1000;
    }
  } else {
    for (const p of ["m", "u", "n", "p", "f", "a", "z", "y"]) {
      if (Math.abs(x) >= 1) break;
      prefix = p;
      x *= 1000;
    }
  }
  return `${g4(x)}${prefix}`;
}

export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let x = v;
  let prefix = "";
  for (const p of ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"]) {
    if (Math.abs(x) < 1024) break;
    prefix = p;
    x /= 1024;
  }
  return `${g4(x)}${prefix}`;
}

export function humanizePercentage(v: number): string {
  return `${g4(v * 100)}%`;
}

/** Prometheus's humanizeDuration: seconds in, `1d 2h 3m 4s` / `1.5s` / `250ms` out. */
export function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return `${g4(v)}s`;
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? "-" : "";
    const abs = Math.abs(v);
    const whole = Math.trunc(abs);
    const seconds = whole % 60;
    const minutes = Math.trunc(whole / 60) % 60;
    const hours = Math.trunc(whole / 3600) % 24;
    const days = Math.trunc(whole / 86_400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(abs)}s`;
  }
  let x = v;
  let prefix = "";
  for (const p of ["m", "u", "n", "p", "f", "a", "z", "y"]) {
    if (Math.abs(x) >= 1) break;
    prefix = p;
    x *= 1000;
  }
  return `${g4(x)}${prefix}s`;
}

// ---------------------------------------------------------------------------------------------
// Values and functions

type TVal = number | string | null | { map: TLabels };

function toText(v: TVal): string {
  if (v === null) return "";
  if (typeof v === "number") return formatGoFloat(v);
  if (typeof v === "string") return v;
  // Go prints a map[string]string as map[k:v k2:v2], keys sorted.
  return `map[${sortedNames(v.map)
    .map((k) => `${k}:${v.map[k]}`)
    .join(" ")}]`;
}

/** Prometheus's ConvertToFloat: numbers as they are, strings parsed; anything else has no number. */
function toNumber(v: TVal): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const t = v.trim();
    if (/^[+-]?inf$/i.test(t)) return t.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    if (/^nan$/i.test(t)) return Number.NaN;
    if (t === "") return undefined;
    const n = Number(t);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

type TFunc = { arity: number | "variadic"; apply: (args: TVal[]) => TVal };

const numeric =
  (f: (v: number) => string): TFunc["apply"] =>
  ([a = null]) => {
    const n = toNumber(a);
    return n === undefined ? "" : f(n);
  };

const text =
  (f: (s: string) => string): TFunc["apply"] =>
  ([a = null]) =>
    f(toText(a));

const FUNCTIONS: Record<string, TFunc> = {
  humanize: { arity: 1, apply: numeric(humanize) },
  humanize1024: { arity: 1, apply: numeric(humanize1024) },
  humanizePercentage: { arity: 1, apply: numeric(humanizePercentage) },
  humanizeDuration: { arity: 1, apply: numeric(humanizeDuration) },
  toUpper: { arity: 1, apply: text((s) => s.toUpperCase()) },
  toLower: { arity: 1, apply: text((s) => s.toLowerCase()) },
  title: { arity: 1, apply: text((s) => s.replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_, a, b) => a + b.toUpperCase())) },
  printf: { arity: "variadic", apply: ([fmt = null, ...rest]) => sprintf(toText(fmt), rest) },
};

/** Go's fmt.Sprintf for the verbs annotation templates use: %v %s %d %f %g %e %q %%, with precision. */
function sprintf(format: string, args: TVal[]): string {
  let i = 0;
  return format.replace(/%(?:%|(\.\d+)?([vsdfgeq]))/g, (whole, prec: string | undefined, verb: string | undefined) => {
    if (whole === "%%") return "%";
    const a = i < args.length ? args[i++] : undefined;
    if (a === undefined) return `%!${verb}(MISSING)`;
    const p = prec === undefined ? undefined : Number(prec.slice(1));
    const n = toNumber(a);
    switch (verb) {
      case "s":
      case "v":
        return toText(a);
      case "q":
        return JSON.stringify(toText(a));
      case "d":
        return n === undefined ? `%!d(${toText(a)})` : (nonFinite(n) ?? String(Math.trunc(n)));
      case "f":
        return n === undefined ? `%!f(${toText(a)})` : (nonFinite(n) ?? n.toFixed(p ?? 6));
      case "e": {
        if (n === undefined) return `%!e(${toText(a)})`;
        const special = nonFinite(n);
        if (special) return special;
        return n.toExponential(p ?? 6).replace(/e([+-])(\d)$/, "e$10$2");
      }
      default:
        return n === undefined ? `%!g(${toText(a)})` : formatGoFloat(n, p === 0 ? 1 : p);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The interpreter

const KEYWORDS = new Set(["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"]);
const KNOWN_VARIABLES = "$value, $labels.<name>, $threshold or $externalLabels.<name>";

type TToken =
  | { t: "var"; name: string; path: string[]; pos: number; raw: string }
  | { t: "field"; path: string[]; pos: number; raw: string }
  | { t: "string"; value: string; pos: number; raw: string }
  | { t: "number"; value: number; pos: number; raw: string }
  | { t: "ident"; name: string; pos: number; raw: string }
  | { t: "pipe"; pos: number; raw: string }
  | { t: "other"; pos: number; raw: string };

function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === "\n") {
      line++;
      last = k;
    }
  }
  return { line, column: offset - last };
}

function run(text: string, data: TTemplateData, problems: TTemplateProblem[]): string {
  const report = (offset: number, name: string, message: string) => {
    const { line, column } = lineCol(text, offset);
    problems.push({ offset, line, column, name, message: `${message} (line ${line}, column ${column})` });
  };
  const out: string[] = [];
  let i = 0;
  let trimNext = false;
  while (i < text.length) {
    const open = text.indexOf("{{", i);
    let chunk = open < 0 ? text.slice(i) : text.slice(i, open);
    if (trimNext) chunk = chunk.replace(/^\s+/, "");
    trimNext = false;
    if (open < 0) {
      out.push(chunk);
      break;
    }
    let bodyStart = open + 2;
    if (/^-[ \t\r\n]/.test(text.slice(bodyStart, bodyStart + 2))) {
      chunk = chunk.replace(/\s+$/, "");
      bodyStart += 1;
    }
    out.push(chunk);
    const close = findClose(text, bodyStart);
    if (close < 0) {
      report(open, "{{", 'unclosed action: "{{" has no matching "}}"');
      break;
    }
    let bodyEnd = close;
    if (/[ \t\r\n]-$/.test(text.slice(close - 2, close))) {
      bodyEnd = close - 1;
      trimNext = true;
    }
    out.push(action(text, bodyStart, bodyEnd, data, report));
    i = close + 2;
  }
  return out.join("");
}

/** The offset of the `}}` closing an action, skipping quoted strings (Go allows "}}" inside them). */
function findClose(text: string, from: number): number {
  let k = from;
  while (k < text.length) {
    const c = text[k];
    if (c === '"' || c === "`") {
      k++;
      while (k < text.length && text[k] !== c) k += c === '"' && text[k] === "\\" ? 2 : 1;
      k++;
      continue;
    }
    if (c === "}" && text[k + 1] === "}") return k;
    k++;
  }
  return -1;
}

function tokenize(text: string, start: number, end: number): TToken[] | { error: string; pos: number } {
  const toks: TToken[] = [];
  let k = start;
  const ident = /[A-Za-z0-9_]/;
  while (k < end) {
    const c = text[k] as string;
    if (/\s/.test(c)) {
      k++;
      continue;
    }
    const pos = k;
    if (c === "|") {
      toks.push({ t: "pipe", pos, raw: "|" });
      k++;
    } else if (c === "$" || c === ".") {
      let name = "";
      if (c === "$") {
        k++;
        while (k < end && ident.test(text[k] as string)) name += text[k++];
      }
      const path: string[] = [];
      while (k < end && text[k] === ".") {
        k++;
        let seg = "";
        while (k < end && ident.test(text[k] as string)) seg += text[k++];
        path.push(seg);
      }
      const raw = text.slice(pos, k);
      toks.push(c === "$" ? { t: "var", name, path, pos, raw } : { t: "field", path, pos, raw });
    } else if (c === '"' || c === "`") {
      k++;
      let value = "";
      while (k < end && text[k] !== c) {
        if (c === '"' && text[k] === "\\") {
          const esc = text[k + 1] ?? "";
          value += { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" }[esc] ?? esc;
          k += 2;
        } else value += text[k++];
      }
      if (k >= end) return { error: "unterminated string", pos };
      k++;
      toks.push({ t: "string", value, pos, raw: text.slice(pos, k) });
    } else if (/[-+0-9]/.test(c)) {
      const m = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(text.slice(k, end));
      if (!m) return { error: `unexpected "${c}"`, pos };
      k += m[0].length;
      toks.push({ t: "number", value: Number(m[0]), pos, raw: m[0] });
    } else if (/[A-Za-z_]/.test(c)) {
      let name = "";
      while (k < end && ident.test(text[k] as string)) name += text[k++];
      toks.push({ t: "ident", name, pos, raw: name });
    } else {
      let raw = c;
      k++;
      if (c === ":" && text[k] === "=") raw += text[k++];
      toks.push({ t: "other", pos, raw });
    }
  }
  return toks;
}

function action(
  text: string,
  start: number,
  end: number,
  data: TTemplateData,
  report: (offset: number, name: string, message: string) => void,
): string {
  const body = text.slice(start, end).trim();
  if (body.startsWith("/*")) {
    if (!body.endsWith("*/")) report(start, "/*", "unclosed comment");
    return "";
  }
  const toks = tokenize(text, start, end);
  if (!Array.isArray(toks)) {
    report(toks.pos, text.slice(toks.pos, toks.pos + 1), toks.error);
    return "";
  }
  if (toks.length === 0) {
    report(start, "{{}}", "empty action: write a variable or a function between the braces");
    return "";
  }
  const assign = toks.find((t) => t.t === "other" && (t.raw === ":=" || t.raw === "="));
  if (assign) {
    report(assign.pos, assign.raw, "variable assignment is not supported in alert templates");
    return "";
  }
  // Split into commands at "|"; each command's result is the last argument of the next.
  const commands: TToken[][] = [[]];
  for (const t of toks) {
    if (t.t === "pipe") commands.push([]);
    else (commands[commands.length - 1] as TToken[]).push(t);
  }
  let piped: TVal | undefined;
  let failed = false;
  for (const [n, cmd] of commands.entries()) {
    const first = cmd[0];
    if (!first) {
      report(start, "|", "empty command in pipeline");
      return "";
    }
    const result = command(cmd, n === 0 ? undefined : piped, data, report);
    if (result === undefined) failed = true;
    piped = result ?? null;
  }
  return failed ? "" : toText(piped ?? null);
}

function command(
  cmd: TToken[],
  piped: TVal | undefined,
  data: TTemplateData,
  report: (offset: number, name: string, message: string) => void,
): TVal | undefined {
  const [head, ...rest] = cmd as [TToken, ...TToken[]];
  if (head.t === "ident") {
    if (KEYWORDS.has(head.name)) {
      report(head.pos, head.name, `"${head.name}" is not supported in alert templates: only values and functions are`);
      return undefined;
    }
    const fn = FUNCTIONS[head.name];
    if (!fn) {
      report(
        head.pos,
        head.name,
        `unknown function "${head.name}": use ${Object.keys(FUNCTIONS).join(", ")} (or a value such as $value)`,
      );
      return undefined;
    }
    const args: TVal[] = [];
    let ok = true;
    for (const a of rest) {
      const v = operand(a, data, report);
      if (v === undefined) ok = false;
      else args.push(v);
    }
    if (piped !== undefined) args.push(piped);
    if (fn.arity !== "variadic" && args.length !== fn.arity) {
      report(head.pos, head.name, `${head.name} takes ${fn.arity} argument, got ${args.length}`);
      return undefined;
    }
    if (fn.arity === "variadic" && args.length === 0) {
      report(head.pos, head.name, `${head.name} needs a format string`);
      return undefined;
    }
    return ok ? fn.apply(args) : undefined;
  }
  if (rest.length > 0 || piped !== undefined) {
    const at = rest[0] ?? head;
    report(at.pos, at.raw, `"${head.raw}" is a value, not a function: it takes no arguments`);
    return undefined;
  }
  return operand(head, data, report);
}

function operand(
  t: TToken,
  data: TTemplateData,
  report: (offset: number, name: string, message: string) => void,
): TVal | undefined {
  switch (t.t) {
    case "string":
    case "number":
      return t.value;
    case "var":
      return variable(t.name, t.path, t, data, report);
    case "field": {
      // `.Value`, `.Labels.x`, `.ExternalLabels.x`: the fields behind Prometheus's $-variables.
      const [field = "", ...path] = t.path;
      const name = { Value: "value", Labels: "labels", ExternalLabels: "externalLabels" }[field];
      if (!name) {
        report(t.pos, t.raw, `unknown field "${t.raw}": use .Value, .Labels.<name> or .ExternalLabels.<name>`);
        return undefined;
      }
      return variable(name, path, t, data, report);
    }
    case "ident":
      if (KEYWORDS.has(t.name)) {
        report(t.pos, t.name, `"${t.name}" is not supported in alert templates: only values and functions are`);
        return undefined;
      }
      report(t.pos, t.name, `"${t.name}" can only be used first in a command, as a function`);
      return undefined;
    default:
      report(t.pos, t.raw, `unexpected "${t.raw}"`);
      return undefined;
  }
}

function variable(
  name: string,
  path: string[],
  t: TToken,
  data: TTemplateData,
  report: (offset: number, name: string, message: string) => void,
): TVal | undefined {
  const tooDeep = (max: number) => {
    if (path.length <= max) return false;
    report(t.pos, t.raw, `"${t.raw}" goes deeper than the value allows`);
    return true;
  };
  switch (name) {
    case "value":
      if (tooDeep(0)) return undefined;
      return data.value;
    case "threshold": {
      if (tooDeep(0)) return undefined;
      const th = data.threshold ?? null;
      if (Array.isArray(th)) return `[${formatGoFloat(th[0])}, ${formatGoFloat(th[1])}]`;
      return th;
    }
    case "labels":
    case "externalLabels": {
      if (tooDeep(1)) return undefined;
      const map = (name === "labels" ? data.labels : data.externalLabels) ?? {};
      const [key] = path;
      if (key === undefined) return { map };
      if (key === "") {
        report(t.pos, t.raw, `"${t.raw}" needs a label name after the dot`);
        return undefined;
      }
      // Go's missingkey=zero: an absent label renders as empty text.
      return map[key] ?? "";
    }
  }
  report(t.pos, t.raw, `unknown variable "${t.raw}": use ${KNOWN_VARIABLES}`);
  return undefined;
}
