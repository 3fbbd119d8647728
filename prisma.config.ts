// Prisma CLI configuration: `prisma generate` and migration authoring (`prisma migrate diff`). The JS
// engine keeps the CLI from downloading a schema-engine binary. The server applies migrations itself
// at start (server/store/migrate.ts), so the CLI never opens the server's PGlite directory.
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { defineConfig } from "prisma/config";

type Factory = PrismaPg | PrismaPGlite;
let factory: Promise<Factory> | undefined;

// The CLI calls adapter() more than once per command: one instance, or two PGlites would open.
function adapter(): Promise<Factory> {
  factory ??= (async () => {
    const url = process.env.DATABASE_URL;
    if (url) return new PrismaPg({ connectionString: url, allowExitOnIdle: true });
    // Authoring without PostgreSQL: an in-memory PGlite, never the server's data directory.
    return new PrismaPGlite(await PGlite.create());
  })();
  return factory;
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  adapter: adapter as never,
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
