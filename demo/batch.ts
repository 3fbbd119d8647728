// A nightly-style batch job run every N seconds: recompute per-product sales statistics in chunks of
// product ids, each chunk one statement on the shared pool (so the batch competes with requests, as
// real batches do). Pending chunks are the job's queue: when a run cannot finish before the next is
// due, the backlog grows (queue_backlog slows each chunk down).
import type { DemoDb } from "./data";
import { SEED } from "./db";
import type { FaultRegistry } from "./faults";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_RUNS_BEHIND = 3;

export class ProductStatsJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Chunks not yet processed: the current run's remainder plus every overdue run's chunks. */
  private pending: { from: number; to: number; scheduledAt: number }[] = [];
  runs = 0;
  chunksDone = 0;
  lastRunMs = 0;
  failures = 0;
  skipped = 0;

  constructor(
    private readonly deps: {
      db: DemoDb;
      faults: FaultRegistry;
      intervalMs: number;
      chunkSize?: number;
      around?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
      onRun?: (r: { ms: number; chunks: number; ok: boolean; skipped?: boolean }) => void;
      onError?: (err: Error) => void;
    },
  ) {}

  get depth(): number {
    return this.pending.length;
  }

  get lagSeconds(): number {
    const head = this.pending[0];
    return head ? Math.max(0, (Date.now() - head.scheduledAt) / 1000) : 0;
  }

  start(): void {
    this.timer = setInterval(() => this.schedule(), this.deps.intervalMs);
    this.timer.unref();
    // A first run shortly after start, so product_stats is never empty for long.
    setTimeout(() => this.schedule(), Math.min(2000, this.deps.intervalMs)).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Queues one run's chunks; a single loop works them off in order. */
  schedule(): void {
    if (this.stopped) return;
    const size = this.deps.chunkSize ?? 250;
    const perRun = Math.ceil(SEED.products / size);
    // Overdue runs queue up (the backlog is the signal), but only so far: a scheduler that queued
    // every missed run forever would never catch up. Beyond three runs behind, a run is skipped.
    if (this.pending.length >= perRun * MAX_RUNS_BEHIND) {
      this.skipped++;
      this.deps.onRun?.({ ms: 0, chunks: 0, ok: false, skipped: true });
      return;
    }
    const now = Date.now();
    for (let from = 1; from <= SEED.products; from += size) {
      this.pending.push({ from, to: Math.min(SEED.products, from + size - 1), scheduledAt: now });
    }
    this.running ??= this.work().finally(() => {
      this.running = undefined;
    });
  }

  private async work(): Promise<void> {
    let started = performance.now();
    let chunks = 0;
    while (this.pending.length > 0 && !this.stopped) {
      const chunk = this.pending[0] as { from: number; to: number };
      try {
        const run = () => this.chunk(chunk.from, chunk.to);
        await (this.deps.around ? this.deps.around("batch product-stats chunk", run) : run());
        this.pending.shift();
        this.chunksDone++;
        chunks++;
      } catch (err) {
        this.failures++;
        this.deps.onError?.(err as Error);
        this.deps.onRun?.({ ms: performance.now() - started, chunks, ok: false });
        await sleep(1000);
        continue;
      }
      if (this.deps.faults.isOn("queue_backlog")) await sleep(100 + 1900 * this.deps.faults.intensity("queue_backlog"));
      // A run ends at the last chunk of its range.
      if (chunk.to === SEED.products) {
        this.runs++;
        this.lastRunMs = performance.now() - started;
        this.deps.onRun?.({ ms: this.lastRunMs, chunks, ok: true });
        started = performance.now();
        chunks = 0;
      }
    }
  }

  private async chunk(from: number, to: number): Promise<void> {
    await this.deps.db.query(
      `INSERT INTO demo.product_stats AS s (product_id, orders, units, revenue_cents, computed_at)
       SELECT p.id, count(i.order_id), coalesce(sum(i.qty), 0), coalesce(sum(i.qty * i.price_cents), 0), now()
       FROM demo.products p LEFT JOIN demo.order_items i ON i.product_id = p.id
       WHERE p.id BETWEEN $1 AND $2
       GROUP BY p.id
       ON CONFLICT (product_id) DO UPDATE SET orders = EXCLUDED.orders, units = EXCLUDED.units,
         revenue_cents = EXCLUDED.revenue_cents, computed_at = EXCLUDED.computed_at`,
      [from, to],
    );
  }
}
