// Says loudly, once per run, which integration suites cannot run here and why: a skipped backend
// must never look like a passed one.
export default function setup() {
  const missing: string[] = [];
  if (!process.env.DATABASE_URL_TEST) missing.push("PostgreSQL (set DATABASE_URL_TEST=postgresql://…)");
  if (!process.env.REDIS_URL) missing.push("Redis (set REDIS_URL=redis://…)");
  if (missing.length > 0) {
    const bar = "!".repeat(78);
    console.warn(
      `\n${bar}\n!! SKIPPED integration tests against: ${missing.join("; ")}\n!! Only the embedded PGlite store is tested in this run. .ci/run sets both.\n${bar}\n`,
    );
  }
}
