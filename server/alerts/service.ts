// Alerting's composition and business logic, callable without HTTP: rules (defaults seeded, files
// loaded, CRUD), the evaluator and notifier on the leader node only, persistence of every instance
// change, Socket.IO events, silences, channels, the preview and the Prometheus-compatible views.
//
// One node at a time evaluates (BackgroundJobs' leader lock on PostgreSQL; PGlite is single-node).
// Every node answers the API: the leader from memory, the others from the store, where the leader
// writes each transition as it happens.
import { randomBytes } from "node:crypto";
import type { PrismaClient } from "@prisma/client";
import type { Server } from "socket.io";
import {
  ALERT_EVENT,
  type TAlertEvent,
  type TAlertHistoryEvent,
  type TAlertRuleView,
  type TAlertView,
  type TChannelView,
  type TSilenceView,
} from "../../lib/contracts/alerts";
import { LIVE_ROOMS } from "../../lib/contracts/live";
import { apiError, type TApiError } from "../http/errors";
import type { LiveBus, TCommitEvent } from "../live/bus";
import { PromQLError } from "../query/promql/eval";
import { storeSource } from "../query/promql/store-source";
import { findSeries, readSamples } from "../query/raw";
import type { TMatcher } from "../query/selector";
import { type TChannel, ZChannelInputSchema } from "./channels";
import type { TCompiledRule } from "./compile";
import { AlertEvaluator, cpuMsSince, type TInstanceChange } from "./evaluator";
import { JobActivity, KNOWN_JOB_MS } from "./job-activity";
import { Notifier } from "./notifier";
import { previewRule, type TPreview } from "./preview";
import type { TRuleRow } from "./queries";
import * as q from "./queries";
import { loadRuleFiles } from "./rule-files";
import {
  defaultRules,
  formatPath,
  type TAlertRule,
  type TFieldError,
  type TStoredAlertRule,
  validateRule,
} from "./rules";
import { isSilenced, silenceActive, silenceFromAlert, type TSilence, ZSilenceSchema } from "./silences";
import type { TAlertInstance } from "./state";
import { alertView, outgoingOf, promAlert, promRule, ruleView, type TPromAlert } from "./views";
import { type TSeriesMeta, WindowStore } from "./windows";

export type TAlertServiceDeps = {
  prisma: PrismaClient;
  bus: LiveBus;
  /** Series id → name and labels (the ingest's series registry). */
  describe: (id: number) => TSeriesMeta | undefined;
  /** Leadership: `ensure` takes it when free; `held` says whether it is still held. */
  leader: { ensure(): Promise<boolean>; held(): boolean };
  ruleFiles: string[];
  externalUrl: () => string;
  /** History older than this is pruned. */
  historyRetentionMs: number;
  log: { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };
  /** Test hooks: faster retries. */
  retry?: { baseMs?: number; capMs?: number; maxAttempts?: number };
};

type TResult<T> = { ok: true; value: T } | { ok: false; error: TApiError };

const ok = <T>(value: T): TResult<T> => ({ ok: true, value });
const fail = <T>(error: TApiError): TResult<T> => ({ ok: false, error });

const RULE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
/** Expired silences stay listed this long. */
const SILENCE_HISTORY_MS = 7 * 86_400_000;
const SYNC_EVERY_MS = 5_000;
const SEED_CHUNK = 1_000;

function newId(prefix: string): string {
  return `${prefix}${randomBytes(6).toString("base64url").replace(/[-_]/g, "x")}`;
}

function validationError(errors: TFieldError[]): TApiError {
  const first = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  return apiError("validation_failed", `${first?.path ? `${first.path}: ` : ""}${first?.message ?? "invalid"}${more}`, {
    field: first?.path ?? "",
    errors,
  });
}

type TRunning = {
  evaluator: AlertEvaluator;
  windows: WindowStore;
  jobs: JobActivity;
  notifier: Notifier;
  onCommit: (e: TCommitEvent) => void;
  tick: NodeJS.Timeout;
  /** Instances handed to the notifier as firing: only those are told when they resolve. */
  notified: Set<string>;
  /** Instances restored and windows seeded: until then lists come from the store, not the evaluator. */
  ready: boolean;
};

export class AlertService {
  private rows: TRuleRow[] = [];
  private channels: TChannel[] = [];
  private silences: TSilence[] = [];
  private io: Server | undefined;
  private running: TRunning | undefined;
  private starting: Promise<void> | undefined;
  private loop: NodeJS.Timeout | undefined;
  private loopRun: Promise<void> | undefined;
  private signature = "";
  private lastSync = 0;
  private lastPrune = 0;
  private closed = false;
  private readonly persistQ = {
    upserts: new Map<string, TAlertInstance>(),
    deletes: new Set<string>(),
    events: [] as q.TEventRow[],
  };
  private persisting: Promise<void> | undefined;

  constructor(private readonly deps: TAlertServiceDeps) {}

  /** Before the server listens: defaults seeded, rule files loaded (a bad file throws RuleFileError). */
  async init(): Promise<{ warnings: string[] }> {
    const seeded = await q.seedDefaultRules(this.deps.prisma, defaultRules());
    if (seeded > 0) this.deps.log.info({ rules: seeded }, "default alert rules created");
    const files = await loadRuleFiles(this.deps.ruleFiles);
    await q.syncFileRules(this.deps.prisma, files.rules);
    for (const w of files.warnings) this.deps.log.warn({}, `rule file: ${w}`);
    await this.reloadAll();
    return { warnings: files.warnings };
  }

  /** After the server listens: live events go to `io`; the evaluator starts once this node leads. */
  start(io: Server): void {
    this.io = io;
    this.schedule(0);
  }

  get evaluating(): boolean {
    return this.running?.ready === true;
  }

  /** The evaluator's own figures, for the benchmark and /metrics. */
  get stats() {
    const r = this.running;
    if (!r) return undefined;
    let firing = 0;
    let pending = 0;
    for (const { instance } of r.evaluator.list()) {
      if (instance.state === "firing") firing++;
      else if (instance.state === "pending") pending++;
    }
    let sent = 0;
    let failed = 0;
    for (const c of this.channels) {
      const s = r.notifier.status(c.id);
      sent += s?.sent ?? 0;
      failed += s?.failed ?? 0;
    }
    return {
      ...r.evaluator.stats,
      rules: r.evaluator.ruleCount,
      windowSeries: r.windows.seriesCount,
      windowSamples: r.windows.stats.samples,
      firing,
      pending,
      sent,
      failed,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.loop) clearTimeout(this.loop);
    await this.loopRun;
    await this.starting?.catch(() => undefined);
    await this.stopEvaluator();
    await this.persisting;
  }

  // -------------------------------------------------------------------------------------------
  // Leadership and the evaluator

  private schedule(ms: number): void {
    if (this.closed) return;
    this.loop = setTimeout(() => {
      this.loopRun = this.step().finally(() => {
        this.loopRun = undefined;
        this.schedule(this.running ? 1000 : 5000);
      });
    }, ms);
    this.loop.unref();
  }

  private async step(): Promise<void> {
    try {
      const leader = this.running ? this.deps.leader.held() : await this.deps.leader.ensure();
      if (this.closed) return;
      if (leader && !this.running) {
        this.starting = this.startEvaluator().catch(async (err: unknown) => {
          // Not left half started (held, never ready): the next step starts it again.
          await this.stopEvaluator();
          throw err;
        });
        await this.starting;
      } else if (!leader && this.running) {
        this.deps.log.warn({}, "lost the leader lock: this node stops evaluating alert rules");
        await this.stopEvaluator();
      }
      const now = Date.now();
      if (this.running && now - this.lastSync >= SYNC_EVERY_MS) {
        this.lastSync = now;
        await this.syncFromStore();
      }
      if (this.running && now - this.lastPrune >= 3_600_000) {
        this.lastPrune = now;
        await q.pruneEvents(this.deps.prisma, now - this.deps.historyRetentionMs);
      }
    } catch (err) {
      this.deps.log.warn({ err }, "alerting: leader step failed; will retry");
    }
  }

  private async startEvaluator(): Promise<void> {
    const { prisma } = this.deps;
    const windows = new WindowStore(this.deps.describe);
    const jobs = new JobActivity();
    const notifier = new Notifier({
      externalUrl: this.deps.externalUrl,
      retry: this.deps.retry,
      log: this.deps.log,
    });
    notifier.setChannels(this.channels);
    notifier.start();
    const evaluator = new AlertEvaluator({
      windows,
      jobs,
      storeSource: () => storeSource(prisma),
      onChanges: (changes) => this.onChanges(changes),
      log: this.deps.log,
    });
    evaluator.hold();
    // Subscribed before the windows are seeded, so nothing committed meanwhile is missed (the seed merges).
    const onCommit = (e: TCommitEvent) => {
      const cpu0 = process.cpuUsage();
      const seen = new Set<string>();
      for (let i = 0; i < e.seriesIds.length; i++) {
        const job = this.deps.describe(e.seriesIds[i] as number)?.labels.job;
        if (job) seen.add(job);
      }
      if (seen.size > 0) jobs.observe(seen, Date.now());
      evaluator.onCommit(e.columns);
      evaluator.stats.commitMs += cpuMsSince(cpu0);
    };
    this.deps.bus.on("commit", onCommit);
    const tick = setInterval(() => {
      void evaluator.tick().then(() => this.syncNotifications());
    }, 1000);
    tick.unref();
    const run: TRunning = { evaluator, windows, jobs, notifier, onCommit, tick, notified: new Set(), ready: false };
    this.running = run;

    const now = Date.now();
    for (const j of await q.recentJobs(prisma, now - KNOWN_JOB_MS)) jobs.seed(j.job, j.lastMs);
    // Loaded before the rules are set, so no commit can open a fresh instance between the two.
    const restored = await q.loadInstances(prisma);
    const { seed } = evaluator.setRules(this.rows.map((r) => r.rule));
    evaluator.restore(restored);
    const live = new Set(evaluator.list().map((l) => l.instance.key));
    const orphans = restored.filter((i) => !live.has(i.key)).map((i) => i.key);
    if (orphans.length > 0) {
      for (const k of orphans) this.persistQ.deletes.add(k);
      this.persist();
    }
    await this.seedWindows(windows, seed);
    this.deps.log.info(
      { rules: evaluator.ruleCount, restored: restored.length - orphans.length, series: windows.seriesCount },
      "alert evaluator started",
    );
    await evaluator.release();
    await evaluator.tick();
    run.ready = true;
  }

  private async stopEvaluator(): Promise<void> {
    const r = this.running;
    if (!r) return;
    this.running = undefined;
    clearInterval(r.tick);
    this.deps.bus.off("commit", r.onCommit);
    r.evaluator.stop();
    await r.notifier.stop();
  }

  /**
   * Reads the recent samples of the series the given rules select into the windows: the series of
   * their metric names in one pass (rules without an exact name by their own selectors), then the
   * samples of each series over its own span, a chunk of series per query.
   */
  private async seedWindows(windows: WindowStore, rules: TCompiledRule[]): Promise<void> {
    const r = this.running;
    if (!r || rules.length === 0) return;
    const { prisma } = this.deps;
    const names = new Set<string>();
    const selectors: TMatcher[][] = [];
    for (const c of rules) {
      if (c.names) for (const n of c.names) names.add(n);
      else selectors.push(...c.selectors);
    }
    const rows = new Map<number, { id: number; name: string; labels: Record<string, string> }>();
    const byName = [...names].map((n) => ({ matchers: [{ name: "__name__", op: "=" as const, value: n }] }));
    for (const s of await findSeries(prisma, [...byName, ...selectors.map((matchers) => ({ matchers }))], 200_000))
      rows.set(s.id, s);
    // Series by span, so each is read over as much as its rules need.
    const bySpan = new Map<number, { id: number; name: string; labels: Record<string, string> }[]>();
    for (const s of rows.values()) {
      const span = r.evaluator.spanFor(s.name, s.labels);
      if (span === undefined) continue;
      const list = bySpan.get(span);
      if (list) list.push(s);
      else bySpan.set(span, [s]);
    }
    for (const [span, list] of bySpan) {
      for (let i = 0; i < list.length; i += SEED_CHUNK) {
        const chunk = list.slice(i, i + SEED_CHUNK);
        const now = Date.now();
        const samples = await readSamples(
          prisma,
          chunk.map((s) => s.id),
          now - span,
          now,
        );
        for (const s of chunk) {
          const d = samples.get(s.id);
          if (d && d.ts.length > 0) windows.seed(s.id, { name: s.name, labels: s.labels }, d.ts, d.values);
        }
      }
    }
    // The seeded rules have data now: run them rather than wait for their next commit.
    await r.evaluator.flush();
  }

  private onChanges(changes: TInstanceChange[]): void {
    const r = this.running;
    const now = Date.now();
    const live = new Set(this.rows.filter((row) => row.rule.enabled).map((row) => row.id));
    for (const c of changes) {
      const inst = c.instance;
      // A removed or disabled rule's alerts end (and are announced) but are not kept.
      if (c.to === "inactive" || !live.has(c.rule.id)) {
        this.persistQ.upserts.delete(inst.key);
        this.persistQ.deletes.add(inst.key);
      } else {
        this.persistQ.deletes.delete(inst.key);
        this.persistQ.upserts.set(inst.key, inst);
      }
      // Keep-firing bookkeeping, and a resolved alert leaving the list after its retention: stored, not announced.
      if (!c.transition || (c.from === "resolved" && c.to === "inactive")) continue;
      this.persistQ.events.push({
        ruleId: c.rule.id,
        key: inst.key,
        labels: inst.labels,
        from: c.from,
        to: c.to,
        value: c.to === "firing" ? inst.triggerValue : inst.lastValue,
        at: c.at,
      });
      const view = alertView(inst, c.rule, this.silences, now);
      const event: TAlertEvent = { from: c.from, to: c.to, at: c.at, alert: view };
      this.io?.to(LIVE_ROOMS.alerts).emit(ALERT_EVENT, event);
      if (!r) continue;
      if (c.to === "firing" && !view.silenced) {
        r.notifier.add(outgoingOf(inst, c.rule, this.deps.externalUrl()), c.rule.channels);
        r.notified.add(inst.key);
      }
      // Resolved goes out once, to those told it fired (silenced since or not), and to nobody else.
      if (c.to === "resolved" || c.to === "inactive") {
        if (c.to === "resolved" && r.notified.has(inst.key))
          r.notifier.add(outgoingOf(inst, c.rule, this.deps.externalUrl()), c.rule.channels);
        r.notified.delete(inst.key);
      }
    }
    this.persist();
  }

  /** Each second: firing alerts (not silenced) into the groups, so an expired silence or a new channel takes effect. */
  private syncNotifications(): void {
    const r = this.running;
    if (!r) return;
    const now = Date.now();
    const active = this.silences.filter((s) => silenceActive(s, now));
    for (const { rule, instance } of r.evaluator.list()) {
      if (instance.state !== "firing") continue;
      const out = outgoingOf(instance, rule, this.deps.externalUrl());
      if (active.length > 0 && isSilenced(out.labels, active, now)) continue;
      r.notifier.add(out, rule.channels);
      r.notified.add(instance.key);
    }
  }

  private persist(): void {
    if (this.persisting) return;
    this.persisting = this.persistLoop().finally(() => {
      this.persisting = undefined;
    });
  }

  private async persistLoop(): Promise<void> {
    const Q = this.persistQ;
    while (Q.upserts.size > 0 || Q.deletes.size > 0 || Q.events.length > 0) {
      const upserts = [...Q.upserts.values()];
      const deletes = [...Q.deletes];
      const events = Q.events.splice(0);
      Q.upserts.clear();
      Q.deletes.clear();
      try {
        await q.saveInstances(this.deps.prisma, upserts, deletes);
        await q.insertEvents(this.deps.prisma, events);
      } catch (err) {
        this.deps.log.warn({ err }, "alerting: could not persist alert state; will retry");
        // Put back what newer changes have not replaced, then wait for the store.
        for (const u of upserts) if (!Q.upserts.has(u.key) && !Q.deletes.has(u.key)) Q.upserts.set(u.key, u);
        for (const d of deletes) if (!Q.upserts.has(d)) Q.deletes.add(d);
        Q.events.unshift(...events);
        if (this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /** Rules, silences and channels as the store has them now (another node may have changed them). */
  private async syncFromStore(): Promise<void> {
    const sig = await q.rulesSignature(this.deps.prisma);
    if (sig !== this.signature) await this.reloadRules();
    await this.reloadSilences();
    await this.reloadChannels();
  }

  private async reloadAll(): Promise<void> {
    await this.reloadRules();
    await this.reloadSilences();
    await this.reloadChannels();
  }

  private async reloadRules(): Promise<void> {
    const [{ rows, invalid }, sig] = await Promise.all([
      q.listRuleRows(this.deps.prisma),
      q.rulesSignature(this.deps.prisma),
    ]);
    for (const id of invalid) this.deps.log.warn({ rule: id }, "stored alert rule no longer validates; skipped");
    this.rows = rows;
    this.signature = sig;
    const r = this.running;
    if (!r) return;
    const { seed } = r.evaluator.setRules(rows.map((row) => row.rule));
    if (seed.length > 0) {
      void this.seedWindows(r.windows, seed).catch((err: unknown) =>
        this.deps.log.warn({ err }, "alerting: could not seed windows from the store"),
      );
    }
  }

  private async reloadSilences(): Promise<void> {
    this.silences = await q.listSilences(this.deps.prisma, Date.now() - SILENCE_HISTORY_MS);
  }

  private async reloadChannels(): Promise<void> {
    this.channels = await q.listChannels(this.deps.prisma);
    this.running?.notifier.setChannels(this.channels);
  }

  private announce(reason: "rule" | "silence" | "channel"): void {
    this.io?.to(LIVE_ROOMS.alerts).emit("alerts:changed", { reason, at: Date.now() });
  }

  // -------------------------------------------------------------------------------------------
  // Rules

  private async instancesNow(): Promise<{ rule: TStoredAlertRule; instance: TAlertInstance }[]> {
    if (this.running?.ready) return this.running.evaluator.list();
    const byId = new Map(this.rows.map((r) => [r.id, r.rule]));
    const out: { rule: TStoredAlertRule; instance: TAlertInstance }[] = [];
    for (const inst of await q.loadInstances(this.deps.prisma)) {
      const rule = byId.get(inst.ruleId);
      if (rule?.enabled && inst.state !== "inactive") out.push({ rule, instance: inst });
    }
    return out;
  }

  async listRules(): Promise<TAlertRuleView[]> {
    if (!this.running) await this.reloadRules();
    const counts = new Map<string, { firing: number; pending: number }>();
    for (const { instance } of await this.instancesNow()) {
      const c = counts.get(instance.ruleId) ?? { firing: 0, pending: 0 };
      if (instance.state === "firing") c.firing++;
      if (instance.state === "pending") c.pending++;
      counts.set(instance.ruleId, c);
    }
    return this.rows.map((row) =>
      ruleView(row, this.running?.evaluator.ruleHealth(row.id), counts.get(row.id) ?? { firing: 0, pending: 0 }),
    );
  }

  async getRule(id: string): Promise<TResult<TAlertRuleView>> {
    const row = await q.getRuleRow(this.deps.prisma, id);
    if (!row) return fail(apiError("not_found", `no alert rule "${id}"`));
    const counts = { firing: 0, pending: 0 };
    for (const { instance } of await this.instancesNow()) {
      if (instance.ruleId !== id) continue;
      if (instance.state === "firing") counts.firing++;
      if (instance.state === "pending") counts.pending++;
    }
    return ok(ruleView(row, this.running?.evaluator.ruleHealth(id), counts));
  }

  /** Validates a rule body: the schema (query, numbers, templates) and that its channels exist. */
  async checkRule(body: unknown): Promise<TResult<TAlertRule>> {
    const v = validateRule(body);
    if (!v.ok) return fail(validationError(v.errors));
    const channels = await q.listChannels(this.deps.prisma);
    const known = new Set(channels.map((c) => c.id));
    const errors: TFieldError[] = [];
    v.rule.channels.forEach((id, i) => {
      if (known.has(id)) return;
      const hint =
        channels.length === 0
          ? "no channel exists yet: create one under /api/alerts/channels"
          : `known channels: ${channels.map((c) => `${c.id} (${c.name})`).join(", ")}`;
      errors.push({ path: formatPath(["channels", i]), message: `unknown channel "${id}": ${hint}` });
    });
    if (errors.length > 0) return fail(validationError(errors));
    return ok(v.rule);
  }

  async createRule(body: unknown): Promise<TResult<TAlertRuleView>> {
    const checked = await this.checkRule(body);
    if (!checked.ok) return checked;
    const rule = checked.value;
    if (rule.id !== undefined && !RULE_ID_RE.test(rule.id))
      return fail(
        validationError([
          { path: "id", message: "id must be 1-64 letters, digits, _ . : or -, starting with a letter or digit" },
        ]),
      );
    const id = rule.id ?? newId("rule-");
    if (await q.getRuleRow(this.deps.prisma, id))
      return fail(apiError("conflict", `an alert rule with id "${id}" already exists: update it with PUT`));
    await q.createRuleRow(this.deps.prisma, id, rule, "api");
    await this.reloadRules();
    this.announce("rule");
    return this.getRule(id);
  }

  async updateRule(id: string, body: unknown): Promise<TResult<TAlertRuleView>> {
    const row = await q.getRuleRow(this.deps.prisma, id);
    if (!row) return fail(apiError("not_found", `no alert rule "${id}"`));
    if (row.source === "file")
      return fail(
        apiError(
          "read_only",
          `rule "${row.rule.name}" comes from the rule file ${row.file ?? "(unknown)"}: edit the file and restart Hotpath`,
          { file: row.file },
        ),
      );
    const { version, ...rest } = (body ?? {}) as { version?: unknown };
    if (typeof version !== "number" || !Number.isInteger(version) || version < 1)
      return fail(
        validationError([
          { path: "version", message: "version is required: the rule's version you edited (optimistic concurrency)" },
        ]),
      );
    const checked = await this.checkRule({ ...rest, id });
    if (!checked.ok) return checked;
    const res = await q.updateRuleRow(this.deps.prisma, id, checked.value, version);
    if (!res.ok) {
      if (res.reason === "not_found") return fail(apiError("not_found", `no alert rule "${id}"`));
      return fail(
        apiError(
          "conflict",
          `the rule changed since you opened it (now version ${res.current}, yours ${version}); reload it and apply your edit again`,
          { currentVersion: res.current },
        ),
      );
    }
    await this.reloadRules();
    this.announce("rule");
    return this.getRule(id);
  }

  async deleteRule(id: string): Promise<TResult<true>> {
    const row = await q.getRuleRow(this.deps.prisma, id);
    if (!row) return fail(apiError("not_found", `no alert rule "${id}"`));
    if (row.source === "file")
      return fail(
        apiError(
          "read_only",
          `rule "${row.rule.name}" comes from the rule file ${row.file ?? "(unknown)"}: remove it from the file and restart Hotpath`,
          { file: row.file },
        ),
      );
    if (row.source === "default")
      return fail(
        apiError(
          "conflict",
          `"${row.rule.name}" is a default rule and would come back at the next start: turn it off with "enabled": false instead`,
        ),
      );
    await q.deleteRuleRow(this.deps.prisma, id);
    await this.reloadRules();
    this.announce("rule");
    return ok(true);
  }

  async preview(body: unknown): Promise<TResult<TPreview>> {
    const b = (body ?? {}) as { rule?: unknown; start?: unknown; end?: unknown; stepMs?: unknown };
    const checked = validateRule(b.rule);
    if (!checked.ok)
      return fail(validationError(checked.errors.map((e) => ({ ...e, path: e.path ? `rule.${e.path}` : "rule" }))));
    const now = Date.now();
    const end = typeof b.end === "number" && Number.isFinite(b.end) ? Math.min(b.end, now) : now;
    const start = typeof b.start === "number" && Number.isFinite(b.start) ? b.start : end - 86_400_000;
    if (!(start < end)) return fail(validationError([{ path: "start", message: "start must be before end" }]));
    if (end - start > 31 * 86_400_000)
      return fail(validationError([{ path: "start", message: "the preview covers at most 31 days" }]));
    const minStep = Math.max(1000, Math.ceil((end - start) / 2000));
    const stepMs =
      typeof b.stepMs === "number" && Number.isFinite(b.stepMs) ? Math.max(minStep, Math.round(b.stepMs)) : minStep;
    try {
      const rule = { ...checked.rule, id: checked.rule.id ?? "preview" } as TStoredAlertRule;
      return ok(await previewRule(storeSource(this.deps.prisma), rule, { startMs: start, endMs: end, stepMs }));
    } catch (err) {
      if (err instanceof PromQLError)
        return fail(apiError("validation_failed", `rule.query: ${err.message}`, { field: "rule.query" }));
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Alerts and history

  async listAlerts(): Promise<TAlertView[]> {
    if (!this.running) await this.reloadSilences();
    const now = Date.now();
    const order = { firing: 0, pending: 1, resolved: 2, inactive: 3 } as const;
    return (await this.instancesNow())
      .map(({ rule, instance }) => alertView(instance, rule, this.silences, now))
      .sort(
        (a, b) =>
          order[a.state] - order[b.state] ||
          (b.firedAt ?? b.activeAt ?? "").localeCompare(a.firedAt ?? a.activeAt ?? "") ||
          a.key.localeCompare(b.key),
      );
  }

  async history(opts: { ruleId?: string; limit: number; sinceMs?: number }): Promise<TAlertHistoryEvent[]> {
    const names = new Map(this.rows.map((r) => [r.id, r.rule.name]));
    const events = await q.listEvents(this.deps.prisma, opts);
    return events.map((e) => ({
      id: e.id,
      ruleId: e.ruleId,
      ruleName: names.get(e.ruleId) ?? e.ruleId,
      key: e.key,
      labels: e.labels,
      from: e.from,
      to: e.to,
      value: e.value,
      at: new Date(e.at).toISOString(),
    }));
  }

  // -------------------------------------------------------------------------------------------
  // Silences

  private silenceView(s: TSilence, now: number): TSilenceView {
    return {
      id: s.id,
      matchers: s.matchers.map(({ name, op, value }) => ({ name, op, value })),
      startsAt: new Date(s.startsAt).toISOString(),
      endsAt: new Date(s.endsAt).toISOString(),
      createdBy: s.createdBy,
      comment: s.comment,
      status: now < s.startsAt ? "pending" : now < s.endsAt ? "active" : "expired",
    };
  }

  async listSilences(): Promise<TSilenceView[]> {
    await this.reloadSilences();
    const now = Date.now();
    return this.silences.map((s) => this.silenceView(s, now));
  }

  /**
   * A silence from matchers and a window ({ matchers, startsAt?, endsAt? | durationSeconds? }), or
   * in one click from an alert ({ alert: "<key>", durationSeconds? }): an equality matcher per label.
   */
  async createSilence(body: unknown): Promise<TResult<TSilenceView>> {
    const b = (body ?? {}) as Record<string, unknown>;
    const now = Date.now();
    const duration = b.durationSeconds;
    if (duration !== undefined && (typeof duration !== "number" || !(duration > 0) || duration > 366 * 86_400))
      return fail(
        validationError([
          {
            path: "durationSeconds",
            message: "durationSeconds must be a number of seconds, more than 0 and at most a year",
          },
        ]),
      );
    const durationMs = typeof duration === "number" ? duration * 1000 : 2 * 3_600_000;
    let input: Record<string, unknown>;
    if (b.alert !== undefined) {
      if (typeof b.alert !== "string")
        return fail(validationError([{ path: "alert", message: "alert must be the key of an alert" }]));
      const found = (await this.instancesNow()).find((x) => x.instance.key === b.alert);
      if (!found) return fail(apiError("not_found", `no pending or firing alert "${b.alert}": it may have resolved`));
      const labels = outgoingOf(found.instance, found.rule).labels;
      input = { ...silenceFromAlert(labels, durationMs, now) };
    } else {
      const startsAt = b.startsAt ?? now;
      input = {
        matchers: b.matchers,
        startsAt,
        endsAt: b.endsAt ?? (typeof startsAt === "number" ? startsAt + durationMs : undefined),
      };
    }
    const parsed = ZSilenceSchema.safeParse({
      ...input,
      id: newId("sil-"),
      createdBy: typeof b.createdBy === "string" && b.createdBy.trim() ? b.createdBy : "dashboard",
      comment: typeof b.comment === "string" ? b.comment : "",
    });
    if (!parsed.success)
      return fail(validationError(parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }))));
    const saved = await q.createSilence(this.deps.prisma, parsed.data);
    await this.reloadSilences();
    this.announce("silence");
    return ok(this.silenceView(saved, Date.now()));
  }

  async expireSilence(id: string): Promise<TResult<TSilenceView>> {
    const s = await q.expireSilence(this.deps.prisma, id, Date.now());
    if (!s) return fail(apiError("not_found", `no silence "${id}"`));
    await this.reloadSilences();
    this.announce("silence");
    return ok(this.silenceView(s, Date.now()));
  }

  // -------------------------------------------------------------------------------------------
  // Channels

  private channelView(c: TChannel): TChannelView {
    const s = this.running?.notifier.status(c.id);
    const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);
    return {
      id: c.id,
      name: c.name,
      url: c.url,
      groupBy: c.groupBy,
      groupWaitMs: c.groupWaitMs,
      groupIntervalMs: c.groupIntervalMs,
      repeatIntervalMs: c.repeatIntervalMs,
      headerNames: Object.keys(c.headers),
      status: {
        sent: s?.sent ?? 0,
        failed: s?.failed ?? 0,
        lastSuccessAt: iso(s?.lastSuccessAt),
        lastError: s?.lastError ?? null,
        lastErrorAt: iso(s?.lastErrorAt),
      },
    };
  }

  async listChannels(): Promise<TChannelView[]> {
    await this.reloadChannels();
    return this.channels.map((c) => this.channelView(c));
  }

  private parseChannel(body: unknown): TResult<ReturnType<typeof ZChannelInputSchema.parse>> {
    const r = ZChannelInputSchema.safeParse(body);
    if (r.success) return ok(r.data);
    return fail(validationError(r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }))));
  }

  async createChannel(body: unknown): Promise<TResult<TChannelView>> {
    const parsed = this.parseChannel(body);
    if (!parsed.ok) return parsed;
    const id = typeof (body as { id?: unknown })?.id === "string" ? (body as { id: string }).id : newId("ch-");
    if (!RULE_ID_RE.test(id))
      return fail(validationError([{ path: "id", message: "id must be 1-64 letters, digits, _ . : or -" }]));
    if (await q.getChannel(this.deps.prisma, id))
      return fail(apiError("conflict", `a channel with id "${id}" already exists`));
    const c = await q.createChannel(this.deps.prisma, id, parsed.value);
    await this.reloadChannels();
    this.announce("channel");
    return ok(this.channelView(c));
  }

  async updateChannel(id: string, body: unknown): Promise<TResult<TChannelView>> {
    const parsed = this.parseChannel(body);
    if (!parsed.ok) return parsed;
    const c = await q.updateChannel(this.deps.prisma, id, parsed.value);
    if (!c) return fail(apiError("not_found", `no channel "${id}"`));
    await this.reloadChannels();
    this.announce("channel");
    return ok(this.channelView(c));
  }

  async deleteChannel(id: string): Promise<TResult<true>> {
    const users = this.rows.filter((r) => r.rule.channels.includes(id));
    if (users.length > 0)
      return fail(
        apiError(
          "conflict",
          `channel "${id}" is used by ${users.map((u) => `"${u.rule.name}"`).join(", ")}: take it off those rules first`,
        ),
      );
    if (!(await q.deleteChannel(this.deps.prisma, id))) return fail(apiError("not_found", `no channel "${id}"`));
    await this.reloadChannels();
    this.announce("channel");
    return ok(true);
  }

  /** Sends a test notification to a channel now and says how the receiver answered. */
  async testChannel(id: string): Promise<TResult<{ ok: boolean; status?: number; error?: string }>> {
    const c = await q.getChannel(this.deps.prisma, id);
    if (!c) return fail(apiError("not_found", `no channel "${id}"`));
    const notifier = this.running?.notifier ?? new Notifier({ externalUrl: this.deps.externalUrl });
    const now = Date.now();
    return ok(
      await notifier.sendTest(c, {
        labels: { alertname: "HotpathTestNotification", severity: "info" },
        annotations: { summary: `A test notification from Hotpath to channel ${c.name}` },
        startsAtMs: now,
        endsAtMs: null,
        generatorURL: `${this.deps.externalUrl().replace(/\/+$/, "")}/alerts`,
      }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Prometheus-compatible

  async promRules(filter: { type?: string; names?: string[] }): Promise<{ groups: unknown[] }> {
    if (!this.running) await this.reloadRules();
    if (filter.type === "record") return { groups: [] };
    const alerts = new Map<string, TPromAlert[]>();
    for (const { rule, instance } of await this.instancesNow()) {
      const a = promAlert(instance, rule);
      if (!a) continue;
      const list = alerts.get(rule.id) ?? [];
      list.push(a);
      alerts.set(rule.id, list);
    }
    const groups = new Map<string, { name: string; file: string; rules: unknown[] }>();
    for (const row of this.rows) {
      if (!row.rule.enabled) continue;
      if (filter.names && filter.names.length > 0 && !filter.names.includes(row.rule.name)) continue;
      const file = row.file ?? "";
      const name =
        row.source === "file"
          ? (row.file?.split("/").pop() ?? "file")
          : row.source === "default"
            ? "defaults"
            : "hotpath";
      const key = `${file}\u0000${name}`;
      const g = groups.get(key) ?? { name, file, rules: [] };
      g.rules.push(promRule(row, alerts.get(row.id) ?? [], this.running?.evaluator.ruleHealth(row.id)));
      groups.set(key, g);
    }
    return {
      groups: [...groups.values()].map((g) => ({
        ...g,
        interval: 1,
        limit: 0,
        evaluationTime: 0,
        lastEvaluation: new Date().toISOString(),
      })),
    };
  }

  async promAlerts(): Promise<{ alerts: TPromAlert[] }> {
    if (!this.running) await this.reloadRules();
    const out: TPromAlert[] = [];
    for (const { rule, instance } of await this.instancesNow()) {
      const a = promAlert(instance, rule);
      if (a) out.push(a);
    }
    return { alerts: out };
  }
}
