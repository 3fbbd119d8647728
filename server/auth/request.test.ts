import { describe, expect, it } from "vitest";
import { extractSecret, inCidrs, isSameOrigin } from "./request";

describe("request auth helpers", () => {
  it("reads Bearer and Basic credentials", () => {
    expect(extractSecret({ authorization: "Bearer hp_abc" })).toBe("hp_abc");
    const basic = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`;
    expect(extractSecret({ authorization: basic("user:hp_pw") })).toBe("hp_pw");
    expect(extractSecret({ authorization: basic("hp_only_user:") })).toBe("hp_only_user");
    expect(extractSecret({})).toBeUndefined();
  });

  it("matches IPv4 and mapped addresses against CIDRs", () => {
    expect(inCidrs("10.1.2.3", ["10.0.0.0/8"])).toBe(true);
    expect(inCidrs("::ffff:192.168.1.9", ["192.168.1.0/24"])).toBe(true);
    expect(inCidrs("::1", ["127.0.0.1/32"])).toBe(true);
    expect(inCidrs("11.0.0.1", ["10.0.0.0/8"])).toBe(false);
    expect(inCidrs("1.2.3.4", ["0.0.0.0/0"])).toBe(true);
  });

  it("recognises the dashboard's same-origin calls", () => {
    expect(isSameOrigin({ "sec-fetch-site": "same-origin" })).toBe(true);
    expect(isSameOrigin({ origin: "http://127.0.0.1:3000", host: "127.0.0.1:3000" })).toBe(true);
    expect(isSameOrigin({ origin: "http://evil.example", host: "127.0.0.1:3000" })).toBe(false);
    expect(isSameOrigin({ "sec-fetch-site": "cross-site" })).toBe(false);
  });
});
