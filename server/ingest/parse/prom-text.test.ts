import fc from "fast-check";
import client from "prom-client";
import { beforeAll, describe, expect, it } from "vitest";
import type { TParsedMetrics, TParseError, TSampleIn } from "../model";
import { formatPromFloat, parsePromText } from "./prom-text";

function ok(text: string, openMetrics = false): TParsedMetrics {
  const res = parsePromText(text, { openMetrics });
  if (!res.ok) throw new Error(`expected ok, got ${JSON.stringify(res.error)}`);
  return res.value;
}

function err(text: string, openMetrics = false): TParseError & { line: number; column: number } {
  const res = parsePromText(text, { openMetrics });
  if (res.ok) throw new Error(`expected a parse error for ${JSON.stringify(text)}`);
  const e = res.error;
  if (!("line" in e)) throw new Error("expected a line/column location");
  return e;
}

function one(text: string, openMetrics = false): TSampleIn {
  const { samples } = ok(text, openMetrics);
  expect(samples).toHaveLength(1);
  return samples[0] as TSampleIn;
}

/** Lines that carry a sample in a document we trust (prom-client output): not blank, not a comment. */
function sampleLines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
}

function find(samples: TSampleIn[], name: string, labels: Record<string, string> = {}): TSampleIn | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

type TAnyRegistry = client.Registry<client.PrometheusContentType> | client.Registry<client.OpenMetricsContentType>;

/** Default metrics plus one labelled metric of each kind, with values worth checking. */
function populate(registry: TAnyRegistry): void {
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({
    name: "http_requests_total",
    help: 'Requests, with a "quote", a \\ backslash and a\nnewline',
    labelNames: ["route", "code"],
    registers: [registry],
  });
  requests.inc({ route: "/users/:id", code: "200" }, 7);
  requests.inc({ route: 'odd "route" \\ with\nnewline', code: "500" });
  const inflight = new client.Gauge({ name: "inflight", help: "In flight", registers: [registry] });
  inflight.set(-2.5);
  const duration = new client.Histogram({
    name: "http_request_duration_seconds",
    help: "Request duration",
    labelNames: ["route"],
    buckets: [0.005, 0.1, 1, 2.5],
    registers: [registry],
  });
  duration.observe({ route: "/users/:id" }, 0.05);
  duration.observe({ route: "/users/:id" }, 2);
  const size = new client.Summary({
    name: "response_size_bytes",
    help: "Response size",
    percentiles: [0.5, 0.9, 0.99],
    registers: [registry],
  });
  for (const v of [100, 200, 300]) size.observe(v);
}

describe("prom-client output", () => {
  const registry = new client.Registry();
  const omRegistry = new client.Registry<client.OpenMetricsContentType>();

  beforeAll(() => {
    populate(registry);
    omRegistry.setContentType(client.openMetricsContentType);
    populate(omRegistry);
  });

  it("parses the 0.0.4 text format: every sample line, types, families, values", async () => {
    expect(registry.contentType).toBe(client.prometheusContentType);
    const text = await registry.metrics();
    const { samples, meta } = ok(text);

    expect(samples).toHaveLength(sampleLines(text).length);
    for (const s of samples) {
      expect(s.labels).not.toHaveProperty("__name__");
      expect(s.timestampMs).toBeUndefined();
      expect(meta.has(s.family)).toBe(true);
    }

    expect(meta.get("http_requests_total")).toEqual({
      type: "counter",
      help: 'Requests, with a "quote", a \\ backslash and a\nnewline',
      unit: "",
    });
    expect(find(samples, "http_requests_total", { route: "/users/:id" })).toMatchObject({
      labels: { route: "/users/:id", code: "200" },
      value: 7,
      family: "http_requests_total",
    });
    expect(find(samples, "http_requests_total", { code: "500" })?.labels.route).toBe('odd "route" \\ with\nnewline');

    expect(meta.get("inflight")?.type).toBe("gauge");
    expect(find(samples, "inflight")?.value).toBe(-2.5);

    expect(meta.get("http_request_duration_seconds")?.type).toBe("histogram");
    const buckets = samples.filter((s) => s.name === "http_request_duration_seconds_bucket");
    expect(buckets.map((b) => [b.labels.le, b.value])).toEqual([
      ["0.005", 0],
      ["0.1", 1],
      ["1", 1],
      ["2.5", 2],
      ["+Inf", 2],
    ]);
    for (const name of ["_bucket", "_sum", "_count"]) {
      const s = find(samples, `http_request_duration_seconds${name}`);
      expect(s?.family).toBe("http_request_duration_seconds");
    }
    expect(find(samples, "http_request_duration_seconds_sum")?.value).toBeCloseTo(2.05);
    expect(find(samples, "http_request_duration_seconds_count")?.value).toBe(2);

    expect(meta.get("response_size_bytes")?.type).toBe("summary");
    const quantiles = samples.filter((s) => s.name === "response_size_bytes").map((s) => s.labels.quantile);
    expect(quantiles).toEqual(["0.5", "0.9", "0.99"]);
    expect(find(samples, "response_size_bytes_count")).toMatchObject({ value: 3, family: "response_size_bytes" });

    // Default metrics: a counter declared with its full name, and a labelled gauge.
    expect(meta.get("process_cpu_user_seconds_total")?.type).toBe("counter");
    expect(find(samples, "process_cpu_user_seconds_total")?.family).toBe("process_cpu_user_seconds_total");
    expect(find(samples, "nodejs_heap_space_size_used_bytes", { space: "old" })?.value).toBeGreaterThan(0);
    // Declared families without samples still get their metadata.
    expect(meta.get("nodejs_gc_duration_seconds")?.type).toBe("histogram");
  });

  it("parses the OpenMetrics variant", async () => {
    expect(omRegistry.contentType).toBe(client.openMetricsContentType);
    const text = await omRegistry.metrics();
    expect(text.trimEnd().endsWith("# EOF")).toBe(true);
    const { samples, meta } = ok(text, true);
    expect(samples).toHaveLength(sampleLines(text).length);

    // OpenMetrics declares counters without "_total"; the samples keep it.
    expect(meta.get("http_requests")?.type).toBe("counter");
    expect(find(samples, "http_requests_total", { code: "200" })).toMatchObject({
      value: 7,
      family: "http_requests",
    });
    expect(meta.get("process_cpu_user_seconds")?.type).toBe("counter");
    expect(find(samples, "process_cpu_user_seconds_total")?.family).toBe("process_cpu_user_seconds");

    expect(find(samples, "http_request_duration_seconds_bucket", { le: "+Inf" })?.value).toBe(2);
    expect(find(samples, "response_size_bytes_sum")?.family).toBe("response_size_bytes");

    // Without the flag the same text is still valid 0.0.4 ("# EOF" is just a comment).
    expect(ok(text).samples).toHaveLength(samples.length);
  });

  it("rejects 0.0.4 output parsed as OpenMetrics (no # EOF)", async () => {
    const text = await registry.metrics();
    const e = err(text, true);
    expect(e.message).toContain("# EOF");
    expect(e.line).toBe(text.split("\n").length);
    expect(e.column).toBe(1);
  });
});

describe("syntax", () => {
  it("accepts empty and comment-only input", () => {
    expect(ok("")).toEqual({ samples: [], meta: new Map() });
    expect(ok("\n\n  \n").samples).toEqual([]);
    expect(ok("# just a comment\n#no space either\n").samples).toEqual([]);
    expect(ok("# EOF", true).samples).toEqual([]);
    expect(ok("# EOF\n", true).samples).toEqual([]);
  });

  it("parses a plain sample", () => {
    expect(one("up 1\n")).toEqual({ name: "up", labels: {}, value: 1, timestampMs: undefined, family: "up" });
  });

  it("creates untyped metadata for undeclared samples", () => {
    const { meta } = ok("some:recorded_rule 3\n");
    expect(meta.get("some:recorded_rule")).toEqual({ type: "untyped", help: "", unit: "" });
  });

  it("unescapes label values", () => {
    const s = one('x{a="back\\\\slash",b="q\\"uote",c="new\\nline",d="plain",e=""} 1');
    expect(s.labels).toEqual({ a: "back\\slash", b: 'q"uote', c: "new\nline", d: "plain", e: "" });
  });

  it("keeps unknown escapes as written, like the Prometheus server", () => {
    expect(one('x{a="tab\\there"} 1').labels.a).toBe("tab\\there");
  });

  it("keeps non-ASCII and special characters in label values", () => {
    expect(one('x{a="日本語 😀 {}=,#"} 1').labels.a).toBe("日本語 😀 {}=,#");
  });

  it("accepts empty braces, a trailing comma and (0.0.4) blanks", () => {
    expect(one("x{} 1").labels).toEqual({});
    expect(one('x{a="1",} 1').labels).toEqual({ a: "1" });
    expect(one('  x { a = "1" , b="2" , }   2   1700000000000  ')).toMatchObject({
      labels: { a: "1", b: "2" },
      value: 2,
      timestampMs: 1700000000000,
    });
    expect(one("x\t3").value).toBe(3);
  });

  it("stores prototype-like label names as own properties", () => {
    const s = one('x{__proto__="p",constructor="c",toString="t"} 1');
    expect(Object.keys(s.labels).sort()).toEqual(["__proto__", "constructor", "toString"]);
    expect(Object.getPrototypeOf(s.labels)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(s.labels, "__proto__")?.value).toBe("p");
    expect(s.labels.constructor).toBe("c");
  });

  it("parses special and exponent values", () => {
    const cases: Array<[string, number]> = [
      ["+Inf", Number.POSITIVE_INFINITY],
      ["-Inf", Number.NEGATIVE_INFINITY],
      ["Inf", Number.POSITIVE_INFINITY],
      ["+inf", Number.POSITIVE_INFINITY],
      ["-INF", Number.NEGATIVE_INFINITY],
      ["Infinity", Number.POSITIVE_INFINITY],
      ["-infinity", Number.NEGATIVE_INFINITY],
      ["NaN", Number.NaN],
      ["nan", Number.NaN],
      ["Nan", Number.NaN], // prom-client's spelling
      ["1e3", 1000],
      ["1E-3", 0.001],
      ["-1.5e+2", -150],
      [".5", 0.5],
      ["5.", 5],
      ["+7", 7],
      ["-0", -0],
      ["007", 7],
      ["123456789012345678901234567890", 1.2345678901234568e29],
      ["9223372036.854776", 9223372036.854776],
    ];
    for (const [raw, value] of cases) {
      expect(Object.is(one(`x ${raw}`).value, value), raw).toBe(true);
    }
  });

  it("rejects malformed values, hex and Go-only float syntax", () => {
    for (const raw of [
      "abc",
      "0x10",
      "0x1p-2",
      "1_000",
      "+NaN",
      "-nan",
      "1e",
      "1e+",
      ".",
      "-",
      "--1",
      "Inf1",
      "1.2.3",
      "in",
    ]) {
      const e = err(`x ${raw}`);
      expect(e.message, raw).toBe(`invalid value "${raw}": expected a number, +Inf, -Inf or NaN`);
      expect(e.column).toBe(3);
    }
  });

  it("keeps error messages short when the offending token is huge", () => {
    const e = err(`x ${"9".repeat(100_000)}z`);
    expect(e.message.length).toBeLessThan(160);
    expect(e.message).toMatch(/^invalid value "9+\.\.\.": expected a number/);
  });

  it("reads 0.0.4 timestamps as integer milliseconds", () => {
    expect(one("x 1 1700000000123").timestampMs).toBe(1700000000123);
    expect(one("x 1 -5").timestampMs).toBe(-5);
    expect(one("x 1 0").timestampMs).toBe(0);
    expect(err("x 1 1700000000.5").message).toContain("expected integer milliseconds");
    expect(err("x 1 99999999999999999999").message).toContain("out of range");
  });

  it("reads OpenMetrics timestamps as float seconds", () => {
    expect(one("x 1 1700000000.123\n# EOF", true).timestampMs).toBe(1700000000123);
    expect(one("x 1 1700000000\n# EOF", true).timestampMs).toBe(1700000000000);
    expect(one("x 1 1.0005\n# EOF", true).timestampMs).toBe(1001);
    expect(err("x 1 +Inf\n# EOF", true).message).toContain("invalid timestamp");
  });

  it("handles CRLF line endings", () => {
    const { samples, meta } = ok('# HELP x Help.\r\n# TYPE x gauge\r\nx{a="1"} 2\r\ny 3 1000\r\n');
    expect(samples.map((s) => [s.name, s.value, s.timestampMs])).toEqual([
      ["x", 2, undefined],
      ["y", 3, 1000],
    ]);
    expect(meta.get("x")).toEqual({ type: "gauge", help: "Help.", unit: "" });
    expect(ok("x 1\r\n# EOF\r\n", true).samples).toHaveLength(1);
  });

  it("accepts HELP before or after TYPE, with escapes", () => {
    const a = ok("# TYPE x gauge\n# HELP x a\\\\b\\nc\nx 1\n").meta.get("x");
    const b = ok("# HELP x a\\\\b\\nc\n# TYPE x gauge\nx 1\n").meta.get("x");
    expect(a).toEqual({ type: "gauge", help: "a\\b\nc", unit: "" });
    expect(b).toEqual(a);
    expect(ok("# HELP x\nx 1").meta.get("x")?.help).toBe("");
    expect(ok('# HELP x say \\"hi\\"\n# EOF', true).meta.get("x")?.help).toBe('say "hi"');
  });

  it("reads # UNIT in OpenMetrics and treats it as a comment in 0.0.4", () => {
    const om = ok("# TYPE req_seconds histogram\n# UNIT req_seconds seconds\nreq_seconds_count 1\n# EOF\n", true);
    expect(om.meta.get("req_seconds")).toEqual({ type: "histogram", help: "", unit: "seconds" });
    expect(ok("# UNIT x seconds\nx 1").meta.get("x")?.unit).toBe("");
  });

  it("accepts and ignores OpenMetrics exemplars", () => {
    const text = [
      "# TYPE foo histogram",
      'foo_bucket{le="0.1"} 8 # {trace_id="KOO5S4vxi0o"} 0.067',
      'foo_bucket{le="+Inf"} 10 1700000000.5 # {trace_id="oHg5SJYRHA0"} 9.8 1520879607.789',
      "foo_count 10",
      "foo_sum 12.5",
      "# EOF",
    ].join("\n");
    const { samples } = ok(text, true);
    expect(samples.map((s) => [s.name, s.labels, s.value, s.timestampMs])).toEqual([
      ["foo_bucket", { le: "0.1" }, 8, undefined],
      ["foo_bucket", { le: "+Inf" }, 10, 1700000000500],
      ["foo_count", {}, 10, undefined],
      ["foo_sum", {}, 12.5, undefined],
    ]);
    // Exemplar labels must not leak into the sample's labels.
    expect(one('x{a="1"} 1 # {trace_id="t",span_id="s"} 1\n# EOF', true).labels).toEqual({ a: "1" });
    expect(one('x 1 # {trace_id="t"} 1\n# EOF', true).labels).toEqual({});
    expect(err('x 1 # {a="b"} x\n# EOF', true).message).toContain("invalid exemplar value");
    const e = err('x 1 # {a="b"} 1');
    expect(e.message).toContain("only allowed in OpenMetrics");
    expect(e.column).toBe(5);
  });
});

describe("families", () => {
  it("groups histogram and summary series under their family", () => {
    const { samples } = ok(
      [
        "# TYPE h histogram",
        'h_bucket{le="1"} 1',
        "h_sum 1",
        "h_count 1",
        "# TYPE s summary",
        's{quantile="0.5"} 1',
        "s_sum 1",
        "s_count 1",
      ].join("\n"),
    );
    expect(samples.map((s) => `${s.name}->${s.family}`)).toEqual([
      "h_bucket->h",
      "h_sum->h",
      "h_count->h",
      "s->s",
      "s_sum->s",
      "s_count->s",
    ]);
  });

  it("maps OpenMetrics suffixes to their families and drops _created", () => {
    const { samples, meta } = ok(
      [
        "# TYPE c counter",
        "c_total 3",
        "c_created 1700000000",
        "# TYPE gh gaugehistogram",
        'gh_bucket{le="+Inf"} 2',
        "gh_gcount 2",
        "gh_gsum 4",
        "# TYPE i info",
        'i_info{version="1"} 1',
        "# TYPE ss stateset",
        'ss{ss="a"} 1',
        "# TYPE h histogram",
        "h_count 0",
        "h_created 1700000000",
        "# TYPE u unknown",
        "u 1",
        "# EOF",
      ].join("\n"),
      true,
    );
    expect(samples.map((s) => `${s.name}->${s.family}`)).toEqual([
      "c_total->c",
      "gh_bucket->gh",
      "gh_gcount->gh",
      "gh_gsum->gh",
      "i_info->i",
      "ss->ss",
      "h_count->h",
      "u->u",
    ]);
    expect([...meta].map(([k, v]) => `${k}:${v.type}`)).toEqual([
      "c:counter",
      "gh:gaugehistogram",
      "i:info",
      "ss:stateset",
      "h:histogram",
      "u:untyped",
    ]);
  });

  it("keeps _created samples in 0.0.4, where they are ordinary series", () => {
    const { samples } = ok("# TYPE c_total counter\nc_total 1\n# TYPE c_created gauge\nc_created 1700000000\n");
    expect(samples.map((s) => s.family)).toEqual(["c_total", "c_created"]);
  });

  it("only strips suffixes the family's type owns", () => {
    const { samples, meta } = ok("# TYPE g gauge\ng 1\ng_sum 2\ng_total 3\n");
    expect(samples.map((s) => s.family)).toEqual(["g", "g_sum", "g_total"]);
    expect(meta.get("g_sum")?.type).toBe("untyped");
  });

  it("prefers an exact family name over a suffix match", () => {
    const { samples } = ok("# TYPE x counter\n# TYPE x_total gauge\nx_total 1\n");
    expect(samples[0]?.family).toBe("x_total");
  });

  it("normalises le and quantile label values", () => {
    const { samples } = ok(
      [
        "# TYPE h histogram",
        'h_bucket{le="1.0"} 1',
        'h_bucket{le="1e0"} 1',
        'h_bucket{le="0.50"} 1',
        'h_bucket{le="+inf"} 1',
        'h_bucket{le="Inf"} 1',
        "# TYPE s summary",
        's{quantile="0.50"} 1',
        's{quantile="9.9E-1"} 1',
        "# TYPE g gauge",
        'g{le="1.0",quantile="0.50"} 1',
      ].join("\n"),
    );
    expect(samples.map((s) => s.labels.le ?? s.labels.quantile)).toEqual([
      "1",
      "1",
      "0.5",
      "+Inf",
      "+Inf",
      "0.5",
      "0.99",
      "1.0", // not a histogram: left alone
    ]);
  });

  it("rejects a bucket whose le is not a number", () => {
    const e = err('# TYPE h histogram\nh_bucket{route="/",le="big"} 1');
    expect(e).toMatchObject({ line: 2, column: 24 });
    expect(e.message).toBe('invalid "le" value "big": expected a number, +Inf, -Inf or NaN');
  });

  it("rejects a second TYPE, an unknown type and TYPE after samples", () => {
    expect(err("# TYPE x counter\n# TYPE x gauge\n")).toMatchObject({
      message: 'duplicate "# TYPE" line for "x"',
      line: 2,
      column: 10,
    });
    const unknown = err("# TYPE x countr\n");
    expect(unknown.message).toBe(
      'unknown metric type "countr": expected one of counter, gauge, histogram, summary, untyped',
    );
    expect(unknown.column).toBe(10);
    expect(err("# TYPE x gaugehistogram\n").message).toContain("only exists in OpenMetrics");
    expect(err("# TYPE x untyped\n# EOF", true).message).toContain("unknown metric type");
    expect(err("x 1\n# TYPE x gauge\n")).toMatchObject({
      message: '"# TYPE" for "x" must come before its samples',
      line: 2,
    });
    expect(err("# HELP x a\n# HELP x b\n").message).toBe('duplicate "# HELP" line for "x"');
  });
});

describe("errors", () => {
  const cases: Array<{ text: string; om?: boolean; message: string; line: number; column: number }> = [
    {
      text: 'http_requests{route"x"} 1',
      message: 'expected "=" after label name "route", found "\\""',
      line: 1,
      column: 20,
    },
    { text: "x 1\ny abc\n", message: 'invalid value "abc": expected a number, +Inf, -Inf or NaN', line: 2, column: 3 },
    { text: 'x{a="b} 1\n', message: 'unterminated label value for "a": missing closing \'"\'', line: 1, column: 5 },
    { text: 'x{a="1",b="2",a="3"} 1', message: 'duplicate label "a"', line: 1, column: 15 },
    {
      text: 'x{__name__="y"} 1',
      message: 'label "__name__" is not allowed inside braces: write the metric name before "{"',
      line: 1,
      column: 3,
    },
    {
      text: "# ok\n\n9x 1",
      message: 'unexpected character "9": expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or "#"',
      line: 3,
      column: 1,
    },
    {
      text: 'x{a="1" b="2"} 1',
      message: 'expected "," or "}" after the value of label "a", found "b"',
      line: 1,
      column: 9,
    },
    {
      text: 'x{a="1"',
      message: 'expected "," or "}" after the value of label "a", found end of line',
      line: 1,
      column: 8,
    },
    { text: 'x{a="1",', message: 'unterminated label set: expected a label name or "}"', line: 1, column: 9 },
    {
      text: 'x{"a"="1"} 1',
      message: "quoted label names are not supported; use [a-zA-Z_][a-zA-Z0-9_]*",
      line: 1,
      column: 3,
    },
    { text: "x", message: 'expected a value after "x"', line: 1, column: 2 },
    { text: "x ", message: 'expected a value after "x"', line: 1, column: 3 },
    { text: 'x{a="1"}', message: 'expected a value after "x"', line: 1, column: 9 },
    {
      text: 'x{a="1"}2',
      message: 'unexpected character "2" after the label set: expected a space and the value',
      line: 1,
      column: 9,
    },
    {
      text: "x-y 1",
      message: 'unexpected character "-" after metric name "x": expected a space and the value',
      line: 1,
      column: 2,
    },
    { text: "x 1 2 3", message: "unexpected text after the timestamp", line: 1, column: 7 },
    {
      text: "x 1 12a",
      message: 'invalid timestamp "12a": expected integer milliseconds since the Unix epoch',
      line: 1,
      column: 5,
    },
    // Columns count characters, not UTF-16 units.
    {
      text: 'x{a="😀😀"} 1 zz',
      message: 'invalid timestamp "zz": expected integer milliseconds since the Unix epoch',
      line: 1,
      column: 13,
    },
    { text: "# TYPE\n", message: 'expected a metric name after "# TYPE", found end of line', line: 1, column: 7 },
    {
      text: "# TYPE x\n",
      message: 'missing type for "x": expected one of counter, gauge, histogram, summary, untyped',
      line: 1,
      column: 9,
    },
    { text: "# TYPE x gauge extra\n", message: 'unexpected text after the type of "x"', line: 1, column: 16 },
    {
      text: "x 1\n# EOF\nx 2\n",
      om: true,
      message: 'unexpected content after "# EOF": it must be the last line',
      line: 3,
      column: 1,
    },
    {
      text: "x 1\n# EOF\n\n",
      om: true,
      message: 'unexpected content after "# EOF": it must be the last line',
      line: 3,
      column: 1,
    },
    { text: "# EOF extra", om: true, message: 'unexpected text after "# EOF"', line: 1, column: 6 },
    {
      text: "x 1",
      om: true,
      message: 'missing "# EOF": OpenMetrics input must end with a "# EOF" line',
      line: 1,
      column: 4,
    },
    {
      text: "",
      om: true,
      message: 'missing "# EOF": OpenMetrics input must end with a "# EOF" line',
      line: 1,
      column: 1,
    },
    {
      text: " x 1\n# EOF",
      om: true,
      message: 'unexpected character " ": expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or "#"',
      line: 1,
      column: 1,
    },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.text)}${c.om ? " (OpenMetrics)" : ""}`, () => {
      expect(err(c.text, c.om)).toEqual({ code: "parse_error", message: c.message, line: c.line, column: c.column });
    });
  }
});

describe("formatPromFloat", () => {
  it("formats like prom-client with Prometheus spellings for non-finite values", () => {
    expect(formatPromFloat(1)).toBe("1");
    expect(formatPromFloat(0.5)).toBe("0.5");
    expect(formatPromFloat(1e-7)).toBe("1e-7");
    expect(formatPromFloat(Number.POSITIVE_INFINITY)).toBe("+Inf");
    expect(formatPromFloat(Number.NEGATIVE_INFINITY)).toBe("-Inf");
    expect(formatPromFloat(Number.NaN)).toBe("NaN");
    expect(formatPromFloat(-0)).toBe("0");
  });
});

// ---- property tests ------------------------------------------------------------------------------

const VALID_DOC = [
  "# HELP http_requests_total Total requests.",
  "# TYPE http_requests_total counter",
  'http_requests_total{method="GET",route="/a\\"b\\\\c\\nd"} 1027 1395066363000',
  'http_requests_total{method="POST",route="/"} 3',
  "# TYPE d histogram",
  'd_bucket{le="0.05"} 24054',
  'd_bucket{le="+Inf"} 144320',
  "d_sum 53423",
  "d_count 144320",
  "# TYPE s summary",
  's{quantile="0.5"} 4773',
  "s_sum 1.7560473e+07",
  "s_count 2693",
  'weird{a="",} NaN',
  "# EOF",
  "",
].join("\n");

function assertWellFormed(text: string, openMetrics: boolean): void {
  const res = parsePromText(text, { openMetrics });
  if (res.ok) return;
  expect(res.error.code).toBe("parse_error");
  expect(typeof res.error.message).toBe("string");
  expect(res.error.message.length).toBeGreaterThan(0);
  if (!("line" in res.error)) throw new Error("missing line/column");
  expect(res.error.line).toBeGreaterThanOrEqual(1);
  expect(res.error.column).toBeGreaterThanOrEqual(1);
  expect(res.error.line).toBeLessThanOrEqual(text.split("\n").length);
}

describe("property: never throws", () => {
  it("on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), fc.boolean(), (text, om) => {
        assertWellFormed(text, om);
      }),
      { numRuns: 2000 },
    );
  });

  it("on strings built from the format's own characters", () => {
    const piece = fc.constantFrom(
      "x",
      "_total",
      "{",
      "}",
      '"',
      "\\",
      "=",
      ",",
      " ",
      "\n",
      "\r\n",
      "# ",
      "# TYPE ",
      "# HELP ",
      "# UNIT ",
      "# EOF",
      "le",
      "1",
      ".5",
      "e",
      "+Inf",
      "NaN",
      "😀",
      "counter",
      "histogram",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.boolean(), (pieces, om) => {
        assertWellFormed(pieces.join(""), om);
      }),
      { numRuns: 2000 },
    );
  });

  it("on truncations and mutations of a valid document", () => {
    const mutation = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom("truncate", "delete", "insert", "replace"),
      char: fc.constantFrom('"', "\\", "{", "}", ",", "=", " ", "\n", "#", "x", "9", "é", "\r"),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (mutations, om) => {
        let text = VALID_DOC;
        for (const m of mutations) {
          const at = m.at % (text.length + 1);
          if (m.kind === "truncate") text = text.slice(0, at);
          else if (m.kind === "delete") text = text.slice(0, at) + text.slice(at + 1);
          else if (m.kind === "insert") text = text.slice(0, at) + m.char + text.slice(at);
          else text = text.slice(0, at) + m.char + text.slice(at + 1);
        }
        assertWellFormed(text, om);
      }),
      { numRuns: 3000 },
    );
  });

  it("the unmutated document is valid in both modes", () => {
    expect(ok(VALID_DOC, true).samples).toHaveLength(10);
    expect(ok(VALID_DOC).samples).toHaveLength(10);
  });
});

type TGenFamily = {
  name: string;
  type: "gauge" | "counter" | "untyped";
  help: string | undefined;
  samples: Array<{ labels: Array<[string, string]>; value: number; timestampMs: number | undefined }>;
};

describe("property: render → parse round-trips", () => {
  const metricName = fc
    .tuple(
      fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:"),
      fc.string({ unit: fc.constantFrom(..."abcxyzXYZ019_:"), maxLength: 12 }),
    )
    .map(([a, b]) => a + b);
  const labelName = fc
    .tuple(
      fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"),
      fc.string({ unit: fc.constantFrom(..."abcxyz019_"), maxLength: 10 }),
    )
    .map(([a, b]) => a + b)
    .filter((n) => n !== "__name__");
  const labelValue = fc.string({
    unit: fc.oneof(
      fc.constantFrom("\\", '"', "\n", "\r", "{", "}", ",", "=", "#", " ", "\t", "\\n", '\\"'),
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
    ),
    maxLength: 12,
  });
  // Small pools make consecutive samples share names and values, which exercises the parser's
  // reuse of the previous line's strings and label-object shapes.
  const pooledName = fc.oneof(fc.constantFrom("a", "b", "le", "route", "__proto__", "constructor"), labelName);
  const pooledValue = fc.oneof(fc.constantFrom("", "GET", "/users/:id", 'q"uote'), labelValue);
  const labels = fc.uniqueArray(fc.tuple(pooledName, pooledValue), { selector: ([k]) => k, maxLength: 5 });
  const value = fc.oneof(
    fc.double(),
    fc.integer({ min: -1e6, max: 1e6 }),
    fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  );
  const sample = fc.record({
    labels,
    value,
    timestampMs: fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 }), { nil: undefined }),
  });
  const family = fc.record({
    name: metricName,
    type: fc.constantFrom("gauge", "counter", "untyped"),
    // HELP text starts after the blanks following the name, and a trailing "\r" reads as CRLF.
    help: fc.option(
      labelValue.filter((h) => !/^[ \t]/.test(h) && !h.endsWith("\r")),
      { nil: undefined },
    ),
    samples: fc.array(sample, { maxLength: 4 }),
  });
  const doc: fc.Arbitrary<TGenFamily[]> = fc.uniqueArray(family, { selector: (f) => f.name, maxLength: 6 });

  const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  const renderValue = (n: number) => (Object.is(n, -0) ? "-0" : formatPromFloat(n));

  function render(families: TGenFamily[], om: boolean): string {
    const lines: string[] = [];
    for (const f of families) {
      const type = om && f.type === "untyped" ? "unknown" : f.type;
      if (f.help !== undefined) lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
      lines.push(`# TYPE ${f.name} ${type}`);
      for (const s of f.samples) {
        const ls = s.labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",");
        const ts = s.timestampMs === undefined ? "" : ` ${om ? s.timestampMs / 1000 : s.timestampMs}`;
        lines.push(`${f.name}${ls === "" ? "" : `{${ls}}`} ${renderValue(s.value)}${ts}`);
      }
    }
    if (om) lines.push("# EOF");
    return lines.join("\n");
  }

  for (const om of [false, true]) {
    it(om ? "OpenMetrics" : "0.0.4", () => {
      fc.assert(
        fc.property(doc, (families) => {
          const text = render(families, om);
          const res = parsePromText(text, { openMetrics: om });
          if (!res.ok) throw new Error(`${JSON.stringify(res.error)}\n${text}`);
          const expected = families.flatMap((f) =>
            f.samples.map((s) => ({
              name: f.name,
              labels: Object.fromEntries(s.labels),
              value: s.value,
              timestampMs: s.timestampMs,
              family: f.name,
            })),
          );
          expect(res.value.samples).toHaveLength(expected.length);
          res.value.samples.forEach((got, i) => {
            const want = expected[i] as TSampleIn;
            expect(got.name).toBe(want.name);
            expect(got.family).toBe(want.family);
            expect(Object.entries(got.labels)).toEqual(Object.entries(want.labels));
            expect(Object.is(got.value, want.value), `${got.value} vs ${want.value}`).toBe(true);
            expect(got.timestampMs).toBe(want.timestampMs);
          });
          for (const f of families) {
            expect(res.value.meta.get(f.name)).toEqual({ type: f.type, help: f.help ?? "", unit: "" });
          }
        }),
        { numRuns: 500 },
      );
    });
  }
});
