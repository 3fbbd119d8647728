// N+1 detection inside one trace: the same query shape issued many times by one request.
//
// Sentry's detector looks for a run of *consecutive* identical DB spans under one parent, which misses
// two shapes that Node services produce all the time:
// - spans between the repeats: node-postgres' pool.query() opens a `pg.pool.connect` span before every
//   statement (getsentry/sentry#93090), and ORMs interleave their own spans or a second repeated
//   query (the "MN+1" of getsentry/sentry#41219);
// - repeats that overlap in time (Promise.all over the ids), which its detector skipped for years.
// So repeats are grouped, not sequenced: by request (the nearest server span of the same service, which
// also covers "same parent" and per-item wrapper spans) and by SQL fingerprint, whatever lies between
// them and however they overlap. What is left out on purpose:
// - batches: a statement that already carries a list (IN (...), = ANY($1), ARRAY[...], multi-row
//   VALUES, unnest) repeated is chunked batching, unless every repeat returned at most one row, which
//   is a loop wearing a list (an ORM that always writes IN);
// - transaction and session statements (BEGIN, COMMIT, SET …), which repeat around real work;
// - repeats costing less than minTotalMs in all: reported as skipped, with their count, not as findings.
import { LRUCache } from "lru-cache";
import { fingerprint, type TFingerprint } from "../sql/fingerprint";
import { classifySpan, indexTrace, NS_PER_MS, nsToMs, routeOf, statementOf, type TTraceSpan } from "./spans";

export type TNPlusOneOptions = {
  /** Repeats of one fingerprint in one request that make an N+1. Default 5. */
  minRepeats?: number;
  /** Repeats whose durations sum to less than this are negligible (skipped, still reported). Default 5. */
  minTotalMs?: number;
  /** Span ids kept per finding, earliest first. Default 5. */
  maxSpanIds?: number;
};

export const N_PLUS_ONE_DEFAULTS: Required<TNPlusOneOptions> = { minRepeats: 5, minTotalMs: 5, maxSpanIds: 5 };

export type TNPlusOneFinding = {
  traceId: string;
  service: string;
  /** Route of the request the repeats belong to; null when the trace has no server span for it. */
  route: string | null;
  /** The server span (or, without one, the top span) the repeats were grouped under. */
  scopeSpanId: string;
  fingerprint: string;
  fingerprintText: string;
  /** One statement as recorded (the earliest repeat's). */
  statement: string;
  count: number;
  /** Summed duration of the repeats. */
  totalMs: number;
  /** Wall time the repeats cover (their union): less than totalMs when they ran in parallel. */
  wallMs: number;
  /** wallMs over the duration of the request they belong to, 0..1. */
  shareOfTrace: number;
  /** Some repeats overlapped in time. */
  parallel: boolean;
  maxConcurrency: number;
  spanIds: string[];
  recommendation: string;
};

export type TNPlusOneSkipped = {
  traceId: string;
  service: string;
  route: string | null;
  fingerprint: string;
  statement: string;
  count: number;
  totalMs: number;
  reason: "negligible" | "batch";
};

export type TNPlusOneResult = { findings: TNPlusOneFinding[]; skipped: TNPlusOneSkipped[] };

const fingerprints = new LRUCache<string, TFingerprint>({ max: 20_000 });

function fingerprintOf(statement: string): TFingerprint {
  let fp = fingerprints.get(statement);
  if (!fp) {
    fp = fingerprint(statement);
    fingerprints.set(statement, fp);
  }
  return fp;
}

const CONSTANT = String.raw`(?:\$\d+|\?|:\w+|'(?:[^']|'')*'|-?\d+(?:\.\d+)?|NULL|TRUE|FALSE)(?:\s*::\s*[\w\s]+)?`;
const BATCH_PATTERNS: readonly RegExp[] = [
  /\bIN\s*\(\s*\.\.\.\s*\)/i, // the agent's collapsed IN list (any length)
  /\[\s*\.\.\.\s*\]/, // a collapsed ARRAY[...]
  /\)\s*,\s*\.\.\./, // the agent's collapsed multi-row VALUES
  new RegExp(String.raw`\bIN\s*\(\s*${CONSTANT}(?:\s*,\s*${CONSTANT})+\s*\)`, "i"), // IN of 2+ constants
  /\b(?:ANY|ALL)\s*\(/i, // = ANY($1): an array parameter
  /\bunnest\s*\(/i,
  /\bVALUES\s*\([^()]*\)\s*,\s*\(/i, // multi-row VALUES written out
];

/** True when a statement fetches or writes a set in one go (the shape an N+1 fix produces). */
export function isBatchStatement(statement: string): boolean {
  return BATCH_PATTERNS.some((re) => re.test(statement));
}

// Transaction and session statements repeat around every unit of work; the statements inside are
// the ones worth batching, and they are grouped on their own.
const CONTROL = /^\s*(?:BEGIN|START|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|SET|RESET|SHOW|DISCARD|DEALLOCATE)\b/i;

type TRepeat = { span: TTraceSpan; start: number; end: number };

/** Finds the N+1 patterns of one trace. Spans of other traces in the input are ignored. */
export function detectNPlusOne(spans: readonly TTraceSpan[], options: TNPlusOneOptions = {}): TNPlusOneResult {
  const opts = { ...N_PLUS_ONE_DEFAULTS, ...options };
  const first = spans[0];
  const result: TNPlusOneResult = { findings: [], skipped: [] };
  if (!first) return result;
  const index = indexTrace(spans.filter((s) => s.traceId === first.traceId));

  const groups = new Map<string, { scope: TTraceSpan; fp: TFingerprint; repeats: TRepeat[] }>();
  for (const span of index.byId.values()) {
    if (classifySpan(span) !== "sql") continue;
    const statement = statementOf(span);
    if (!statement || CONTROL.test(statement)) continue;
    const fp = fingerprintOf(statement);
    const scope = index.scopeOf(span);
    const key = `${scope.spanId}\u001f${fp.id}`;
    let g = groups.get(key);
    if (!g) {
      g = { scope, fp, repeats: [] };
      groups.set(key, g);
    }
    const start = span.startNs;
    g.repeats.push({ span, start, end: start + Math.max(0, span.durationNs) });
  }

  for (const { scope, fp, repeats } of groups.values()) {
    if (repeats.length < opts.minRepeats) continue;
    repeats.sort((a, b) => a.start - b.start || (a.span.spanId < b.span.spanId ? -1 : 1));
    const firstRepeat = repeats[0] as TRepeat;
    const statement = statementOf(firstRepeat.span) as string;
    const totalNs = repeats.reduce((sum, r) => sum + (r.end - r.start), 0);
    const route = scope.kind === "server" ? routeOf(scope) : null;
    const base = {
      traceId: first.traceId,
      service: firstRepeat.span.service,
      route,
      fingerprint: fp.id,
      statement,
      count: repeats.length,
      totalMs: nsToMs(totalNs),
    };
    const loopInDisguise = repeats.every((r) => (rowsOf(r.span) ?? 2) <= 1);
    if (isBatchStatement(statement) && !loopInDisguise) {
      result.skipped.push({ ...base, reason: "batch" });
      continue;
    }
    if (totalNs < opts.minTotalMs * NS_PER_MS) {
      result.skipped.push({ ...base, reason: "negligible" });
      continue;
    }
    const wallNs = unionNs(repeats);
    const maxConcurrency = concurrency(repeats);
    const scopeNs = Math.max(0, scope.durationNs);
    const finding: TNPlusOneFinding = {
      ...base,
      scopeSpanId: scope.spanId,
      fingerprintText: fp.text,
      wallMs: nsToMs(wallNs),
      shareOfTrace: scopeNs > 0 ? Math.round(Math.min(1, wallNs / scopeNs) * 1000) / 1000 : 0,
      parallel: maxConcurrency > 1,
      maxConcurrency,
      spanIds: repeats.slice(0, opts.maxSpanIds).map((r) => r.span.spanId),
      recommendation: "",
    };
    finding.recommendation = recommend(finding);
    result.findings.push(finding);
  }
  result.findings.sort((a, b) => b.totalMs - a.totalMs || b.count - a.count);
  result.skipped.sort((a, b) => b.count - a.count);
  return result;
}

function rowsOf(span: TTraceSpan): number | undefined {
  const v = span.attributes["db.response.returned_rows"];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function unionNs(repeats: readonly TRepeat[]): number {
  // Repeats are sorted by start.
  let total = 0;
  let curStart = Number.NEGATIVE_INFINITY;
  let curEnd = Number.NEGATIVE_INFINITY;
  for (const r of repeats) {
    if (r.start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = r.start;
      curEnd = r.end;
    } else if (r.end > curEnd) curEnd = r.end;
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

/** The most repeats in flight at once; one ending as another starts does not overlap. */
function concurrency(repeats: readonly TRepeat[]): number {
  const events: [number, number][] = [];
  for (const r of repeats) {
    if (r.end <= r.start) continue;
    events.push([r.start, 1], [r.end, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = repeats.length > 0 ? 1 : 0;
  for (const [, d] of events) {
    now += d;
    if (now > max) max = now;
  }
  return max;
}

const MAX_SHOWN = 120;

/** A statement short enough for a sentence: a plain select list becomes "…". */
export function shortStatement(statement: string): string {
  let s = statement.replace(/\s+/g, " ").trim();
  s = s.replace(/^SELECT\s+(?:DISTINCT\s+)?[^()]*?\s+FROM\s/i, "SELECT … FROM ");
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 1)}…` : s;
}

function recommend(f: TNPlusOneFinding): string {
  const n = f.count;
  const op = (/^\s*(\w+)/.exec(f.statement)?.[1] ?? "").toUpperCase();
  let fix: string;
  if (op === "INSERT") {
    fix = `batch the ${n} inserts into one multi-row INSERT (VALUES (…), (…) or SELECT … FROM unnest($1))`;
  } else if (op === "UPDATE") {
    fix = `batch the ${n} updates into one UPDATE … WHERE id = ANY($1) (or UPDATE … FROM unnest(…) for per-row values)`;
  } else if (op === "DELETE") {
    fix = `batch the ${n} deletes into one DELETE … WHERE id = ANY($1)`;
  } else {
    fix = `batch the ${n} lookups into one query with WHERE id = ANY($1) or a JOIN`;
  }
  const shown = `${n} × \`${shortStatement(f.statement)}\``;
  let text = f.route !== null ? `${fix}; this route issues ${shown} per request` : `${fix}; this trace issues ${shown}`;
  if (f.parallel) {
    text += `; they run concurrently (up to ${f.maxConcurrency} at once), so each also holds a pool connection`;
  }
  return text;
}
