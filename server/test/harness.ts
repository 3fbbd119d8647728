// Helpers for integration tests: throwaway stores and a real Hotpath process on a free port.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const POSTGRES_URL = process.env.DATABASE_URL_TEST || undefined;
export const REDIS_URL = process.env.REDIS_URL || undefined;

export async function tempDir(prefix = "hotpath-test-"): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A new, empty database on the DATABASE_URL_TEST server, so test files never share state. */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!POSTGRES_URL) throw new Error("DATABASE_URL_TEST is not set");
  const name = `hotpath_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export type TServerProcess = {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Sends a signal and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
};

/** Runs `server/main.ts` as users do, with PORT=0, and waits for its "serving on" line. */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<TServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server/main.ts")], {
    cwd: ROOT,
    env: { ...baseEnv(), PORT: "0", HOTPATH_UI: "off", HOTPATH_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start within ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const check = () => {
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before serving:\n${out}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    stop: async (signal = "SIGTERM") => {
      const started = performance.now();
      if (child.exitCode === null) child.kill(signal);
      const code = await exited;
      return { code, ms: performance.now() - started };
    },
  };
}

/** Runs main.ts to completion (for start failures) and returns its exit code and output. */
export async function runServerToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server/main.ts")], {
    cwd: ROOT,
    env: { ...baseEnv(), HOTPATH_UI: "off", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { code, stderr };
}

// The test runner's own settings must not leak into the server under test.
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    const ours = k.startsWith("HOTPATH_") || ["DATABASE_URL", "REDIS_URL", "PORT", "HOST"].includes(k);
    if (ours || k.startsWith("VITEST") || k === "NODE_OPTIONS") delete env[k];
  }
  return env;
}

/** The backends this run can test: PGlite always, PostgreSQL when DATABASE_URL_TEST is set. */
export const STORES: { kind: "pglite" | "postgresql"; available: boolean }[] = [
  { kind: "pglite", available: true },
  { kind: "postgresql", available: Boolean(POSTGRES_URL) },
];

/** Env for a server on a fresh store of `kind`, plus cleanup. */
export async function storeEnv(kind: "pglite" | "postgresql"): Promise<{
  env: Record<string, string>;
  cleanup(): Promise<void>;
}> {
  if (kind === "pglite") {
    const tmp = await tempDir();
    return { env: { HOTPATH_DATA_DIR: tmp.dir }, cleanup: tmp.remove };
  }
  const db = await freshPostgres();
  return { env: { DATABASE_URL: db.url }, cleanup: db.drop };
}
