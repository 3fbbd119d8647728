// The only place that creates a Prisma client. Two stores behind one schema: an embedded PGlite under
// the data directory (default) or PostgreSQL through @prisma/adapter-pg. Migrations run before the
// client opens, through the raw driver, so the CLI is never needed at run time.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { TConfig } from "../config/env";
import { acquireDirLock, type TDirLock } from "./dir-lock";
import { StoreError } from "./errors";
import { migrate, readMigrations, type TSqlRunner } from "./migrate";

export { StoreError, type TStoreError } from "./errors";

export type TStoreKind = "pglite" | "postgresql";

export type TStore = {
  kind: TStoreKind;
  prisma: PrismaClient;
  /** Round-trip time of a trivial query in ms; throws when the store is unreachable. */
  ping(timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
  appliedMigrations: string[];
  /**
   * The ingest hot path: one committed row per batch through the driver itself. Prisma's raw query
   * path compiles each call and cannot bind bytea on PGlite; at ingest rates that cost was ~10 % of
   * the server's CPU (bench/ingest.ts profile), so this one statement skips it.
   */
  appendBlock(block: { minTs: number; maxTs: number; count: number; data: Buffer }): Promise<void>;
};

const APPEND_BLOCK_SQL = "INSERT INTO ingest_block (min_ts, max_ts, count, data) VALUES ($1, $2, $3, $4)";

export async function openStore(config: TConfig["store"]): Promise<TStore> {
  return config.kind === "pglite" ? openPglite(config.dataDir) : openPostgres(config.url);
}

async function openPglite(dataDir: string): Promise<TStore> {
  await mkdir(dataDir, { recursive: true });
  // PGlite has no lock between processes: two opening one directory corrupt it.
  const lock: TDirLock = await acquireDirLock(path.join(dataDir, "hotpath.lock"));
  let db: PGlite | undefined;
  try {
    db = await PGlite.create(path.join(dataDir, "pglite"));
    const runner: TSqlRunner = {
      exec: async (sql) => {
        await db?.exec(sql);
      },
      query: async <T>(sql: string, params?: unknown[]) => (await (db as PGlite).query<T>(sql, params)).rows,
    };
    const applied = await runMigrations(runner);
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
    const pglite = db;
    return {
      kind: "pglite",
      prisma,
      appliedMigrations: applied,
      ping: (timeoutMs) => timedPing(prisma, timeoutMs),
      appendBlock: async (b) => {
        await pglite.query(APPEND_BLOCK_SQL, [b.minTs, b.maxTs, b.count, b.data]);
      },
      close: async () => {
        await prisma.$disconnect();
        await pglite.close();
        await lock.release();
      },
    };
  } catch (err) {
    await db?.close().catch(() => undefined);
    await lock.release();
    throw err;
  }
}

async function openPostgres(url: string): Promise<TStore> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new StoreError({
      code: "store_unreachable",
      message: `cannot connect to PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`,
    });
  }
  let applied: string[];
  try {
    applied = await runMigrations({
      exec: async (sql) => {
        await client.query(sql);
      },
      query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    });
  } finally {
    await client.end();
  }
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 }),
  });
  // Two connections: the batch writer keeps one write in flight; the second covers a reconnect.
  const writePool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000 });
  writePool.on("error", () => undefined);
  return {
    kind: "postgresql",
    prisma,
    appliedMigrations: applied,
    ping: (timeoutMs) => timedPing(prisma, timeoutMs),
    appendBlock: async (b) => {
      await writePool.query(APPEND_BLOCK_SQL, [b.minTs, b.maxTs, b.count, b.data]);
    },
    close: async () => {
      await prisma.$disconnect();
      await writePool.end();
    },
  };
}

async function runMigrations(runner: TSqlRunner): Promise<string[]> {
  const result = await migrate(runner, await readMigrations());
  if (!result.ok) throw new StoreError(result.error);
  return result.applied;
}

async function timedPing(prisma: PrismaClient, timeoutMs = 2000): Promise<number> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      prisma.$queryRaw`SELECT 1`,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  return performance.now() - started;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<unparseable url>";
  }
}
