import { describe, expect, it } from "vitest";
import { memorySource } from "../query/promql/source";
import { compileRule } from "./compile";
import { JobActivity, MIN_SILENT_MS } from "./job-activity";
import { previewRule } from "./preview";
import { type TAlertRuleInput, type TStoredAlertRule, ZAlertRuleSchema } from "./rules";
import { promExpr, promValue } from "./views";

const T0 = 1_800_000_000_000;
const rule = (input: TAlertRuleInput): TStoredAlertRule =>
  ({ ...ZAlertRuleSchema.parse(input), id: "r" }) as TStoredAlertRule;

/** One sample a minute for an hour; the value is 20 inside the given minute ranges, 5 elsewhere. */
function series(highs: [number, number][], labels: Record<string, string> = { room: "a" }) {
  const ts: number[] = [];
  const values: number[] = [];
  for (let m = 0; m <= 60; m++) {
    ts.push(T0 + m * 60_000);
    values.push(highs.some(([a, b]) => m >= a && m < b) ? 20 : 5);
  }
  return { labels: { __name__: "temp", ...labels }, ts, values };
}

describe("previewRule", () => {
  const range = { startMs: T0, endMs: T0 + 60 * 60_000, stepMs: 60_000 };

  it("counts the times the rule would have fired and when, per series", async () => {
    const src = memorySource([
      series([
        [5, 10],
        [20, 22],
        [40, 61],
      ]),
      series([[30, 35]], { room: "b" }),
    ]);
    const p = await previewRule(
      src,
      rule({ kind: "threshold", name: "Hot", query: "temp", condition: "above", threshold: 10 }),
      range,
    );
    expect(p.fired).toBe(4);
    expect(p.threshold).toBe(10);
    const a = p.periods.filter((x) => x.labels.room === "a").map((x) => [x.from, x.to]);
    expect(a).toEqual([
      [T0 + 5 * 60_000, T0 + 10 * 60_000],
      [T0 + 20 * 60_000, T0 + 22 * 60_000],
      [T0 + 40 * 60_000, null],
    ]);
    expect(p.series).toHaveLength(2);
    expect(p.series[0]?.values[0]).toEqual([T0 / 1000, "5"]);
  });

  it("applies `for`: a breach shorter than it never fires", async () => {
    const src = memorySource([
      series([
        [5, 7],
        [20, 30],
      ]),
    ]);
    const p = await previewRule(
      src,
      rule({ kind: "threshold", name: "Hot", query: "temp", condition: "above", threshold: 10, forSeconds: 300 }),
      range,
    );
    expect(p.periods.map((x) => [x.from, x.to])).toEqual([[T0 + 25 * 60_000, T0 + 30 * 60_000]]);
  });

  it("replays rate_of_change on query(t) − query(t − window)", async () => {
    const src = memorySource([series([[30, 61]])]);
    const p = await previewRule(
      src,
      rule({
        kind: "rate_of_change",
        name: "Jump",
        query: "temp",
        condition: "above",
        threshold: 10,
        windowSeconds: 300,
      }),
      range,
    );
    // 20 − 5 = 15 > 10 from minute 30 to minute 34; then both ends are 20.
    expect(p.periods.map((x) => [x.from, x.to])).toEqual([[T0 + 30 * 60_000, T0 + 35 * 60_000]]);
  });

  it("says absence rules have no preview", async () => {
    const p = await previewRule(memorySource([]), rule({ kind: "absence", name: "Gone", job: "api" }), range);
    expect(p).toMatchObject({
      fired: 0,
      series: [],
      warnings: [expect.stringMatching(/absence rules have no preview/)],
    });
  });
});

describe("compileRule", () => {
  it("indexes a rule by the metric names it reads and how far back", () => {
    const c = compileRule(
      rule({
        kind: "threshold",
        name: "Ratio",
        query: 'sum(rate(errors_total{code=~"5.."}[10m])) / sum(rate(requests_total[10m] offset 5m))',
        condition: "above",
        threshold: 0.1,
      }),
    );
    if ("error" in c) throw new Error(c.error);
    expect([...(c.names ?? [])].sort()).toEqual(["errors_total", "requests_total"]);
    expect(c.spanMs).toBe(15 * 60_000 + 60_000);
    expect(c.mode).toBe("window");
  });

  it("leaves rules without an exact metric name unindexed, and long ones to the store", () => {
    const c = compileRule(rule({ kind: "threshold", name: "Any", query: '{job="api"}', condition: "present" }));
    if ("error" in c) throw new Error(c.error);
    expect(c.names).toBeNull();
    const long = compileRule(
      rule({ kind: "threshold", name: "Day", query: "increase(x[1d])", condition: "above", threshold: 1 }),
    );
    if ("error" in long) throw new Error(long.error);
    expect(long.mode).toBe("store");
  });
});

describe("JobActivity", () => {
  it("learns each job's push interval and calls it silent after three of them, no later than `for`", () => {
    const jobs = new JobActivity();
    for (let i = 0; i < 10; i++) jobs.observe(["batch"], T0 + i * 20_000);
    expect(jobs.silentAfterMs("batch", 300_000)).toBeCloseTo(60_000, -3);
    expect(jobs.silentAfterMs("batch", 30_000)).toBe(30_000);
    jobs.observe(["fast"], T0);
    jobs.observe(["fast"], T0 + 1000);
    expect(jobs.silentAfterMs("fast", 300_000)).toBe(MIN_SILENT_MS);
  });

  it("forgets jobs not seen for a day and never moves a last push back", () => {
    const jobs = new JobActivity();
    jobs.observe(["a"], T0);
    jobs.seed("a", T0 - 5000);
    jobs.seed("b", T0 - 25 * 3_600_000);
    expect(jobs.lastPush("a")).toBe(T0);
    expect(jobs.known(T0)).toEqual(["a"]);
  });
});

describe("Prometheus-compatible shapes", () => {
  it("writes values as Go's %e and conditions as PromQL", () => {
    expect(promValue(1)).toBe("1e+00");
    expect(promValue(0.25)).toBe("2.5e-01");
    expect(promValue(1234.5)).toBe("1.2345e+03");
    expect(promValue(Number.POSITIVE_INFINITY)).toBe("+Inf");
    expect(promExpr(rule({ kind: "threshold", name: "x", query: "up", condition: "below", threshold: 1 }))).toBe(
      "(up) < 1",
    );
    expect(
      promExpr(
        rule({ kind: "threshold", name: "x", query: "temp", condition: "outside", low: 1, high: 2, inclusive: true }),
      ),
    ).toBe("(temp) <= 1 or (temp) >= 2");
  });
});
