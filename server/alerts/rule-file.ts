// Reads a Prometheus rule file (YAML) into Hotpath alert rules. The YAML step lives here, apart from
// the conversion in rules.ts, so the conversion and its every error path are testable on plain
// objects.
import { parse } from "yaml";
import { convertRuleFile, type TRuleFileResult } from "./rules";

type TYamlError = Error & { linePos?: { line: number; col: number }[] };

export function parseRuleFile(text: string): TRuleFileResult {
  let doc: unknown;
  try {
    // YAML 1.2: `on`/`yes` stay text, and a duplicate key is an error rather than a silent overwrite.
    doc = parse(text, { uniqueKeys: true });
  } catch (e) {
    const err = e as TYamlError;
    const pos = err.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}: ` : "";
    // The library's message ends with its own " at line …" and a code excerpt: keep the reason only.
    const first = ((err.message ?? String(e)).split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?\s*$/, "");
    return { ok: false, errors: [{ path: "", message: `not valid YAML: ${where}${first}` }], warnings: [] };
  }
  return convertRuleFile(doc);
}
