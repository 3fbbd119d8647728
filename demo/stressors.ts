// The process-level faults: CPU burned in request handlers, a periodically blocked event loop and a
// memory leak. Each is a small, honest reproduction of the bug it names.
import { createHash } from "node:crypto";
import type { FaultRegistry } from "./faults";

/**
 * Busy work on the calling thread: a fixed amount of hashing (about `ms` milliseconds of one modern
 * core), as a "signature check" would do. Work-based rather than time-based, so the CPU it costs per
 * request is the same on an idle or a contended machine.
 */
export function burnCpu(ms: number): void {
  let h = Buffer.from("hotpath");
  const rounds = Math.round(ms * HASHES_PER_MS);
  for (let i = 0; i < rounds; i++) h = createHash("sha256").update(h).digest();
}
const HASHES_PER_MS = 400;

/** cpu_saturation's share on the main thread, per request: up to ~12 ms at intensity 1. */
export function requestCpuMs(faults: FaultRegistry): number {
  return faults.isOn("cpu_saturation") ? 2 + 10 * faults.intensity("cpu_saturation") : 0;
}

type TLeaked = { id: number; at: number; tags: string[]; payload: number[] };

export class Stressors {
  private blockTimer: NodeJS.Timeout | undefined;
  private leakTimer: NodeJS.Timeout | undefined;
  private leaked: TLeaked[][] = [];
  private leakedBytes = 0;
  blocks = 0;

  constructor(
    private readonly faults: FaultRegistry,
    private readonly random: () => number,
  ) {
    faults.on("event_loop_blocked", (intensity) => {
      if (this.blockTimer) clearTimeout(this.blockTimer);
      this.blockTimer = undefined;
      if (intensity !== undefined) this.scheduleBlock();
    });
    faults.on("memory_leak", (intensity) => {
      if (intensity === undefined) {
        if (this.leakTimer) clearInterval(this.leakTimer);
        this.leakTimer = undefined;
        this.leaked = [];
        this.leakedBytes = 0;
      } else if (!this.leakTimer) {
        this.leakTimer = setInterval(() => this.leak(2000), 100);
        this.leakTimer.unref();
      }
    });
  }

  get leakedMb(): number {
    return this.leakedBytes / 1024 / 1024;
  }

  /** A synchronous stall of 50..300 ms every 0.5..1 s (scaled by intensity, jittered). */
  private scheduleBlock(): void {
    const i = this.faults.intensity("event_loop_blocked");
    const period = (1000 - 500 * i) * (0.8 + this.random() * 0.4);
    this.blockTimer = setTimeout(() => {
      if (!this.faults.isOn("event_loop_blocked")) return;
      const ms = (50 + 250 * this.faults.intensity("event_loop_blocked")) * (0.8 + this.random() * 0.4);
      const until = performance.now() + ms;
      // A synchronous stall standing in for JSON.parse of a huge payload, a sync fs call, a regex...
      let x = 0;
      while (performance.now() < until) x += Math.sqrt(x + 1);
      this.blocks++;
      this.scheduleBlock();
    }, period);
    this.blockTimer.unref();
  }

  /**
   * Retains `n` x intensity small object graphs: a per-request "audit log" that is never trimmed.
   * Capped (384 MB x intensity, estimated) so the demo degrades rather than crashing the machine.
   */
  leak(n: number): void {
    if (!this.faults.isOn("memory_leak")) return;
    const i = this.faults.intensity("memory_leak");
    const capBytes = 384 * 1024 * 1024 * Math.max(0.1, i);
    if (this.leakedBytes >= capBytes) return;
    const count = Math.max(1, Math.round(n * (0.2 + 0.8 * i)));
    const batch: TLeaked[] = [];
    for (let k = 0; k < count; k++) {
      batch.push({
        id: k,
        at: Date.now(),
        tags: [`req-${Math.floor(this.random() * 1e9).toString(36)}`, "audit"],
        payload: Array.from({ length: 64 }, (_, j) => j * this.random()),
      });
    }
    this.leaked.push(batch);
    // ~64 doubles (512 B) + object, array and string headers: about 700 bytes per record.
    this.leakedBytes += count * 700;
  }

  stop(): void {
    if (this.blockTimer) clearTimeout(this.blockTimer);
    if (this.leakTimer) clearInterval(this.leakTimer);
    this.leaked = [];
  }
}
