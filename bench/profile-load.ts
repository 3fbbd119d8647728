// Drives a running server for profiling: BENCH_URL, BENCH_SERIES, BENCH_CLIENTS, BENCH_SECONDS.
import { dataApiSeries, pushBodies } from "./ingest-workload";

const url = process.env.BENCH_URL ?? "http://127.0.0.1:3300";
const seriesCount = Number(process.env.BENCH_SERIES ?? 10000);
const clients = Number(process.env.BENCH_CLIENTS ?? 4);
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const key = process.env.BENCH_KEY ?? "bench-secret-0123456789abcdef";
const deadline = performance.now() + seconds * 1000;
let samples = 0;
await Promise.all(
  Array.from({ length: clients }, async (_, c) => {
    const series = dataApiSeries(Math.ceil(seriesCount / clients), `p-${c}`);
    const bodies = pushBodies(series);
    for (let seq = 0; performance.now() < deadline; seq++) {
      const body = bodies[seq % bodies.length] as string;
      const res = await fetch(`${url}/api/v1/push`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
        body,
      });
      await res.arrayBuffer();
      if (res.status === 200) samples += series.length;
    }
  }),
);
console.log(`${Math.round(samples / seconds)} samples/s`);
