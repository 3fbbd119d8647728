import http from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import client from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseGroupingPath, renderGroupingKey, type TGroupingKey } from "./grouping-path";

function ok(path: string): TGroupingKey {
  const res = parseGroupingPath(path);
  if (!res.ok) throw new Error(`expected ok for ${path}, got ${JSON.stringify(res.error)}`);
  return res.value;
}

function err(path: string): string {
  const res = parseGroupingPath(path);
  if (res.ok) throw new Error(`expected an error for ${path}, got ${JSON.stringify(res.value)}`);
  expect(res.error).toMatchObject({ code: "parse_error", field: "path" });
  return res.error.message;
}

const b64url = (s: string) => Buffer.from(s, "utf8").toString("base64url");

describe("parseGroupingPath", () => {
  it("parses plain job and label pairs", () => {
    expect(ok("/job/batch")).toEqual({ job: "batch", labels: { job: "batch" } });
    expect(ok("/job/batch/instance/host-1")).toEqual({
      job: "batch",
      labels: { job: "batch", instance: "host-1" },
    });
  });

  it("follows the README examples", () => {
    expect(ok("/job/directory_cleaner/path@base64/L3Zhci90bXA").labels).toEqual({
      job: "directory_cleaner",
      path: "/var/tmp",
    });
    expect(ok("/job/example/first_label@base64/=/second_label/foobar").labels).toEqual({
      job: "example",
      first_label: "",
      second_label: "foobar",
    });
    const titan = { job: "titan", name: "Προμηθεύς" };
    expect(ok("/job/titan/name/%CE%A0%CF%81%CE%BF%CE%BC%CE%B7%CE%B8%CE%B5%CF%8D%CF%82").labels).toEqual(titan);
    expect(ok("/job/titan/name@base64/zqDPgc6_zrzOt864zrXPjc-C").labels).toEqual(titan);
  });

  it("decodes a base64 job name, with or without padding, in either alphabet", () => {
    expect(ok("/job@base64/YmF0Y2g=").job).toBe("batch");
    expect(ok("/job@base64/YmF0Y2g").job).toBe("batch");
    expect(ok("/job@base64/YmF0Y2g%3D").job).toBe("batch");
    // "?>?" is "Pz4_" URL-safe and "Pz4/" standard ("/" can only arrive percent-encoded); "??>" is "Pz8-" / "Pz8+".
    expect(ok("/job/j/v@base64/Pz4_").labels.v).toBe("?>?");
    expect(ok("/job/j/v@base64/Pz4%2F").labels.v).toBe("?>?");
    expect(ok("/job/j/v@base64/Pz8-").labels.v).toBe("??>");
    expect(ok("/job/j/v@base64/Pz8+").labels.v).toBe("??>");
    expect(ok("/job/j/v@base64/==").labels.v).toBe("");
  });

  it("percent-decodes each segment after splitting, so %2F stays inside a value", () => {
    expect(ok("/job/a/path/%2Fvar%2Ftmp").labels.path).toBe("/var/tmp");
    expect(ok("/job/a%20b/pct/50%25").labels).toEqual({ job: "a b", pct: "50%" });
    expect(ok("/job/a/plus/a+b").labels.plus).toBe("a+b");
  });

  it("accepts a path without the leading slash and a trailing slash after complete pairs", () => {
    expect(ok("job/a").job).toBe("a");
    expect(ok("/job/a/").labels).toEqual({ job: "a" });
    expect(ok("/job/a/instance/x/").labels).toEqual({ job: "a", instance: "x" });
  });

  it("rejects paths that don't start with job", () => {
    expect(err("")).toContain('"/job/<job name>"');
    expect(err("/")).toContain('"/job/<job name>"');
    expect(err("/instance/x")).toBe('the path after /metrics must start with "/job/<job name>", got "/instance"');
    expect(err("/jobs/x")).toContain("must start with");
  });

  it("rejects empty jobs and empty plain values", () => {
    expect(err("/job")).toContain("odd number of path segments");
    expect(err("/job/")).toBe("the job name can't be empty");
    expect(err("/job@base64/=")).toBe("the job name can't be empty");
    expect(err("/job@base64/")).toBe("the job name can't be empty");
    expect(err("/job/a/instance/")).toBe(
      'empty value for label "instance": write an empty value as /instance@base64/=',
    );
    expect(err("/job/a/e//x/y")).toContain("/e@base64/=");
    expect(err("/job/a/e@base64/")).toContain("/e@base64/=");
  });

  it("rejects unpaired segments", () => {
    expect(err("/job/a/instance")).toBe(
      'odd number of path segments in "/job/a/instance": expected /job/<job>{/<label>/<value>}; an empty value must be written as <label>@base64/=',
    );
    expect(err("/job/a//")).toContain('empty label name in "/job/a//"');
  });

  it("validates label names", () => {
    expect(err("/job/a/1abc/x")).toBe('invalid label name "1abc" in path: expected [a-zA-Z_][a-zA-Z0-9_]*');
    expect(err("/job/a/foo-bar/x")).toContain('invalid label name "foo-bar"');
    expect(err("/job/a/@base64/x")).toContain('invalid label name ""');
    expect(err("/job/a/__name__/x")).toBe('label name "__name__" is reserved (names starting with "__")');
    expect(err("/job/a/__proto__/x")).toContain("reserved");
    expect(ok("/job/a/constructor/x/toString/y").labels).toEqual({ job: "a", constructor: "x", toString: "y" });
  });

  it("rejects duplicate labels, including a second job", () => {
    expect(err("/job/a/x/1/x/2")).toBe('duplicate label "x" in path');
    expect(err("/job/a/x/1/x@base64/Mg")).toBe('duplicate label "x" in path');
    expect(err("/job/a/job/b")).toBe('duplicate label "job" in path');
  });

  it("rejects invalid base64 and invalid percent-encoding", () => {
    expect(err("/job/a/v@base64/a.b")).toBe(
      'value of "v@base64" contains characters outside the base64 alphabet: "a.b"',
    );
    expect(err("/job/a/v@base64/abcde")).toContain("impossible length");
    expect(err("/job/a/v@base64/_w")).toContain("valid UTF-8"); // 0xFF
    expect(err("/job/a/v/50%")).toBe('invalid percent-encoding in path segment "50%"');
    expect(err("/job/%E0%A4%A/v/x")).toContain("invalid percent-encoding");
  });

  it("round-trips arbitrary label sets encoded the way client libraries do", () => {
    const name = fc
      .tuple(
        fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        fc.string({ unit: fc.constantFrom(..."abcxyz019_"), maxLength: 8 }),
      )
      .map(([a, b]) => a + b)
      .filter((n) => n !== "job");
    const value = fc.string({ unit: "binary", maxLength: 12 });
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", minLength: 1, maxLength: 12 }),
        fc.uniqueArray(fc.tuple(name, value, fc.boolean()), { selector: ([k]) => k, maxLength: 5 }),
        fc.boolean(),
        (job, pairs, jobBase64) => {
          let path = jobBase64 ? `/job@base64/${b64url(job)}` : `/job/${encodeURIComponent(job)}`;
          for (const [k, v, base64] of pairs) {
            // Empty values must use base64, as the Python client does.
            path +=
              base64 || v === "" ? `/${k}@base64/${v === "" ? "=" : b64url(v)}` : `/${k}/${encodeURIComponent(v)}`;
          }
          expect(ok(path)).toEqual({ job, labels: { job, ...Object.fromEntries(pairs.map(([k, v]) => [k, v])) } });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("/", "job", "@base64", "=", "%", "2F", "a", "_", "é", "%C3") }),
        (p) => {
          const res = parseGroupingPath(p);
          if (!res.ok) expect(res.error).toMatchObject({ code: "parse_error", field: "path" });
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("prom-client Pushgateway URLs", () => {
  // Captures the request paths prom-client really sends, rather than restating its encoding here.
  let server: http.Server;
  let gatewayUrl: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url ?? "");
      req.resume();
      req.on("end", () => res.end(""));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function pathFor(
    method: "push" | "pushAdd" | "delete",
    params: { jobName: string; groupings?: Record<string, string> },
  ): Promise<string> {
    const gw = new client.Pushgateway(gatewayUrl, {}, new client.Registry());
    seen.length = 0;
    await gw[method](params);
    const url = seen[0] ?? "";
    expect(url.startsWith("/metrics")).toBe(true);
    return url.slice("/metrics".length);
  }

  it("push with instance and path groupings", async () => {
    const path = await pathFor("push", { jobName: "a", groupings: { instance: "x y", path: "/var/tmp" } });
    expect(path).toBe("/job/a/instance/x%20y/path/%2Fvar%2Ftmp");
    expect(ok(path)).toEqual({ job: "a", labels: { job: "a", instance: "x y", path: "/var/tmp" } });
  });

  it("pushAdd with reserved characters in the job and values", async () => {
    const path = await pathFor("pushAdd", { jobName: "batch job/1", groupings: { instance: "h:9091", pct: "50%" } });
    expect(path).toBe("/job/batch%20job%2F1/instance/h%3A9091/pct/50%25");
    expect(ok(path).labels).toEqual({ job: "batch job/1", instance: "h:9091", pct: "50%" });
  });

  it("delete without groupings", async () => {
    const path = await pathFor("delete", { jobName: "a" });
    expect(path).toBe("/job/a");
    expect(ok(path).labels).toEqual({ job: "a" });
  });

  it("an empty grouping value (which prom-client sends as //) is rejected with a hint", async () => {
    const path = await pathFor("push", { jobName: "a", groupings: { e: "", instance: "i" } });
    expect(path).toBe("/job/a/e//instance/i");
    expect(err(path)).toBe('empty value for label "e": write an empty value as /e@base64/=');
  });
});

describe("renderGroupingKey", () => {
  it("sorts by name and JSON-escapes values", () => {
    expect(renderGroupingKey({ job: "a", instance: 'x "y"\n' })).toBe('instance="x \\"y\\"\\n",job="a"');
    expect(renderGroupingKey({ b: "1", a: "2" })).toBe(renderGroupingKey({ a: "2", b: "1" }));
    expect(renderGroupingKey({})).toBe("");
  });

  it("can't be fooled by separators inside values or odd names", () => {
    expect(renderGroupingKey({ a: '1",b="2' })).not.toBe(renderGroupingKey({ a: "1", b: "2" }));
    expect(renderGroupingKey({ "a=b": "c" })).toBe('"a=b"="c"');
  });

  it("is injective over label sets", () => {
    const labels = fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 4 });
    fc.assert(
      fc.property(labels, labels, (a, b) => {
        const same = JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
        expect(renderGroupingKey(a) === renderGroupingKey(b)).toBe(same);
      }),
      { numRuns: 2000 },
    );
  });
});
