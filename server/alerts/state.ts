// The per-instance alert state machine: one instance per rule and series label set. Pure functions
// of (instance, input, rule): no timers, no store. The caller runs `evaluate` for every series at each
// rule evaluation and `tick` between evaluations (time alone moves pending → firing, ends
// keep-firing, and resolves series that stopped reporting).
//
//   inactive ──true──▶ pending ──held forSeconds──▶ firing ──false for keepFiringFor──▶ resolved ──▶ inactive
//       └────true, forSeconds 0────────────────────────▶┘        pending ──false──▶ inactive (never fired)
//
// "true" means the condition holds. Once firing, it keeps holding until the value is back past the
// threshold by the hysteresis band, so a value hovering at the threshold does not flap.
import { labelSetString, type TLabels } from "./labels";
import { ruleThreshold, type TStoredAlertRule } from "./rules";
import type { TThresholdValue } from "./template";

export type TAlertState = "inactive" | "pending" | "firing" | "resolved";
export type TTransition = "pending" | "firing" | "resolved" | "inactive";

export type TAlertInstance = {
  /** instanceKey(ruleId, labels). */
  key: string;
  ruleId: string;
  /** The series' labels as the query returned them (for absence rules: `{ job }`). */
  labels: TLabels;
  state: TAlertState;
  /** When the condition started to hold (pending or firing since); null when inactive. */
  activeAt: number | null;
  firedAt: number | null;
  resolvedAt: number | null;
  /** When the condition stopped holding while firing: keep-firing counts from here. */
  keepFiringSince: number | null;
  lastValue: number | null;
  lastEvalMs: number;
  /** The last evaluation that had a value for the series. */
  lastSeenMs: number | null;
  /** The value at the evaluation that made it fire. */
  triggerValue: number | null;
  /** The rule's threshold when the instance became active (rules can be edited meanwhile). */
  threshold: TThresholdValue;
};

export type TEvalInput = {
  labels: TLabels;
  /** null: the query returned no sample for this series (for absence rules: the job is silent). */
  value: number | null;
  nowMs: number;
};

export type TEvalResult = { instance: TAlertInstance; transition?: TTransition };

export type TStateOptions = {
  /** How long a resolved instance stays visible before it turns inactive. Default 15 min (Prometheus's). */
  resolvedRetentionMs?: number;
  /** tick treats a series with no value for this long as absent. Default 5 min (PromQL's lookback). */
  staleAfterMs?: number;
};

export const RESOLVED_RETENTION_MS = 15 * 60_000;
export const STALE_AFTER_MS = 5 * 60_000;

/** Stable key of an alert instance: the rule id and the label set, names sorted. */
export function instanceKey(ruleId: string, labels: TLabels): string {
  return `${ruleId}${labelSetString(labels)}`;
}

/**
 * The hysteresis band around a threshold: h·|T|, or h itself when T is 0 (a relative band around
 * zero would be empty). Taking |T| keeps the band on the recovery side for negative thresholds
 * too: "above −10" with h 0.05 resolves below −10.5, where T·(1−h) would give −9.5.
 */
export function hysteresisBand(threshold: number, h: number): number {
  return threshold === 0 ? h : h * Math.abs(threshold);
}

/**
 * Whether the condition holds for `value`. `firing` applies hysteresis: a firing instance holds
 * until the value is strictly back past threshold ∓ band. NaN never holds (PromQL's comparisons
 * drop NaN samples, so Prometheus would see the series vanish).
 */
export function conditionHolds(rule: TStoredAlertRule, value: number | null, firing: boolean): boolean {
  if (rule.kind === "absence") return value === null;
  if (value === null || Number.isNaN(value)) return false;
  if (rule.condition === "present") return true;
  const h = firing ? rule.hysteresis : 0;
  const inc = rule.inclusive;
  const past = (v: number, t: number, dir: "above" | "below") =>
    dir === "above" ? (inc ? v >= t : v > t) : inc ? v <= t : v < t;
  // While firing with a band, the condition holds until the value is strictly back past the band.
  const holds = (v: number, t: number, dir: "above" | "below", band: number) =>
    band > 0 ? (dir === "above" ? !(v < t - band) : !(v > t + band)) : past(v, t, dir);

  if (rule.condition === "above" || rule.condition === "below") {
    const t = rule.threshold ?? 0;
    return holds(value, t, rule.condition, h > 0 ? hysteresisBand(t, h) : 0);
  }
  const low = rule.low ?? 0;
  const high = rule.high ?? 0;
  // Each band is capped at a quarter of the gap, so a narrow band still has values that resolve.
  const cap = (high - low) / 4;
  const bl = h > 0 ? Math.min(hysteresisBand(low, h), cap) : 0;
  const bh = h > 0 ? Math.min(hysteresisBand(high, h), cap) : 0;
  return holds(value, low, "below", bl) || holds(value, high, "above", bh);
}

function fresh(rule: TStoredAlertRule, labels: TLabels, nowMs: number): TAlertInstance {
  return {
    key: instanceKey(rule.id, labels),
    ruleId: rule.id,
    labels: { ...labels },
    state: "inactive",
    activeAt: null,
    firedAt: null,
    resolvedAt: null,
    keepFiringSince: null,
    lastValue: null,
    lastEvalMs: nowMs,
    lastSeenMs: null,
    triggerValue: null,
    threshold: null,
  };
}

/**
 * One evaluation of one series. Returns the next instance (always; callers may drop inactive ones
 * for threshold rules, but absence rules need them to remember when the job was last seen) and the
 * transition when the state changed.
 */
export function evaluate(
  instance: TAlertInstance | undefined,
  input: TEvalInput,
  rule: TStoredAlertRule,
  opts: TStateOptions = {},
): TEvalResult {
  const { nowMs, value } = input;
  const prev = instance ?? fresh(rule, input.labels, nowMs);
  const seen = value !== null;
  const next: TAlertInstance = {
    ...prev,
    lastValue: value,
    lastEvalMs: nowMs,
    lastSeenMs: seen ? nowMs : prev.lastSeenMs,
  };
  return step(prev, next, conditionHolds(rule, value, prev.state === "firing"), rule, nowMs, value, opts);
}

/**
 * Time-driven transitions, with no new value: pending → firing once forSeconds has passed,
 * keep-firing expiry, resolved → inactive after retention, and a series that has reported nothing
 * for staleAfterMs treated as absent (resolving a threshold alert, silencing an absence rule's job).
 */
export function tick(
  instance: TAlertInstance,
  nowMs: number,
  rule: TStoredAlertRule,
  opts: TStateOptions = {},
): TEvalResult {
  const staleAfter = opts.staleAfterMs ?? STALE_AFTER_MS;
  const lastHeard = instance.lastSeenMs ?? instance.lastEvalMs;
  const stale = nowMs - lastHeard >= staleAfter && instance.lastValue !== null;
  if (stale) {
    // As if the evaluation had returned nothing for the series; lastSeenMs stays where it was.
    const next: TAlertInstance = { ...instance, lastValue: null, lastEvalMs: nowMs };
    return step(instance, next, conditionHolds(rule, null, instance.state === "firing"), rule, nowMs, null, opts);
  }
  // Otherwise the last known condition still stands: re-check the clocks only.
  const holds =
    instance.state === "pending" ||
    (instance.state === "firing" && instance.keepFiringSince === null) ||
    (rule.kind === "absence" && instance.lastValue === null && instance.state !== "inactive");
  return step(instance, { ...instance }, holds, rule, nowMs, instance.lastValue, opts, true);
}

function step(
  prev: TAlertInstance,
  next: TAlertInstance,
  holds: boolean,
  rule: TStoredAlertRule,
  nowMs: number,
  value: number | null,
  opts: TStateOptions,
  clockOnly = false,
): TEvalResult {
  const forMs = rule.forSeconds * 1000;
  const keepMs = rule.keepFiringForSeconds * 1000;
  const retention = opts.resolvedRetentionMs ?? RESOLVED_RETENTION_MS;

  const fire = (n: TAlertInstance): TEvalResult => ({
    instance: {
      ...n,
      state: "firing",
      firedAt: nowMs,
      triggerValue: value,
      keepFiringSince: null,
      threshold: ruleThreshold(rule),
    },
    transition: "firing",
  });

  if (holds) {
    switch (prev.state) {
      case "inactive":
      case "resolved": {
        if (clockOnly) break;
        // An absent job has been silent since it was last seen, not since this evaluation noticed.
        const activeAt = rule.kind === "absence" ? (prev.lastSeenMs ?? nowMs) : nowMs;
        const active: TAlertInstance = {
          ...next,
          activeAt,
          firedAt: null,
          resolvedAt: null,
          keepFiringSince: null,
          triggerValue: null,
          threshold: ruleThreshold(rule),
        };
        if (nowMs - activeAt >= forMs) return fire(active);
        return { instance: { ...active, state: "pending" }, transition: "pending" };
      }
      case "pending":
        if (nowMs - (prev.activeAt ?? nowMs) >= forMs) return fire(next);
        break;
      case "firing":
        if (!clockOnly) next.keepFiringSince = null;
        break;
    }
    return { instance: next };
  }

  switch (prev.state) {
    case "pending":
      return {
        instance: { ...next, state: "inactive", activeAt: null, threshold: null, keepFiringSince: null },
        transition: "inactive",
      };
    case "firing": {
      const since = prev.keepFiringSince ?? nowMs;
      if (keepMs > 0 && nowMs - since < keepMs) return { instance: { ...next, keepFiringSince: since } };
      return {
        instance: { ...next, state: "resolved", resolvedAt: nowMs, keepFiringSince: null },
        transition: "resolved",
      };
    }
    case "resolved":
      if (nowMs - (prev.resolvedAt ?? nowMs) >= retention)
        return { instance: { ...next, state: "inactive", activeAt: null }, transition: "inactive" };
      return { instance: next };
    case "inactive":
      return { instance: next };
  }
}

/**
 * rate_of_change input: query(now) − query(now − window), matched by label set. Series present at
 * only one end have no change and are left out (the caller passes null for their instances).
 */
export function changeOverWindow(
  current: { labels: TLabels; value: number }[],
  past: { labels: TLabels; value: number }[],
): { labels: TLabels; value: number }[] {
  const before = new Map(past.map((s) => [labelSetString(s.labels), s.value]));
  const out: { labels: TLabels; value: number }[] = [];
  for (const s of current) {
    const then = before.get(labelSetString(s.labels));
    if (then !== undefined) out.push({ labels: s.labels, value: s.value - then });
  }
  return out;
}
