// Stream processing with backpressure: "order placed" events flow through a bounded in-process queue
// into an aggregate table (sales per category and minute). When the queue is full, publishers wait
// (HTTP handlers) or pause (the marketplace feed) until the consumer drains it below the low-water mark.
import type { DemoDb } from "./data";
import { CATEGORIES } from "./db";
import type { FaultRegistry } from "./faults";

export type TOrderEvent = {
  orderId: number;
  customerId: number;
  category: string;
  units: number;
  revenueCents: number;
  /** When the order was placed (ms); lag is measured from here. */
  at: number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LINGER_MS = 200;

export class OrderStream {
  private readonly queue: TOrderEvent[] = [];
  private waiters: (() => void)[] = [];
  private wakeConsumer: (() => void) | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private feedTimer: NodeJS.Timeout | undefined;
  private feedPaused = false;
  consumed = 0;
  batches = 0;
  pauses = 0;
  failures = 0;

  constructor(
    private readonly deps: {
      db: DemoDb;
      faults: FaultRegistry;
      random: () => number;
      capacity: number;
      /** Synthetic events per second from other sales channels (0 = only POST /orders). */
      feedRate: number;
      batchSize?: number;
      /** Wraps each consumed batch (the service puts a span around it). */
      around?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
      onError?: (err: Error) => void;
    },
  ) {}

  get depth(): number {
    return this.queue.length;
  }

  /** Seconds the oldest waiting event has been waiting (0 when empty). */
  get lagSeconds(): number {
    const head = this.queue[0];
    return head ? Math.max(0, (Date.now() - head.at) / 1000) : 0;
  }

  get paused(): boolean {
    return this.feedPaused;
  }

  /** Enqueues `ev`, waiting while the queue is full. */
  async publish(ev: TOrderEvent): Promise<void> {
    while (this.queue.length >= this.deps.capacity && this.running) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.queue.push(ev);
    this.wakeConsumer?.();
  }

  /** Non-blocking publish: false when full (the caller must pause until `drained()`). */
  tryPublish(ev: TOrderEvent): boolean {
    if (this.queue.length >= this.deps.capacity) return false;
    this.queue.push(ev);
    this.wakeConsumer?.();
    return true;
  }

  drained(): Promise<void> {
    if (this.queue.length < this.deps.capacity) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  start(): void {
    this.running = true;
    this.loop = this.consume();
    if (this.deps.feedRate > 0) this.startFeed();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.feedTimer) clearInterval(this.feedTimer);
    this.wakeConsumer?.();
    for (const w of this.waiters.splice(0)) w();
    await this.loop;
  }

  private startFeed(): void {
    const tickMs = 100;
    let carry = 0;
    let nextOrderId = 10_000_000;
    this.feedTimer = setInterval(() => {
      if (this.feedPaused) return;
      carry += (this.deps.feedRate * tickMs) / 1000;
      while (carry >= 1) {
        carry -= 1;
        const r = this.deps.random;
        const ev: TOrderEvent = {
          orderId: nextOrderId++,
          customerId: 1 + Math.floor(r() * 2000),
          category: CATEGORIES[Math.floor(r() * CATEGORIES.length)] as string,
          units: 1 + Math.floor(r() * 4),
          revenueCents: 500 + Math.floor(r() * 20_000),
          at: Date.now(),
        };
        if (!this.tryPublish(ev)) {
          // Backpressure: stop producing until the consumer has made room.
          this.feedPaused = true;
          this.pauses++;
          void this.drained().then(() => {
            this.feedPaused = false;
          });
          return;
        }
      }
    }, tickMs);
    this.feedTimer.unref();
  }

  private async consume(): Promise<void> {
    const lowWater = Math.floor(this.deps.capacity * 0.8);
    while (this.running) {
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => {
          this.wakeConsumer = resolve;
        });
        this.wakeConsumer = undefined;
        continue;
      }
      const slow = this.deps.faults.intensity("queue_backlog");
      const backlog = this.deps.faults.isOn("queue_backlog");
      const size = backlog ? Math.max(1, Math.round(10 * (1 - slow))) : (this.deps.batchSize ?? 200);
      // Micro-batching: linger briefly for a fuller batch (one statement per batch, not per event).
      if (!backlog && this.queue.length < size) await sleep(LINGER_MS);
      const batch = this.queue.slice(0, size);
      try {
        const write = () => this.write(batch);
        await (this.deps.around ? this.deps.around("consume order-events", write) : write());
        this.queue.splice(0, batch.length);
        this.consumed += batch.length;
        this.batches++;
      } catch (err) {
        this.failures++;
        this.deps.onError?.(err as Error);
        await sleep(500);
      }
      if (backlog) await sleep(100 + 900 * slow);
      if (this.queue.length <= lowWater) for (const w of this.waiters.splice(0)) w();
    }
  }

  private async write(batch: TOrderEvent[]): Promise<void> {
    await this.deps.db.query(
      `INSERT INTO demo.sales_by_category AS s (category, minute, orders, units, revenue_cents)
       SELECT category, date_trunc('minute', to_timestamp(at / 1000.0)), count(*), sum(units), sum(revenue)
       FROM unnest($1::text[], $2::float8[], $3::int[], $4::bigint[]) AS t(category, at, units, revenue)
       GROUP BY 1, 2
       ON CONFLICT (category, minute) DO UPDATE SET orders = s.orders + EXCLUDED.orders,
         units = s.units + EXCLUDED.units, revenue_cents = s.revenue_cents + EXCLUDED.revenue_cents`,
      [
        batch.map((e) => e.category),
        batch.map((e) => e.at),
        batch.map((e) => e.units),
        batch.map((e) => e.revenueCents),
      ],
    );
  }
}
