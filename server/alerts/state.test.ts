// The alert state machine, step by step, on hand-written value sequences.
import { describe, expect, it } from "vitest";
import { type TAlertRuleInput, type TStoredAlertRule, ZAlertRuleSchema } from "./rules";
import {
  changeOverWindow,
  conditionHolds,
  evaluate,
  instanceKey,
  type TAlertInstance,
  type TTransition,
  tick,
} from "./state";

const S = 1000;
const labels = { route: "/orders", __name__: "x" };

function rule(over: Partial<TAlertRuleInput> = {}): TStoredAlertRule {
  return ZAlertRuleSchema.parse({
    id: "r1",
    kind: "threshold",
    name: "High",
    query: "x",
    condition: "above",
    threshold: 100,
    ...over,
  } as TAlertRuleInput) as TStoredAlertRule;
}

/** Feeds [seconds, value] pairs through evaluate; returns the transitions (with times) and the last instance. */
function run(r: TStoredAlertRule, steps: [number, number | null][], start?: TAlertInstance) {
  let inst = start;
  const transitions: [number, TTransition][] = [];
  for (const [t, value] of steps) {
    const res = evaluate(inst, { labels, value, nowMs: t * S }, r);
    inst = res.instance;
    if (res.transition) transitions.push([t, res.transition]);
  }
  return { transitions, instance: inst as TAlertInstance };
}

describe("instanceKey", () => {
  it("is the rule id and the sorted label set, whatever the key order", () => {
    expect(instanceKey("r1", { b: "2", a: "1" })).toBe('r1{a="1", b="2"}');
    expect(instanceKey("r1", { a: "1", b: "2" })).toBe(instanceKey("r1", { b: "2", a: "1" }));
    expect(instanceKey("r1", {})).toBe("r1{}");
  });
});

describe("evaluate", () => {
  it("fires at once when forSeconds is 0, keeping value, threshold and times", () => {
    const { transitions, instance } = run(rule(), [[10, 150]]);
    expect(transitions).toEqual([[10, "firing"]]);
    expect(instance).toEqual({
      key: 'r1{__name__="x", route="/orders"}',
      ruleId: "r1",
      labels,
      state: "firing",
      activeAt: 10_000,
      firedAt: 10_000,
      resolvedAt: null,
      keepFiringSince: null,
      lastValue: 150,
      lastEvalMs: 10_000,
      lastSeenMs: 10_000,
      triggerValue: 150,
      threshold: 100,
    });
  });

  it("stays pending until the condition has held for forSeconds, then fires", () => {
    const { transitions, instance } = run(rule({ forSeconds: 60 }), [
      [0, 150],
      [30, 160],
      [59, 170],
      [60, 180],
      [90, 190],
    ]);
    expect(transitions).toEqual([
      [0, "pending"],
      [60, "firing"],
    ]);
    expect(instance.activeAt).toBe(0);
    expect(instance.firedAt).toBe(60_000);
    expect(instance.triggerValue).toBe(180);
    expect(instance.lastValue).toBe(190);
  });

  it("returns a pending alert that goes false to inactive without ever firing", () => {
    const { transitions, instance } = run(rule({ forSeconds: 60 }), [
      [0, 150],
      [30, 50],
      [40, 150],
    ]);
    expect(transitions).toEqual([
      [0, "pending"],
      [30, "inactive"],
      [40, "pending"],
    ]);
    expect(instance.activeAt).toBe(40_000);
    expect(instance.firedAt).toBeNull();
  });

  it("does not flap on a value hovering at the threshold (hysteresis 5 %)", () => {
    const hover: [number, number][] = [101, 99, 100.5, 96, 101, 95, 94.9, 99, 101].map((v, i) => [i * 10, v]);
    expect(run(rule({ hysteresis: 0.05 }), hover).transitions).toEqual([
      [0, "firing"],
      [60, "resolved"],
      [80, "firing"],
    ]);
    // The same values without hysteresis fire and resolve at every crossing.
    expect(run(rule({ hysteresis: 0 }), hover).transitions).toEqual([
      [0, "firing"],
      [10, "resolved"],
      [20, "firing"],
      [30, "resolved"],
      [40, "firing"],
      [50, "resolved"],
      [80, "firing"],
    ]);
  });

  it("keeps firing for keepFiringForSeconds after the condition stops, restarting if it returns", () => {
    const { transitions, instance } = run(rule({ keepFiringForSeconds: 120, hysteresis: 0 }), [
      [0, 150],
      [10, 50],
      [60, 150],
      [70, 50],
      [189, 50],
      [190, 50],
    ]);
    expect(transitions).toEqual([
      [0, "firing"],
      [190, "resolved"],
    ]);
    expect(instance.resolvedAt).toBe(190_000);
    expect(instance.firedAt).toBe(0);
    expect(instance.triggerValue).toBe(150);
  });

  it("resolves a firing alert whose series is absent, and drops a pending one", () => {
    expect(
      run(rule(), [
        [0, 150],
        [10, null],
      ]).transitions,
    ).toEqual([
      [0, "firing"],
      [10, "resolved"],
    ]);
    expect(
      run(rule({ forSeconds: 60 }), [
        [0, 150],
        [10, null],
      ]).transitions,
    ).toEqual([
      [0, "pending"],
      [10, "inactive"],
    ]);
  });

  it("re-fires from resolved with a fresh activeAt and turns inactive after the retention", () => {
    const r = rule();
    const first = run(r, [
      [0, 150],
      [10, 50],
    ]).instance;
    expect(first.state).toBe("resolved");
    const again = run(r, [[20, 150]], first);
    expect(again.transitions).toEqual([[20, "firing"]]);
    expect(again.instance.activeAt).toBe(20_000);
    expect(again.instance.resolvedAt).toBeNull();
    const aged = run(
      r,
      [
        [10 + 15 * 60 - 1, 50],
        [10 + 15 * 60, 50],
      ],
      first,
    );
    expect(aged.transitions).toEqual([[910, "inactive"]]);
  });

  it("records the threshold that was in force when the alert became active", () => {
    const { instance } = run(rule({ condition: "outside", threshold: undefined, low: 1, high: 2 }), [[0, 5]]);
    expect(instance.threshold).toEqual([1, 2]);
  });
});

describe("tick", () => {
  it("fires a pending alert when forSeconds elapses, with the last value", () => {
    const r = rule({ forSeconds: 60 });
    const pending = run(r, [[0, 150]]).instance;
    expect(tick(pending, 59 * S, r).transition).toBeUndefined();
    const fired = tick(pending, 60 * S, r);
    expect(fired.transition).toBe("firing");
    expect(fired.instance.firedAt).toBe(60_000);
    expect(fired.instance.triggerValue).toBe(150);
  });

  it("ends keep-firing on time, without a new value", () => {
    const r = rule({ keepFiringForSeconds: 30 });
    const keeping = run(r, [
      [0, 150],
      [10, 50],
    ]).instance;
    expect(keeping.state).toBe("firing");
    expect(keeping.keepFiringSince).toBe(10_000);
    expect(tick(keeping, 39 * S, r).transition).toBeUndefined();
    const done = tick(keeping, 40 * S, r);
    expect(done.transition).toBe("resolved");
    expect(done.instance.resolvedAt).toBe(40_000);
  });

  it("treats a series that stopped reporting as absent after staleAfterMs", () => {
    const r = rule();
    const firing = run(r, [[0, 150]]).instance;
    expect(tick(firing, 299 * S, r).transition).toBeUndefined();
    expect(tick(firing, 300 * S, r).transition).toBe("resolved");
    expect(tick(firing, 20 * S, r, { staleAfterMs: 20_000 }).transition).toBe("resolved");
  });

  it("leaves a firing alert with a fresh value alone", () => {
    const r = rule();
    const firing = run(r, [[0, 150]]).instance;
    expect(tick(firing, 100 * S, r)).toEqual({ instance: firing });
  });

  it("turns resolved into inactive after the retention", () => {
    const r = rule();
    const resolved = run(r, [
      [0, 150],
      [10, 50],
    ]).instance;
    expect(tick(resolved, 10 * S + 60_000 - 1, r, { resolvedRetentionMs: 60_000 }).transition).toBeUndefined();
    expect(tick(resolved, 10 * S + 60_000, r, { resolvedRetentionMs: 60_000 }).transition).toBe("inactive");
  });
});

describe("absence rules", () => {
  const absence = ZAlertRuleSchema.parse({
    id: "abs",
    kind: "absence",
    name: "JobAbsent",
    job: ".+",
    forSeconds: 300,
  }) as TStoredAlertRule;
  const job = { job: "shop" };

  it("counts silence from the last sample seen, fires after forSeconds and resolves when data returns", () => {
    let inst: TAlertInstance | undefined;
    const seen: [number, TTransition | undefined, string][] = [];
    for (const [t, value] of [
      [0, 1],
      [60, null],
      [299, null],
      [300, null],
      [400, 1],
    ] as [number, number | null][]) {
      const r = evaluate(inst, { labels: job, value, nowMs: t * S }, absence);
      inst = r.instance;
      seen.push([t, r.transition, r.instance.state]);
    }
    expect(seen).toEqual([
      [0, undefined, "inactive"],
      [60, "pending", "pending"],
      [299, undefined, "pending"],
      [300, "firing", "firing"],
      [400, "resolved", "resolved"],
    ]);
    expect(inst?.activeAt).toBe(0);
    expect(inst?.triggerValue).toBeNull();
  });

  it("fires from tick alone when the job stops reporting", () => {
    const seenOnce = evaluate(undefined, { labels: job, value: 1, nowMs: 0 }, absence).instance;
    expect(tick(seenOnce, 299 * S, absence).transition).toBeUndefined();
    const fired = tick(seenOnce, 300 * S, absence);
    expect(fired.transition).toBe("firing");
    expect(fired.instance.activeAt).toBe(0);
  });

  it("starts the clock at the first evaluation for a job never seen", () => {
    const r = evaluate(undefined, { labels: job, value: null, nowMs: 50 * S }, absence);
    expect(r.transition).toBe("pending");
    expect(r.instance.activeAt).toBe(50_000);
  });
});

describe("conditionHolds", () => {
  const holds = (over: Partial<TAlertRuleInput>, v: number, firing: boolean) => conditionHolds(rule(over), v, firing);

  it("uses an absolute band for negative and zero thresholds", () => {
    const neg = { threshold: -10, hysteresis: 0.05 };
    expect([holds(neg, -9.9, false), holds(neg, -10.4, true), holds(neg, -10.6, true)]).toEqual([true, true, false]);
    const zero = { threshold: 0, hysteresis: 0.05 };
    expect([holds(zero, 0.01, false), holds(zero, -0.04, true), holds(zero, -0.06, true)]).toEqual([true, true, false]);
  });

  it("mirrors the band for below", () => {
    const below = { condition: "below" as const, threshold: 0.8, hysteresis: 0.05 };
    expect([holds(below, 0.79, false), holds(below, 0.83, true), holds(below, 0.85, true)]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("applies a band on both sides of outside, capped at a quarter of the gap", () => {
    const band = { condition: "outside" as const, threshold: undefined, low: 10, high: 20, hysteresis: 0.5 };
    expect([9, 21, 15].map((v) => holds(band, v, false))).toEqual([true, true, false]);
    expect([12, 13, 17.5, 17].map((v) => holds(band, v, true))).toEqual([true, false, true, false]);
  });

  it("honours inclusive (>=) and never holds on NaN or an absent value", () => {
    expect(holds({ threshold: 5, inclusive: true }, 5, false)).toBe(true);
    expect(holds({ threshold: 5 }, 5, false)).toBe(false);
    expect(holds({ threshold: 5 }, Number.NaN, true)).toBe(false);
    expect(conditionHolds(rule(), null, true)).toBe(false);
    expect(conditionHolds(rule({ condition: "present", threshold: undefined }), 0, false)).toBe(true);
  });
});

describe("changeOverWindow", () => {
  it("subtracts the past value of the same series and skips series missing at either end", () => {
    expect(
      changeOverWindow(
        [
          { labels: { a: "1", b: "x" }, value: 10 },
          { labels: { a: "2" }, value: 5 },
        ],
        [
          { labels: { b: "x", a: "1" }, value: 4 },
          { labels: { a: "3" }, value: 1 },
        ],
      ),
    ).toEqual([{ labels: { a: "1", b: "x" }, value: 6 }]);
  });
});
