import { describe, expect, it } from "vitest";
import {
  buildCatalog,
  builderForMetric,
  EMPTY_BUILDER,
  functionsFor,
  parsePromQL,
  searchCatalog,
  type TBuilder,
  toPromQL,
} from "./builder";

const b = (over: Partial<TBuilder>): TBuilder => ({ ...EMPTY_BUILDER, ...over });

describe("toPromQL", () => {
  it("writes a bare selector with matchers", () => {
    expect(toPromQL(b({ metric: "up" }))).toBe("up");
    expect(
      toPromQL(
        b({
          metric: "http_requests_total",
          matchers: [
            { label: "route", op: "=", value: "/users" },
            { label: "status", op: "=~", value: "5.." },
          ],
        }),
      ),
    ).toBe('http_requests_total{route="/users", status=~"5.."}');
  });
  it("skips a regex matcher without a value (a chip still being typed)", () => {
    expect(toPromQL(b({ metric: "up", matchers: [{ label: "job", op: "=~", value: "" }] }))).toBe("up");
  });
  it("escapes quotes and backslashes in values", () => {
    expect(toPromQL(b({ metric: "x", matchers: [{ label: "path", op: "=", value: 'a"b\\c' }] }))).toBe(
      'x{path="a\\"b\\\\c"}',
    );
  });
  it("wraps rate and aggregation", () => {
    expect(toPromQL(b({ metric: "reqs_total", fn: "rate", agg: "sum" }))).toBe("sum(rate(reqs_total[1m]))");
    expect(toPromQL(b({ metric: "reqs_total", fn: "increase", window: "5m", agg: "max", by: ["route", "job"] }))).toBe(
      "max by (route, job) (increase(reqs_total[5m]))",
    );
    expect(toPromQL(b({ metric: "queue_depth", agg: "avg", by: ["queue"] }))).toBe("avg by (queue) (queue_depth)");
  });
  it("builds a histogram quantile over the _bucket series", () => {
    expect(
      toPromQL(b({ metric: "http_duration_seconds", fn: "histogram_quantile", quantile: 0.99, by: ["route"] })),
    ).toBe("histogram_quantile(0.99, sum by (le, route) (rate(http_duration_seconds_bucket[1m])))");
  });
  it("writes nothing without a metric", () => {
    expect(toPromQL(EMPTY_BUILDER)).toBe("");
  });
});

describe("parsePromQL", () => {
  const cases: TBuilder[] = [
    b({ metric: "up" }),
    b({ metric: "x", matchers: [{ label: "path", op: "!~", value: 'a"b\\c' }] }),
    b({ metric: "reqs_total", fn: "rate", agg: "sum" }),
    b({ metric: "reqs_total", fn: "increase", window: "5m", agg: "count", by: ["route", "job"] }),
    b({ metric: "queue_depth", agg: "min", by: ["queue"], matchers: [{ label: "q", op: "!=", value: "}" }] }),
    b({ metric: "d_seconds_bucket", fn: "histogram_quantile", quantile: 0.5, by: ["route"], window: "5m" }),
  ];
  it.each(cases.map((c) => [toPromQL(c), c]))("round-trips %s", (expr, builder) => {
    expect(parsePromQL(expr)).toEqual(builder);
  });
  it("accepts hand-written spacing", () => {
    expect(parsePromQL('sum by(route)(rate(reqs_total{ job = "api" }[1m]))')).toEqual(
      b({
        metric: "reqs_total",
        fn: "rate",
        agg: "sum",
        by: ["route"],
        matchers: [{ label: "job", op: "=", value: "api" }],
      }),
    );
  });
  it("refuses what the builder cannot show", () => {
    expect(parsePromQL("a / b")).toBeUndefined();
    expect(parsePromQL("topk(5, x)")).toBeUndefined();
    expect(parsePromQL("rate(x[1m]) > 3")).toBeUndefined();
    expect(parsePromQL('{__name__="x"}')).toBeUndefined();
  });
});

describe("metric catalog", () => {
  const catalog = buildCatalog(
    ["http_requests_total", "req_seconds_bucket", "req_seconds_count", "req_seconds_sum", "queue_depth"],
    {
      http_requests_total: [{ type: "counter", help: "Requests served", unit: "" }],
      req_seconds: [{ type: "histogram", help: "Request duration", unit: "seconds" }],
      queue_depth: [{ type: "gauge", help: "Jobs waiting", unit: "" }],
    },
  );
  it("joins names with their metadata and lists histogram base names", () => {
    expect(catalog.map((m) => [m.name, m.type])).toEqual([
      ["http_requests_total", "counter"],
      ["queue_depth", "gauge"],
      ["req_seconds", "histogram"],
      ["req_seconds_bucket", "histogram"],
      ["req_seconds_count", "counter"],
      ["req_seconds_sum", "counter"],
    ]);
  });
  it("searches names first, then help", () => {
    expect(searchCatalog(catalog, "req").map((m) => m.name)).toEqual([
      "req_seconds",
      "req_seconds_bucket",
      "req_seconds_count",
      "req_seconds_sum",
      "http_requests_total",
    ]);
    expect(searchCatalog(catalog, "waiting").map((m) => m.name)).toEqual(["queue_depth"]);
  });
  it("picks the function from the type", () => {
    const info = (n: string) => catalog.find((m) => m.name === n);
    expect(builderForMetric(info("http_requests_total"), "http_requests_total").fn).toBe("rate");
    expect(builderForMetric(info("req_seconds"), "req_seconds").fn).toBe("histogram_quantile");
    expect(builderForMetric(info("queue_depth"), "queue_depth").fn).toBe("none");
    expect(functionsFor(undefined, "unknown_total")[0]).toBe("rate");
  });
});
