// The environment, read once and validated. Every other module takes a TConfig; nothing else reads
// process.env, so a bad variable stops the start here with a line that names it.
import path from "node:path";
import { z } from "zod";

const ZPortSchema = z.coerce
  .number({ message: "expected a port number" })
  .int("expected an integer")
  .min(0, "expected 0..65535")
  .max(65535, "expected 0..65535");

const postgresUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "postgres:" || u.protocol === "postgresql:") && u.hostname !== "";
    } catch {
      return false;
    }
  }, "expected a PostgreSQL URL such as postgresql://user@127.0.0.1:5432/hotpath");

const redisUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === "redis:" || u.protocol === "rediss:";
    } catch {
      return false;
    }
  }, "expected a Redis URL such as redis://127.0.0.1:6379");

const onOff = z.enum(["on", "off"], { message: 'expected "on" or "off"' });

export const ZEnvSchema = z.object({
  PORT: ZPortSchema.default(3000),
  HOST: z.string().trim().min(1, "expected a host name or address").default("127.0.0.1"),
  DATABASE_URL: postgresUrl.optional(),
  HOTPATH_DATA_DIR: z.string().trim().min(1, "expected a directory path").default("./data"),
  REDIS_URL: redisUrl.optional(),
  HOTPATH_UI: onOff.default("on"),
  HOTPATH_LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      message: "expected one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
  HOTPATH_SHUTDOWN_TIMEOUT_MS: z.coerce
    .number({ message: "expected milliseconds" })
    .int("expected an integer")
    .min(100, "expected at least 100")
    .default(4000),
});

export type TEnv = z.infer<typeof ZEnvSchema>;

export type TConfig = {
  port: number;
  host: string;
  store: { kind: "pglite"; dataDir: string } | { kind: "postgresql"; url: string };
  redisUrl: string | undefined;
  ui: boolean;
  dev: boolean;
  logLevel: TEnv["HOTPATH_LOG_LEVEL"];
  shutdownTimeoutMs: number;
};

export type TConfigError = { code: "config_invalid"; message: string; issues: string[] };

const KEYS = Object.keys(ZEnvSchema.shape) as (keyof TEnv)[];

/** Parses an environment; empty strings count as unset, as a shell's `FOO= cmd` means. */
export function parseConfig(
  env: Record<string, string | undefined>,
  opts: { dev?: boolean; cwd?: string } = {},
): { ok: true; config: TConfig } | { ok: false; error: TConfigError } {
  const picked: Record<string, string> = {};
  for (const key of KEYS) {
    const v = env[key];
    if (v !== undefined && v !== "") picked[key] = v;
  }
  const parsed = ZEnvSchema.safeParse(picked);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const key = String(i.path[0]);
      return `${key}=${JSON.stringify(picked[key] ?? "")}: ${i.message}`;
    });
    return {
      ok: false,
      error: { code: "config_invalid", message: `Invalid configuration: ${issues.join("; ")}`, issues },
    };
  }
  const e = parsed.data;
  const cwd = opts.cwd ?? process.cwd();
  return {
    ok: true,
    config: {
      port: e.PORT,
      host: e.HOST,
      store: e.DATABASE_URL
        ? { kind: "postgresql", url: e.DATABASE_URL }
        : { kind: "pglite", dataDir: path.resolve(cwd, e.HOTPATH_DATA_DIR) },
      redisUrl: e.REDIS_URL,
      ui: e.HOTPATH_UI === "on",
      dev: opts.dev ?? false,
      logLevel: e.HOTPATH_LOG_LEVEL,
      shutdownTimeoutMs: e.HOTPATH_SHUTDOWN_TIMEOUT_MS,
    },
  };
}
