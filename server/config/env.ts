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

const count = (fallback: number) =>
  z.coerce
    .number({ message: "expected a whole number" })
    .int("expected a whole number")
    .min(1, "expected at least 1")
    .default(fallback);

const ZDurationSchema = z
  .string()
  .trim()
  .regex(/^\d+(ms|s|m|h|d)$/, 'expected a duration such as "90s", "24h" or "30d"')
  .transform((v) => {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(v) as RegExpExecArray;
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms" | "s" | "m" | "h" | "d"];
    return Number(m[1]) * unit;
  });

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
  HOTPATH_BOOTSTRAP_KEY: z.string().trim().min(16, "expected a secret of at least 16 characters").optional(),
  HOTPATH_INGEST_OPEN: z
    .string()
    .trim()
    .refine(
      (v) => v.split(",").every((c) => isCidr(c.trim())),
      "expected comma-separated CIDRs such as 127.0.0.1/32,10.0.0.0/8",
    )
    .optional(),
  HOTPATH_MAX_BODY_BYTES: count(16 * 1024 * 1024),
  HOTPATH_MAX_SAMPLES_PER_REQUEST: count(500_000),
  HOTPATH_MAX_SERIES_PER_REQUEST: count(100_000),
  HOTPATH_MAX_LABELS_PER_SERIES: count(30),
  HOTPATH_MAX_LABEL_NAME_LENGTH: count(128),
  HOTPATH_MAX_LABEL_VALUE_LENGTH: count(2048),
  HOTPATH_MAX_ACTIVE_SERIES: count(1_000_000),
  HOTPATH_MAX_SERIES_PER_METRIC: count(100_000),
  HOTPATH_INGEST_BUFFER_SAMPLES: count(2_000_000),
  HOTPATH_BATCH_MAX_SAMPLES: count(100_000),
  HOTPATH_BATCH_MAX_WAIT_MS: z.coerce.number({ message: "expected milliseconds" }).int().min(0).default(5),
  HOTPATH_RAW_RETENTION: ZDurationSchema.default(24 * 3_600_000),
  HOTPATH_ROLLUP_1M_RETENTION: ZDurationSchema.default(30 * 86_400_000),
  HOTPATH_ROLLUP_1H_RETENTION: ZDurationSchema.default(400 * 86_400_000),
  HOTPATH_PUSH_TTL: ZDurationSchema.optional(),
  HOTPATH_RULE_FILES: z
    .string()
    .trim()
    .refine(
      (v) => v.split(",").every((f) => f.trim() !== ""),
      "expected comma-separated paths of Prometheus rule files, such as rules/api.yml,rules/db.yml",
    )
    .optional(),
  HOTPATH_EXTERNAL_URL: z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return u.protocol === "http:" || u.protocol === "https:";
      } catch {
        return false;
      }
    }, "expected the URL users reach Hotpath at, such as https://hotpath.example.com")
    .optional(),
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
  bootstrapKey: string | undefined;
  /** CIDRs whose clients may ingest without a key; empty means a key is always needed. */
  ingestOpenCidrs: string[];
  limits: TIngestLimits;
  batch: { maxSamples: number; maxWaitMs: number; maxBufferedSamples: number };
  retention: { rawMs: number; rollup1mMs: number; rollup1hMs: number };
  pushTtlMs: number | undefined;
  /** Prometheus rule files loaded at start (HOTPATH_RULE_FILES), resolved against the working directory. */
  ruleFiles: string[];
  /** Hotpath's URL as users reach it, for links in notifications; unset: the address it listens on. */
  externalUrl: string | undefined;
};

export type TIngestLimits = {
  maxBodyBytes: number;
  maxSamplesPerRequest: number;
  maxSeriesPerRequest: number;
  maxLabelsPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  maxActiveSeries: number;
  maxSeriesPerMetric: number;
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
      bootstrapKey: e.HOTPATH_BOOTSTRAP_KEY,
      ingestOpenCidrs: e.HOTPATH_INGEST_OPEN ? e.HOTPATH_INGEST_OPEN.split(",").map((c) => c.trim()) : [],
      limits: {
        maxBodyBytes: e.HOTPATH_MAX_BODY_BYTES,
        maxSamplesPerRequest: e.HOTPATH_MAX_SAMPLES_PER_REQUEST,
        maxSeriesPerRequest: e.HOTPATH_MAX_SERIES_PER_REQUEST,
        maxLabelsPerSeries: e.HOTPATH_MAX_LABELS_PER_SERIES,
        maxLabelNameLength: e.HOTPATH_MAX_LABEL_NAME_LENGTH,
        maxLabelValueLength: e.HOTPATH_MAX_LABEL_VALUE_LENGTH,
        maxActiveSeries: e.HOTPATH_MAX_ACTIVE_SERIES,
        maxSeriesPerMetric: e.HOTPATH_MAX_SERIES_PER_METRIC,
      },
      batch: {
        maxSamples: e.HOTPATH_BATCH_MAX_SAMPLES,
        maxWaitMs: e.HOTPATH_BATCH_MAX_WAIT_MS,
        maxBufferedSamples: e.HOTPATH_INGEST_BUFFER_SAMPLES,
      },
      retention: {
        rawMs: e.HOTPATH_RAW_RETENTION,
        rollup1mMs: e.HOTPATH_ROLLUP_1M_RETENTION,
        rollup1hMs: e.HOTPATH_ROLLUP_1H_RETENTION,
      },
      pushTtlMs: e.HOTPATH_PUSH_TTL,
      ruleFiles: e.HOTPATH_RULE_FILES ? e.HOTPATH_RULE_FILES.split(",").map((f) => path.resolve(cwd, f.trim())) : [],
      externalUrl: e.HOTPATH_EXTERNAL_URL?.replace(/\/+$/, ""),
    },
  };
}

export function isCidr(v: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(v);
  return Boolean(m?.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32);
}
