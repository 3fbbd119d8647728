// Shared by the benchmarks: percentiles, result files, tables, a real Hotpath process.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export type TFigure = { median: number; p95?: number; unit: string; runs: number[] };

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

export function median(xs: number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

export function figure(runs: number[], unit: string, withP95 = false): TFigure {
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), ...(withP95 ? { p95: percentile(sorted, 95) } : {}), unit, runs };
}

export async function writeResult(name: string, store: string, startedAt: Date, figures: Record<string, TFigure>) {
  const dir = path.resolve(import.meta.dirname, "results");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  await writeFile(file, `${JSON.stringify({ name, startedAt: startedAt.toISOString(), store, figures }, null, 2)}\n`);
  return file;
}

export async function readResult(name: string): Promise<unknown> {
  return JSON.parse(await readFile(path.resolve(import.meta.dirname, "results", `${name}.json`), "utf8"));
}

export function printTable(figures: Record<string, TFigure>) {
  const rows = Object.entries(figures).map(([k, f]) => [
    k,
    fmt(f.median),
    f.p95 === undefined ? "" : fmt(f.p95),
    f.unit,
    f.runs.map(fmt).join(" "),
  ]);
  const head = ["figure", "median", "p95", "unit", "runs"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString("en-US");
  return n.toFixed(n < 10 ? 2 : 1);
}

export function rssOfPid(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, "utf8").then(
    (s) => Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) * 1024,
    () => 0,
  );
}
