// The rule evaluator: runs each rule when committed data touches the series it selects (coalesced to
// at most one run per rule every `minIntervalMs`), and on a 1 s tick for what time alone changes
// (pending → firing after `for`, keep-firing expiry, resolution of series that stopped reporting,
// absence rules). Window rules read the in-memory windows (windows.ts); the few rules that read
// further back than the windows keep run on the store every `storeEveryMs`. It never polls the store
// for data. Every instance change is handed to `onChanges` (persistence, Socket.IO, notifications).
import type { TExpr } from "../query/promql/ast";
import { instantQuery, PromQLError } from "../query/promql/eval";
import { compileAnchored } from "../query/promql/parse";
import type { TSampleSource } from "../query/promql/source";
import { compileRule, ruleSelects, type TCompiledRule } from "./compile";
import type { JobActivity } from "./job-activity";
import type { TLabels } from "./labels";
import type { TStoredAlertRule } from "./rules";
import {
  changeOverWindow,
  evaluate,
  instanceKey,
  type TAlertInstance,
  type TAlertState,
  type TEvalResult,
  tick,
} from "./state";
import type { TInterest, WindowStore } from "./windows";

export type TInstanceChange = {
  rule: TStoredAlertRule;
  instance: TAlertInstance;
  from: TAlertState;
  to: TAlertState;
  /** A state change (false: only keep-firing bookkeeping changed, worth persisting, not announcing). */
  transition: boolean;
  at: number;
};

export type TRuleHealth = {
  health: "ok" | "err" | "unknown";
  lastError: string | null;
  lastEvaluationMs: number | null;
  /** Wall time of the last evaluation. */
  durationMs: number;
};

export type TEvaluatorOptions = {
  windows: WindowStore;
  jobs: JobActivity;
  /** For rules reading further back than the windows keep. */
  storeSource: () => TSampleSource;
  onChanges: (changes: TInstanceChange[]) => void;
  /** Most runs of one rule per this many ms when commits keep touching it. Default 250. */
  minIntervalMs?: number;
  /** Rules with nothing going on still run this often (catches series that vanished). Default 30 s. */
  idleEveryMs?: number;
  /** Store-backed rules run this often. Default 15 s. */
  storeEveryMs?: number;
  now?: () => number;
  log?: { warn(obj: unknown, msg: string): void };
};

type TResult = { labels: TLabels; value: number }[];

const QUERY_TIMEOUT_MS = 10_000;
/** How long one slice of evaluations may hold the event loop before yielding to I/O. */
const SLICE_MS = 8;

export class AlertEvaluator {
  private compiled = new Map<string, TCompiledRule>();
  /** Window rules by the metric names they read, and those that read no exact name. */
  private byName = new Map<string, TCompiledRule[]>();
  private unindexed: TCompiledRule[] = [];
  /** Compiled rules by id with the rule text they came from: unchanged rules are not parsed again. */
  private readonly compileCache = new Map<string, { text: string; c: TCompiledRule }>();
  private readonly instances = new Map<string, Map<string, TAlertInstance>>();
  private readonly health = new Map<string, TRuleHealth>();
  private readonly lastRun = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly jobRegex = new Map<string, RegExp | null>();
  private timer: NodeJS.Timeout | undefined;
  private pumpRun: Promise<void> | undefined;
  private stopped = false;
  /** Held while the windows are being seeded: an evaluation then would see an empty window and resolve. */
  private held = false;
  private readonly startedAt: number;
  private readonly minInterval: number;
  private readonly idleEvery: number;
  private readonly storeEvery: number;
  private readonly now: () => number;
  private lastTrim = 0;
  /** CPU ms: evalMs in rule runs, tickMs in the 1 s tick, commitMs feeding committed batches into the windows. */
  readonly stats = { evaluations: 0, evalMs: 0, ticks: 0, tickMs: 0, commitMs: 0, errors: 0 };

  constructor(private readonly opts: TEvaluatorOptions) {
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.minInterval = opts.minIntervalMs ?? 250;
    this.idleEvery = opts.idleEveryMs ?? 30_000;
    this.storeEvery = opts.storeEveryMs ?? 15_000;
  }

  /**
   * Replaces the rule set. Instances of rules that are gone or disabled end: firing ones resolve (so
   * receivers hear of it), the rest go. Returns the compiled rules whose series should be seeded
   * from the store (new rules, or rules whose query changed), and per-rule compile errors.
   */
  setRules(rules: TStoredAlertRule[]): { seed: TCompiledRule[]; errors: Map<string, string> } {
    const next = new Map<string, TCompiledRule>();
    const errors = new Map<string, string>();
    const seed: TCompiledRule[] = [];
    for (const rule of rules) {
      if (!rule.enabled) continue;
      const text = JSON.stringify(rule);
      const cached = this.compileCache.get(rule.id);
      const c = cached?.text === text ? cached.c : compileRule(rule);
      if (!("error" in c)) this.compileCache.set(rule.id, { text, c });
      if ("error" in c) {
        errors.set(rule.id, c.error);
        this.health.set(rule.id, { health: "err", lastError: c.error, lastEvaluationMs: null, durationMs: 0 });
        continue;
      }
      const old = this.compiled.get(rule.id);
      if (!old || queryOf(old.rule) !== queryOf(rule) || old.mode !== c.mode) {
        if (c.mode === "window") seed.push(c);
        this.dirty.add(rule.id);
      }
      if (rule.kind === "absence") this.jobRegex.delete(rule.id);
      next.set(rule.id, c);
    }
    const now = this.now();
    const changes: TInstanceChange[] = [];
    for (const [id, map] of this.instances) {
      const c = next.get(id);
      if (c) continue;
      const rule = this.compiled.get(id)?.rule ?? rules.find((r) => r.id === id);
      for (const inst of map.values()) {
        if (inst.state === "inactive" || !rule) continue;
        const to: TAlertState = inst.state === "firing" ? "resolved" : "inactive";
        const ended: TAlertInstance = {
          ...inst,
          state: to,
          resolvedAt: to === "resolved" ? now : inst.resolvedAt,
          keepFiringSince: null,
        };
        changes.push({ rule, instance: ended, from: inst.state, to, transition: true, at: now });
      }
      this.instances.delete(id);
    }
    for (const id of this.health.keys()) if (!next.has(id) && !errors.has(id)) this.health.delete(id);
    for (const id of this.lastRun.keys()) if (!next.has(id)) this.lastRun.delete(id);
    for (const id of this.compileCache.keys()) if (!next.has(id)) this.compileCache.delete(id);
    this.compiled = next;
    this.byName = new Map();
    this.unindexed = [];
    for (const c of next.values()) {
      if (c.mode !== "window") continue;
      if (!c.names) {
        this.unindexed.push(c);
        continue;
      }
      for (const name of c.names) {
        const list = this.byName.get(name);
        if (list) list.push(c);
        else this.byName.set(name, [c]);
      }
    }
    this.opts.windows.setInterest((meta) => this.interest(meta.labels));
    if (changes.length > 0) this.opts.onChanges(changes);
    this.schedule();
    return { seed, errors };
  }

  /** Persisted instances, at start: the alerts that were pending or firing carry on. */
  restore(instances: TAlertInstance[]): void {
    for (const inst of instances) {
      if (!this.compiled.has(inst.ruleId)) continue;
      this.instancesOf(inst.ruleId).set(inst.key, inst);
    }
  }

  /** A committed batch: feeds the windows and the job activity, and marks the rules it touched. */
  onCommit(cols: { seriesIds: Int32Array; ts: Float64Array; values: Float64Array }): void {
    if (this.stopped || this.compiled.size === 0) return;
    const touched = new Set<string>();
    this.opts.windows.append(cols, touched);
    if (touched.size === 0) return;
    for (const id of touched) this.dirty.add(id);
    this.schedule();
  }

  /** The 1 s tick: clocks, absence rules, and the rules due for a run without new data. */
  async tick(): Promise<void> {
    if (this.stopped || this.held) return;
    const cpu0 = process.cpuUsage();
    const now = this.now();
    if (now - this.lastTrim >= 10_000) {
      this.lastTrim = now;
      this.opts.windows.trim(now);
    }
    const changes: TInstanceChange[] = [];
    for (const c of this.compiled.values()) {
      if (c.mode === "absence") {
        this.evaluateAbsence(c, now, changes);
        continue;
      }
      const map = this.instances.get(c.rule.id);
      let active = false;
      if (map) {
        for (const inst of [...map.values()]) {
          const r = tick(inst, now, c.rule);
          this.apply(c.rule, map, inst, r, changes, now);
          if (r.instance.state === "pending" || r.instance.state === "firing") active = true;
        }
      }
      const last = this.lastRun.get(c.rule.id) ?? 0;
      const every = c.mode === "store" ? this.storeEvery : active ? 1000 : this.idleEvery;
      if (now - last >= every) this.dirty.add(c.rule.id);
    }
    if (changes.length > 0) this.opts.onChanges(changes);
    this.stats.ticks++;
    this.stats.tickMs += cpuMsSince(cpu0);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Every live instance (absence rules' quiet jobs excluded), with its rule. */
  list(): { rule: TStoredAlertRule; instance: TAlertInstance }[] {
    const out: { rule: TStoredAlertRule; instance: TAlertInstance }[] = [];
    for (const [id, map] of this.instances) {
      const c = this.compiled.get(id);
      if (!c) continue;
      for (const inst of map.values()) if (inst.state !== "inactive") out.push({ rule: c.rule, instance: inst });
    }
    return out;
  }

  ruleHealth(id: string): TRuleHealth | undefined {
    return this.health.get(id);
  }

  get ruleCount(): number {
    return this.compiled.size;
  }

  /** How far back the windows keep a series: undefined when no rule selects it. */
  spanFor(name: string, labels: Record<string, string>): number | undefined {
    return this.interest({ ...labels, __name__: name })?.spanMs;
  }

  /** Until `release`, commits only fill the windows: no rule runs, no tick moves a clock. */
  hold(): void {
    this.held = true;
  }

  /** Runs what was held back: every rule whose series committed meanwhile. */
  async release(): Promise<void> {
    this.held = false;
    await this.flush();
  }

  /** Runs every dirty rule now (tests and the benchmark). */
  async flush(): Promise<void> {
    await this.pumpRun;
    for (const id of [...this.dirty]) this.lastRun.set(id, 0);
    await this.pump();
  }

  // -------------------------------------------------------------------------------------------

  private interest(labelsWithName: Record<string, string>): TInterest {
    let span = 0;
    const ids: string[] = [];
    const check = (c: TCompiledRule) => {
      if (!ruleSelects(c, labelsWithName) || ids.includes(c.rule.id)) return;
      ids.push(c.rule.id);
      if (c.spanMs > span) span = c.spanMs;
    };
    for (const c of this.byName.get(labelsWithName.__name__ ?? "") ?? []) check(c);
    for (const c of this.unindexed) check(c);
    return ids.length === 0 ? null : { spanMs: span, ruleIds: ids };
  }

  private readonly keyCaches = new WeakMap<TCompiledRule, WeakMap<TLabels, string>>();

  private keyCache(c: TCompiledRule): WeakMap<TLabels, string> {
    let m = this.keyCaches.get(c);
    if (!m) {
      m = new WeakMap();
      this.keyCaches.set(c, m);
    }
    return m;
  }

  private instancesOf(ruleId: string): Map<string, TAlertInstance> {
    let m = this.instances.get(ruleId);
    if (!m) {
      m = new Map();
      this.instances.set(ruleId, m);
    }
    return m;
  }

  private schedule(): void {
    if (this.stopped || this.held || this.pumpRun || this.timer || this.dirty.size === 0) return;
    const now = this.now();
    let wait = Number.POSITIVE_INFINITY;
    for (const id of this.dirty) {
      const w = Math.max(0, (this.lastRun.get(id) ?? 0) + this.minInterval - now);
      if (w < wait) wait = w;
      if (wait === 0) break;
    }
    if (wait === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pump();
    }, wait);
  }

  /** Runs the dirty rules that are due; one run at a time (a second call joins the running one). */
  private pump(): Promise<void> {
    if (this.stopped || this.held) return Promise.resolve();
    this.pumpRun ??= this.pumpLoop().finally(() => {
      this.pumpRun = undefined;
      this.schedule();
    });
    return this.pumpRun;
  }

  private async pumpLoop(): Promise<void> {
    let slice = performance.now();
    for (const id of [...this.dirty]) {
      if (this.stopped) return;
      const now = this.now();
      if ((this.lastRun.get(id) ?? 0) + this.minInterval > now) continue;
      this.dirty.delete(id);
      const c = this.compiled.get(id);
      if (!c || c.mode === "absence") continue;
      this.lastRun.set(id, now);
      await this.evaluateRule(c, now);
      // A thousand rules in one go would hold the event loop: let ingest and sockets in between.
      if (performance.now() - slice > SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
  }

  private async evaluateRule(c: TCompiledRule, now: number): Promise<void> {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const rule = c.rule;
    let results: TResult;
    try {
      const source = c.mode === "store" ? this.opts.storeSource() : this.opts.windows.source(c.lastOnly);
      const expr = c.expr as TExpr;
      if (rule.kind === "rate_of_change") {
        const [cur, past] = await Promise.all([
          runInstant(source, expr, now),
          runInstant(source, expr, now - rule.windowSeconds * 1000),
        ]);
        results = changeOverWindow(cur, past);
      } else {
        results = await runInstant(source, expr, now);
      }
    } catch (err) {
      this.stats.errors++;
      const message = err instanceof PromQLError ? err.message : `evaluation failed: ${(err as Error).message}`;
      this.health.set(rule.id, {
        health: "err",
        lastError: message,
        lastEvaluationMs: now,
        durationMs: performance.now() - t0,
      });
      if (!(err instanceof PromQLError)) this.opts.log?.warn({ err, rule: rule.id }, "alert rule evaluation failed");
      return;
    }
    // The rule may have been edited or removed while its query ran.
    if (this.compiled.get(rule.id) !== c || this.stopped) return;
    const changes: TInstanceChange[] = [];
    const map = this.instancesOf(rule.id);
    const seen = new Set<string>();
    const keys = this.keyCache(c);
    for (const s of results) {
      // The engine keeps label objects stable across evaluations of one parsed query: keys are cached.
      let key = keys.get(s.labels);
      if (key === undefined) {
        key = instanceKey(rule.id, s.labels);
        keys.set(s.labels, key);
      }
      if (seen.has(key)) continue;
      seen.add(key);
      const prev = map.get(key);
      // Most series most of the time: no instance and nothing to start. Nothing to do.
      if (!prev && !startsToHold(rule, s.value)) continue;
      this.apply(rule, map, prev, evaluate(prev, { labels: s.labels, value: s.value, nowMs: now }, rule), changes, now);
    }
    for (const [key, inst] of [...map]) {
      if (seen.has(key)) continue;
      this.apply(rule, map, inst, evaluate(inst, { labels: inst.labels, value: null, nowMs: now }, rule), changes, now);
    }
    const durationMs = performance.now() - t0;
    this.health.set(rule.id, { health: "ok", lastError: null, lastEvaluationMs: now, durationMs });
    this.stats.evaluations++;
    this.stats.evalMs += cpuMsSince(cpu0);
    if (changes.length > 0) this.opts.onChanges(changes);
  }

  private evaluateAbsence(c: TCompiledRule, now: number, changes: TInstanceChange[]): void {
    const rule = c.rule;
    if (rule.kind !== "absence") return;
    let re = this.jobRegex.get(rule.id);
    if (re === undefined) {
      const compiled = compileAnchored(rule.job);
      re = compiled.ok ? compiled.re : null;
      this.jobRegex.set(rule.id, re);
    }
    const map = this.instancesOf(rule.id);
    const seen = new Set<string>();
    const forMs = rule.forSeconds * 1000;
    this.health.set(rule.id, {
      health: re ? "ok" : "err",
      lastError: re ? null : "job is not a valid regular expression",
      lastEvaluationMs: now,
      durationMs: 0,
    });
    for (const job of this.opts.jobs.known(now)) {
      if (!re?.test(job)) continue;
      const labels = { job };
      const key = instanceKey(rule.id, labels);
      seen.add(key);
      const prev = map.get(key);
      const last = this.opts.jobs.lastPush(job) ?? now;
      const active = prev?.state === "pending" || prev?.state === "firing";
      // Right after a start the store's last-push times lag behind: give every job the time to push
      // again before calling it silent, unless it already was (a restored pending or firing alert).
      const reference = active ? last : Math.max(last, this.startedAt);
      const silent = now - reference >= this.opts.jobs.silentAfterMs(job, forMs);
      const r = evaluate(prev, { labels, value: silent ? null : (now - last) / 1000, nowMs: now }, rule);
      // Silent since its last push, not since the evaluation that noticed.
      r.instance.lastSeenMs = last;
      if (r.transition === "pending" || r.transition === "firing") {
        if (prev?.state !== "pending" && r.instance.activeAt !== null) r.instance.activeAt = last;
      }
      this.apply(rule, map, prev, r, changes, now);
    }
    for (const [key, inst] of [...map]) {
      if (seen.has(key)) continue;
      // Forgotten (no push for a day): the instance goes with it.
      map.delete(key);
      if (inst.state !== "inactive")
        changes.push({
          rule,
          instance: { ...inst, state: "inactive", activeAt: null },
          from: inst.state,
          to: "inactive",
          transition: true,
          at: now,
        });
    }
  }

  private apply(
    rule: TStoredAlertRule,
    map: Map<string, TAlertInstance>,
    prev: TAlertInstance | undefined,
    r: TEvalResult,
    changes: TInstanceChange[],
    now: number,
  ): void {
    const inst = r.instance;
    // Quiet series of threshold rules are not remembered; absence rules keep every known job.
    if (inst.state === "inactive" && rule.kind !== "absence") map.delete(inst.key);
    else map.set(inst.key, inst);
    const from = prev?.state ?? "inactive";
    if (r.transition) changes.push({ rule, instance: inst, from, to: inst.state, transition: true, at: now });
    else if (prev && prev.keepFiringSince !== inst.keepFiringSince)
      changes.push({ rule, instance: inst, from, to: inst.state, transition: false, at: now });
  }
}

/**
 * conditionHolds(rule, value, false) for a value that is there, without its closures: the check runs
 * for every series of every evaluation, and most series have no instance to evaluate.
 */
export function startsToHold(rule: TStoredAlertRule, v: number): boolean {
  if (rule.kind === "absence" || Number.isNaN(v)) return false;
  const inc = rule.inclusive;
  switch (rule.condition) {
    case "present":
      return true;
    case "above": {
      const t = rule.threshold ?? 0;
      return inc ? v >= t : v > t;
    }
    case "below": {
      const t = rule.threshold ?? 0;
      return inc ? v <= t : v < t;
    }
    case "outside": {
      const low = rule.low ?? 0;
      const high = rule.high ?? 0;
      return inc ? v <= low || v >= high : v < low || v > high;
    }
  }
}

/** CPU time of this process since `start`, in ms. */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

function queryOf(rule: TStoredAlertRule): string {
  return rule.kind === "absence" ? `absence:${rule.job}` : `${rule.kind}:${rule.query}`;
}

async function runInstant(source: TSampleSource, expr: TExpr, timeMs: number): Promise<TResult> {
  const r = await instantQuery(source, expr, timeMs, { timeoutMs: QUERY_TIMEOUT_MS });
  if (r.resultType === "vector") return r.result.map((e) => ({ labels: e.labels, value: e.value }));
  if (r.resultType === "scalar") return [{ labels: {}, value: r.result }];
  throw new PromQLError("bad_data", `the query returns a ${r.resultType}, not an instant vector or a scalar`);
}
