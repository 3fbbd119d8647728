// `npm start`: check the environment first (a bad variable should not wait for a build), build the UI
// if it is stale, then run the server in this process so signals reach it directly.
import { parseConfig } from "../server/config/env";
import { buildIfStale } from "./build-if-stale";

const parsed = parseConfig(process.env);
if (!parsed.ok) {
  console.error(`hotpath: ${parsed.error.message}`);
  process.exit(2);
}
if (parsed.config.ui) buildIfStale();
await import("../server/main");
