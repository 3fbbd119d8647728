// `next build` only when the UI sources changed since the last build: a fresh clone builds once, a
// restart starts in a second. The fingerprint covers everything Next compiles.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const INPUTS = ["app", "components", "lib", "public", "next.config.ts", "package-lock.json", "tsconfig.json"];
const STAMP = path.join(ROOT, ".next", "hotpath-build.sha256");

function walk(p: string, out: string[]) {
  if (!existsSync(p)) return;
  if (statSync(p).isDirectory()) {
    for (const name of readdirSync(p).sort()) walk(path.join(p, name), out);
  } else {
    out.push(p);
  }
}

export function uiFingerprint(): string {
  const files: string[] = [];
  for (const input of INPUTS) walk(path.join(ROOT, input), files);
  const hash = createHash("sha256");
  for (const f of files) {
    hash.update(path.relative(ROOT, f));
    hash.update(readFileSync(f));
  }
  return hash.digest("hex");
}

export function buildIfStale(): void {
  const fingerprint = uiFingerprint();
  const built = existsSync(path.join(ROOT, ".next", "BUILD_ID")) && existsSync(STAMP);
  if (built && readFileSync(STAMP, "utf8") === fingerprint) return;
  console.log("hotpath: building the UI (next build); later starts skip this until app/ or components/ change");
  const result = spawnSync("npx", ["next", "build"], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) {
    console.error("hotpath: next build failed; see the output above");
    process.exit(1);
  }
  writeFileSync(STAMP, fingerprint);
}

if (import.meta.url === `file://${process.argv[1]}`) buildIfStale();
