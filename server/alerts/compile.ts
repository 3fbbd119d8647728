// What the evaluator needs to know about a rule before running it: its parsed query (parsed once, not
// per evaluation), the series selectors it reads (to index rules by metric name and to decide which
// series the window store keeps), and how far back its evaluation reads, which decides whether the
// in-memory windows can serve it or the store must.
import type { TExpr } from "../query/promql/ast";
import { DEFAULT_LOOKBACK_MS } from "../query/promql/eval";
import { parse } from "../query/promql/parse";
import { labelsMatch } from "../query/promql/source";
import type { TMatcher } from "../query/selector";
import type { TStoredAlertRule } from "./rules";

/** Longest span the window store keeps for a series; rules reading further back run on the store. */
export const MAX_WINDOW_MS = 60 * 60_000;
/** Slack on top of a rule's span: the engine's windows are inclusive at both ends, and clocks drift. */
const SPAN_SLACK_MS = 60_000;

export type TCompiledRule = {
  rule: TStoredAlertRule;
  /** Parsed query; undefined for absence rules. */
  expr: TExpr | undefined;
  /** Matchers of every selector the query reads. */
  selectors: TMatcher[][];
  /** Metric names the query reads; null when a selector has no exact name (matched on labels only). */
  names: Set<string> | null;
  /** How far back from "now" one evaluation reads, slack included. */
  spanMs: number;
  /** "window": evaluated from the in-memory windows as data commits; "store": too long for them. */
  mode: "window" | "store" | "absence";
  /**
   * Matchers (by identity, as the engine passes them to the source) of instant-vector selectors: the
   * engine uses only the latest sample of their lookback window, so the windows hand over just that.
   * Left out when a range selector of the query has the same matchers (the engine may share a fetch).
   */
  lastOnly: Set<TMatcher[]>;
};

type TSel = { matchers: TMatcher[]; backMs: number; range: boolean };

function collectSelectors(expr: TExpr): TSel[] {
  const out: TSel[] = [];
  const walk = (e: TExpr): void => {
    switch (e.kind) {
      case "vector":
        out.push({ matchers: e.matchers, backMs: DEFAULT_LOOKBACK_MS + e.offsetMs, range: false });
        return;
      case "matrix":
        out.push({ matchers: e.selector.matchers, backMs: e.rangeMs + e.selector.offsetMs, range: true });
        return;
      case "paren":
      case "unary":
        walk(e.expr);
        return;
      case "call":
        for (const a of e.args) walk(a);
        return;
      case "aggregate":
        if (e.param) walk(e.param);
        walk(e.expr);
        return;
      case "binary":
        walk(e.lhs);
        walk(e.rhs);
        return;
      default:
        return;
    }
  };
  walk(expr);
  return out;
}

/** The exact metric name a selector asks for, if it has one. */
export function exactName(matchers: TMatcher[]): string | undefined {
  return matchers.find((m) => m.name === "__name__" && m.op === "=")?.value;
}

export function compileRule(rule: TStoredAlertRule): TCompiledRule | { error: string } {
  if (rule.kind === "absence")
    return { rule, expr: undefined, selectors: [], names: new Set(), spanMs: 0, mode: "absence", lastOnly: new Set() };
  const parsed = parse(rule.query);
  if (!parsed.ok) return { error: `query is not valid PromQL: ${parsed.error.message}` };
  const sels = collectSelectors(parsed.expr);
  let names: Set<string> | null = new Set();
  for (const s of sels) {
    const n = exactName(s.matchers);
    if (n === undefined) names = null;
    else names?.add(n);
  }
  const back = Math.max(0, ...sels.map((s) => s.backMs));
  const text = (ms: TMatcher[]) => ms.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(",");
  const ranged = new Set(sels.filter((s) => s.range).map((s) => text(s.matchers)));
  const lastOnly = new Set(sels.filter((s) => !s.range && !ranged.has(text(s.matchers))).map((s) => s.matchers));
  const spanMs = back + (rule.kind === "rate_of_change" ? rule.windowSeconds * 1000 : 0) + SPAN_SLACK_MS;
  return {
    rule,
    expr: parsed.expr,
    selectors: sels.map((s) => s.matchers),
    names,
    spanMs,
    mode: spanMs > MAX_WINDOW_MS ? "store" : "window",
    lastOnly,
  };
}

/** Whether any selector of the rule matches a series (labels include __name__). */
export function ruleSelects(c: TCompiledRule, labelsWithName: Record<string, string>): boolean {
  return c.selectors.some((m) => labelsMatch(m, labelsWithName));
}
