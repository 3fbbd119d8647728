import { describe, expect, it } from "vitest";
import type { TLabels } from "../ingest/model";
import { BUCKET_MS, SignalStore, signalKey, signalOf } from "./signals";

const meta = new Map<number, { name: string; labels: TLabels }>([
  [1, { name: "http_server_request_duration_seconds_count", labels: { job: "shop", route: "/a", status: "200" } }],
  [2, { name: "nodejs_eventloop_lag_p99_seconds", labels: { job: "shop" } }],
  [3, { name: "process_cpu_seconds_total", labels: { job: "hotpath" } }],
  [4, { name: "some_other_metric", labels: { job: "shop" } }],
]);
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % BUCKET_MS);

describe("SignalStore", () => {
  it("turns a counter into per-bucket increases, through a reset, ignoring a replayed sample", () => {
    const s = new SignalStore((id) => meta.get(id));
    const key = signalKey("http.ok", "shop", "/a");
    s.sample(1, T0, 100); // origin only
    s.sample(1, T0 + 5000, 130);
    s.sample(1, T0 + 10_000, 10); // restarted: 10 since the reset
    s.sample(1, T0 + 7000, 120); // older than the last: a replay
    s.sample(1, T0 + 15_000, 25);
    const b0 = T0 / BUCKET_MS;
    expect(s.range(key, b0, b0 + 3)).toEqual([0, 30, 10, 15]);
    expect(s.total(key, b0, b0 + 3)).toBe(55);
  });

  it("keeps a gauge's last value per bucket", () => {
    const s = new SignalStore((id) => meta.get(id));
    s.sample(2, T0, 0.01);
    s.sample(2, T0 + 2000, 0.03);
    s.sample(2, T0 + 5000, 0.02);
    const b0 = T0 / BUCKET_MS;
    expect(s.range(signalKey("lag", "shop"), b0, b0 + 2)).toEqual([0.03, 0.02, undefined]);
  });

  it("ignores Hotpath's own metrics and metrics outside the conventions", () => {
    const s = new SignalStore((id) => meta.get(id));
    s.sample(3, T0, 1);
    s.sample(4, T0, 1);
    s.sample(99, T0, 1); // unknown id
    expect(s.signalCount).toBe(0);
    expect(signalOf("process_cpu_seconds_total", { job: "hotpath" })).toBeNull();
    expect(signalOf("process_cpu_seconds_total", { job: "shop" })).toEqual({
      kind: "counter",
      key: signalKey("cpu", "shop"),
    });
  });

  it("forgets buckets older than its history", () => {
    const s = new SignalStore((id) => meta.get(id));
    s.sample(2, T0, 1);
    s.sample(2, T0 + 360 * BUCKET_MS, 2); // the same ring slot, half an hour later
    const b0 = T0 / BUCKET_MS;
    expect(s.range(signalKey("lag", "shop"), b0, b0)).toEqual([undefined]);
    expect(s.range(signalKey("lag", "shop"), b0 + 360, b0 + 360)).toEqual([2]);
  });
});
