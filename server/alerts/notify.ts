// Notifications: alert instances become outgoing alerts, a Grouper batches them the way
// Alertmanager's dispatcher does (group_wait, group_interval, repeat_interval, resolved
// notifications), and the webhook body is Alertmanager's version-4 payload, field for field, so any
// receiver written for Alertmanager works unchanged. No timers and no I/O: a driver calls `due(now)`
// every second and sends what it returns.
import { fingerprint, labelSetString, sortedNames, type TLabels } from "./labels";
import type { TStoredAlertRule } from "./rules";
import type { TAlertInstance } from "./state";
import { formatGoFloat, renderTemplate, type TThresholdValue } from "./template";

export type TOutgoingAlert = {
  /** Series labels (without __name__), then rule labels, alertname and severity. */
  labels: TLabels;
  annotations: Record<string, string>;
  /** When it started firing. */
  startsAtMs: number;
  /** When it resolved; null while firing. */
  endsAtMs: number | null;
  /** The chart of the rule's query with its threshold, on Hotpath's explore page. */
  generatorURL: string;
};

/** Annotation names Hotpath adds to every alert, next to the rule's own. */
export const VALUE_ANNOTATION = "value";
export const THRESHOLD_ANNOTATION = "threshold";

function thresholdText(t: TThresholdValue): string | undefined {
  if (t === null) return undefined;
  return Array.isArray(t) ? `${formatGoFloat(t[0])},${formatGoFloat(t[1])}` : formatGoFloat(t);
}

/** `${externalURL}/explore?query=…&threshold=…` (a band is `low,high`). */
export function chartUrl(externalURL: string, query: string, threshold: TThresholdValue): string {
  const params = new URLSearchParams({ query });
  const t = thresholdText(threshold);
  if (t !== undefined) params.set("threshold", t);
  // URLSearchParams writes spaces as "+"; %20 reads the same everywhere a link is pasted.
  return `${externalURL.replace(/\/+$/, "")}/explore?${params.toString().replace(/\+/g, "%20")}`;
}

/** What a chart of the alert shows: the rule's query, or the silent job's series. */
function chartQuery(instance: TAlertInstance, rule: TStoredAlertRule): string {
  if (rule.kind === "absence") return `{job=${JSON.stringify(instance.labels.job ?? "")}}`;
  return rule.query;
}

export type TAlertContext = { externalURL: string; externalLabels?: TLabels };

/**
 * The alert a firing or resolved instance sends; undefined for pending and inactive ones. Label
 * values and annotations are rendered as templates (as Prometheus does) with the value that
 * triggered firing, so a notification keeps describing what fired it even after the value moves.
 */
export function alertFromInstance(
  instance: TAlertInstance,
  rule: TStoredAlertRule,
  ctx: TAlertContext,
): TOutgoingAlert | undefined {
  if (instance.state !== "firing" && instance.state !== "resolved") return undefined;
  const data = {
    labels: instance.labels,
    value: instance.triggerValue,
    threshold: instance.threshold,
    externalLabels: ctx.externalLabels ?? {},
  };
  const labels: TLabels = { ...instance.labels };
  delete labels.__name__;
  for (const [k, v] of Object.entries(rule.labels)) labels[k] = renderTemplate(v, data);
  labels.alertname = rule.name;
  labels.severity = rule.severity;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(rule.annotations)) annotations[k] = renderTemplate(v, data);
  if (instance.triggerValue !== null) annotations[VALUE_ANNOTATION] = formatGoFloat(instance.triggerValue);
  const t = thresholdText(instance.threshold);
  if (t !== undefined) annotations[THRESHOLD_ANNOTATION] = t;
  const chartThreshold = rule.kind === "rate_of_change" ? null : instance.threshold;
  return {
    labels,
    annotations,
    startsAtMs: instance.firedAt ?? instance.activeAt ?? instance.lastEvalMs,
    endsAtMs: instance.state === "resolved" ? instance.resolvedAt : null,
    generatorURL: chartUrl(ctx.externalURL, chartQuery(instance, rule), chartThreshold),
  };
}

// ---------------------------------------------------------------------------------------------
// Grouping

/** The labels a group is keyed by: those of `groupBy` the alert has; `...` means all of them. */
export function groupLabels(labels: TLabels, groupBy: string[]): TLabels {
  if (groupBy.includes("...")) return { ...labels };
  const out: TLabels = {};
  for (const name of groupBy) {
    const v = labels[name];
    if (v !== undefined && v !== "") out[name] = v;
  }
  return out;
}

/** Alertmanager's group key for the root route: `{}:{alertname="X", route="/a"}`. */
export function groupKey(labels: TLabels, groupBy: string[]): string {
  return `{}:${labelSetString(groupLabels(labels, groupBy))}`;
}

export type TGrouperOptions = {
  /** The channel the notifications go to (the webhook's `receiver`). */
  receiver: string;
  /** Default ["alertname"]. */
  groupBy?: string[];
  /** First notification of a new group waits this long for its siblings. Default 30 s. */
  groupWaitMs?: number;
  /** A group that changed notifies again after this long. Default 5 min. */
  groupIntervalMs?: number;
  /** An unchanged firing group notifies again after this long. Default 4 h. */
  repeatIntervalMs?: number;
};

export type TNotification = {
  receiver: string;
  groupKey: string;
  groupLabels: TLabels;
  status: "firing" | "resolved";
  /** Firing and resolved alerts of the group, in Alertmanager's order (job, instance, labels). */
  alerts: TOutgoingAlert[];
  /** When due() produced it: alert statuses are as of this time. */
  atMs: number;
};

type TSentLog = { firing: Set<string>; resolved: Set<string>; atMs: number };

type TGroup = {
  key: string;
  labels: TLabels;
  alerts: Map<string, TOutgoingAlert>;
  nextFlushMs: number;
  hasFlushed: boolean;
  log: TSentLog | undefined;
};

export const isResolvedAt = (a: TOutgoingAlert, nowMs: number) => a.endsAtMs !== null && a.endsAtMs <= nowMs;

/** Alertmanager's AlertSlice order: by job, then instance (alerts without one last), then labels. */
function compareAlerts(a: TOutgoingAlert, b: TOutgoingAlert): number {
  for (const k of ["job", "instance"]) {
    const x = a.labels[k];
    const y = b.labels[k];
    if (x === undefined && y === undefined) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    if (x !== y) return x < y ? -1 : 1;
  }
  const x = labelSetString(a.labels);
  const y = labelSetString(b.labels);
  return x < y ? -1 : x > y ? 1 : 0;
}

const isSubset = (a: Set<string>, b: Set<string>) => [...a].every((x) => b.has(x));

/**
 * Alertmanager's aggregation groups and notification log for one receiver, driven by the caller's
 * clock. A new group notifies after groupWait; after that it is looked at every groupInterval and
 * notifies when a new alert fires, when an alert resolves, or when repeatInterval has passed.
 */
export class Grouper {
  private readonly groups = new Map<string, TGroup>();
  private readonly previousLogs = new WeakMap<TNotification, TSentLog | undefined>();
  readonly receiver: string;
  readonly groupBy: string[];
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;

  constructor(opts: TGrouperOptions) {
    this.receiver = opts.receiver;
    this.groupBy = opts.groupBy ?? ["alertname"];
    this.groupWaitMs = opts.groupWaitMs ?? 30_000;
    this.groupIntervalMs = opts.groupIntervalMs ?? 5 * 60_000;
    this.repeatIntervalMs = opts.repeatIntervalMs ?? 4 * 3_600_000;
  }

  /** Adds or updates an alert (same labels = same alert). Send resolved alerts through here too. */
  add(alert: TOutgoingAlert, nowMs: number): void {
    const key = groupKey(alert.labels, this.groupBy);
    let g = this.groups.get(key);
    if (!g) {
      // A resolved alert with no group to tell has nobody to tell: nothing was sent about it.
      if (isResolvedAt(alert, nowMs)) return;
      g = {
        key,
        labels: groupLabels(alert.labels, this.groupBy),
        alerts: new Map(),
        nextFlushMs: nowMs + this.groupWaitMs,
        hasFlushed: false,
        log: undefined,
      };
      this.groups.set(key, g);
    }
    g.alerts.set(fingerprint(alert.labels), alert);
    // An alert already older than groupWait (e.g. restored after a restart) has waited enough.
    if (!g.hasFlushed && alert.startsAtMs + this.groupWaitMs <= nowMs) g.nextFlushMs = Math.min(g.nextFlushMs, nowMs);
  }

  /** The notifications to send now. Call it often (every second); it is cheap when nothing is due. */
  due(nowMs: number): TNotification[] {
    const out: TNotification[] = [];
    for (const g of [...this.groups.values()]) {
      if (g.nextFlushMs > nowMs) continue;
      g.nextFlushMs = nowMs + this.groupIntervalMs;
      g.hasFlushed = true;
      const alerts = [...g.alerts.values()].sort(compareAlerts);
      const firing = new Set<string>();
      const resolved = new Set<string>();
      for (const [fp, a] of g.alerts) (isResolvedAt(a, nowMs) ? resolved : firing).add(fp);
      if (this.needsUpdate(g.log, firing, resolved, nowMs)) {
        const n: TNotification = {
          receiver: this.receiver,
          groupKey: g.key,
          groupLabels: { ...g.labels },
          status: firing.size > 0 ? "firing" : "resolved",
          alerts,
          atMs: nowMs,
        };
        this.previousLogs.set(n, g.log);
        g.log = { firing, resolved, atMs: nowMs };
        out.push(n);
      }
      // Resolved alerts have been told (or had nobody to tell): the group forgets them.
      for (const fp of resolved) g.alerts.delete(fp);
      if (g.alerts.size === 0) this.groups.delete(g.key);
    }
    return out;
  }

  /**
   * Delivery of `n` failed for good (retries exhausted): forget that it was sent, so the group's next
   * flush sends it again, resolved alerts included, as Alertmanager does when a notify fails.
   */
  failed(n: TNotification): void {
    if (!this.previousLogs.has(n)) return;
    let g = this.groups.get(n.groupKey);
    if (!g) {
      g = {
        key: n.groupKey,
        labels: { ...n.groupLabels },
        alerts: new Map(),
        nextFlushMs: n.atMs + this.groupIntervalMs,
        hasFlushed: true,
        log: undefined,
      };
      this.groups.set(n.groupKey, g);
    }
    g.log = this.previousLogs.get(n);
    this.previousLogs.delete(n);
    for (const a of n.alerts) {
      const fp = fingerprint(a.labels);
      if (!g.alerts.has(fp)) g.alerts.set(fp, a);
    }
  }

  /** Earliest time something may be due; undefined when no group is open. */
  nextDueMs(): number | undefined {
    let next: number | undefined;
    for (const g of this.groups.values()) if (next === undefined || g.nextFlushMs < next) next = g.nextFlushMs;
    return next;
  }

  /** Open groups and their alerts, for status pages. */
  snapshot(): { groupKey: string; groupLabels: TLabels; alerts: TOutgoingAlert[]; nextFlushMs: number }[] {
    return [...this.groups.values()].map((g) => ({
      groupKey: g.key,
      groupLabels: { ...g.labels },
      alerts: [...g.alerts.values()].sort(compareAlerts),
      nextFlushMs: g.nextFlushMs,
    }));
  }

  /** Alertmanager's DedupStage.needsUpdate, with send_resolved on. */
  private needsUpdate(log: TSentLog | undefined, firing: Set<string>, resolved: Set<string>, nowMs: number): boolean {
    if (!log) return firing.size > 0;
    if (!isSubset(firing, log.firing)) return true;
    // Everything resolved: tell the receiver, unless it was never told anything fired.
    if (firing.size === 0) return log.firing.size > 0;
    if (!isSubset(resolved, log.resolved)) return true;
    return nowMs - log.atMs >= this.repeatIntervalMs;
  }
}

// ---------------------------------------------------------------------------------------------
// Alertmanager webhook payload (notify/webhook Message + template.Data, version "4")

export type TWebhookAlert = {
  status: "firing" | "resolved";
  labels: TLabels;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
};

/** Key order is Go's: the embedded template.Data fields first, then version, groupKey, truncatedAlerts. */
export type TWebhookMessage = {
  receiver: string;
  status: "firing" | "resolved";
  alerts: TWebhookAlert[];
  groupLabels: TLabels;
  commonLabels: TLabels;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  version: "4";
  groupKey: string;
  truncatedAlerts: number;
};

/** Go's zero time, which Alertmanager sends as endsAt of a firing alert. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

/** time.Time as Go's JSON writes it (RFC 3339, trailing zeros of the fraction dropped); null → zero time. */
export function formatRFC3339(ms: number | null): string {
  if (ms === null) return ZERO_TIME;
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d*?)0*Z$/, (_, frac: string) => (frac ? `.${frac}Z` : "Z"));
}

/** Go's regexp.QuoteMeta, which Alertmanager applies to the receiver name. */
function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

/** Go marshals maps with sorted keys. */
function sortedMap(m: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of sortedNames(m)) out[k] = m[k] as string;
  return out;
}

function common(maps: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) if (rest.every((m) => m[k] === v)) out[k] = v;
  return sortedMap(out);
}

export type TWebhookOptions = {
  /** Hotpath's own URL, as users reach it. */
  externalURL: string;
  /** Most alerts in one message (the webhook's max_alerts); 0 = all. */
  maxAlerts?: number;
};

export function webhookMessage(n: TNotification, opts: TWebhookOptions): TWebhookMessage {
  const max = opts.maxAlerts ?? 0;
  const kept = max > 0 && n.alerts.length > max ? n.alerts.slice(0, max) : n.alerts;
  const alerts = kept.map(
    (a): TWebhookAlert => ({
      status: isResolvedAt(a, n.atMs) ? "resolved" : "firing",
      labels: sortedMap(a.labels),
      annotations: sortedMap(a.annotations),
      startsAt: formatRFC3339(a.startsAtMs),
      // Alertmanager hides an end time that has not been reached yet.
      endsAt: formatRFC3339(isResolvedAt(a, n.atMs) ? a.endsAtMs : null),
      generatorURL: a.generatorURL,
      fingerprint: fingerprint(a.labels),
    }),
  );
  return {
    receiver: quoteMeta(n.receiver),
    status: alerts.some((a) => a.status === "firing") ? "firing" : "resolved",
    alerts,
    groupLabels: sortedMap(n.groupLabels),
    commonLabels: common(kept.map((a) => a.labels)),
    commonAnnotations: common(kept.map((a) => a.annotations)),
    externalURL: opts.externalURL,
    version: "4",
    groupKey: n.groupKey,
    truncatedAlerts: n.alerts.length - kept.length,
  };
}

/** The request body byte for byte as Go's json.Encoder writes it: HTML-safe escapes and a newline. */
export function webhookBody(msg: TWebhookMessage): string {
  const json = JSON.stringify(msg).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${json}\n`;
}

// ---------------------------------------------------------------------------------------------
// Delivery retries

export type TRetryOptions = {
  /** First delay. Default 1 s. */
  baseMs?: number;
  /** Longest back-off delay. Default 60 s. */
  capMs?: number;
  /** Longest Retry-After honoured, so one receiver cannot park a notification for a day. Default 15 min. */
  maxRetryAfterMs?: number;
  /** Attempts before giving up (then call Grouper.failed). Default 6. */
  maxAttempts?: number;
};

/** 5xx and 429 are worth retrying (Alertmanager retries 5xx); other 4xx will fail the same way again. */
export function shouldRetry(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * The delay before retry number `attempt` (1 = the first retry): base·2^(attempt−1) capped, or the
 * receiver's Retry-After in seconds when it sent one. null: stop retrying.
 */
export function retryDelays(
  attempt: number,
  retryAfter?: string | number | null,
  opts: TRetryOptions = {},
): number | null {
  const maxAttempts = opts.maxAttempts ?? 6;
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > maxAttempts) return null;
  const seconds = typeof retryAfter === "string" && /^\s*\d+\s*$/.test(retryAfter) ? Number(retryAfter) : retryAfter;
  if (typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0)
    return Math.min(seconds * 1000, opts.maxRetryAfterMs ?? 15 * 60_000);
  const base = opts.baseMs ?? 1000;
  return Math.min(base * 2 ** (attempt - 1), opts.capMs ?? 60_000);
}
