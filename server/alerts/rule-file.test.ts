// Prometheus rule files as users write them (YAML), end to end; the conversion's error paths are
// covered on plain objects in rules.test.ts.
import { describe, expect, it } from "vitest";
import { parseRuleFile } from "./rule-file";

const FILE = `
groups:
  - name: api
    interval: 30s
    rules:
      - alert: HighErrorRatio
        expr: |
          sum by (route) (rate(http_server_request_duration_seconds_count{status=~"5.."}[5m]))
            / sum by (route) (rate(http_server_request_duration_seconds_count[5m])) >= 0.05
        for: 2m
        keep_firing_for: 30s
        labels:
          severity: critical
          team: core
        annotations:
          summary: "{{ $labels.route }} fails {{ $value | humanizePercentage }}"
      - alert: NoTraffic
        expr: absent(http_server_request_duration_seconds_count)
        for: 10m
      - record: route:errors:rate5m
        expr: sum by (route) (rate(errors_total[5m]))
`;

describe("parseRuleFile", () => {
  it("reads a Prometheus rule file and reports its recording rule by path", () => {
    expect(parseRuleFile(FILE)).toEqual({
      ok: false,
      warnings: [
        {
          path: "groups[0].interval",
          message: "interval is not applied: Hotpath evaluates every rule on its own schedule",
        },
      ],
      errors: [
        {
          path: "groups[0].rules[2].record",
          message:
            'recording rule "route:errors:rate5m" is not supported: Hotpath runs alerting rules only; put its expression into the alerts that use it, or remove it',
        },
      ],
    });
  });

  it("converts the alerting rules once the recording rule is gone", () => {
    const r = parseRuleFile(FILE.slice(0, FILE.indexOf("      - record:")));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rules).toEqual([
      {
        kind: "threshold",
        name: "HighErrorRatio",
        query:
          'sum by (route) (rate(http_server_request_duration_seconds_count{status=~"5.."}[5m]))\n  / sum by (route) (rate(http_server_request_duration_seconds_count[5m]))',
        condition: "above",
        threshold: 0.05,
        inclusive: true,
        forSeconds: 120,
        keepFiringForSeconds: 30,
        hysteresis: 0,
        severity: "critical",
        labels: { team: "core" },
        annotations: { summary: "{{ $labels.route }} fails {{ $value | humanizePercentage }}" },
        enabled: true,
        channels: [],
      },
      {
        kind: "threshold",
        name: "NoTraffic",
        query: "absent(http_server_request_duration_seconds_count)",
        condition: "present",
        inclusive: false,
        forSeconds: 600,
        keepFiringForSeconds: 0,
        hysteresis: 0,
        severity: "warning",
        labels: {},
        annotations: {},
        enabled: true,
        channels: [],
      },
    ]);
  });

  it("reports YAML syntax errors with their line", () => {
    const r = parseRuleFile("groups:\n  - name: a\n    rules: [\n");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.path).toBe("");
    expect(r.errors[0]?.message).toMatch(/^not valid YAML: line \d+, column \d+: \S/);
  });

  it("refuses duplicate keys rather than keeping the last one", () => {
    const r = parseRuleFile("groups:\n  - name: a\n    name: b\n    rules: []\n");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]?.message).toMatch(/^not valid YAML: line 3, column \d+: Map keys must be unique/);
  });

  it("reports an empty file", () => {
    expect(parseRuleFile("")).toEqual({
      ok: false,
      errors: [{ path: "", message: "the file is empty: a rule file starts with groups:" }],
      warnings: [],
    });
  });
});
