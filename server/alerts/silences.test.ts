// Silence matching (the four operators, anchoring, missing labels), the time window and the schema.
import { describe, expect, it } from "vitest";
import {
  isSilenced,
  matcherMatches,
  silencedBy,
  silenceFromAlert,
  type TSilence,
  type TSilenceMatcher,
  ZSilenceSchema,
} from "./silences";

const alert = { alertname: "HighLatency", route: "/orders", service: "api-2", severity: "warning" };

function silence(matchers: TSilenceMatcher[], startsAt = 0, endsAt = 1000): TSilence {
  return { id: "s", matchers, startsAt, endsAt, createdBy: "ana", comment: "" };
}

describe("matchers", () => {
  const m = (op: TSilenceMatcher["op"], value: string): TSilenceMatcher => ({ name: "service", op, value });

  it("applies each of the four operators", () => {
    expect([m("=", "api-2"), m("=", "api")].map((x) => matcherMatches(x, "api-2"))).toEqual([true, false]);
    expect([m("!=", "api-2"), m("!=", "api")].map((x) => matcherMatches(x, "api-2"))).toEqual([false, true]);
    expect([m("=~", "api-.*"), m("=~", "web-.*")].map((x) => matcherMatches(x, "api-2"))).toEqual([true, false]);
    expect([m("!~", "api-.*"), m("!~", "web-.*")].map((x) => matcherMatches(x, "api-2"))).toEqual([false, true]);
  });

  it("anchors regexes at both ends, as Prometheus does", () => {
    expect(matcherMatches(m("=~", "api"), "api-2")).toBe(false);
    expect(matcherMatches(m("=~", "pi-2"), "api-2")).toBe(false);
    expect(matcherMatches(m("=~", "api|web"), "api")).toBe(true);
    expect(matcherMatches(m("=~", "api|web"), "xapi")).toBe(false);
    expect(matcherMatches(m("!~", "api"), "api-2")).toBe(true);
    expect(matcherMatches(m("=~", "(?i)API-2"), "api-2")).toBe(true);
  });

  it("matches a missing label as the empty string", () => {
    const team = (op: TSilenceMatcher["op"], value: string) => silence([{ name: "team", op, value }]);
    expect(isSilenced(alert, [team("=", "")], 10)).toBe(true);
    expect(isSilenced(alert, [team("!=", "")], 10)).toBe(false);
    expect(isSilenced(alert, [team("=~", ".*")], 10)).toBe(true);
    expect(isSilenced(alert, [team("=~", ".+")], 10)).toBe(false);
  });
});

describe("isSilenced", () => {
  const s = silence(
    [
      { name: "alertname", op: "=", value: "HighLatency" },
      { name: "route", op: "=~", value: "/orders.*" },
    ],
    100,
    200,
  );

  it("needs every matcher to match", () => {
    expect(isSilenced(alert, [s], 150)).toBe(true);
    expect(isSilenced({ ...alert, route: "/users" }, [s], 150)).toBe(false);
    expect(isSilenced({ ...alert, alertname: "Other" }, [s], 150)).toBe(false);
  });

  it("is active from startsAt inclusive to endsAt exclusive", () => {
    expect([99, 100, 199, 200].map((t) => isSilenced(alert, [s], t))).toEqual([false, true, true, false]);
  });

  it("names the silences that apply", () => {
    const other = { ...silence([{ name: "severity", op: "=", value: "warning" }], 0, 1000), id: "s2" };
    expect(silencedBy(alert, [s, other], 150).map((x) => x.id)).toEqual(["s", "s2"]);
    expect(silencedBy(alert, [s, other], 500).map((x) => x.id)).toEqual(["s2"]);
    expect(isSilenced(alert, [], 150)).toBe(false);
  });
});

describe("silenceFromAlert", () => {
  it("matches exactly the alert's labels, from now for the duration", () => {
    const draft = silenceFromAlert({ route: "/orders", alertname: "HighLatency" }, 3_600_000, 1_000);
    expect(draft).toEqual({
      matchers: [
        { name: "alertname", value: "HighLatency", op: "=" },
        { name: "route", value: "/orders", op: "=" },
      ],
      startsAt: 1_000,
      endsAt: 3_601_000,
    });
    const s = { ...draft, id: "x", createdBy: "ana", comment: "" };
    expect(isSilenced({ route: "/orders", alertname: "HighLatency" }, [s], 2_000)).toBe(true);
    expect(isSilenced({ route: "/orders", alertname: "HighLatency", extra: "1" }, [s], 2_000)).toBe(true);
    expect(isSilenced({ route: "/users", alertname: "HighLatency" }, [s], 2_000)).toBe(false);
    expect(ZSilenceSchema.safeParse(s).success).toBe(true);
  });
});

describe("ZSilenceSchema", () => {
  const base = {
    id: "s1",
    matchers: [{ name: "alertname", op: "=", value: "A" }],
    startsAt: "2024-05-01T10:00:00Z",
    endsAt: "2024-05-01T12:00:00.500+02:00",
    createdBy: "ana",
  };
  const issues = (x: unknown) =>
    ZSilenceSchema.safeParse(x).error?.issues.map((i) => ({ path: i.path.join("."), message: i.message }));

  it("takes RFC 3339 times or epoch ms, and defaults the comment", () => {
    expect(ZSilenceSchema.parse(base)).toEqual({
      ...base,
      startsAt: Date.UTC(2024, 4, 1, 10),
      endsAt: Date.UTC(2024, 4, 1, 10, 0, 0, 500),
      comment: "",
    });
    expect(ZSilenceSchema.parse({ ...base, startsAt: 1, endsAt: 2 })).toMatchObject({ startsAt: 1, endsAt: 2 });
  });

  it("compiles regexes and reports bad ones", () => {
    expect(issues({ ...base, matchers: [...base.matchers, { name: "route", op: "=~", value: "(" }] })).toEqual([
      { path: "matchers.1.value", message: expect.stringMatching(/^invalid regular expression: /) },
    ]);
  });

  it("refuses empty windows, bad names and ops, and silences that match everything", () => {
    expect(issues({ ...base, endsAt: base.startsAt })).toEqual([
      { path: "endsAt", message: "endsAt must be after startsAt" },
    ]);
    expect(issues({ ...base, matchers: [{ name: "a-b", op: "==", value: "x" }] })).toEqual([
      { path: "matchers.0.name", message: "matcher name must be a label name ([a-zA-Z_][a-zA-Z0-9_]*)" },
      { path: "matchers.0.op", message: 'op must be "=", "!=", "=~" or "!~"' },
    ]);
    expect(issues({ ...base, matchers: [{ name: "route", op: "=~", value: ".*" }] })).toEqual([
      {
        path: "matchers",
        message:
          'at least one matcher must not match the empty string (such as alertname="…"), or the silence would match every alert',
      },
    ]);
    expect(issues({ ...base, matchers: [] })).toEqual([
      { path: "matchers", message: "a silence needs at least one matcher" },
    ]);
    expect(issues({ ...base, createdBy: " " })).toEqual([
      { path: "createdBy", message: "createdBy must not be empty" },
    ]);
  });
});
