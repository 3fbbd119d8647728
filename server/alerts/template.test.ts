// Template rendering against the strings Prometheus's Go templates produce for the same input.
import { describe, expect, it } from "vitest";
import {
  formatGoFloat,
  humanize,
  humanizeDuration,
  humanizePercentage,
  renderTemplate,
  type TTemplateData,
  validateTemplate,
} from "./template";

const data: TTemplateData = {
  labels: { route: "/orders", service: "api", job: "shop" },
  value: 0.0734,
  threshold: 0.05,
};

describe("Go number formatting", () => {
  it("prints %v like Go: exponent from 1e+06 and below 1e-04", () => {
    const cases: [number, string][] = [
      [0.05, "0.05"],
      [100, "100"],
      [123456, "123456"],
      [1e6, "1e+06"],
      [1234567, "1.234567e+06"],
      [0.0001, "0.0001"],
      [0.00001, "1e-05"],
      [-2.5, "-2.5"],
      [0.1 + 0.2, "0.30000000000000004"],
      [Number.NaN, "NaN"],
      [Number.POSITIVE_INFINITY, "+Inf"],
      [Number.NEGATIVE_INFINITY, "-Inf"],
      [-0, "-0"],
      [1e21, "1e+21"],
    ];
    expect(cases.map(([v]) => formatGoFloat(v))).toEqual(cases.map(([, s]) => s));
  });

  it("prints %.4g like Go", () => {
    const cases: [number, string][] = [
      [100000, "1e+05"],
      [12, "12"],
      [1000, "1000"],
      [1234.5678, "1235"],
      [12346, "1.235e+04"],
      [0.000123456, "0.0001235"],
      [0.0000123456, "1.235e-05"],
      [0, "0"],
    ];
    expect(cases.map(([v]) => formatGoFloat(v, 4))).toEqual(cases.map(([, s]) => s));
  });

  it("humanizes like Prometheus", () => {
    expect([1234, 0.0012, 0, 1e9, 999, 1_500_000, -2500].map(humanize)).toEqual([
      "1.234k",
      "1.2m",
      "0",
      "1G",
      "999",
      "1.5M",
      "-2.5k",
    ]);
    expect([0.1234, 0.05, 1].map(humanizePercentage)).toEqual(["12.34%", "5%", "100%"]);
    expect([0, 90_061, 3661, 61, 1.5, 0.25, 0.0005, -61].map(humanizeDuration)).toEqual([
      "0s",
      "1d 1h 1m 1s",
      "1h 1m 1s",
      "1m 1s",
      "1.5s",
      "250ms",
      "500us",
      "-1m 1s",
    ]);
  });
});

describe("renderTemplate", () => {
  it("renders values, labels, the threshold and functions in both call styles", () => {
    expect(
      renderTemplate(
        "{{ $labels.route }} error ratio {{ humanizePercentage $value }} > {{ $value | humanizePercentage }} ({{ $threshold }}, raw {{ $value }})",
        data,
      ),
    ).toBe("/orders error ratio 7.34% > 7.34% (0.05, raw 0.0734)");
  });

  it("supports the .Labels / .Value spelling, printf, chained pipes, comments and trim markers", () => {
    expect(renderTemplate('{{ .Labels.service }}={{ printf "%.2f" .Value }}', data)).toBe("api=0.07");
    expect(renderTemplate("{{ $labels.route | toUpper }}", data)).toBe("/ORDERS");
    expect(renderTemplate("{{ 1500 | humanize | toUpper }}", data)).toBe("1.5K");
    expect(renderTemplate("a {{/* note */}}b", data)).toBe("a b");
    expect(renderTemplate("a   {{- $labels.job -}}   b", data)).toBe("ashopb");
    expect(renderTemplate('{{ "}}" }}', data)).toBe("}}");
  });

  it("renders a missing label and an absent value as empty text, a label map as Go does", () => {
    expect(renderTemplate("[{{ $labels.nope }}]", data)).toBe("[]");
    expect(renderTemplate("[{{ $value }}|{{ humanize $value }}]", { ...data, value: null })).toBe("[|]");
    expect(renderTemplate("{{ $labels }}", { labels: { b: "2", a: "1" }, value: 1 })).toBe("map[a:1 b:2]");
  });

  it("renders a band threshold as [low, high] and none as empty", () => {
    expect(renderTemplate("{{ $threshold }}", { ...data, threshold: [0.5, 2] })).toBe("[0.5, 2]");
    expect(renderTemplate("<{{ $threshold }}>", { ...data, threshold: null })).toBe("<>");
  });

  it("renders what validateTemplate reports as empty text, keeping the rest", () => {
    expect(renderTemplate("x={{ $foo }} y={{ $value }}", data)).toBe("x= y=0.0734");
    expect(renderTemplate("{{ if $value }}yes{{ end }}", data)).toBe("yes");
  });
});

describe("validateTemplate", () => {
  it("accepts every supported construct", () => {
    expect(
      validateTemplate(
        '{{ $value }} {{ $labels.a }} {{ humanize $value }} {{ $value | humanizeDuration }} {{ $threshold }} {{ printf "%d" 3 }} {{- /* c */ -}} {{ .Labels.a }} {{ $externalLabels.env }}',
      ),
    ).toEqual({ ok: true });
  });

  it("names an unknown variable with its position", () => {
    expect(validateTemplate("value\n  is {{ $vaule }}")).toEqual({
      ok: false,
      errors: [
        {
          offset: 14,
          line: 2,
          column: 9,
          name: "$vaule",
          message:
            'unknown variable "$vaule": use $value, $labels.<name>, $threshold or $externalLabels.<name> (line 2, column 9)',
        },
      ],
    });
  });

  it("reports unknown functions, unsupported actions, arity, unclosed actions and bad fields", () => {
    const check = validateTemplate(
      "{{ humanise $value }}{{ if $value }}{{ humanize }}{{ .Foo }}{{ $value 3 }}{{ $x := 1 }}{{ $value",
    );
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.errors.map((e) => [e.offset, e.name])).toEqual([
      [3, "humanise"],
      [24, "if"],
      [39, "humanize"],
      [53, ".Foo"],
      [70, "3"],
      [80, ":="],
      [87, "{{"],
    ]);
    expect(check.errors[0]?.message).toMatch(/^unknown function "humanise": use humanize, /);
    expect(check.errors[1]?.message).toBe(
      '"if" is not supported in alert templates: only values and functions are (line 1, column 25)',
    );
    expect(check.errors[2]?.message).toBe("humanize takes 1 argument, got 0 (line 1, column 40)");
    expect(check.errors[4]?.message).toBe(
      '"$value" is a value, not a function: it takes no arguments (line 1, column 71)',
    );
    expect(check.errors[5]?.message).toBe(
      "variable assignment is not supported in alert templates (line 1, column 81)",
    );
    expect(check.errors[6]?.message).toBe('unclosed action: "{{" has no matching "}}" (line 1, column 88)');
  });
});
