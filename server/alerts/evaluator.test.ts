import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { memorySource } from "../query/promql/source";
import { AlertEvaluator, startsToHold, type TInstanceChange } from "./evaluator";
import { JobActivity } from "./job-activity";
import { type TAlertRuleInput, type TStoredAlertRule, ZAlertRuleSchema } from "./rules";
import { conditionHolds } from "./state";
import { type TSeriesMeta, WindowStore } from "./windows";

const T0 = 1_800_000_000_000;

function rule(input: TAlertRuleInput & { id: string }): TStoredAlertRule {
  return { ...ZAlertRuleSchema.parse(input), id: input.id } as TStoredAlertRule;
}

const running: AlertEvaluator[] = [];
afterEach(() => {
  for (const ev of running.splice(0)) ev.stop();
});

function harness(rules: TStoredAlertRule[], meta: Record<number, TSeriesMeta> = {}) {
  let now = T0;
  const windows = new WindowStore((id) => meta[id]);
  const jobs = new JobActivity();
  const changes: TInstanceChange[] = [];
  const ev = new AlertEvaluator({
    windows,
    jobs,
    storeSource: () => memorySource([]),
    onChanges: (c) => changes.push(...c),
    now: () => now,
  });
  ev.setRules(rules);
  const h = {
    ev,
    jobs,
    windows,
    changes,
    transitions: () => changes.filter((c) => c.transition).map((c) => `${c.from}→${c.to}`),
    at: (ms: number) => {
      now = T0 + ms;
    },
    get now() {
      return now;
    },
    /** Commits samples at the current time and runs the touched rules. */
    push: async (rows: [id: number, value: number][]) => {
      ev.onCommit({
        seriesIds: Int32Array.from(rows.map((r) => r[0])),
        ts: Float64Array.from(rows.map(() => now)),
        values: Float64Array.from(rows.map((r) => r[1])),
      });
      await ev.flush();
    },
  };
  running.push(ev);
  return h;
}

const TEMP: Record<number, TSeriesMeta> = {
  1: { name: "temp", labels: { room: "a", job: "sensors" } },
  2: { name: "temp", labels: { room: "b", job: "sensors" } },
  3: { name: "humidity", labels: { room: "a", job: "sensors" } },
};

const above = (extra: Partial<TAlertRuleInput> = {}) =>
  rule({
    id: "hot",
    kind: "threshold",
    name: "Hot",
    query: "temp",
    condition: "above",
    threshold: 10,
    ...extra,
  } as TAlertRuleInput & { id: string });

describe("AlertEvaluator: threshold rules", () => {
  it("fires on the commit that breaches, per series, with for 0", async () => {
    const h = harness([above()], TEMP);
    await h.push([
      [1, 12],
      [2, 5],
    ]);
    expect(h.transitions()).toEqual(["inactive→firing"]);
    const [a] = h.ev.list();
    expect(a?.instance).toMatchObject({ state: "firing", triggerValue: 12, labels: { room: "a" }, threshold: 10 });
  });

  it("goes pending, then firing on the tick once `for` has passed", async () => {
    const h = harness([above({ forSeconds: 5 })], TEMP);
    await h.push([[1, 12]]);
    expect(h.transitions()).toEqual(["inactive→pending"]);
    h.at(3000);
    await h.ev.tick();
    expect(h.transitions()).toEqual(["inactive→pending"]);
    h.at(5000);
    await h.ev.tick();
    expect(h.transitions()).toEqual(["inactive→pending", "pending→firing"]);
  });

  it("a pending alert whose value recovers before `for` never fires", async () => {
    const h = harness([above({ forSeconds: 5 })], TEMP);
    await h.push([[1, 12]]);
    h.at(2000);
    await h.push([[1, 8]]);
    h.at(6000);
    await h.ev.tick();
    expect(h.transitions()).toEqual(["inactive→pending", "pending→inactive"]);
    expect(h.ev.list()).toEqual([]);
  });

  it("does not flap while the value hovers at the threshold (hysteresis), and resolves past the band", async () => {
    const h = harness([above({ hysteresis: 0.05 })], TEMP);
    for (const [i, v] of [10.2, 9.9, 10.1, 9.8, 9.6, 10.05].entries()) {
      h.at(i * 1000);
      await h.push([[1, v]]);
    }
    expect(h.transitions()).toEqual(["inactive→firing"]);
    h.at(7000);
    await h.push([[1, 9.4]]);
    expect(h.transitions()).toEqual(["inactive→firing", "firing→resolved"]);
  });

  it("keeps firing for `keepFiringForSeconds` after the condition clears", async () => {
    const h = harness([above({ keepFiringForSeconds: 10, hysteresis: 0 })], TEMP);
    await h.push([[1, 12]]);
    h.at(1000);
    await h.push([[1, 5]]);
    h.at(8000);
    await h.ev.tick();
    expect(h.transitions()).toEqual(["inactive→firing"]);
    // keep-firing bookkeeping is reported (to persist) without being a transition.
    expect(h.changes.some((c) => !c.transition && c.instance.keepFiringSince === T0 + 1000)).toBe(true);
    h.at(11_000);
    await h.ev.tick();
    expect(h.transitions()).toEqual(["inactive→firing", "firing→resolved"]);
  });

  it("resolves a firing series that stops reporting once its samples leave the lookback", async () => {
    const h = harness([above()], TEMP);
    await h.push([
      [1, 12],
      [2, 11],
    ]);
    h.at(60_000);
    await h.push([[2, 11]]);
    expect(h.transitions()).toEqual(["inactive→firing", "inactive→firing"]);
    h.at(5 * 60_000 + 1000);
    await h.push([[2, 11]]);
    expect(h.transitions()).toEqual(["inactive→firing", "inactive→firing", "firing→resolved"]);
    expect(h.ev.list().map((l) => [l.instance.labels.room, l.instance.state])).toEqual([
      ["a", "resolved"],
      ["b", "firing"],
    ]);
  });

  it("coalesces commits: at most one run per rule per minimum interval", async () => {
    const h = harness([above()], TEMP);
    await h.push([[1, 1]]);
    const runs = h.ev.stats.evaluations;
    for (let i = 0; i < 5; i++) {
      h.ev.onCommit({ seriesIds: Int32Array.of(1), ts: Float64Array.of(h.now + i), values: Float64Array.of(1) });
    }
    // The rule ran just now: the five commits wait for one coalesced run, 250 ms after the last.
    await new Promise((r) => setTimeout(r, 100));
    expect(h.ev.stats.evaluations - runs).toBe(0);
    h.at(300);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.ev.stats.evaluations - runs).toBe(1);
  });

  it("only runs the rules whose series a commit touched", async () => {
    const humid = rule({
      id: "humid",
      kind: "threshold",
      name: "Humid",
      query: "humidity",
      condition: "above",
      threshold: 80,
    } as TAlertRuleInput & { id: string });
    const h = harness([above(), humid], TEMP);
    // New rules run once right away.
    await h.ev.flush();
    h.at(5000);
    await h.push([[3, 90]]);
    expect(h.ev.ruleHealth("humid")?.lastEvaluationMs).toBe(T0 + 5000);
    expect(h.ev.ruleHealth("hot")?.lastEvaluationMs).toBe(T0);
  });

  it("reads a band for `outside` and a difference over the window for rate_of_change", async () => {
    const band = rule({
      id: "band",
      kind: "threshold",
      name: "Band",
      query: "temp",
      condition: "outside",
      low: 5,
      high: 15,
      hysteresis: 0,
    } as TAlertRuleInput & { id: string });
    const roc = rule({
      id: "jump",
      kind: "rate_of_change",
      name: "Jump",
      query: "temp",
      condition: "above",
      threshold: 4,
      windowSeconds: 60,
    } as TAlertRuleInput & { id: string });
    const h = harness([band, roc], TEMP);
    await h.push([
      [1, 10],
      [2, 3],
    ]);
    h.at(60_000);
    await h.push([
      [1, 15],
      [2, 4],
    ]);
    const firing = h.ev
      .list()
      .filter((l) => l.instance.state === "firing")
      .map((l) => `${l.rule.id}:${l.instance.labels.room}:${l.instance.triggerValue}`);
    expect(firing.sort()).toEqual(["band:b:3", "jump:a:5"]);
  });

  it("marks a rule unhealthy when its query fails at run time, with PromQL's message", async () => {
    const broken = rule({
      id: "div",
      kind: "threshold",
      name: "Div",
      query: "sum by (room) (temp) / on(job) group_left temp",
      condition: "present",
    } as TAlertRuleInput & { id: string });
    const h2 = harness([broken], TEMP);
    await h2.push([
      [1, 1],
      [2, 2],
    ]);
    expect(h2.ev.ruleHealth("div")).toMatchObject({ health: "err" });
    expect(h2.ev.ruleHealth("div")?.lastError).toMatch(/many|match|duplicate|labelset/i);
  });
});

describe("AlertEvaluator: rule changes and restarts", () => {
  it("resolves firing alerts of a rule that is removed or disabled", async () => {
    const h = harness([above()], TEMP);
    await h.push([[1, 12]]);
    h.ev.setRules([{ ...above(), enabled: false }]);
    expect(h.transitions()).toEqual(["inactive→firing", "firing→resolved"]);
    expect(h.ev.list()).toEqual([]);
  });

  it("carries a restored firing alert on without a new transition", async () => {
    const h = harness([above()], TEMP);
    await h.push([[1, 12]]);
    const [fired] = h.ev.list();
    const h2 = harness([above()], TEMP);
    h2.ev.restore([fired?.instance as NonNullable<typeof fired>["instance"]]);
    h2.at(2000);
    await h2.push([[1, 13]]);
    expect(h2.transitions()).toEqual([]);
    expect(h2.ev.list()[0]?.instance).toMatchObject({ state: "firing", firedAt: T0, triggerValue: 12 });
  });
});

describe("AlertEvaluator: absence rules", () => {
  const absent = rule({
    id: "gone",
    kind: "absence",
    name: "Gone",
    job: "api|worker",
    forSeconds: 60,
  } as TAlertRuleInput & {
    id: string;
  });

  it("goes pending when a known job stops pushing and fires `for` after its last push", async () => {
    const h = harness([absent]);
    h.jobs.observe(["api", "worker", "other"], T0);
    await h.ev.tick();
    expect(h.ev.list()).toEqual([]);
    h.at(20_000);
    h.jobs.observe(["worker"], T0 + 20_000);
    await h.ev.tick();
    expect(h.ev.list().map((l) => [l.instance.labels.job, l.instance.state, l.instance.activeAt])).toEqual([
      ["api", "pending", T0],
    ]);
    h.at(59_000);
    h.jobs.observe(["worker"], T0 + 59_000);
    await h.ev.tick();
    expect(h.transitions()).toEqual(["inactive→pending"]);
    h.at(60_000);
    await h.ev.tick();
    expect(h.transitions()).toEqual(["inactive→pending", "pending→firing"]);
    // The job comes back: resolved.
    h.at(61_000);
    h.jobs.observe(["api"], T0 + 61_000);
    await h.ev.tick();
    expect(h.transitions()).toEqual(["inactive→pending", "pending→firing", "firing→resolved"]);
  });

  it("gives jobs time to push after a start before calling them silent", async () => {
    const h = harness([absent]);
    // What the store said at start: the last push was long ago, but the job may be alive.
    h.jobs.seed("api", T0 - 600_000);
    await h.ev.tick();
    h.at(5000);
    await h.ev.tick();
    expect(h.ev.list()).toEqual([]);
    h.at(16_000);
    await h.ev.tick();
    // Still silent 16 s after the start: it has been silent since its last push, for over `for`.
    expect(h.transitions()).toEqual(["inactive→firing"]);
    expect(h.ev.list()[0]?.instance.activeAt).toBe(T0 - 600_000);
  });
});

describe("startsToHold", () => {
  it("agrees with the state machine's conditionHolds for an instance that is not firing", () => {
    const num = fc.double({ noNaN: false, min: -1e6, max: 1e6 });
    fc.assert(
      fc.property(
        fc.constantFrom("above", "below", "outside", "present"),
        fc.boolean(),
        num,
        num,
        num,
        (condition, inclusive, a, b, v) => {
          const [low, high] = a < b ? [a, b] : [b - 1, a];
          const input =
            condition === "outside"
              ? { low, high }
              : condition === "present"
                ? {}
                : { threshold: Number.isNaN(a) ? 0 : a };
          const r = ZAlertRuleSchema.safeParse({
            kind: "threshold",
            name: "x",
            query: "up",
            condition,
            inclusive,
            ...input,
          });
          if (!r.success) return;
          const rule = { ...r.data, id: "x" } as TStoredAlertRule;
          expect(startsToHold(rule, v)).toBe(conditionHolds(rule, v, false));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
