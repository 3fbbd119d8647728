// The query benchmark's data: per set of N series, N request counters and N histogram bucket series
// (N/10 histograms of 10 buckets), scraped every 15 s, as a data API's agents would push them. Counters
// restart once a day at a different time per series (a deploy), so rate() meets real counter resets.
// Pushed as Prometheus remote write with historical timestamps, one request per time slice.

import { mulberry32 as rng } from "../lib/random";
import { encodeRemoteWrite, type TRemoteWriteRequestIn } from "../server/ingest/parse/remote-write";

export const INTERVAL_MS = 15_000;
const LES = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"];
const SERVICES = 4;

export type TSet = { name: string; series: number };

type TState = {
  set: TSet;
  counters: { labels: { name: string; value: string }[]; value: number; resetAt: number }[];
  histograms: { labels: { name: string; value: string }[][]; counts: number[]; resetAt: number }[];
  rand: () => number;
};

/** Series of a set and their running values; `fromMs`..`fromMs + 24 h` is the day the resets fall in. */
export function newSet(set: TSet, fromMs: number, seed = 1): TState {
  const rand = rng(seed);
  const base = (i: number) => [
    { name: "set", value: set.name },
    { name: "service", value: `svc-${i % SERVICES}` },
    { name: "route", value: `/api/v1/resource-${Math.floor(i / SERVICES)}` },
    { name: "instance", value: `pod-${i % 7}` },
  ];
  const day = 86_400_000;
  return {
    set,
    rand,
    counters: Array.from({ length: set.series }, (_, i) => ({
      labels: [{ name: "__name__", value: "bench_requests_total" }, ...base(i)],
      value: Math.floor(rand() * 1e6),
      resetAt: fromMs + Math.floor(rand() * day),
    })),
    histograms: Array.from({ length: Math.ceil(set.series / LES.length) }, (_, i) => ({
      labels: LES.map((le) => [
        { name: "__name__", value: "bench_request_duration_seconds_bucket" },
        ...base(i),
        { name: "le", value: le },
      ]),
      counts: LES.map(() => 0),
      resetAt: fromMs + Math.floor(rand() * day),
    })),
  };
}

/** Samples of [fromMs, toMs) at the scrape interval, as one remote-write body. */
export function sliceBody(st: TState, fromMs: number, toMs: number): { body: Buffer; samples: number } {
  const first = Math.ceil(fromMs / INTERVAL_MS) * INTERVAL_MS;
  const times: number[] = [];
  for (let t = first; t < toMs; t += INTERVAL_MS) times.push(t);
  const req: TRemoteWriteRequestIn = { timeseries: [] };
  let samples = 0;
  for (const c of st.counters) {
    const points = times.map((t) => {
      if (t >= c.resetAt && t - INTERVAL_MS < c.resetAt) c.value = 0;
      c.value += Math.floor(st.rand() * 40);
      return { timestamp: t, value: c.value };
    });
    req.timeseries.push({ labels: c.labels, samples: points });
    samples += points.length;
  }
  for (const h of st.histograms) {
    const per = h.labels.map(() => [] as { timestamp: number; value: number }[]);
    for (const t of times) {
      if (t >= h.resetAt && t - INTERVAL_MS < h.resetAt) h.counts.fill(0);
      // Observations per scrape, spread over the buckets (cumulative counts).
      let below = 0;
      for (let k = 0; k < LES.length; k++) {
        below += Math.floor(st.rand() * (k < 5 ? 8 : 3));
        h.counts[k] = (h.counts[k] as number) + below;
        (per[k] as { timestamp: number; value: number }[]).push({ timestamp: t, value: h.counts[k] as number });
      }
    }
    // The last histogram may be cut to make exactly `series` bucket series.
    h.labels.forEach((labels, k) => {
      if (req.timeseries.length >= st.set.series * 2) return;
      req.timeseries.push({ labels, samples: per[k] as { timestamp: number; value: number }[] });
      samples += times.length;
    });
  }
  return { body: encodeRemoteWrite(req), samples };
}

/** The benchmark's two queries over a set: each reads `series` series and answers 4 (one per service). */
export function queries(set: TSet): { rate: string; histogram_quantile: string } {
  return {
    rate: `sum by (service) (rate(bench_requests_total{set="${set.name}"}[5m]))`,
    histogram_quantile: `histogram_quantile(0.95, sum by (service, le) (rate(bench_request_duration_seconds_bucket{set="${set.name}"}[5m])))`,
  };
}
