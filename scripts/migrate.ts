// `npm run db:migrate`: apply pending migrations to the configured store and exit (the server also
// does this at every start; this is for deploy pipelines that migrate before rolling out).
import { parseConfig } from "../server/config/env";
import { openStore, StoreError } from "../server/store";

const parsed = parseConfig(process.env);
if (!parsed.ok) {
  console.error(`hotpath: ${parsed.error.message}`);
  process.exit(2);
}
try {
  const store = await openStore(parsed.config.store);
  const applied = store.appliedMigrations;
  await store.close();
  console.log(
    applied.length > 0
      ? `hotpath: applied ${applied.length} migration(s) to ${store.kind}: ${applied.join(", ")}`
      : `hotpath: ${store.kind} is up to date`,
  );
} catch (err) {
  console.error(`hotpath: ${err instanceof StoreError ? err.message : (err as Error).stack}`);
  process.exit(1);
}
