// The transport shared by the agent and the bridge: a bounded FIFO of gzip'd bodies, sent oldest
// first, one request at a time, with back-off. Nothing here throws to the caller or holds the event
// loop open: every timer is unref'd (unless the owner asks otherwise) and every error is caught.
//
// Outcomes of one POST:
//   2xx            delivered; back-off resets
//   400 and other 4xx (not 401/403/408/429)   the body is bad: logged once, dropped, never retried
//   401 / 403      the key is refused: pushing pauses until the next interval (body kept)
//   429 / 503      Retry-After honoured (else exponential back-off); body kept
//   408, 5xx, network error, timeout          exponential back-off; body kept
import { gzip } from "node:zlib";
import { Backoff, parseRetryAfter, type TBackoffOptions } from "./backoff";

export type TPushStats = {
  /** Bodies delivered (2xx). */
  pushes: number;
  /** Failed attempts: network errors, timeouts, non-2xx answers. */
  failures: number;
  /** Bodies lost: evicted from a full buffer, or refused as bad data (400). */
  droppedBodies: number;
  /** Samples in the dropped bodies. */
  droppedSamples: number;
  /** The most recent failure, cleared by the next successful push. */
  lastError: string | undefined;
  /** Bodies waiting to be sent, and their compressed size. */
  queuedBodies: number;
  queuedBytes: number;
};

export type TQueuedBody = {
  body: Uint8Array<ArrayBuffer>;
  samples: number;
  contentType: string;
  collectedAtMs: number;
};

export type TPushQueueOptions = {
  /** Full push URL, query string included. */
  url: string;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** Bound on queued compressed bytes; the oldest bodies are dropped first. */
  maxBufferBytes: number;
  /** Per-request time limit. Default 10 s. */
  requestTimeoutMs?: number;
  backoff?: TBackoffOptions;
  log?: (message: string) => void;
  now?: () => number;
  /** Keep the process alive while a retry is scheduled (the bridge wants this; the agent does not). */
  refTimers?: boolean;
  onFailure?: () => void;
  onDrop?: (bodies: number, samples: number) => void;
};

type TOutcome =
  | { kind: "ok" }
  | { kind: "drop"; error: string }
  | { kind: "auth"; error: string }
  | { kind: "retry"; error: string; retryAfterMs?: number };

export class PushQueue {
  readonly stats: TPushStats = {
    pushes: 0,
    failures: 0,
    droppedBodies: 0,
    droppedSamples: 0,
    lastError: undefined,
    queuedBodies: 0,
    queuedBytes: 0,
  };
  private readonly queue: TQueuedBody[] = [];
  private inFlight: TQueuedBody | undefined;
  private bytes = 0;
  private notBeforeMs = 0;
  /** The Retry-After behind notBeforeMs, when the server set one (a flush does not override it). */
  private retryAfterMs = 0;
  private authPaused = false;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private readonly fetchFn: typeof fetch;
  private readonly log: (message: string) => void;
  private readonly now: () => number;
  private readonly loggedBadData = new Set<string>();
  private failing = false;
  private closed = false;
  private abort = new AbortController();

  constructor(private readonly opts: TPushQueueOptions) {
    this.backoff = new Backoff(opts.backoff);
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? Date.now;
  }

  /** Adds a body; evicts the oldest queued bodies (never the one in flight) past maxBufferBytes. */
  enqueue(entry: TQueuedBody): void {
    if (this.closed) return;
    this.queue.push(entry);
    this.bytes += entry.body.length;
    let dropped = 0;
    let droppedSamples = 0;
    while (this.bytes > this.opts.maxBufferBytes && this.queue.length > 1) {
      const idx = this.queue[0] === this.inFlight ? 1 : 0;
      if (idx >= this.queue.length) break;
      const [old] = this.queue.splice(idx, 1) as [TQueuedBody];
      this.bytes -= old.body.length;
      dropped++;
      droppedSamples += old.samples;
    }
    if (dropped > 0) this.countDrop(dropped, droppedSamples, "buffer full");
    this.syncStats();
  }

  /** Whether sending is paused by back-off, Retry-After or a refused key. */
  get waiting(): boolean {
    return this.authPaused || this.now() < this.notBeforeMs;
  }

  /** A new interval: a refused key gets another chance. */
  newInterval(): void {
    this.authPaused = false;
  }

  /** Starts a send loop unless one is running or sending is paused. */
  kick(): void {
    if (this.closed || this.running || this.queue.length === 0) return;
    if (this.waiting) this.schedule();
    else void this.run(false);
  }

  /**
   * Sends everything queued now, ignoring back-off (but not a pending Retry-After unless `force`).
   * Waits for a running loop first. Never rejects.
   */
  async flush(force = false): Promise<void> {
    while (this.running) await this.running;
    if (this.closed || this.queue.length === 0) return;
    await this.run(force ? "all" : "backoff");
  }

  /** Stops timers and aborts a request in flight; queued bodies are discarded. */
  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.abort.abort();
  }

  private run(override: false | "backoff" | "all"): Promise<void> {
    const p = this.loop(override)
      .catch((err: unknown) => {
        this.stats.lastError = `internal: ${errorMessage(err)}`;
      })
      .finally(() => {
        if (this.running === p) this.running = undefined;
      });
    this.running = p;
    return p;
  }

  private async loop(override: false | "backoff" | "all"): Promise<void> {
    let overrideLeft = override !== false;
    while (!this.closed && this.queue.length > 0) {
      if (this.waiting) {
        const retryAfterPending = this.retryAfterMs > 0 && this.now() < this.notBeforeMs;
        const mayOverride =
          overrideLeft && !this.authPaused && (override === "all" || (override === "backoff" && !retryAfterPending));
        if (!mayOverride) {
          this.schedule();
          return;
        }
      }
      overrideLeft = false;
      const entry = this.queue[0] as TQueuedBody;
      this.inFlight = entry;
      const outcome = await this.send(entry);
      this.inFlight = undefined;
      if (outcome.kind === "ok") {
        this.remove(entry);
        this.stats.pushes++;
        this.stats.lastError = undefined;
        this.backoff.reset();
        this.notBeforeMs = 0;
        this.retryAfterMs = 0;
        if (this.failing) {
          this.failing = false;
          this.log(`push recovered; ${this.queue.length} queued bodies to send`);
        }
        continue;
      }
      this.stats.failures++;
      this.stats.lastError = outcome.error;
      this.opts.onFailure?.();
      if (outcome.kind === "drop") {
        if (this.remove(entry)) this.countDrop(1, entry.samples, "refused as bad data");
        if (this.loggedBadData.size < 50 && !this.loggedBadData.has(outcome.error)) {
          this.loggedBadData.add(outcome.error);
          this.log(`push refused, body dropped (not retried): ${outcome.error}`);
        }
        continue;
      }
      if (!this.failing) {
        this.failing = true;
        this.log(
          outcome.kind === "auth"
            ? `push refused: ${outcome.error}; pausing until the next interval`
            : `push failed: ${outcome.error}; retrying with back-off, buffering up to ${this.opts.maxBufferBytes} bytes`,
        );
      }
      if (outcome.kind === "auth") {
        this.authPaused = true;
        return;
      }
      const delay =
        outcome.retryAfterMs !== undefined
          ? this.backoff.retryAfterDelayMs(outcome.retryAfterMs)
          : this.backoff.nextDelayMs();
      this.retryAfterMs = outcome.retryAfterMs ?? 0;
      this.notBeforeMs = this.now() + delay;
      this.schedule();
      return;
    }
  }

  private schedule(): void {
    if (this.closed || this.authPaused || this.retryTimer) return;
    const delay = Math.max(0, this.notBeforeMs - this.now());
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
    if (!this.opts.refTimers) this.retryTimer.unref();
  }

  private async send(entry: TQueuedBody): Promise<TOutcome> {
    let res: Response;
    try {
      const timeout = AbortSignal.timeout(this.opts.requestTimeoutMs ?? 10_000);
      res = await this.fetchFn(this.opts.url, {
        method: "POST",
        headers: { ...this.opts.headers, "content-type": entry.contentType, "content-encoding": "gzip" },
        body: entry.body,
        signal: AbortSignal.any([timeout, this.abort.signal]),
      });
    } catch (err) {
      return { kind: "retry", error: `POST ${redact(this.opts.url)}: ${errorMessage(err)}` };
    }
    if (res.ok) {
      await res.body?.cancel().catch(() => {});
      return { kind: "ok" };
    }
    const detail = await responseDetail(res);
    const error = `HTTP ${res.status} from ${redact(this.opts.url)}${detail ? `: ${detail}` : ""}`;
    if (res.status === 401 || res.status === 403) return { kind: "auth", error };
    if (res.status === 429 || res.status === 503) {
      return { kind: "retry", error, retryAfterMs: parseRetryAfter(res.headers.get("retry-after"), this.now()) };
    }
    if (res.status === 408 || res.status >= 500) return { kind: "retry", error };
    return { kind: "drop", error };
  }

  private remove(entry: TQueuedBody): boolean {
    const idx = this.queue.indexOf(entry);
    if (idx === -1) return false;
    this.queue.splice(idx, 1);
    this.bytes -= entry.body.length;
    this.syncStats();
    return true;
  }

  private countDrop(bodies: number, samples: number, why: string): void {
    if (this.stats.droppedBodies === 0) this.log(`dropping queued metrics (${why}); see stats.droppedBodies`);
    this.stats.droppedBodies += bodies;
    this.stats.droppedSamples += samples;
    this.opts.onDrop?.(bodies, samples);
  }

  private syncStats(): void {
    this.stats.queuedBodies = this.queue.length;
    this.stats.queuedBytes = this.bytes;
  }
}

export type TCollected = { text: string; contentType: string } | undefined;

export type TPeriodicPusherOptions = TPushQueueOptions & {
  intervalMs: number;
  /** Produces the next body (uncompressed text), or undefined to skip this interval. */
  collect: (nowMs: number) => Promise<TCollected>;
};

/** Collects on an interval, compresses, queues and kicks the send loop. */
export class PeriodicPusher {
  readonly queue: PushQueue;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private collecting: Promise<void> | undefined;
  private loggedCollectError = false;

  constructor(private readonly opts: TPeriodicPusherOptions) {
    this.queue = new PushQueue(opts);
  }

  get stats(): TPushStats {
    return this.queue.stats;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.arm();
  }

  /** Collects now and sends everything queued, ignoring back-off. Never rejects. */
  async flush(): Promise<void> {
    await this.collectOnce();
    await this.queue.flush(false);
  }

  /** Stops the timer, collects a last body and tries to send it within `timeoutMs`. Never rejects. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const work = (async () => {
      await this.collectOnce(true);
      await this.queue.flush(true);
    })();
    let t: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      t = setTimeout(resolve, timeoutMs);
      t.unref();
    });
    await Promise.race([work.catch(() => {}), limit]);
    if (t) clearTimeout(t);
    this.queue.close();
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, this.opts.intervalMs);
    if (!this.opts.refTimers) this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.collectOnce();
      this.queue.newInterval();
      this.queue.kick();
    } finally {
      this.arm();
    }
  }

  private async collectOnce(final = false): Promise<void> {
    // One collection at a time; a flush during a tick waits for it and then collects again.
    while (this.collecting) await this.collecting;
    if (this.stopped && !final) return;
    const p = this.collectInner();
    this.collecting = p;
    try {
      await p;
    } finally {
      this.collecting = undefined;
    }
  }

  private async collectInner(): Promise<void> {
    try {
      const now = Date.now();
      const collected = await this.opts.collect(now);
      if (!collected || collected.text.trim() === "") return;
      // A copy into its own ArrayBuffer: a fetch body type, and no share of Node's buffer pool.
      const body = new Uint8Array(await gzipAsync(Buffer.from(collected.text, "utf8")));
      let samples = 0;
      for (const line of collected.text.split("\n")) if (line !== "" && !line.startsWith("#")) samples++;
      this.queue.enqueue({ body, samples, contentType: collected.contentType, collectedAtMs: now });
    } catch (err) {
      if (!this.loggedCollectError) {
        this.loggedCollectError = true;
        (this.opts.log ?? (() => {}))(`collecting metrics failed (logged once): ${errorMessage(err)}`);
      }
    }
  }
}

function gzipAsync(buf: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => gzip(buf, (err, out) => (err ? reject(err) : resolve(out))));
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    const causeMsg = cause instanceof Error ? ` (${(cause as NodeJS.ErrnoException).code ?? cause.message})` : "";
    return `${err.name === "Error" ? "" : `${err.name}: `}${err.message}${causeMsg}`;
  }
  return String(err);
}

async function responseDetail(res: Response): Promise<string> {
  try {
    const text = (await res.text()).slice(0, 500);
    try {
      const j = JSON.parse(text) as { error?: { message?: string } | string };
      if (typeof j.error === "string") return j.error;
      if (j.error?.message) return j.error.message;
    } catch {}
    return text.trim().replace(/\s+/g, " ").slice(0, 200);
  } catch {
    return "";
  }
}

/** The URL without credentials, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}
