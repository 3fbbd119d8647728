// The batch writer: a bounded buffer in front of the store with group commit. Every submit() waits
// for the batch that carries it to commit, so a 2xx means durable; batching costs latency, never
// durability. At most `maxInFlight` writes run at a time: while they run, new submissions pile up and
// go in the next batch together, which is what makes throughput grow with load.
import type { LiveBus } from "../live/bus";
import type { TStore } from "../store";
import { encodeBlock, type TSampleColumns } from "../store/codec";
import { distinctIds } from "./distinct";

export type TWriterOptions = {
  /** A batch closes at this many samples (more can wait for the next one). */
  maxBatchSamples: number;
  /** How long the first sample of a batch may wait for company when no write is in flight. */
  maxWaitMs: number;
  /** Samples accepted but not yet committed, across all batches: past this, submit() refuses. */
  maxBufferedSamples: number;
  /** Batches committing at once: 1 for PGlite (single-threaded anyway), 2 for PostgreSQL. */
  maxInFlight: number;
};

export type TWriteRejection =
  | { code: "buffer_full"; message: string; retryAfterSeconds: number }
  | { code: "store_unavailable"; message: string; retryAfterSeconds: number };

export class WriteRejected extends Error {
  constructor(readonly detail: TWriteRejection) {
    super(detail.message);
  }
}

type TPending = { cols: TSampleColumns; resolve: () => void; reject: (e: Error) => void };

export class BatchWriter {
  private queue: TPending[] = [];
  private queuedSamples = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private storeDownSince: number | undefined;
  private lastStoreError = "";
  private closed = false;
  readonly stats = { batches: 0, samples: 0, failedBatches: 0, lastBatchSamples: 0, lastBatchMs: 0 };

  constructor(
    private readonly append: TStore["appendBlock"],
    private readonly bus: LiveBus,
    private readonly opts: TWriterOptions,
    private readonly probe: () => Promise<unknown>,
  ) {}

  get bufferedSamples(): number {
    return this.queuedSamples;
  }

  get storeAvailable(): boolean {
    return this.storeDownSince === undefined;
  }

  /** Resolves once the samples are committed; rejects with WriteRejected when they cannot be. */
  submit(cols: TSampleColumns): Promise<void> {
    const n = cols.seriesIds.length;
    if (n === 0) return Promise.resolve();
    if (this.closed) {
      return Promise.reject(
        new WriteRejected({ code: "store_unavailable", message: "Hotpath is shutting down", retryAfterSeconds: 5 }),
      );
    }
    if (this.storeDownSince !== undefined) {
      return Promise.reject(
        new WriteRejected({
          code: "store_unavailable",
          message: `the store is unavailable (${this.lastStoreError}); nothing of this request was stored`,
          retryAfterSeconds: 5,
        }),
      );
    }
    if (this.queuedSamples + n > this.opts.maxBufferedSamples && this.queuedSamples > 0) {
      return Promise.reject(
        new WriteRejected({
          code: "buffer_full",
          message: `ingest buffer is full (${this.queuedSamples} samples waiting for the store); retry later`,
          retryAfterSeconds: 1,
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ cols, resolve, reject });
      this.queuedSamples += n;
      this.schedule();
    });
  }

  /** Commits everything queued; used at shutdown so accepted requests are answered. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.inFlight.size > 0) {
      if (this.queue.length > 0 && this.inFlight.size < this.opts.maxInFlight) this.flushNow();
      else await Promise.race(this.inFlight);
    }
  }

  private schedule(): void {
    if (this.inFlight.size >= this.opts.maxInFlight) return; // a finishing write starts the next batch
    if (this.queuedSamples >= this.opts.maxBatchSamples || this.opts.maxWaitMs <= 0) {
      this.flushNow();
      return;
    }
    this.timer ??= setTimeout(() => this.flushNow(), this.opts.maxWaitMs);
  }

  private flushNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.inFlight.size >= this.opts.maxInFlight || this.queue.length === 0) return;
    const batch: TPending[] = [];
    let size = 0;
    while (
      this.queue.length > 0 &&
      (batch.length === 0 || size + (this.queue[0] as TPending).cols.seriesIds.length <= this.opts.maxBatchSamples)
    ) {
      const p = this.queue.shift() as TPending;
      batch.push(p);
      size += p.cols.seriesIds.length;
    }
    const write: Promise<void> = this.write(batch, size).finally(() => {
      this.queuedSamples -= size;
      this.inFlight.delete(write);
      if (this.queue.length > 0) this.schedule();
    });
    this.inFlight.add(write);
  }

  private async write(batch: TPending[], size: number): Promise<void> {
    const cols = concatColumns(
      batch.map((b) => b.cols),
      size,
    );
    let minTs = Number.POSITIVE_INFINITY;
    let maxTs = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < size; i++) {
      const t = cols.ts[i] as number;
      if (t < minTs) minTs = t;
      if (t > maxTs) maxTs = t;
    }
    const started = performance.now();
    try {
      await this.append({ minTs, maxTs, count: size, data: encodeBlock(cols) });
    } catch (err) {
      this.stats.failedBatches++;
      this.markStoreDown((err as Error).message);
      const rejection = new WriteRejected({
        code: "store_unavailable",
        message: `the store did not commit this batch (${this.lastStoreError}); nothing of this request was stored`,
        retryAfterSeconds: 5,
      });
      for (const p of batch) p.reject(rejection);
      return;
    }
    this.stats.batches++;
    this.stats.samples += size;
    this.stats.lastBatchSamples = size;
    this.stats.lastBatchMs = performance.now() - started;
    for (const p of batch) p.resolve();
    this.bus.emit("commit", { seriesIds: distinctIds(cols.seriesIds), minTs, maxTs, samples: size, columns: cols });
  }

  private markStoreDown(message: string): void {
    this.lastStoreError = message.split("\n").filter(Boolean).pop()?.trim().slice(0, 200) ?? "unknown error";
    if (this.storeDownSince !== undefined) return;
    this.storeDownSince = Date.now();
    // Recover by ourselves: probe until the store answers, then accept again.
    const retry = () => {
      if (this.closed) return;
      this.probe().then(
        () => {
          this.storeDownSince = undefined;
        },
        () => setTimeout(retry, 1000).unref(),
      );
    };
    setTimeout(retry, 1000).unref();
  }
}

function concatColumns(parts: TSampleColumns[], size: number): TSampleColumns {
  if (parts.length === 1) return parts[0] as TSampleColumns;
  const out: TSampleColumns = {
    seriesIds: new Int32Array(size),
    ts: new Float64Array(size),
    values: new Float64Array(size),
  };
  let o = 0;
  for (const p of parts) {
    out.seriesIds.set(p.seriesIds, o);
    out.ts.set(p.ts, o);
    out.values.set(p.values, o);
    o += p.seriesIds.length;
  }
  return out;
}
