import { describe, expect, it } from "vitest";
import {
  draftFromRule,
  EMPTY_DRAFT,
  formatAlertValue,
  labelsText,
  parseMatchers,
  ruleFromDraft,
  thresholdLines,
} from "./alerts-format";

describe("the rule editor's draft", () => {
  it("turns typed text into a rule body", () => {
    const { rule, problems } = ruleFromDraft({
      ...EMPTY_DRAFT,
      name: "Slow",
      query: "histogram_quantile(0.95, x)",
      threshold: "0.25",
      forText: "2m",
      keepFiringText: "30s",
      hysteresis: "10",
      labels: "team=data\n\n route = /api ",
      summary: "p95 {{ $value }}",
      channels: ["ops"],
    });
    expect(problems).toEqual([]);
    expect(rule).toEqual({
      kind: "threshold",
      name: "Slow",
      query: "histogram_quantile(0.95, x)",
      condition: "above",
      threshold: 0.25,
      hysteresis: 0.1,
      forSeconds: 120,
      keepFiringForSeconds: 30,
      severity: "warning",
      labels: { team: "data", route: "/api" },
      annotations: { summary: "p95 {{ $value }}" },
      channels: ["ops"],
      enabled: true,
    });
  });

  it("names what is wrong: a threshold that is not a number, a bad duration, a label line", () => {
    const { problems } = ruleFromDraft({ ...EMPTY_DRAFT, threshold: "ten", forText: "5 minutes", labels: "oops" });
    expect(problems).toEqual([
      { path: "labels", message: "line 1: write labels as name=value" },
      { path: "forSeconds", message: '"5 minutes" is not a duration: write 30s, 5m, 1h…' },
      { path: "threshold", message: 'threshold must be a number, not "ten"' },
    ]);
  });

  it("round-trips a stored rule through the draft", () => {
    const stored = {
      kind: "rate_of_change" as const,
      name: "Jump",
      query: "queue_depth",
      condition: "outside" as const,
      low: -5,
      high: 5,
      inclusive: true,
      hysteresis: 0.05,
      windowSeconds: 600,
      forSeconds: 0,
      keepFiringForSeconds: 0,
      severity: "critical" as const,
      labels: {},
      annotations: { summary: "s", runbook: "http://x" },
      enabled: false,
      channels: [],
    };
    const back = ruleFromDraft(draftFromRule(stored));
    expect(back.problems).toEqual([]);
    expect(back.rule).toEqual(stored);
  });
});

describe("formatting", () => {
  it("shows values, bands and labels compactly", () => {
    expect(formatAlertValue(0.123456)).toBe("0.1235");
    expect(formatAlertValue([1, 2])).toBe("1 – 2");
    expect(formatAlertValue(null)).toBe("–");
    expect(labelsText({ alertname: "A", severity: "warning", route: "/x", job: "api" })).toBe(
      '{job="api", route="/x"}',
    );
    expect(thresholdLines([1, 2])).toEqual([1, 2]);
    expect(thresholdLines(3)).toEqual([3]);
  });

  it("reads silence matchers as Alertmanager writes them", () => {
    expect(parseMatchers('{alertname="High", route=~"/api/.*", env!="dev"}')).toEqual({
      ok: true,
      matchers: [
        { name: "alertname", op: "=", value: "High" },
        { name: "route", op: "=~", value: "/api/.*" },
        { name: "env", op: "!=", value: "dev" },
      ],
    });
    expect(parseMatchers("alertname=High")).toMatchObject({ ok: false, error: expect.stringMatching(/column 1/) });
    expect(parseMatchers("")).toMatchObject({ ok: false });
  });
});
