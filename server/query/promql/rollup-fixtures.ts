// Test fixtures for rollup queries: a deterministic day-long workload shaped like an agent's output,
// and a comparison of range-query results within 1e-9 relative.
import { expect } from "vitest";
import { mulberry32 as rng } from "../../../lib/random";
import type { TQueryResult } from "./eval";
import type { TSeriesSamples } from "./source";

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
// A whole day, so the 1 h grid lines up with it too.
export const T0 = Date.UTC(2026, 10, 1);

/**
 * `hours` of data every 15 s with ±2 s of jitter (samples also fall exactly on minute boundaries now
 * and then): counters with resets inside buckets, a classic histogram whose process restarts, a
 * fractional counter and a gauge with a 20-minute gap.
 */
export function workload(hours: number, seed = 7): TSeriesSamples[] {
  const rand = rng(seed);
  const n = (hours * HOUR) / 15_000;
  const at = (i: number) => (i % 17 === 0 ? T0 + i * 15_000 : T0 + i * 15_000 + Math.floor(rand() * 4000) - 2000);
  const times = Array.from({ length: n }, (_, i) => at(i)).sort((a, b) => a - b);
  const out: TSeriesSamples[] = [];
  const counter = (labels: Record<string, string>, resetEvery: number, scale: number, frac = false) => {
    let c = 0;
    const values = times.map((_, i) => {
      if (i > 0 && i % resetEvery === 0) c = Math.floor(rand() * 3);
      else c += frac ? rand() * scale : Math.floor(rand() * scale);
      return c;
    });
    out.push({ labels, ts: times, values });
  };
  counter({ __name__: "req_total", instance: "a" }, 997, 20);
  counter({ __name__: "req_total", instance: "b" }, 1e9, 7);
  counter({ __name__: "req_total", instance: "c" }, 313, 50);
  counter({ __name__: "cpu_seconds_total", instance: "a" }, 1e9, 0.37, true);
  const les = ["0.05", "0.1", "0.5", "1", "+Inf"];
  for (const inst of ["a", "b"]) {
    const cum = les.map(() => 0);
    const cols = les.map(() => [] as number[]);
    for (let i = 0; i < n; i++) {
      if (inst === "b" && i > 0 && i % 1201 === 0) cum.fill(0);
      let below = 0;
      for (let k = 0; k < les.length; k++) {
        below += Math.floor(rand() * (k === les.length - 1 ? 3 : 10));
        cum[k] = (cum[k] as number) + below;
        (cols[k] as number[]).push(cum[k] as number);
      }
    }
    les.forEach((le, k) => {
      out.push({
        labels: { __name__: "lat_seconds_bucket", instance: inst, le },
        ts: times,
        values: cols[k] as number[],
      });
    });
  }
  const gapFrom = Math.floor(n / 3);
  const gauge: TSeriesSamples = { labels: { __name__: "temp", instance: "a" }, ts: [], values: [] };
  times.forEach((t, i) => {
    if (i >= gapFrom && i < gapFrom + 80) return;
    gauge.ts.push(t);
    gauge.values.push(Math.round((20 + 10 * Math.sin(i / 50) + rand()) * 1000) / 1000);
  });
  out.push(gauge);
  return out;
}

export function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/** Same series, same timestamps, values within 1e-9 relative. */
export function expectSameMatrix(got: TQueryResult, want: TQueryResult, what: string) {
  if (got.resultType !== "matrix" || want.resultType !== "matrix") throw new Error(`${what}: not a matrix`);
  expect(
    got.result.map((s) => s.labels),
    what,
  ).toEqual(want.result.map((s) => s.labels));
  got.result.forEach((s, i) => {
    const w = want.result[i] as (typeof want.result)[number];
    expect(s.ts, `${what} ${JSON.stringify(s.labels)}`).toEqual(w.ts);
    const bad = s.values.findIndex((v, k) => !close(v, w.values[k] as number));
    if (bad >= 0) {
      throw new Error(
        `${what} ${JSON.stringify(s.labels)} at ${new Date(s.ts[bad] as number).toISOString()}: ${s.values[bad]} vs ${w.values[bad]}`,
      );
    }
  });
}
