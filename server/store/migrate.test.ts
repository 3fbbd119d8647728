import { PGlite } from "@electric-sql/pglite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate, readMigrations, type TMigration, type TSqlRunner } from "./migrate";

function runner(db: PGlite): TSqlRunner {
  return {
    exec: async (sql) => {
      await db.exec(sql);
    },
    query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
  };
}

const m = (name: string, sql: string): TMigration => ({ name, sql, checksum: `sum-${sql.length}-${name}` });

describe("migrate", () => {
  let db: PGlite;
  beforeEach(async () => {
    db = await PGlite.create();
  });
  afterEach(async () => {
    await db.close();
  });

  it("applies the project's migrations once and records them as Prisma does", async () => {
    const migrations = await readMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    const first = await migrate(runner(db), migrations);
    expect(first).toEqual({ ok: true, applied: migrations.map((x) => x.name) });
    const again = await migrate(runner(db), migrations);
    expect(again).toEqual({ ok: true, applied: [] });
    const rows = await db.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.rows.map((r) => r.migration_name)).toEqual(migrations.map((x) => x.name));
    expect(rows.rows[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it("rolls a failing migration back whole and reports it", async () => {
    const r = await migrate(runner(db), [
      m("001_ok", "CREATE TABLE a (x int);"),
      m("002_bad", "CREATE TABLE b (y int); SELEC 1;"),
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("migration_failed");
    expect(r.error.message).toContain("002_bad");
    const tables = await db.query<{ n: string }>(`SELECT tablename AS n FROM pg_tables WHERE schemaname = 'public'`);
    expect(tables.rows.map((t) => t.n).sort()).toEqual(["_prisma_migrations", "a"]);
  });

  it("refuses a migration whose file changed after it was applied", async () => {
    await migrate(runner(db), [m("001", "CREATE TABLE a (x int);")]);
    const r = await migrate(runner(db), [{ name: "001", sql: "CREATE TABLE a (x bigint);", checksum: "other" }]);
    expect(r).toMatchObject({ ok: false, error: { code: "migration_modified" } });
  });
});
