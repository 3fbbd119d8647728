// Retry timing for pushes: exponential back-off with jitter, and the server's Retry-After.

export type TBackoffOptions = {
  /** First delay. Default 1000 ms. */
  initialMs?: number;
  /**
   * Ceiling for the doubling. Default 15 000 ms: a restarted Hotpath gets data again within seconds
   * (Prometheus's remote write caps at 5 s); a server that needs longer says so with Retry-After.
   */
  maxMs?: number;
  /** ± fraction applied to each delay so a fleet of agents does not retry in step. Default 0.2. */
  jitter?: number;
  /** Injected for tests. */
  random?: () => number;
};

/** Longest Retry-After the agent honours; a larger value (or a date far ahead) is clamped to this. */
export const MAX_RETRY_AFTER_MS = 300_000;

export class Backoff {
  private failures = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(opts: TBackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 1000;
    this.maxMs = opts.maxMs ?? 15_000;
    this.jitter = opts.jitter ?? 0.2;
    this.random = opts.random ?? Math.random;
  }

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt after one more failure: 1 s, 2 s, 4 s … 60 s, each ± jitter. */
  nextDelayMs(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    const factor = 1 + this.jitter * (2 * this.random() - 1);
    return Math.round(Math.min(this.maxMs, base * factor));
  }

  /**
   * The delay after a failure that carried Retry-After: at least what the server asked for (plus up to
   * 10% so agents told the same value spread out), never less. Counts as a failure for the schedule.
   */
  retryAfterDelayMs(retryAfterMs: number): number {
    this.failures++;
    const ms = Math.min(MAX_RETRY_AFTER_MS, Math.max(0, retryAfterMs));
    return Math.round(ms * (1 + 0.1 * this.random()));
  }

  reset(): void {
    this.failures = 0;
  }
}

/**
 * Retry-After as milliseconds from now: either delay-seconds or an HTTP date. Undefined when the
 * header is missing or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const v = header.trim();
  if (v === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(v) * 1000));
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - nowMs));
}
