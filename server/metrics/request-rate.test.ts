import { describe, expect, it } from "vitest";
import { RequestRate } from "./request-rate";

describe("RequestRate", () => {
  it("averages completed seconds over the window and forgets old ones", () => {
    const r = new RequestRate(10);
    const t0 = 1_000_000_000;
    for (let i = 0; i < 50; i++) r.hit(t0 + 10);
    expect(r.perSecond(t0 + 1000)).toBe(5);
    expect(r.perSecond(t0 + 10_500)).toBe(5);
    expect(r.perSecond(t0 + 11_000)).toBe(0);
  });
});
