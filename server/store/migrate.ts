// Applies prisma/migrations at start, with the semantics of `prisma migrate deploy`: pending
// migrations in name order, each in its own transaction, recorded in Prisma's `_prisma_migrations`
// table with the same checksum, so the Prisma CLI sees the same history. It runs in-process because
// the CLI's JS schema engine cannot share a PGlite directory with the server (no inter-process lock)
// and costs seconds per start.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, "../../prisma/migrations");

/** The smallest surface both drivers offer: simple-protocol multi-statement SQL and parameterized reads. */
export type TSqlRunner = {
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
};

export type TMigration = { name: string; sql: string; checksum: string };

export type TMigrateError = { code: "migration_failed" | "migration_modified"; message: string };

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<TMigration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

const HISTORY_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

// Prisma's own advisory-lock key, so a concurrent `prisma migrate deploy` waits for us and vice versa.
const ADVISORY_LOCK_KEY = 72707369;

type THistoryRow = { migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null };

export async function migrate(
  db: TSqlRunner,
  migrations: TMigration[],
): Promise<{ ok: true; applied: string[] } | { ok: false; error: TMigrateError }> {
  await db.query("SELECT pg_advisory_lock($1)", [ADVISORY_LOCK_KEY]);
  try {
    await db.exec(HISTORY_DDL);
    const rows = await db.query<THistoryRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`,
    );
    const done = new Map<string, THistoryRow>();
    for (const r of rows) {
      if (r.rolled_back_at) continue;
      if (!r.finished_at) {
        return {
          ok: false,
          error: {
            code: "migration_failed",
            message: `migration ${r.migration_name} failed earlier and is not rolled back; fix the database, then mark it with \`prisma migrate resolve\``,
          },
        };
      }
      done.set(r.migration_name, r);
    }
    const applied: string[] = [];
    for (const m of migrations) {
      const prev = done.get(m.name);
      if (prev) {
        if (prev.checksum !== m.checksum) {
          return {
            ok: false,
            error: {
              code: "migration_modified",
              message: `migration ${m.name} was changed after it was applied; restore prisma/migrations/${m.name}/migration.sql and add a new migration instead`,
            },
          };
        }
        continue;
      }
      // The history row commits with the migration, so a crash cannot leave one without the other.
      const record = `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count, started_at)
        VALUES ('${randomUUID()}', '${m.checksum}', now(), ${quoteLiteral(m.name)}, 1, now());`;
      try {
        await db.exec(`BEGIN;\n${m.sql}\n;\n${record}\nCOMMIT;`);
      } catch (err) {
        await db.exec("ROLLBACK").catch(() => undefined);
        return {
          ok: false,
          error: { code: "migration_failed", message: `migration ${m.name} failed: ${(err as Error).message}` },
        };
      }
      applied.push(m.name);
    }
    return { ok: true, applied };
  } finally {
    await db.query("SELECT pg_advisory_unlock($1)", [ADVISORY_LOCK_KEY]);
  }
}

function quoteLiteral(v: string): string {
  return `'${v.replaceAll("'", "''")}'`;
}
