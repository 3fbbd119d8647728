import { describe, expect, it } from "vitest";
import { parsePromText } from "./parse/prom-text";
import { RawSeriesCache } from "./text-fast-path";

function learn(cache: RawSeriesCache, text: string, ids: number[]) {
  const parsed = parsePromText(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  cache.learn(
    text,
    "",
    Int32Array.from(ids),
    parsed.value.samples.map((s) => s.name),
  );
}

describe("RawSeriesCache", () => {
  const body = '# TYPE a counter\na{x="1",y="q\\"}"} 1\nb 2 1700000000000\n';

  it("resolves a push it has seen before without parsing labels", () => {
    const cache = new RawSeriesCache(100);
    expect(cache.tryResolve(body, "")).toBeUndefined();
    learn(cache, body, [7, 9]);
    const r = cache.tryResolve('# TYPE a counter\na{x="1",y="q\\"}"} 5.5\nb -3e2 1700000001000\n', "");
    expect(r && Array.from(r.ids)).toEqual([7, 9]);
    expect(r && Array.from(r.values)).toEqual([5.5, -300]);
    expect(r && Array.from(r.hasTs)).toEqual([0, 1]);
    expect(r?.ts[1]).toBe(1700000001000);
  });

  it("finds known series in another order through the map", () => {
    const cache = new RawSeriesCache(100);
    learn(cache, body, [7, 9]);
    const r = cache.tryResolve('b 1\na{x="1",y="q\\"}"} 2\n', "");
    expect(r && Array.from(r.ids)).toEqual([9, 7]);
  });

  it("sends anything unusual to the full parser", () => {
    const cache = new RawSeriesCache(100);
    learn(cache, body, [7, 9]);
    for (const text of [
      "b +Inf\n", // non-finite values go through the parser's spelling rules
      "b NaN\n",
      "b 0x10\n", // hex is not a Prometheus number
      "b 1 12a\n",
      "b  1\n", // two spaces
      "c 1\n", // unknown series
      "b\n",
    ]) {
      expect(cache.tryResolve(text, ""), text).toBeUndefined();
    }
    // Another extra-label context does not share series ids.
    expect(cache.tryResolve("b 1\n", "job\u0001other")).toBeUndefined();
  });

  it("forgets everything past its bound instead of growing", () => {
    const cache = new RawSeriesCache(1);
    learn(cache, "a 1\n", [1]);
    learn(cache, "b 1\n", [2]);
    expect(cache.tryResolve("a 1\n", "")).toBeUndefined();
  });
});
