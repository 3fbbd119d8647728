// Prometheus series selectors (`name{label="v", other=~"re"}`), the `match[]` of the series and export
// APIs. Regexes are fully anchored, as in Prometheus.
import type { TLabels } from "../ingest/model";

export type TMatcher = { name: string; op: "=" | "!=" | "=~" | "!~"; value: string; re?: RegExp };
export type TSelector = { matchers: TMatcher[] };

export type TSelectorError = { code: "bad_selector"; message: string; column: number };

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;

export function parseSelector(input: string): { ok: true; value: TSelector } | { ok: false; error: TSelectorError } {
  let i = 0;
  const s = input.trim();
  const err = (message: string) => ({
    ok: false as const,
    error: { code: "bad_selector" as const, message, column: i + 1 },
  });
  const matchers: TMatcher[] = [];
  const skip = () => {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
  };
  if (i < s.length && NAME_START.test(s[i] as string)) {
    const start = i;
    while (i < s.length && NAME_CHAR.test(s[i] as string)) i++;
    matchers.push({ name: "__name__", op: "=", value: s.slice(start, i) });
  }
  skip();
  if (i < s.length) {
    if (s[i] !== "{") return err(`expected "{" or the end of the selector, found "${s[i]}"`);
    i++;
    for (;;) {
      skip();
      if (s[i] === "}") {
        i++;
        break;
      }
      const start = i;
      if (!/[a-zA-Z_]/.test(s[i] ?? "")) return err("expected a label name");
      while (i < s.length && /[a-zA-Z0-9_]/.test(s[i] as string)) i++;
      const name = s.slice(start, i);
      skip();
      const op = s.startsWith("=~", i)
        ? "=~"
        : s.startsWith("!~", i)
          ? "!~"
          : s.startsWith("!=", i)
            ? "!="
            : s[i] === "="
              ? "="
              : undefined;
      if (!op) return err(`expected =, !=, =~ or !~ after label "${name}"`);
      i += op.length;
      skip();
      const quote = s[i];
      if (quote !== '"' && quote !== "'" && quote !== "`") return err(`expected a quoted value for label "${name}"`);
      i++;
      let value = "";
      while (i < s.length && s[i] !== quote) {
        if (s[i] === "\\" && quote !== "`") {
          i++;
          const c = s[i];
          value += c === "n" ? "\n" : c === "t" ? "\t" : (c ?? "");
        } else {
          value += s[i];
        }
        i++;
      }
      if (i >= s.length) return err(`unterminated value for label "${name}"`);
      i++;
      const m: TMatcher = { name, op, value };
      if (op === "=~" || op === "!~") {
        try {
          m.re = new RegExp(`^(?:${value})$`);
        } catch (e) {
          return err(`invalid regular expression for label "${name}": ${(e as Error).message}`);
        }
      }
      matchers.push(m);
      skip();
      if (s[i] === ",") {
        i++;
        continue;
      }
      if (s[i] === "}") {
        i++;
        break;
      }
      return err(`expected "," or "}" after the matcher for "${name}"`);
    }
    skip();
    if (i < s.length) return err("unexpected text after the selector");
  }
  if (matchers.length === 0) return err("empty selector: give a metric name or at least one matcher");
  // Prometheus refuses selectors that match everything, such as {job=~".*"}.
  if (!matchers.some((m) => !matches(m, ""))) {
    return err("the selector must contain at least one matcher that does not match the empty string");
  }
  return { ok: true, value: { matchers } };
}

function matches(m: TMatcher, v: string): boolean {
  switch (m.op) {
    case "=":
      return v === m.value;
    case "!=":
      return v !== m.value;
    case "=~":
      return (m.re as RegExp).test(v);
    case "!~":
      return !(m.re as RegExp).test(v);
  }
}

export function selectorMatches(sel: TSelector, name: string, labels: TLabels): boolean {
  return sel.matchers.every((m) => matches(m, m.name === "__name__" ? name : (labels[m.name] ?? "")));
}

/** The metric name when the selector pins one with `=`, for an indexed lookup. */
export function exactName(sel: TSelector): string | undefined {
  return sel.matchers.find((m) => m.name === "__name__" && m.op === "=")?.value;
}
