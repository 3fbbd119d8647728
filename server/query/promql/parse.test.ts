import { describe, expect, it } from "vitest";
import type { TBinaryExpr, TExpr } from "./ast";
import { parse, parsePromDuration } from "./parse";

function ok(q: string): TExpr {
  const r = parse(q);
  if (!r.ok) throw new Error(`${q}: ${r.error.message}`);
  return r.expr;
}

function err(q: string) {
  const r = parse(q);
  if (r.ok) throw new Error(`${q} parsed`);
  return r.error;
}

/** A compact rendering of the tree: enough to see precedence and modifiers. */
function show(e: TExpr): string {
  switch (e.kind) {
    case "number":
      return String(e.value);
    case "string":
      return JSON.stringify(e.value);
    case "vector": {
      const ms = e.matchers.filter((m) => !(m.name === "__name__" && e.name !== undefined));
      const body = ms.length ? `{${ms.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(",")}}` : "";
      return `${e.name ?? ""}${body}${e.hasOffset ? ` offset ${e.offsetMs}` : ""}`;
    }
    case "matrix":
      return `${show({ ...e.selector, hasOffset: false })}[${e.rangeMs}]${e.selector.hasOffset ? ` offset ${e.selector.offsetMs}` : ""}`;
    case "paren":
      return `(${show(e.expr)})`;
    case "unary":
      return `${e.op}(${show(e.expr)})`;
    case "call":
      return `${e.func}(${e.args.map(show).join(", ")})`;
    case "aggregate":
      return `${e.op}${e.without ? " without" : " by"}(${e.grouping.join(",")})(${e.param ? `${show(e.param)}, ` : ""}${show(e.expr)})`;
    case "binary": {
      const m = e.matching;
      const mod = m
        ? `${m.on ? ` on(${m.labels})` : m.labels.length ? ` ignoring(${m.labels})` : ""}${m.card === "many-to-one" ? ` group_left(${m.include})` : m.card === "one-to-many" ? ` group_right(${m.include})` : ""}`
        : "";
      return `[${show(e.lhs)} ${e.op}${e.returnBool ? " bool" : ""}${mod} ${show(e.rhs)}]`;
    }
  }
}

describe("PromQL parser", () => {
  it("parses literals: decimal, hex, octal, exponent, Inf, NaN and Go-escaped strings", () => {
    expect(show(ok("1.5"))).toBe("1.5");
    expect(show(ok("0x1F"))).toBe("31");
    expect(show(ok("010"))).toBe("8");
    expect(show(ok("1e3"))).toBe("1000");
    expect(show(ok(".5"))).toBe("0.5");
    expect(show(ok("Inf"))).toBe("Infinity");
    expect(show(ok("-inf"))).toBe("-Infinity");
    expect(show(ok("NaN"))).toBe("NaN");
    expect(show(ok('"a\\tb\\u00e9\\x41"'))).toBe(JSON.stringify("a\tbéA"));
    expect(show(ok("'it\\'s'"))).toBe(JSON.stringify("it's"));
    expect(show(ok("`raw\\n`"))).toBe(JSON.stringify("raw\\n"));
  });

  it("parses selectors with the four matcher ops, compiling anchored regexes", () => {
    const e = ok('http_requests_total{job="api", path=~"/v1/.*", code!="500", method!~"GET|HEAD",}');
    expect(show(e)).toBe('http_requests_total{job="api",path=~"/v1/.*",code!="500",method!~"GET|HEAD"}');
    if (e.kind !== "vector") throw new Error("not a vector selector");
    expect(e.matchers[0]).toEqual({ name: "__name__", op: "=", value: "http_requests_total" });
    expect(e.matchers[2]?.re?.test("/v1/users")).toBe(true);
    expect(e.matchers[2]?.re?.test("x/v1/users")).toBe(false);
    expect(show(ok('{__name__=~"a.*"}'))).toBe('{__name__=~"a.*"}');
    expect(show(ok("ns:metric:rate5m"))).toBe("ns:metric:rate5m");
    // (?i) becomes a RegExp flag, as RE2 reads it.
    const ci = ok('x{a=~"(?i)foo"}');
    if (ci.kind !== "vector") throw new Error("not a vector selector");
    expect(ci.matchers[1]?.re?.test("FOO")).toBe(true);
  });

  it("parses ranges with compound durations and offsets, negative ones included", () => {
    expect(show(ok("x[5m]"))).toBe("x[300000]");
    expect(show(ok("x[1h30m]"))).toBe("x[5400000]");
    expect(show(ok("x[1d2h3m4s5ms]"))).toBe(`x[${86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4000 + 5}]`);
    expect(show(ok("x[1w]"))).toBe(`x[${7 * 86_400_000}]`);
    expect(show(ok("x[1y]"))).toBe(`x[${365 * 86_400_000}]`);
    expect(show(ok("x offset 1m"))).toBe("x offset 60000");
    expect(show(ok("x offset -1m"))).toBe("x offset -60000");
    expect(show(ok("rate(x[5m] offset 1h)"))).toBe("rate(x[300000] offset 3600000)");
    expect(parsePromDuration("1h30m")).toEqual({ ok: true, ms: 5_400_000 });
    expect(parsePromDuration("30m1h")).toEqual({ ok: false, message: 'not a valid duration string: "30m1h"' });
  });

  it("gives binary operators Prometheus's precedence and associativity", () => {
    expect(show(ok("a + b * c"))).toBe("[a + [b * c]]");
    expect(show(ok("a - b - c"))).toBe("[[a - b] - c]");
    expect(show(ok("a ^ b ^ c"))).toBe("[a ^ [b ^ c]]");
    expect(show(ok("a or b and c unless d"))).toBe("[a or [[b and c] unless d]]");
    expect(show(ok("a > b + 1"))).toBe("[a > [b + 1]]");
    expect(show(ok("a == bool b"))).toBe("[a == bool b]");
    // Unary minus binds like `*`: below `^`, above `+`.
    expect(show(ok("-a ^ 2"))).toBe("-([a ^ 2])");
    expect(show(ok("-a * b"))).toBe("[-(a) * b]");
    expect(show(ok("a - -b"))).toBe("[a - -(b)]");
    expect(show(ok("-2 ^ 2"))).toBe("-([2 ^ 2])");
    expect(show(ok("-1"))).toBe("-1");
    expect(show(ok("(a + b) * c"))).toBe("[([a + b]) * c]");
  });

  it("parses vector matching modifiers", () => {
    expect(show(ok("a + on(x, y) b"))).toBe("[a + on(x,y) b]");
    expect(show(ok("a / ignoring(code) group_left b"))).toBe("[a / ignoring(code) group_left() b]");
    expect(show(ok("a * on(i) group_left(version) b"))).toBe("[a * on(i) group_left(version) b]");
    expect(show(ok("a * on(i) group_right(v, w) b"))).toBe("[a * on(i) group_right(v,w) b]");
    expect(show(ok("a > bool on(i) b"))).toBe("[a > bool on(i) b]");
    const e = ok("a and on(i) b") as TBinaryExpr;
    expect(e.matching?.card).toBe("many-to-many");
    // Scalar operands have no matching.
    expect((ok("a * 2") as TBinaryExpr).matching).toBeUndefined();
  });

  it("parses aggregations with the grouping before or after the argument", () => {
    expect(show(ok("sum by (job) (rate(x[5m]))"))).toBe("sum by(job)(rate(x[300000]))");
    expect(show(ok("sum(rate(x[5m])) by (job, le)"))).toBe("sum by(job,le)(rate(x[300000]))");
    expect(show(ok("avg without (instance) (x)"))).toBe("avg without(instance)(x)");
    expect(show(ok("topk(3, x)"))).toBe("topk by()(3, x)");
    expect(show(ok("quantile by (a) (0.9, x)"))).toBe("quantile by(a)(0.9, x)");
    expect(show(ok('count_values("v", x)'))).toBe('count_values by()("v", x)');
    expect(show(ok("SUM(x) BY (a)"))).toBe("sum by(a)(x)");
    expect(show(ok("sum by (on, bool, sum) (x)"))).toBe("sum by(on,bool,sum)(x)");
  });

  it("accepts the keywords Prometheus accepts as metric names", () => {
    expect(show(ok("sum"))).toBe("sum");
    expect(show(ok("by + offset"))).toBe("[by + offset]");
    expect(show(ok('and{a="b"}'))).toBe('and{a="b"}');
  });

  it("skips comments and whitespace, newlines included", () => {
    expect(show(ok("sum(x) # total\n  + 1"))).toBe("[sum by()(x) + 1]");
  });

  it("reports syntax errors with Prometheus's text and line:column", () => {
    expect(err("rate(foo[5m]}")).toEqual({
      code: "bad_data",
      message: "1:13: parse error: unexpected character: '}'",
      position: { offset: 12, line: 1, column: 13 },
    });
    expect(err("foo{a=}").message).toBe('1:7: parse error: unexpected "}" in label matching, expected string');
    expect(err("sum(").message).toBe("1:5: parse error: unclosed left parenthesis");
    expect(err("foo[5m").message).toBe("1:7: parse error: unclosed left bracket");
    expect(err("foo)").message).toBe("1:5: parse error: unexpected right parenthesis ')'");
    expect(err("foo bar").message).toBe('1:5: parse error: unexpected identifier "bar"');
    expect(err("1 +").message).toBe("1:4: parse error: unexpected end of input");
    expect(err('"abc').message).toBe("1:1: parse error: unterminated quoted string");
    expect(err("$").message).toBe("1:1: parse error: unexpected character: '$'");
    expect(err("foo[5x]").message).toBe('1:5: parse error: bad duration syntax: "5"');
    expect(err("foo[1.5m]").message).toBe('1:5: parse error: not a valid duration string: "1.5m"');
    expect(err("").message).toBe("1:1: parse error: no expression found in input");
    const multi = err("foo\n  + )");
    expect(multi.message).toBe("2:6: parse error: unexpected right parenthesis ')'");
    expect(multi.position).toEqual({ offset: 9, line: 2, column: 6 });
  });

  it("reports semantic errors as Prometheus does", () => {
    expect(err("rate(foo)").message).toBe(
      '1:6: parse error: expected type range vector in call to function "rate", got instant vector',
    );
    expect(err("1 > 2").message).toBe("1:3: parse error: comparisons between scalars must use BOOL modifier");
    expect(err("foo and bool bar").message).toBe(
      "1:5: parse error: bool modifier can only be used on comparison operators",
    );
    expect(err("1 and foo").message).toBe(
      '1:1: parse error: set operator "and" not allowed in binary scalar expression',
    );
    expect(err("foo and on(a) group_left bar").message).toBe(
      '1:1: parse error: no grouping allowed for "and" operation',
    );
    expect(err("foo + on(a) group_left(a) bar").message).toBe(
      '1:5: parse error: label "a" must not occur in ON and GROUP clause at once',
    );
    expect(err("foo[5m] + 1").message).toBe(
      "1:1: parse error: binary expression must contain only scalar and instant vector types",
    );
    expect(err("sum(foo[5m])").message).toBe(
      "1:5: parse error: expected type instant vector in aggregation expression, got range vector",
    );
    expect(err("topk(3)").message).toBe(
      "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1",
    );
    expect(err("round(foo, 1, 2)").message).toBe(
      '1:1: parse error: expected at most 2 argument(s) in call to "round", got 3',
    );
    expect(err("label_join(foo)").message).toBe(
      '1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 1',
    );
    expect(err("unknown_fn(foo)").message).toBe('1:1: parse error: unknown function with name "unknown_fn"');
    expect(err("{}").message).toBe("1:1: parse error: vector selector must contain at least one non-empty matcher");
    expect(err('{a=~".*"}').message).toBe(
      "1:1: parse error: vector selector must contain at least one non-empty matcher",
    );
    expect(err('foo{__name__="bar"}').message).toBe(
      '1:1: parse error: metric name must not be set twice: "foo" or "bar"',
    );
    expect(err("foo offset 5m offset 1m").message).toBe("1:1: parse error: offset may not be set multiple times");
    expect(err("foo offset 5m[1m]").message).toBe("1:14: parse error: no offset modifiers allowed before range");
    expect(err("(foo)[5m]").message).toBe("1:6: parse error: ranges only allowed for vector selectors");
    expect(err("foo[0s]").message).toBe("1:5: parse error: duration must be greater than 0");
    expect(err('foo{a=~"("}').message).toMatch(/^1:5: parse error: error parsing regexp: /);
  });

  it("refuses subqueries and @ with a clear message", () => {
    expect(err("rate(x[5m])[30m:1m]").message).toBe("1:12: parse error: subqueries are not supported by Hotpath");
    expect(err("x @ 1700000000").message).toBe("1:3: parse error: the @ modifier is not supported by Hotpath");
  });
});
