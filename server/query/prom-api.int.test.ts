// The Prometheus query API of a real Hotpath server: Prometheus's exact JSON (timestamps in seconds,
// values as strings, NaN/+Inf/-Inf), GET and form-encoded POST as Grafana sends, errors with
// Prometheus's errorType and status, the label, metadata and buildinfo endpoints, and auth.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeRemoteWrite } from "../ingest/parse/remote-write";
import { STORES } from "../test/harness";
import { startQueryServer, type TQueryServer } from "./promql/test-support";

const KEY = "promapi-bootstrap-secret-0123456789";
const auth = { authorization: `Bearer ${KEY}` };

type TProm = { status: string; errorType?: string; error?: string; data?: unknown; warnings?: string[] };

for (const store of STORES) {
  describe.skipIf(!store.available)(`Prometheus query API on ${store.kind}`, () => {
    let server: TQueryServer;
    // A whole minute ten minutes ago; samples every minute from there.
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const sec = (ms: number) => String(ms / 1000);

    const get = async (path: string, params: Record<string, string> | [string, string][] = {}, headers = auth) => {
      const res = await fetch(`${server.queryUrl}${path}?${new URLSearchParams(params)}`, { headers });
      return { status: res.status, text: await res.text(), type: res.headers.get("content-type") };
    };
    const post = async (path: string, params: Record<string, string> | [string, string][]) => {
      const res = await fetch(`${server.queryUrl}${path}`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(params).toString(),
      });
      return { status: res.status, text: await res.text() };
    };
    const json = (r: { text: string }) => JSON.parse(r.text) as TProm;

    beforeAll(async () => {
      server = await startQueryServer(store.kind, KEY);
      const lines = [
        "# HELP api_requests_total Requests served.",
        "# TYPE api_requests_total counter",
        "# HELP api_temp_celsius Temperature.",
        "# TYPE api_temp_celsius gauge",
        "# HELP api_latency_seconds Latency.",
        "# TYPE api_latency_seconds histogram",
      ];
      for (let i = 0; i <= 10; i++) {
        const t = base + i * 60_000;
        lines.push(`api_requests_total{route="/a"} ${i * 60} ${t}`);
        lines.push(`api_requests_total{route="/b"} ${i * 30} ${t}`);
        lines.push(`api_temp_celsius ${20 + i} ${t}`);
        lines.push(`api_latency_seconds_bucket{le="0.1"} ${i * 10} ${t}`);
        lines.push(`api_latency_seconds_bucket{le="1"} ${i * 20} ${t}`);
        lines.push(`api_latency_seconds_bucket{le="+Inf"} ${i * 20} ${t}`);
        lines.push(`api_latency_seconds_sum ${i * 5} ${t}`);
        lines.push(`api_latency_seconds_count ${i * 20} ${t}`);
      }
      const res = await fetch(`${server.ingestUrl}/api/v1/push?job=api`, {
        method: "POST",
        headers: auth,
        body: `${lines.join("\n")}\n`,
      });
      expect(res.status).toBe(200);
      // Special values arrive by remote write.
      const rw = await fetch(`${server.ingestUrl}/api/v1/write`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/x-protobuf", "content-encoding": "snappy" },
        body: new Uint8Array(
          encodeRemoteWrite({
            timeseries: [-1, 0, 1].map((v, i) => ({
              labels: [
                { name: "__name__", value: "odd" },
                { name: "kind", value: ["neg", "nan", "pos"][i] as string },
              ],
              samples: [{ value: v === 0 ? Number.NaN : v / 0, timestamp: base }],
            })),
          }),
        ),
      });
      expect(rw.status).toBe(204);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("answers an instant query in Prometheus's exact format", async () => {
      const t = base + 5 * 60_000 + 500;
      const r = await get("/api/v1/query", { query: 'api_requests_total{route="/a"}', time: sec(t) });
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/^application\/json/);
      expect(r.text).toBe(
        `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"api_requests_total","job":"api","route":"/a"},"value":[${Math.floor(t / 1000)}.500,"300"]}]}}`,
      );
    });

    it("answers a range query, GET and form-encoded POST alike", async () => {
      const params = {
        query: "sum by (job) (rate(api_requests_total[2m]))",
        start: sec(base + 2 * 60_000),
        end: sec(base + 4 * 60_000),
        step: "60s",
      };
      const g = await get("/api/v1/query_range", params);
      const p = await post("/api/v1/query_range", params);
      expect(g.status).toBe(200);
      expect(p.text).toBe(g.text);
      const t0 = (base + 2 * 60_000) / 1000;
      // 60/min + 30/min = 1.5/s at every step.
      expect(JSON.parse(g.text)).toEqual({
        status: "success",
        data: {
          resultType: "matrix",
          result: [
            {
              metric: { job: "api" },
              values: [
                [t0, "1.5"],
                [t0 + 60, "1.5"],
                [t0 + 120, "1.5"],
              ],
            },
          ],
        },
      });
      // The step may also be a plain number of seconds; start/end may be RFC 3339.
      const rfc = await get("/api/v1/query_range", {
        ...params,
        start: new Date(base + 2 * 60_000).toISOString(),
        end: new Date(base + 4 * 60_000).toISOString(),
        step: "60",
      });
      expect(rfc.text).toBe(g.text);
    });

    it("computes histogram quantiles through the API", async () => {
      const r = json(
        await get("/api/v1/query", {
          query: "histogram_quantile(0.75, rate(api_latency_seconds_bucket[5m]))",
          time: sec(base + 8 * 60_000),
        }),
      );
      // Per minute: 10 in (0, 0.1], 10 in (0.1, 1]; rank 15 of 20 → 0.1 + 0.9 × 5/10.
      const result = (r.data as { result: { metric: unknown; value: [number, string] }[] }).result;
      expect(result.map((e) => e.metric)).toEqual([{ job: "api" }]);
      expect(Number(result[0]?.value[1])).toBeCloseTo(0.55, 12);
    });

    it("answers scalars and strings, and spells NaN and infinities as Prometheus does", async () => {
      const t = sec(base);
      expect(json(await get("/api/v1/query", { query: "1 + 1.5", time: t })).data).toEqual({
        resultType: "scalar",
        result: [base / 1000, "2.5"],
      });
      expect(json(await get("/api/v1/query", { query: '"text"', time: t })).data).toEqual({
        resultType: "string",
        result: [base / 1000, "text"],
      });
      const odd = json(await get("/api/v1/query", { query: "odd", time: t })).data as {
        result: { metric: { kind: string }; value: [number, string] }[];
      };
      expect(Object.fromEntries(odd.result.map((e) => [e.metric.kind, e.value[1]]))).toEqual({
        neg: "-Inf",
        nan: "NaN",
        pos: "+Inf",
      });
    });

    it("answers bad input with bad_data and 400, in Prometheus's words", async () => {
      const bad = await get("/api/v1/query", { query: "rate(api_requests_total)" });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.text)).toEqual({
        status: "error",
        errorType: "bad_data",
        error:
          'invalid parameter "query": 1:6: parse error: expected type range vector in call to function "rate", got instant vector',
      });
      const cases: [Record<string, string>, string][] = [
        [{ query: "up", end: "10", step: "1" }, 'invalid parameter "start": cannot parse "" to a valid timestamp'],
        [
          { query: "up", start: "x", end: "10", step: "1" },
          'invalid parameter "start": cannot parse "x" to a valid timestamp',
        ],
        [
          { query: "up", start: "10", end: "5", step: "1" },
          'invalid parameter "end": end timestamp must not be before start time',
        ],
        [
          { query: "up", start: "0", end: "10", step: "nope" },
          'invalid parameter "step": cannot parse "nope" to a valid duration',
        ],
        [
          { query: "up", start: "0", end: "10", step: "0" },
          'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
        ],
        [
          { query: "up", start: "0", end: "11001", step: "1" },
          "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ],
        [
          { query: "up", start: "0", end: String(401 * 86_400), step: "1h" },
          "the query range (end - start) may not exceed 400 days",
        ],
        [
          { query: "api_temp_celsius[5m]", start: "0", end: "10", step: "1" },
          'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
        ],
      ];
      for (const [params, error] of cases) {
        const r = await get("/api/v1/query_range", params);
        expect({ params, status: r.status, body: JSON.parse(r.text) }).toEqual({
          params,
          status: 400,
          body: { status: "error", errorType: "bad_data", error },
        });
      }
      const time = await get("/api/v1/query", { query: "up", time: "yesterday" });
      expect(json(time).error).toBe(
        `invalid parameter "time": Invalid time value for 'time': cannot parse "yesterday" to a valid timestamp`,
      );
    });

    it("answers evaluation failures with execution (422) and timeouts with 503", async () => {
      const r = await get("/api/v1/query", {
        query: "api_temp_celsius + on(job) api_requests_total",
        time: sec(base + 60_000),
      });
      expect(r.status).toBe(422);
      expect(json(r)).toMatchObject({ status: "error", errorType: "execution" });
      expect(json(r).error).toMatch(/^found duplicate series for the match group \{job="api"\}/);
      const slow = await get("/api/v1/query_range", {
        query: "sum(rate(api_requests_total[5m])) + histogram_quantile(0.9, rate(api_latency_seconds_bucket[5m]))",
        start: sec(base - 10_000 * 60_000),
        end: sec(base + 10 * 60_000),
        step: "60",
        timeout: "1ms",
      });
      expect(slow.status).toBe(503);
      expect(json(slow)).toMatchObject({ status: "error", errorType: "timeout" });
    });

    it("lists label names and values, optionally for match[]", async () => {
      const names = json(await get("/api/v1/labels")).data as string[];
      expect(names).toEqual(expect.arrayContaining(["__name__", "job", "kind", "le", "route"]));
      expect(names).toEqual([...names].sort());
      const matched = json(await post("/api/v1/labels", [["match[]", "api_requests_total"]])).data;
      expect(matched).toEqual(["__name__", "job", "route"]);
      const metrics = json(await get("/api/v1/label/__name__/values")).data as string[];
      expect(metrics).toEqual(
        expect.arrayContaining(["api_latency_seconds_bucket", "api_requests_total", "api_temp_celsius", "odd"]),
      );
      expect(json(await get("/api/v1/label/route/values")).data).toEqual(["/a", "/b"]);
      expect(
        json(
          await get("/api/v1/label/route/values", [
            ["match[]", 'api_requests_total{route="/b"}'],
            ["start", sec(base)],
            ["end", sec(base + 60_000)],
          ]),
        ).data,
      ).toEqual(["/b"]);
      const invalid = await get("/api/v1/label/bad-name/values");
      expect(invalid.status).toBe(400);
      expect(json(invalid)).toEqual({
        status: "error",
        errorType: "bad_data",
        error: 'invalid label name: "bad-name"',
      });
    });

    it("serves metadata per metric family and a Prometheus-compatible buildinfo", async () => {
      const meta = json(await get("/api/v1/metadata")).data as Record<string, unknown>;
      expect(meta.api_requests_total).toEqual([{ type: "counter", help: "Requests served.", unit: "" }]);
      expect(meta.api_latency_seconds).toEqual([{ type: "histogram", help: "Latency.", unit: "" }]);
      expect(json(await get("/api/v1/metadata", { metric: "api_temp_celsius" })).data).toEqual({
        api_temp_celsius: [{ type: "gauge", help: "Temperature.", unit: "" }],
      });
      const info = json(await get("/api/v1/status/buildinfo"));
      expect(info).toMatchObject({ status: "success", data: { version: "2.42.0", application: "hotpath" } });
    });

    it("needs the read right, or a same-origin dashboard call", async () => {
      const none = await get("/api/v1/query", { query: "1" }, {} as typeof auth);
      expect(none.status).toBe(401);
      expect(json(none)).toMatchObject({ status: "error", errorType: "unauthorized" });
      const created = await fetch(`${server.ingestUrl}/api/keys`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ name: "pusher", rights: ["ingest"] }),
      });
      expect(created.status).toBe(201);
      const { secret } = (await created.json()) as { secret: string };
      const denied = await get("/api/v1/query", { query: "1" }, { authorization: `Bearer ${secret}` });
      expect(denied.status).toBe(403);
      expect(json(denied)).toMatchObject({ status: "error", errorType: "forbidden" });
      const dashboard = await get("/api/v1/query", { query: "1" }, { "sec-fetch-site": "same-origin" } as never);
      expect(dashboard.status).toBe(200);
    });
  });
}
