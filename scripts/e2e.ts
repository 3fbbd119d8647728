// `npm run test:e2e`: Playwright against a production build (dev mode compiles on first request and
// would make the tests measure the compiler).
import { spawnSync } from "node:child_process";
import { buildIfStale } from "./build-if-stale";

buildIfStale();
const result = spawnSync("npx", ["playwright", "test", ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(result.status ?? 1);
