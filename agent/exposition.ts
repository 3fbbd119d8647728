// Line-level edits of Prometheus text 0.0.4 before it is queued: a timestamp on every sample (so a
// body that waits in the buffer while Hotpath is down is stored at the time it was collected, not the
// time it finally arrived), and, for the bridge, renaming target labels that clash with the push's
// own job/instance (as Prometheus does with exported_job).

export type TRewriteOptions = {
  /** Milliseconds since the epoch, appended to each sample line that has no timestamp. */
  timestampMs?: number;
  /** Label names to rename to `exported_<name>` (e.g. job, instance). */
  exportLabels?: readonly string[];
};

export type TRewriteResult = { text: string; samples: number };

/** End index (exclusive) of the `name{labels}` part of a sample line, or -1 when it is malformed. */
function seriesEnd(line: string): number {
  let i = 0;
  const n = line.length;
  while (i < n && line[i] !== "{" && line[i] !== " " && line[i] !== "\t") i++;
  if (i === n || line[i] !== "{") return i;
  let inQuote = false;
  for (i++; i < n; i++) {
    const c = line[i];
    if (inQuote) {
      if (c === "\\") i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === "}") return i + 1;
  }
  return -1;
}

/** Renames label names in the `{…}` block of a series (quoted values are left alone). */
function renameLabels(series: string, names: readonly string[]): string {
  const open = series.indexOf("{");
  if (open === -1 || names.length === 0) return series;
  let out = series.slice(0, open + 1);
  let i = open + 1;
  const n = series.length;
  while (i < n) {
    // label name
    const start = i;
    while (i < n && /[\s,]/.test(series[i] as string)) i++;
    out += series.slice(start, i);
    const nameStart = i;
    while (i < n && /[A-Za-z0-9_]/.test(series[i] as string)) i++;
    const name = series.slice(nameStart, i);
    out += names.includes(name) ? `exported_${name}` : name;
    // through the quoted value
    while (i < n && series[i] !== '"' && series[i] !== "}") out += series[i++];
    if (i >= n || series[i] === "}") {
      out += series.slice(i);
      break;
    }
    out += series[i++];
    while (i < n) {
      const c = series[i] as string;
      out += c;
      i++;
      if (c === "\\" && i < n) out += series[i++];
      else if (c === '"') break;
    }
  }
  return out;
}

/** Applies the options to every sample line and counts the samples. Comment lines pass unchanged. */
export function rewriteExposition(text: string, opts: TRewriteOptions = {}): TRewriteResult {
  const lines = text.split("\n");
  const exported = opts.exportLabels ?? [];
  let samples = 0;
  for (let k = 0; k < lines.length; k++) {
    let line = lines[k] as string;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    const trimmed = line.trimStart();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    samples++;
    const end = seriesEnd(line);
    if (end <= 0) continue;
    let series = line.slice(0, end);
    const rest = line.slice(end).trim().split(/\s+/);
    if (exported.length > 0 && series.includes("{")) series = renameLabels(series, exported);
    let tail = rest.join(" ");
    if (opts.timestampMs !== undefined && rest.length === 1) tail += ` ${Math.round(opts.timestampMs)}`;
    lines[k] = `${series} ${tail}`;
  }
  return { text: lines.join("\n"), samples };
}

/** Number of sample lines in an exposition. */
export function countSamples(text: string): number {
  let n = 0;
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t !== "" && !t.startsWith("#")) n++;
  }
  return n;
}

/** True when the exposition already has a metric family of this name (a TYPE line or a sample). */
export function hasFamily(text: string, name: string): boolean {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^(# (TYPE|HELP) ${esc} |${esc}[ {])`, "m").test(text);
}
