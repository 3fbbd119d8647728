import { describe, expect, it } from "vitest";
import { mergeSorted, type TSeriesMeta, WindowStore } from "./windows";

const META: Record<number, TSeriesMeta> = {
  1: { name: "temp", labels: { room: "a" } },
  2: { name: "temp", labels: { room: "b" } },
  3: { name: "other", labels: { room: "a" } },
};

function cols(rows: [id: number, ts: number, value: number][]) {
  return {
    seriesIds: Int32Array.from(rows.map((r) => r[0])),
    ts: Float64Array.from(rows.map((r) => r[1])),
    values: Float64Array.from(rows.map((r) => r[2])),
  };
}

function store(spanMs = 60_000, opts = {}) {
  const w = new WindowStore((id) => META[id], opts);
  w.setInterest((m) => (m.name === "temp" ? { spanMs, ruleIds: [`rule-${m.labels.room}`, "rule-all"] } : null));
  return w;
}

const matchTemp = [{ name: "__name__", op: "=" as const, value: "temp" }];

describe("WindowStore", () => {
  it("keeps only series some rule selects and says which rules a commit touched", () => {
    const w = store();
    const touched = new Set<string>();
    w.append(
      cols([
        [1, 1000, 1],
        [3, 1000, 5],
        [1, 2000, 2],
      ]),
      touched,
    );
    expect([...touched].sort()).toEqual(["rule-a", "rule-all"]);
    expect(w.seriesCount).toBe(1);
    expect(w.select(matchTemp, 0, 10_000)).toEqual([
      { labels: { room: "a", __name__: "temp" }, ts: [1000, 2000], values: [1, 2] },
    ]);
    expect(w.select([{ name: "__name__", op: "=", value: "other" }], 0, 10_000)).toEqual([]);
  });

  it("selects by time (both ends inclusive) and by label matchers", () => {
    const w = store();
    w.append(
      cols([
        [1, 1000, 1],
        [2, 1000, 10],
        [1, 2000, 2],
        [2, 2000, 20],
        [1, 3000, 3],
      ]),
      new Set(),
    );
    expect(w.select(matchTemp, 2000, 3000).map((s) => s.values)).toEqual([[2, 3], [20]]);
    const roomB = w.select([...matchTemp, { name: "room", op: "=", value: "b" }], 0, 5000);
    expect(roomB.map((s) => s.labels.room)).toEqual(["b"]);
    // The same labels object each time: the engine caches per series by identity.
    expect(w.select(matchTemp, 0, 5000)[0]?.labels).toBe(w.select(matchTemp, 0, 5000)[0]?.labels);
  });

  it("hands over only the latest sample for instant-vector selectors, in the engine's label order", () => {
    const w = store();
    w.append(
      cols([
        [2, 1000, 10],
        [1, 1000, 1],
        [2, 2000, 20],
        [1, 2000, 2],
      ]),
      new Set(),
    );
    const matchers = [...matchTemp];
    const last = w.source(new Set([matchers]));
    return last.select(matchers, 0, 1500).then((r) => {
      expect(r.map((s) => [s.labels.room, s.ts, s.values])).toEqual([
        ["a", [1000], [1]],
        ["b", [1000], [10]],
      ]);
      // Nothing in the window: nothing, even with an older sample before it.
      expect(w.select(matchers, 2500, 3000, true)).toEqual([]);
    });
  });

  it("inserts late samples in order and lets a later write of the same time win", () => {
    const w = store();
    w.append(
      cols([
        [1, 3000, 3],
        [1, 1000, 1],
        [1, 2000, 2],
        [1, 2000, 22],
        [1, 3000, 33],
      ]),
      new Set(),
    );
    expect(w.select(matchTemp, 0, 5000)[0]).toMatchObject({ ts: [1000, 2000, 3000], values: [1, 22, 33] });
    expect(w.stats.samples).toBe(3);
  });

  it("trims to each series' span and forgets series left empty, tracking them again on their next commit", () => {
    const w = store(10_000);
    const touched = new Set<string>();
    w.append(
      cols([
        [1, 1000, 1],
        [1, 9000, 2],
        [2, 1000, 5],
      ]),
      touched,
    );
    w.trim(15_000);
    expect(w.select(matchTemp, 0, 20_000).map((s) => [s.labels.room, s.ts])).toEqual([["a", [9000]]]);
    expect(w.seriesCount).toBe(1);
    touched.clear();
    w.append(cols([[2, 16_000, 6]]), touched);
    expect(touched.has("rule-b")).toBe(true);
    expect(w.seriesCount).toBe(2);
    expect(w.stats.samples).toBe(2);
  });

  it("caps samples per series and series per store", () => {
    const w = store(3_600_000, { maxSamplesPerSeries: 3, maxSeries: 1 });
    w.append(
      cols([
        [1, 1, 1],
        [1, 2, 2],
        [1, 3, 3],
        [1, 4, 4],
        [2, 1, 9],
      ]),
      new Set(),
    );
    expect(w.select(matchTemp, 0, 10)).toEqual([
      { labels: { room: "a", __name__: "temp" }, ts: [2, 3, 4], values: [2, 3, 4] },
    ]);
    expect(w.stats).toMatchObject({ droppedSamples: 1, refusedSeries: 1, samples: 3 });
  });

  it("merges seeded store samples under what commits already brought", () => {
    const w = store();
    w.append(cols([[1, 3000, 33]]), new Set());
    w.seed(1, META[1] as TSeriesMeta, [1000, 2000, 3000], [1, 2, 3]);
    expect(w.select(matchTemp, 0, 5000)[0]).toMatchObject({ ts: [1000, 2000, 3000], values: [1, 2, 33] });
    // A series no rule selects is not seeded.
    w.seed(3, META[3] as TSeriesMeta, [1000], [1]);
    expect(w.seriesCount).toBe(1);
  });

  it("re-decides tracked series when the rules change", () => {
    const w = store();
    w.append(
      cols([
        [1, 1000, 1],
        [2, 1000, 2],
        [3, 1000, 3],
      ]),
      new Set(),
    );
    w.setInterest((m) => (m.labels.room === "a" ? { spanMs: 60_000, ruleIds: ["r"] } : null));
    expect(w.seriesCount).toBe(1);
    const touched = new Set<string>();
    w.append(cols([[3, 2000, 4]]), touched);
    expect([...touched]).toEqual(["r"]);
    expect(
      w
        .select([{ name: "room", op: "=", value: "a" }], 0, 5000)
        .map((s) => s.labels.__name__)
        .sort(),
    ).toEqual(["other", "temp"]);
  });
});

describe("mergeSorted", () => {
  it("merges two sorted lists, the first winning on equal times", () => {
    expect(mergeSorted([1, 3, 5], [10, 30, 50], [2, 3, 6], [20, 99, 60])).toEqual({
      ts: [1, 2, 3, 5, 6],
      values: [10, 20, 30, 50, 60],
    });
  });
});
