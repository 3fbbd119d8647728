// Live queries: browsers subscribe to a PromQL expression; when a commit touches the series it reads,
// the query is evaluated at "now" and the vector goes to everyone subscribed to it. Evaluations are
// coalesced (at most one per subscription per `minIntervalMs`), run one at a time, and never wait
// on a browser: a slow client cannot slow ingestion.
import { createHash } from "node:crypto";
import type { Server, Socket } from "socket.io";
import { type TQueryPoints, ZQuerySubscribeSchema } from "../../lib/contracts/live";
import type { LiveBus, TCommitEvent } from "./bus";

export type TLiveEvaluation =
  | { ok: true; result: TQueryPoints["result"]; seriesIds: Set<number> }
  | { ok: false; error: { code: string; message: string } };

export type TLiveEvaluator = (query: string, timeMs: number) => Promise<TLiveEvaluation>;

type TSub = {
  id: string;
  query: string;
  stepMs: number;
  sockets: Set<string>;
  seriesIds: Set<number>;
  dirty: boolean;
  lastRun: number;
};

export class LiveQueries {
  private readonly subs = new Map<string, TSub>();
  private running = false;
  private readonly timer: NodeJS.Timeout;
  readonly stats = { evaluations: 0, emitted: 0, errors: 0 };

  constructor(
    private readonly io: Server,
    bus: LiveBus,
    private readonly evaluate: TLiveEvaluator,
    private readonly opts: { minIntervalMs: number; rescanMs: number } = { minIntervalMs: 400, rescanMs: 5000 },
  ) {
    bus.on("commit", (e) => this.onCommit(e));
    this.timer = setInterval(() => void this.pump(), Math.min(100, opts.minIntervalMs));
    this.timer.unref();
  }

  attach(socket: Socket): void {
    socket.on("query:subscribe", async (payload: unknown, ack?: (r: unknown) => void) => {
      const reply = typeof ack === "function" ? ack : () => undefined;
      const parsed = ZQuerySubscribeSchema.safeParse(payload);
      if (!parsed.success) {
        reply({
          ok: false,
          error: { code: "bad_request", message: `query:subscribe: ${parsed.error.issues[0]?.message}` },
        });
        return;
      }
      const { query, stepMs } = parsed.data;
      const id = createHash("sha1").update(`${stepMs}\u0000${query}`).digest("hex").slice(0, 16);
      let sub = this.subs.get(id);
      if (!sub) {
        // Evaluate once up front: a bad query is refused here, and we learn which series it reads.
        const first = await this.evaluate(query, Date.now());
        if (!first.ok) {
          reply({ ok: false, error: first.error });
          return;
        }
        sub = this.subs.get(id) ?? {
          id,
          query,
          stepMs,
          sockets: new Set(),
          seriesIds: first.seriesIds,
          dirty: false,
          lastRun: Date.now(),
        };
        this.subs.set(id, sub);
      }
      sub.sockets.add(socket.id);
      void socket.join(room(id));
      reply({ ok: true, id });
    });
    const leave = (id: string) => {
      const sub = this.subs.get(id);
      if (!sub) return;
      sub.sockets.delete(socket.id);
      void socket.leave(room(id));
      if (sub.sockets.size === 0) this.subs.delete(id);
    };
    socket.on("query:unsubscribe", (payload: unknown) => {
      const id = (payload as { id?: unknown } | undefined)?.id;
      if (typeof id === "string") leave(id);
    });
    socket.on("disconnect", () => {
      for (const sub of [...this.subs.values()]) if (sub.sockets.has(socket.id)) leave(sub.id);
    });
  }

  get size(): number {
    return this.subs.size;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private onCommit(e: TCommitEvent): void {
    if (this.subs.size === 0) return;
    for (const sub of this.subs.values()) {
      if (sub.dirty) continue;
      for (let i = 0; i < e.seriesIds.length; i++) {
        if (sub.seriesIds.has(e.seriesIds[i] as number)) {
          sub.dirty = true;
          break;
        }
      }
    }
  }

  private async pump(): Promise<void> {
    if (this.running || this.subs.size === 0) return;
    this.running = true;
    try {
      const now = Date.now();
      for (const sub of [...this.subs.values()]) {
        // A periodic rescan catches series that did not exist when the subscription began.
        const due = sub.dirty || now - sub.lastRun >= this.opts.rescanMs;
        if (!due || now - sub.lastRun < this.opts.minIntervalMs) continue;
        sub.dirty = false;
        sub.lastRun = now;
        const r = await this.evaluate(sub.query, Date.now());
        this.stats.evaluations++;
        if (!r.ok) {
          this.stats.errors++;
          continue;
        }
        sub.seriesIds = r.seriesIds;
        const points: TQueryPoints = { id: sub.id, t: Date.now() / 1000, result: r.result };
        // volatile: a browser that cannot keep up misses a frame instead of queueing them.
        this.io.to(room(sub.id)).volatile.emit("query:points", points);
        this.stats.emitted++;
      }
    } finally {
      this.running = false;
    }
  }
}

function room(id: string): string {
  return `query:${id}`;
}
