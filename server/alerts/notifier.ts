// Delivery: one Grouper (notify.ts) per webhook channel, driven by a 1 s clock and by a timer at the
// next due group (a group wait of 0 sends at once), and an HTTP POST of Alertmanager's JSON with
// retries and back-off. Notifications of one group go out in order: a resolved message never
// overtakes the firing one it follows while that one is being retried.
import type { TChannel } from "./channels";
import {
  Grouper,
  retryDelays,
  shouldRetry,
  type TNotification,
  type TOutgoingAlert,
  type TRetryOptions,
  webhookBody,
  webhookMessage,
} from "./notify";

export type TChannelStatus = {
  sent: number;
  failed: number;
  lastSuccessAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
};

export type TNotifierOptions = {
  /** Hotpath's URL as users reach it (the webhook's externalURL and chart links). */
  externalUrl: () => string;
  retry?: TRetryOptions;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
  userAgent?: string;
  fetch?: typeof fetch;
  now?: () => number;
  log?: { warn(obj: unknown, msg: string): void };
  /** Called after each delivery attempt that ended (sent or given up). */
  onDelivery?: (channelId: string, n: TNotification, ok: boolean) => void;
};

type TEntry = { channel: TChannel; grouper: Grouper; specKey: string; status: TChannelStatus };

export class Notifier {
  private readonly entries = new Map<string, TEntry>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly sleeping = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private interval: NodeJS.Timeout | undefined;
  private dueTimer: NodeJS.Timeout | undefined;
  private dueAt = Number.POSITIVE_INFINITY;
  private stopped = false;
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: TNotifierOptions) {
    this.now = opts.now ?? Date.now;
    this.fetchFn = opts.fetch ?? fetch;
  }

  start(): void {
    this.interval = setInterval(() => this.flush(), 1000);
    this.interval.unref();
  }

  /** Replaces the channel set; a channel whose settings did not change keeps its groups and status. */
  setChannels(channels: TChannel[]): void {
    const keep = new Set<string>();
    for (const channel of channels) {
      keep.add(channel.id);
      const specKey = JSON.stringify([
        channel.groupBy,
        channel.groupWaitMs,
        channel.groupIntervalMs,
        channel.repeatIntervalMs,
      ]);
      const old = this.entries.get(channel.id);
      if (old && old.specKey === specKey) {
        old.channel = channel;
        continue;
      }
      this.entries.set(channel.id, {
        channel,
        specKey,
        grouper: new Grouper({
          receiver: channel.name,
          groupBy: channel.groupBy,
          groupWaitMs: channel.groupWaitMs,
          groupIntervalMs: channel.groupIntervalMs,
          repeatIntervalMs: channel.repeatIntervalMs,
        }),
        status: old?.status ?? { sent: 0, failed: 0, lastSuccessAt: null, lastError: null, lastErrorAt: null },
      });
    }
    for (const id of [...this.entries.keys()]) if (!keep.has(id)) this.entries.delete(id);
  }

  /** Hands an alert (firing or resolved) to the channels it routes to: `channelIds`, or every channel when empty. */
  add(alert: TOutgoingAlert, channelIds: string[]): void {
    if (this.stopped) return;
    const now = this.now();
    const targets = channelIds.length === 0 ? [...this.entries.values()] : channelIds.map((id) => this.entries.get(id));
    for (const e of targets) e?.grouper.add(alert, now);
    this.arm();
  }

  /** Sends what is due now. */
  flush(): void {
    if (this.stopped) return;
    const now = this.now();
    for (const e of this.entries.values()) for (const n of e.grouper.due(now)) this.deliver(e, n);
    this.arm();
  }

  status(channelId: string): TChannelStatus | undefined {
    return this.entries.get(channelId)?.status;
  }

  /** Stops the clock; deliveries in flight get `graceMs` to finish, retries waiting are dropped. */
  async stop(graceMs = 2000): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    if (this.dueTimer) clearTimeout(this.dueTimer);
    for (const s of this.sleeping) {
      clearTimeout(s.timer);
      s.resolve();
    }
    const pending = [...this.chains.values()];
    if (pending.length === 0) return;
    await Promise.race([Promise.allSettled(pending), new Promise((r) => setTimeout(r, graceMs).unref())]);
  }

  /** Sends one message to a channel right away (the "test" button); resolves with the outcome. */
  async sendTest(channel: TChannel, alert: TOutgoingAlert): Promise<{ ok: boolean; status?: number; error?: string }> {
    const n: TNotification = {
      receiver: channel.name,
      groupKey: `{}:{alertname=${JSON.stringify(alert.labels.alertname ?? "")}}`,
      groupLabels: { alertname: alert.labels.alertname ?? "" },
      status: "firing",
      alerts: [alert],
      atMs: this.now(),
    };
    const r = await this.attempt(channel, webhookBody(webhookMessage(n, { externalURL: this.opts.externalUrl() })));
    return r.ok ? { ok: true, status: r.status } : { ok: false, status: r.status, error: r.error };
  }

  // -------------------------------------------------------------------------------------------

  /** A timer at the earliest due group, so a group wait of 0 does not wait for the 1 s clock. */
  private arm(): void {
    if (this.stopped) return;
    let next = Number.POSITIVE_INFINITY;
    for (const e of this.entries.values()) {
      const d = e.grouper.nextDueMs();
      if (d !== undefined && d < next) next = d;
    }
    if (next === Number.POSITIVE_INFINITY || next >= this.dueAt) return;
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueAt = next;
    this.dueTimer = setTimeout(
      () => {
        this.dueTimer = undefined;
        this.dueAt = Number.POSITIVE_INFINITY;
        this.flush();
      },
      Math.max(0, next - this.now()),
    );
  }

  private deliver(e: TEntry, n: TNotification): void {
    const body = webhookBody(webhookMessage(n, { externalURL: this.opts.externalUrl() }));
    const key = `${e.channel.id}\u0000${n.groupKey}`;
    const prev = this.chains.get(key) ?? Promise.resolve();
    const p = prev.then(() => this.sendWithRetries(e, n, body));
    this.chains.set(key, p);
    void p.finally(() => {
      if (this.chains.get(key) === p) this.chains.delete(key);
    });
  }

  private async sendWithRetries(e: TEntry, n: TNotification, body: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) return;
      const r = await this.attempt(e.channel, body);
      if (r.ok) {
        e.status.sent++;
        e.status.lastSuccessAt = this.now();
        this.opts.onDelivery?.(e.channel.id, n, true);
        return;
      }
      e.status.lastError = r.error;
      e.status.lastErrorAt = this.now();
      const retryable = r.status === undefined || shouldRetry(r.status);
      const delay = retryable ? retryDelays(attempt, r.retryAfter, this.opts.retry) : null;
      if (delay === null) {
        e.status.failed++;
        this.opts.log?.warn(
          { channel: e.channel.id, groupKey: n.groupKey, error: r.error, attempts: attempt },
          "alert notification failed",
        );
        // Retries used up: the group sends it again at its next flush. A 4xx would fail the same way.
        if (retryable) e.grouper.failed(n);
        this.opts.onDelivery?.(e.channel.id, n, false);
        return;
      }
      await this.sleep(delay);
    }
  }

  private async attempt(
    channel: TChannel,
    body: string,
  ): Promise<{ ok: true; status: number } | { ok: false; status?: number; retryAfter?: string; error: string }> {
    try {
      const res = await this.fetchFn(channel.url, {
        method: "POST",
        headers: {
          ...channel.headers,
          "content-type": "application/json",
          "user-agent": this.opts.userAgent ?? "Hotpath-Alerts",
        },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
      // Drain the body so the connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, status: res.status };
      return {
        ok: false,
        status: res.status,
        retryAfter: res.headers.get("retry-after") ?? undefined,
        error: `the receiver answered HTTP ${res.status}`,
      };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === "TimeoutError" ? "timed out" : (e.cause?.code ?? e.cause?.message ?? e.message);
      return { ok: false, error: `cannot reach ${channel.url}: ${why}` };
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeping.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeping.add(entry);
    });
  }
}
