import { describe, expect, it } from "vitest";
import { decodeBlock, decodeChunk, encodeBlock, encodeChunk } from "./codec";

describe("codec", () => {
  it("round-trips blocks, including large timestamps and non-finite values", () => {
    const cols = {
      seriesIds: Int32Array.from([1, 2, 2_000_000_000]),
      ts: Float64Array.from([0, 1_700_000_000_123, 2 ** 52]),
      values: Float64Array.from([1.5, Number.NaN, Number.NEGATIVE_INFINITY]),
    };
    const back = decodeBlock(new Uint8Array(encodeBlock(cols)), 3);
    expect(Array.from(back.seriesIds)).toEqual([1, 2, 2_000_000_000]);
    expect(Array.from(back.ts)).toEqual([0, 1_700_000_000_123, 2 ** 52]);
    expect(Array.from(back.values)).toEqual([1.5, Number.NaN, Number.NEGATIVE_INFINITY]);
  });

  it("decodes from an unaligned view, as drivers hand buffers out", () => {
    const encoded = encodeChunk([10, 20], [1, 2]);
    const shifted = new Uint8Array(encoded.length + 3);
    shifted.set(encoded, 3);
    const back = decodeChunk(shifted.subarray(3), 2);
    expect(Array.from(back.ts)).toEqual([10, 20]);
    expect(Array.from(back.values)).toEqual([1, 2]);
  });
});
