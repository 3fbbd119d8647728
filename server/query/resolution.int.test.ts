// query_range on a real server picks its resolution: at a 60 s step it answers from 1 m rollups, and on
// the minute grid that answer is the raw-sample answer (max_source_resolution=raw); off the grid the
// last point is the instant query at `end`. The query cache keys on the resolution, nocache=1 skips
// it, and raw samples read where rollups cannot answer say what is missing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeRemoteWrite } from "../ingest/parse/remote-write";
import { STORES } from "../test/harness";
import { startQueryServer, type TQueryServer } from "./promql/test-support";

const KEY = "resolution-bootstrap-secret-0123456789";
const auth = { authorization: `Bearer ${KEY}` };
const MIN = 60_000;

type TBody = {
  status: string;
  data?: { result: { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }[] };
  warnings?: string[];
  errorType?: string;
  error?: string;
};

for (const store of STORES) {
  describe.skipIf(!store.available)(`query_range resolutions on ${store.kind}`, () => {
    let server: TQueryServer;
    // Three hours of 15 s samples up to a few seconds ago.
    const end = Date.now() - 3_000;
    const start = end - 3 * 60 * MIN;

    const get = async (path: string, params: Record<string, string>) => {
      const res = await fetch(`${server.queryUrl}${path}?${new URLSearchParams(params)}`, { headers: auth });
      return { status: res.status, body: (await res.json()) as TBody };
    };
    const hits = async () => {
      const text = await (await fetch(`${server.queryUrl}/metrics`)).text();
      const m = /cache_requests_total\{cache="hotpath_query_range",level="memory",result="hit"\} (\d+)/.exec(text);
      return Number(m?.[1] ?? 0);
    };

    beforeAll(async () => {
      server = await startQueryServer(store.kind, KEY);
      const les = ["0.1", "0.5", "+Inf"];
      const timeseries: {
        labels: { name: string; value: string }[];
        samples: { value: number; timestamp: number }[];
      }[] = [];
      for (const inst of ["a", "b"]) {
        const counter = {
          labels: [
            { name: "__name__", value: "res_requests_total" },
            { name: "instance", value: inst },
          ],
          samples: [] as { value: number; timestamp: number }[],
        };
        const buckets = les.map((le) => ({
          labels: [
            { name: "__name__", value: "res_latency_seconds_bucket" },
            { name: "instance", value: inst },
            { name: "le", value: le },
          ],
          samples: [] as { value: number; timestamp: number }[],
        }));
        let c = 0;
        const cum = [0, 0, 0];
        for (let t = start, i = 0; t <= end; t += 15_000, i++) {
          // Instance b restarts halfway, mid-minute.
          if (inst === "b" && i === 361) {
            c = 0;
            cum.fill(0);
          }
          c += (i * 7 + (inst === "a" ? 3 : 11)) % 13;
          counter.samples.push({ value: c, timestamp: t });
          cum[0] = (cum[0] as number) + (i % 5);
          cum[1] = (cum[1] as number) + (i % 5) + (i % 3);
          cum[2] = (cum[2] as number) + (i % 5) + (i % 3) + 1;
          buckets.forEach((b, k) => {
            b.samples.push({ value: cum[k] as number, timestamp: t });
          });
        }
        timeseries.push(counter, ...buckets);
      }
      const res = await fetch(`${server.ingestUrl}/api/v1/write`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/x-protobuf", "content-encoding": "snappy" },
        body: new Uint8Array(encodeRemoteWrite({ timeseries })),
      });
      expect(res.status).toBe(204);
    });
    afterAll(async () => {
      await server?.stop();
    });

    const QUERIES = [
      "sum(rate(res_requests_total[5m]))",
      "rate(res_requests_total[2m])",
      "histogram_quantile(0.9, sum by (le) (rate(res_latency_seconds_bucket[5m])))",
    ];

    it.each(QUERIES)("%s on the minute grid: rollups answer what raw samples answer", async (query) => {
      const grid = {
        query,
        start: String((Math.ceil(start / MIN) * MIN + 10 * MIN) / 1000),
        end: String((Math.floor(end / MIN) * MIN) / 1000),
        step: "60",
      };
      const rolled = await get("/api/v1/query_range", grid);
      const raw = await get("/api/v1/query_range", { ...grid, max_source_resolution: "raw" });
      expect(rolled.status).toBe(200);
      expect(rolled.body.data?.result.length).toBeGreaterThan(0);
      expect(rolled.body).toEqual(raw.body);
    });

    it.each(QUERIES)("%s off the grid, up to now: the last point is the instant query at the end", async (query) => {
      // `end` is a step (and off the minute grid, like every step here).
      const params = { query, start: String((end - 150 * MIN) / 1000), end: String(end / 1000), step: "60" };
      const range = await get("/api/v1/query_range", params);
      const instant = await get("/api/v1/query", { query, time: String(end / 1000) });
      expect(instant.body.data?.result.length).toBeGreaterThan(0);
      for (const s of instant.body.data?.result ?? []) {
        const r = range.body.data?.result.find((x) => JSON.stringify(x.metric) === JSON.stringify(s.metric));
        expect(r?.values?.at(-1)).toEqual(s.value);
      }
    });

    it("keys the query cache on the resolution, and nocache=1 neither reads nor fills it", async () => {
      const params = {
        query: QUERIES[0] as string,
        start: String((start + 30 * MIN) / 1000),
        end: String((end - 5 * MIN) / 1000),
        step: "60",
      };
      const before = await hits();
      await get("/api/v1/query_range", params);
      await get("/api/v1/query_range", params);
      expect(await hits()).toBe(before + 1);
      // Raw samples for the same window: another entry.
      await get("/api/v1/query_range", { ...params, max_source_resolution: "raw" });
      expect(await hits()).toBe(before + 1);
      await get("/api/v1/query_range", { ...params, max_source_resolution: "raw" });
      expect(await hits()).toBe(before + 2);
      const fresh = { ...params, end: String((end - 4 * MIN) / 1000) };
      await get("/api/v1/query_range", { ...fresh, nocache: "1" });
      await get("/api/v1/query_range", { ...fresh, nocache: "1" });
      expect(await hits()).toBe(before + 2);
      await get("/api/v1/query_range", fresh);
      expect(await hits()).toBe(before + 2);
    });

    it("says which points are missing when raw samples are read past their retention", async () => {
      const r = await get("/api/v1/query_range", {
        query: "irate(res_requests_total[5m])",
        start: String((end - 2 * 86_400_000) / 1000),
        end: String(end / 1000),
        step: "300",
      });
      expect(r.status).toBe(200);
      expect(r.body.warnings).toEqual([
        "raw samples were read because irate needs individual samples, and they are kept for 1d: older points are missing",
      ]);
    });

    it("refuses an unknown max_source_resolution", async () => {
      const r = await get("/api/v1/query_range", {
        query: "res_requests_total",
        start: String(start / 1000),
        end: String(end / 1000),
        step: "60",
        max_source_resolution: "fine",
      });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({
        status: "error",
        errorType: "bad_data",
        error: 'invalid parameter "max_source_resolution": cannot parse "fine"; expected auto, raw, 1m or 1h',
      });
    });
  });
}
