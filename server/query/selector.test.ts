import { describe, expect, it } from "vitest";
import { exactName, parseSelector, selectorMatches } from "./selector";

describe("parseSelector", () => {
  it("parses names and all four matcher kinds, with escapes", () => {
    const r = parseSelector('http_requests_total{route=~"/api/.*", method!="POST", status!~"5..", path="a\\"b"}');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(exactName(r.value)).toBe("http_requests_total");
    expect(
      selectorMatches(r.value, "http_requests_total", { route: "/api/x", method: "GET", status: "200", path: 'a"b' }),
    ).toBe(true);
    expect(
      selectorMatches(r.value, "http_requests_total", { route: "/api/x", method: "GET", status: "503", path: 'a"b' }),
    ).toBe(false);
    // Regexes are anchored, as in Prometheus.
    expect(
      selectorMatches(r.value, "http_requests_total", { route: "x/api/x", method: "GET", status: "200", path: 'a"b' }),
    ).toBe(false);
  });

  it("names the column of a mistake", () => {
    expect(parseSelector('up{job="a"')).toMatchObject({ ok: false, error: { code: "bad_selector" } });
    expect(parseSelector('up{job~"a"}')).toMatchObject({ ok: false, error: { column: 7 } });
    expect(parseSelector('{job=~".*"}')).toMatchObject({ ok: false });
    expect(parseSelector('{a=~"("}')).toMatchObject({ ok: false });
  });
});
