// The analyzer at run time: fed by the live bus (committed samples and spans, never by polling the
// store), it ticks every second, runs the detectors, ranks the candidates and keeps the findings:
// a candidate seen on two ticks in a row opens one, later ticks update it, and one absent for
// RESOLVE_AFTER_MS resolves it with the figures before, during and after. Findings are rows in the
// `finding` table and events in the Socket.IO room "findings". Detection runs on the leader only
// (one node at a time, as the retention jobs); every node folds its own ingest into its windows.
import { randomUUID } from "node:crypto";
import type { PrismaClient } from "@prisma/client";
import type { Server } from "socket.io";
import type { TFinding, TFindingEvent } from "../../lib/contracts/findings";
import { LIVE_ROOMS } from "../../lib/contracts/live";
import type { LiveBus, TCommitEvent, TSpanCommitEvent } from "../live/bus";
import { detectAll, Window } from "./detectors";
import { rank, type TScored } from "./rank";
import { SignalStore, type TDescribe } from "./signals";
import { TraceWindow } from "./trace-window";

const RESOLVE_AFTER_MS = 20_000;
const OPEN_AFTER_TICKS = 2;
const PERSIST_EVERY_MS = 5000;
/** Below this score a candidate is noise: nothing is opened. */
export const MIN_SCORE = 1;

type TOpen = {
  finding: TFinding;
  worst: Map<string, number>;
  lastPersistMs: number;
  lastSeenMs: number;
};

export type TAnalyzerDeps = {
  prisma: PrismaClient;
  bus: LiveBus;
  describe: TDescribe;
  io?: () => Server | undefined;
  isLeader: () => boolean;
  log: (msg: string, err?: unknown) => void;
  now?: () => number;
  /** Evaluates an evidence query at a time (the impact report's "after"); the app passes the engine. */
  evaluate?: (query: string, atMs: number) => Promise<number | undefined>;
  /** How often the analyzer ticks by itself (1 s); 0: never, the caller drives tick() (replays). */
  tickEveryMs?: number;
};

function severityOf(score: number): TFinding["severity"] {
  return score >= 2.5 ? "critical" : score >= MIN_SCORE ? "warning" : "info";
}

export class Analyzer {
  readonly signals: SignalStore;
  readonly traces = new TraceWindow();
  private readonly open = new Map<string, TOpen>();
  private readonly streak = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly now: () => number;
  private readonly onCommit = (e: TCommitEvent) => this.signals.ingest(e.columns);
  private readonly onSpans = (e: TSpanCommitEvent) => this.traces.add(e.items, this.now());
  /** Cost of the last detection pass, for /metrics and the benchmark. */
  lastTickMs = 0;
  /** Every candidate of the last pass, below the reporting threshold too: what the analyzer is weighing. */
  lastRanking: TScored[] = [];

  constructor(private readonly deps: TAnalyzerDeps) {
    this.now = deps.now ?? Date.now;
    this.signals = new SignalStore(deps.describe);
  }

  async start(): Promise<void> {
    // Findings left open by a previous run are picked up, so they resolve rather than linger.
    const rows = await this.deps.prisma.finding.findMany({ where: { status: "open" } });
    for (const r of rows) {
      const f = toFinding(r);
      this.open.set(`${f.kind}/${f.targetKey}`, {
        finding: f,
        worst: new Map(),
        lastPersistMs: 0,
        lastSeenMs: this.now(),
      });
    }
    this.deps.bus.on("commit", this.onCommit);
    this.deps.bus.on("spans", this.onSpans);
    const every = this.deps.tickEveryMs ?? 1000;
    if (every > 0) {
      this.timer = setInterval(() => void this.tick(), every);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.deps.bus.off("commit", this.onCommit);
    this.deps.bus.off("spans", this.onSpans);
  }

  /** One pass; exported for tests and the replay benchmark, which drive a virtual clock. */
  async tick(nowMs = this.now()): Promise<TScored[]> {
    if (this.ticking) return [];
    this.ticking = true;
    try {
      this.traces.flush(nowMs);
      if (!this.deps.isLeader()) return [];
      const t0 = performance.now();
      const all = rank(detectAll(new Window(this.signals, this.traces, nowMs)));
      this.lastRanking = all;
      const ranked = all.filter((c) => c.score >= MIN_SCORE);
      this.lastTickMs = performance.now() - t0;
      await this.reconcile(ranked, nowMs);
      return ranked;
    } catch (err) {
      this.deps.log("analyzer tick failed", err);
      return [];
    } finally {
      this.ticking = false;
    }
  }

  private async reconcile(ranked: TScored[], nowMs: number): Promise<void> {
    const seen = new Set<string>();
    for (const c of ranked) {
      const key = `${c.kind}/${c.targetKey}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const streak = (this.streak.get(key) ?? 0) + 1;
      this.streak.set(key, streak);
      const existing = this.open.get(key);
      if (existing) {
        this.update(existing, c, nowMs);
        if (nowMs - existing.lastPersistMs >= PERSIST_EVERY_MS) await this.persist(existing, "updated", nowMs);
        continue;
      }
      if (streak < OPEN_AFTER_TICKS) continue;
      const finding: TFinding = {
        id: randomUUID(),
        kind: c.kind,
        target: c.target,
        targetKey: c.targetKey,
        status: "open",
        severity: severityOf(c.score),
        confidence: Math.min(0.99, c.score / 3),
        impact: c.score,
        title: c.title,
        summary: c.summary,
        recommendation: c.recommendation,
        evidence: { ...c.evidence, ...(c.explainedBy ? { explainedBy: c.explainedBy } : {}) },
        firstSeen: new Date(nowMs).toISOString(),
        lastSeen: new Date(nowMs).toISOString(),
        resolvedAt: null,
        acknowledged: false,
        muted: false,
        impactReport: null,
      };
      const o: TOpen = { finding, worst: new Map(), lastPersistMs: 0, lastSeenMs: nowMs };
      this.update(o, c, nowMs);
      this.open.set(key, o);
      await this.persist(o, "opened", nowMs);
    }
    // A candidate that flickers (a gauge hovering at its threshold) keeps some of its streak.
    for (const [key, n] of this.streak) {
      if (seen.has(key)) continue;
      if (n <= 1) this.streak.delete(key);
      else this.streak.set(key, n - 1);
    }
    for (const [key, o] of this.open) {
      if (seen.has(key) || nowMs - o.lastSeenMs < RESOLVE_AFTER_MS) continue;
      this.open.delete(key);
      const f = o.finding;
      f.status = "resolved";
      f.resolvedAt = new Date(nowMs).toISOString();
      f.impactReport = await Promise.all(
        f.evidence.series.map(async (s) => ({
          label: s.label,
          unit: s.unit,
          before: s.baseline,
          during: o.worst.get(s.label) ?? s.current,
          after: (await this.deps.evaluate?.(s.query, nowMs).catch(() => undefined)) ?? null,
        })),
      );
      await this.persist(o, "resolved", nowMs);
    }
  }

  private update(o: TOpen, c: TScored, nowMs: number): void {
    const f = o.finding;
    o.lastSeenMs = nowMs;
    f.lastSeen = new Date(nowMs).toISOString();
    f.title = c.title;
    f.summary = c.summary;
    f.recommendation = c.recommendation;
    f.impact = c.score;
    f.confidence = Math.min(0.99, Math.max(f.confidence, c.score / 3));
    const sev = severityOf(c.score);
    if (sev === "critical" || f.severity === "info") f.severity = sev;
    f.evidence = {
      ...c.evidence,
      traces: [...new Set([...c.evidence.traces, ...f.evidence.traces])].slice(0, 5),
      ...(c.explainedBy ? { explainedBy: c.explainedBy } : {}),
    };
    for (const s of c.evidence.series) {
      const worst = o.worst.get(s.label);
      const further = worst === undefined || Math.abs(s.current - s.baseline) > Math.abs(worst - s.baseline);
      if (further) o.worst.set(s.label, s.current);
    }
  }

  private async persist(o: TOpen, type: TFindingEvent["type"], nowMs: number): Promise<void> {
    o.lastPersistMs = nowMs;
    const f = o.finding;
    const data = {
      kind: f.kind,
      targetKey: f.targetKey,
      target: f.target,
      status: f.status,
      severity: f.severity,
      confidence: f.confidence,
      impact: f.impact,
      title: f.title,
      summary: f.summary,
      recommendation: f.recommendation,
      evidence: f.evidence,
      firstSeen: new Date(f.firstSeen),
      lastSeen: new Date(f.lastSeen),
      resolvedAt: f.resolvedAt ? new Date(f.resolvedAt) : null,
      impactReport: f.impactReport ?? undefined,
    };
    try {
      const row = await this.deps.prisma.finding.upsert({
        where: { id: f.id },
        create: { id: f.id, ...data },
        update: data,
      });
      f.acknowledged = row.acknowledged;
      f.muted = row.muted;
    } catch (err) {
      this.deps.log("finding not saved", err);
    }
    const event: TFindingEvent = { type, finding: f };
    this.deps.io?.()?.to(LIVE_ROOMS.findings).emit("finding", event);
  }

  /** Open findings as the analyzer holds them now, ranked. */
  current(): TFinding[] {
    return [...this.open.values()].map((o) => o.finding).sort((a, b) => b.impact - a.impact);
  }
}

type TFindingRow = {
  id: string;
  kind: string;
  targetKey: string;
  target: unknown;
  status: string;
  severity: string;
  confidence: number;
  impact: number;
  title: string;
  summary: string;
  recommendation: string;
  evidence: unknown;
  firstSeen: Date;
  lastSeen: Date;
  resolvedAt: Date | null;
  acknowledged: boolean;
  muted: boolean;
  impactReport: unknown;
};

export function toFinding(r: TFindingRow): TFinding {
  return {
    id: r.id,
    kind: r.kind as TFinding["kind"],
    target: r.target as Record<string, string>,
    targetKey: r.targetKey,
    status: r.status as TFinding["status"],
    severity: r.severity as TFinding["severity"],
    confidence: r.confidence,
    impact: r.impact,
    title: r.title,
    summary: r.summary,
    recommendation: r.recommendation,
    evidence: r.evidence as TFinding["evidence"],
    firstSeen: r.firstSeen.toISOString(),
    lastSeen: r.lastSeen.toISOString(),
    resolvedAt: r.resolvedAt?.toISOString() ?? null,
    acknowledged: r.acknowledged,
    muted: r.muted,
    impactReport: (r.impactReport as TFinding["impactReport"]) ?? null,
  };
}
