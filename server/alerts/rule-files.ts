// HOTPATH_RULE_FILES: Prometheus rule files loaded at start. Their rules get ids derived from the file
// and the alert name (stable across restarts, so their alerts carry on), are stored with source
// "file" and are read-only through the API. A file that does not load stops the start, as it stops
// Prometheus: running without the rules someone wrote is worse than not running.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseRuleFile } from "./rule-file";
import type { TAlertRule } from "./rules";

export class RuleFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RuleFileError";
  }
}

export type TFileRule = { id: string; rule: TAlertRule; file: string };

export function fileRuleId(file: string, name: string, occurrence: number): string {
  return `file-${createHash("sha1").update(`${file}\u0000${name}\u0000${occurrence}`).digest("hex").slice(0, 12)}`;
}

export async function loadRuleFiles(
  files: string[],
  cwd = process.cwd(),
): Promise<{ rules: TFileRule[]; warnings: string[] }> {
  const rules: TFileRule[] = [];
  const warnings: string[] = [];
  for (const f of files) {
    const file = path.resolve(cwd, f);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      throw new RuleFileError(`HOTPATH_RULE_FILES: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    const r = parseRuleFile(text);
    for (const w of r.warnings) warnings.push(`${file}: ${w.path ? `${w.path}: ` : ""}${w.message}`);
    if (!r.ok) {
      const lines = r.errors.map((e) => `${e.path ? `${e.path}: ` : ""}${e.message}`);
      throw new RuleFileError(`HOTPATH_RULE_FILES: ${file} has ${lines.length} error(s): ${lines.join("; ")}`);
    }
    const seen = new Map<string, number>();
    for (const rule of r.rules) {
      const n = seen.get(rule.name) ?? 0;
      seen.set(rule.name, n + 1);
      rules.push({ id: fileRuleId(file, rule.name, n), rule, file });
    }
  }
  return { rules, warnings };
}
