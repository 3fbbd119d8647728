// Background jobs that must run on one node at a time: compaction, sealing rollup segments and
// retention. On PostgreSQL the node holding a session advisory lock runs them (any node takes ingest);
// PGlite is single-node.
import type { PrismaClient } from "@prisma/client";
import pg from "pg";
import type { TConfig } from "../config/env";
import { applyRetention, compactOnce } from "./compactor";
import { sealRollups } from "./segments";

const LEADER_LOCK_KEY = 7_307_001;

export type TJobsOptions = {
  compactEveryMs: number;
  compactMinAgeMs: number;
  retentionEveryMs: number;
  log: { warn(obj: unknown, msg: string): void; info(obj: unknown, msg: string): void };
};

export class BackgroundJobs {
  private timer: NodeJS.Timeout | undefined;
  private leaderClient: pg.Client | undefined;
  private leader = false;
  private running: Promise<void> | undefined;
  private lastRetention = 0;
  private lastSeal = 0;
  private sealBehind = false;
  private stopped = false;
  private leaderCheck: Promise<boolean> | undefined;
  readonly stats = { compactions: 0, compactedSamples: 0, sealedTo1m: 0, lastError: "" };

  constructor(
    private readonly prisma: PrismaClient,
    private readonly config: TConfig,
    private readonly opts: TJobsOptions,
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  /**
   * Takes leadership now if it is free (true when this node holds it), for services that must run on
   * one node only (the alert evaluator) and cannot wait for the first job round. Concurrent calls share
   * one attempt, so two lock sessions are never opened at once.
   */
  ensureLeadership(): Promise<boolean> {
    this.leaderCheck ??= this.ensureLeader().finally(() => {
      this.leaderCheck = undefined;
    });
    return this.leaderCheck;
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, this.opts.compactEveryMs);
      });
    };
    this.timer = setTimeout(tick, this.opts.compactEveryMs);
  }

  /** One round: take leadership if free, compact until caught up, apply retention when due. */
  async runOnce(): Promise<void> {
    try {
      if (!(await this.ensureLeadership())) return;
      for (let i = 0; i < 20 && !this.stopped; i++) {
        const r = await compactOnce(this.prisma, { minAgeMs: this.opts.compactMinAgeMs, maxSamplesPerRun: 500_000 });
        if (r.blocks === 0) break;
        this.stats.compactions++;
        this.stats.compactedSamples += r.samples;
      }
      // A segment seals minutes after its hour ends: a round a minute keeps up, and a store sealed for
      // the first time catches up a few segments per round.
      if (this.sealBehind || Date.now() - this.lastSeal >= 60_000) {
        this.lastSeal = Date.now();
        const sealed = await sealRollups(this.prisma, this.lastSeal);
        this.sealBehind = sealed.behind;
        this.stats.sealedTo1m = sealed.sealedTo[60_000] ?? this.stats.sealedTo1m;
      }
      if (Date.now() - this.lastRetention >= this.opts.retentionEveryMs) {
        this.lastRetention = Date.now();
        await applyRetention(this.prisma, this.config.retention);
      }
      this.stats.lastError = "";
    } catch (err) {
      this.stats.lastError = (err as Error).message;
      this.opts.log.warn({ err }, "background job failed; will retry");
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.leaderClient?.end().catch(() => undefined);
  }

  private async ensureLeader(): Promise<boolean> {
    if (this.config.store.kind === "pglite") {
      this.leader = true;
      return true;
    }
    if (this.leader && this.leaderClient) return true;
    const client = new pg.Client({ connectionString: this.config.store.url });
    client.on("error", () => {
      // The lock dies with the session: another node may take over.
      this.leader = false;
      this.leaderClient = undefined;
    });
    await client.connect();
    const r = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [LEADER_LOCK_KEY]);
    if (r.rows[0]?.locked) {
      this.leaderClient = client;
      this.leader = true;
      this.opts.log.info({}, "this node runs compaction and retention");
      return true;
    }
    await client.end();
    return false;
  }
}
