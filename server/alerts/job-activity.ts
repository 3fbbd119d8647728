// When each job last pushed, for absence rules ("no push from job X for 5 minutes"). Fed by the live
// bus (receipt time of every committed batch, by the `job` label of its series), seeded at start from
// the store (series last seen, Pushgateway groups' last push). A job counts as known for a day after
// its last push; an absence rule watches the known jobs its regex matches.

export const KNOWN_JOB_MS = 24 * 3_600_000;
/** A job is called silent no sooner than this after its last push (pushes come every few seconds). */
export const MIN_SILENT_MS = 15_000;

type TJob = { lastPushMs: number; intervalMs: number | undefined };

export class JobActivity {
  private readonly jobs = new Map<string, TJob>();

  /** A commit arrived at `nowMs` carrying series of these jobs. */
  observe(jobs: Iterable<string>, nowMs: number): void {
    for (const job of jobs) {
      const j = this.jobs.get(job);
      if (!j) {
        this.jobs.set(job, { lastPushMs: nowMs, intervalMs: undefined });
        continue;
      }
      const gap = nowMs - j.lastPushMs;
      // Several commits of one push land within milliseconds: only real gaps teach the interval.
      if (gap >= 500) j.intervalMs = j.intervalMs === undefined ? gap : j.intervalMs * 0.8 + gap * 0.2;
      if (nowMs > j.lastPushMs) j.lastPushMs = nowMs;
    }
  }

  /** What the store knows at start; never moves a job's last push backwards. */
  seed(job: string, lastPushMs: number): void {
    const j = this.jobs.get(job);
    if (!j) this.jobs.set(job, { lastPushMs, intervalMs: undefined });
    else if (lastPushMs > j.lastPushMs) j.lastPushMs = lastPushMs;
  }

  lastPush(job: string): number | undefined {
    return this.jobs.get(job)?.lastPushMs;
  }

  /**
   * When a job counts as silent: three of its usual intervals (at least MIN_SILENT_MS), but never
   * later than the rule's `for`, so the rule fires exactly `for` after the last push.
   */
  silentAfterMs(job: string, forMs: number): number {
    const interval = this.jobs.get(job)?.intervalMs;
    const usual = Math.max(MIN_SILENT_MS, 3 * (interval ?? 5_000));
    return Math.max(MIN_SILENT_MS, Math.min(usual, forMs));
  }

  /** Jobs seen within KNOWN_JOB_MS; older ones are forgotten. */
  known(nowMs: number): string[] {
    const out: string[] = [];
    for (const [job, j] of this.jobs) {
      if (nowMs - j.lastPushMs > KNOWN_JOB_MS) this.jobs.delete(job);
      else out.push(job);
    }
    return out;
  }
}
