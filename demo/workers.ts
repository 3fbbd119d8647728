// A worker_threads pool for the CPU-heavy part of recommendations (scoring candidates against a
// customer's history with a small price-elasticity simulation). Size, active and queued tasks are
// what the agent's workerPoolGauges reports.
import { Worker } from "node:worker_threads";

export type TRecommendTask = {
  /** Units bought per category index. */
  history: number[];
  /** [productId, categoryIndex, priceCents, popularity] */
  candidates: [number, number, number, number][];
  /** Simulation rounds per candidate: the CPU cost knob (cpu_saturation multiplies it). */
  rounds: number;
  limit: number;
};
export type TRecommendResult = { productId: number; score: number }[];

// Plain JavaScript evaluated in the worker, so it needs no TypeScript loader (tsx, vitest) there.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
parentPort.on("message", ({ id, task }) => {
  try {
    const total = task.history.reduce((a, b) => a + b, 0) || 1;
    const avgPrice = task.candidates.reduce((a, c) => a + c[2], 0) / Math.max(1, task.candidates.length);
    const scored = task.candidates.map(([productId, cat, price, popularity]) => {
      const affinity = (task.history[cat] || 0) / total;
      // Price elasticity: iterate demand towards equilibrium (deliberately CPU-bound).
      let demand = 1, p = price / avgPrice;
      for (let r = 0; r < task.rounds; r++) {
        demand = demand * 0.9 + 0.1 * Math.exp(-p * (0.5 + 0.5 * Math.sin(r + demand)));
        p = p * 0.999 + 0.001 * Math.sqrt(demand + r % 7);
      }
      return { productId, score: affinity * 3 + Math.log1p(popularity) * 0.2 + demand };
    });
    scored.sort((a, b) => b.score - a.score);
    parentPort.postMessage({ id, result: scored.slice(0, task.limit) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.stack || err) });
  }
});
`;

type TJob = { id: number; task: TRecommendTask; resolve(r: TRecommendResult): void; reject(e: Error): void };

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, TJob>();
  private readonly queue: TJob[] = [];
  private readonly all: Worker[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    /** Tasks waiting beyond this are refused (the caller answers 503), so the queue stays bounded. */
    readonly maxQueued = 500,
  ) {
    for (let i = 0; i < size; i++) this.spawn();
  }

  private spawn(): void {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    w.on("message", (msg: { id: number; result?: TRecommendResult; error?: string }) => {
      const job = this.busy.get(w);
      this.busy.delete(w);
      if (job) {
        if (msg.error) job.reject(new Error(msg.error));
        else job.resolve(msg.result ?? []);
      }
      this.idle.push(w);
      this.dispatch();
    });
    w.on("error", (err) => {
      const job = this.busy.get(w);
      this.busy.delete(w);
      job?.reject(err);
      this.all.splice(this.all.indexOf(w), 1);
      if (!this.closed) this.spawn();
    });
    this.all.push(w);
    this.idle.push(w);
    this.dispatch();
  }

  stats(): { size: number; active: number; queued: number } {
    return { size: this.all.length, active: this.busy.size, queued: this.queue.length };
  }

  run(task: TRecommendTask): Promise<TRecommendResult> {
    if (this.closed) return Promise.reject(new Error("worker pool is closed"));
    if (this.queue.length >= this.maxQueued) return Promise.reject(new WorkerPoolFullError());
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop() as Worker;
      const job = this.queue.shift() as TJob;
      this.busy.set(w, job);
      w.postMessage({ id: job.id, task: job.task });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error("worker pool is closed"));
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}

export class WorkerPoolFullError extends Error {
  override readonly name = "WorkerPoolFullError";
  constructor() {
    super("worker pool queue is full");
  }
}
