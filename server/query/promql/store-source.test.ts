// The store source over a stand-in Prisma client: series lookup, samples clipped to the window, and the
// per-selector series limit. (prom-api.int.test.ts covers it over a real store.)
import type { PrismaClient } from "@prisma/client";
import { describe, expect, it } from "vitest";
import { encodeChunk } from "../../store/codec";
import { instantQuery, PromQLError } from "./eval";
import { parse } from "./parse";
import { storeSource } from "./store-source";

const rows = [1, 2, 3].map((id) => ({ id, name: "x", labels: { i: String(id) }, type: "gauge", unit: "", help: "" }));

function fakePrisma(): PrismaClient {
  return {
    series: { findMany: async () => rows },
    $queryRaw: async (strings: TemplateStringsArray) =>
      strings.join("?").includes("sample_chunk")
        ? [
            {
              kind: 0,
              series_id: 1,
              count: 3,
              data: Buffer.from(encodeChunk([1000, 2000, 3000], [1, 2, 3])).toString("base64"),
            },
          ]
        : [],
  } as unknown as PrismaClient;
}

function matchersOf(q: string) {
  const p = parse(q);
  if (!p.ok || p.expr.kind !== "vector") throw new Error("not a selector");
  return p.expr.matchers;
}

describe("storeSource", () => {
  it("returns matching series with __name__ and their samples within the window", async () => {
    const src = storeSource(fakePrisma());
    expect(await src.select(matchersOf('x{i="1"}'), 1500, 3000)).toEqual([
      { labels: { i: "1", __name__: "x" }, ts: [2000, 3000], values: [2, 3] },
    ]);
    // Series without samples in the window are left out.
    expect(await src.select(matchersOf('x{i="2"}'), 0, 5000)).toEqual([]);
    const r = await instantQuery(src, "sum(x)", 2500);
    expect(r).toEqual({ resultType: "vector", result: [{ labels: {}, value: 2 }], timeMs: 2500 });
  });

  it("refuses selectors matching more series than the limit", async () => {
    const src = storeSource(fakePrisma(), { maxSeries: 2 });
    const err = await src.select(matchersOf("x"), 0, 5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromQLError);
    expect(err).toMatchObject({
      errorType: "execution",
      message: 'the selector {__name__="x"} matches more than 2 series; add label matchers to narrow it down',
    });
    await expect(src.select(matchersOf('x{i="3"}'), 0, 5000)).resolves.toEqual([]);
  });
});
