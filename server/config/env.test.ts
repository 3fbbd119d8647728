import { describe, expect, it } from "vitest";
import { parseConfig } from "./env";

describe("parseConfig", () => {
  it("defaults to the embedded store on 127.0.0.1:3000", () => {
    const r = parseConfig({}, { cwd: "/srv/hotpath" });
    expect(r).toEqual({
      ok: true,
      config: expect.objectContaining({
        port: 3000,
        host: "127.0.0.1",
        store: { kind: "pglite", dataDir: "/srv/hotpath/data" },
        redisUrl: undefined,
        ui: true,
      }),
    });
  });

  it("chooses PostgreSQL when DATABASE_URL is set", () => {
    const r = parseConfig({ DATABASE_URL: "postgresql://u@db:5432/hp", REDIS_URL: "redis://127.0.0.1:6379" });
    expect(r.ok && r.config.store).toEqual({ kind: "postgresql", url: "postgresql://u@db:5432/hp" });
    expect(r.ok && r.config.redisUrl).toBe("redis://127.0.0.1:6379");
  });

  it("names every bad variable", () => {
    const r = parseConfig({ PORT: "abc", DATABASE_URL: "mysql://x", REDIS_URL: "localhost:6379", HOTPATH_UI: "yes" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("config_invalid");
    expect(r.error.issues.map((i) => i.split("=")[0])).toEqual(["PORT", "DATABASE_URL", "REDIS_URL", "HOTPATH_UI"]);
    expect(r.error.message).not.toContain("\n");
  });

  it("rejects ports out of range and treats empty strings as unset", () => {
    expect(parseConfig({ PORT: "70000" }).ok).toBe(false);
    expect(parseConfig({ PORT: "", DATABASE_URL: "" })).toMatchObject({ ok: true, config: { port: 3000 } });
  });

  it("reads alert rule files and the external URL", () => {
    const r = parseConfig(
      {
        HOTPATH_RULE_FILES: "rules/api.yml, /etc/hotpath/db.yml",
        HOTPATH_EXTERNAL_URL: "https://hotpath.example.com/",
      },
      { cwd: "/srv/hotpath" },
    );
    expect(r).toMatchObject({
      ok: true,
      config: {
        ruleFiles: ["/srv/hotpath/rules/api.yml", "/etc/hotpath/db.yml"],
        externalUrl: "https://hotpath.example.com",
      },
    });
    expect(parseConfig({})).toMatchObject({ ok: true, config: { ruleFiles: [], externalUrl: undefined } });
    const bad = parseConfig({ HOTPATH_RULE_FILES: "a.yml,,b.yml", HOTPATH_EXTERNAL_URL: "hotpath.local" });
    expect(bad.ok || bad.error.issues.map((i) => i.split("=")[0])).toEqual([
      "HOTPATH_RULE_FILES",
      "HOTPATH_EXTERNAL_URL",
    ]);
  });
});
