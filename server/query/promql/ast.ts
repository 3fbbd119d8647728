// The PromQL syntax tree Hotpath's parser produces and its evaluator walks. Shapes follow
// Prometheus's promql/parser/ast.go closely so that its semantics carry over one to one.
import type { TMatcher } from "../selector";

export type TValueType = "scalar" | "vector" | "matrix" | "string";

/** The names Prometheus uses in its error messages ("expected type range vector ..."). */
export const DOCUMENTED_TYPE: Record<TValueType, string> = {
  scalar: "scalar",
  vector: "instant vector",
  matrix: "range vector",
  string: "string",
};

/** Offsets into the query text, `end` exclusive. */
export type TPosRange = { start: number; end: number };

export type TVectorSelector = {
  kind: "vector";
  /** The metric name when written before the braces. */
  name: string | undefined;
  /** Every matcher, including `__name__="<name>"` for a written name. */
  matchers: TMatcher[];
  offsetMs: number;
  /** Whether an `offset` was written (Prometheus refuses a second one). */
  hasOffset: boolean;
  pos: TPosRange;
};

export type TMatrixSelector = { kind: "matrix"; selector: TVectorSelector; rangeMs: number; pos: TPosRange };
export type TNumberLiteral = { kind: "number"; value: number; pos: TPosRange };
export type TStringLiteral = { kind: "string"; value: string; pos: TPosRange };
export type TParenExpr = { kind: "paren"; expr: TExpr; pos: TPosRange };
export type TUnaryExpr = { kind: "unary"; op: "-" | "+"; expr: TExpr; pos: TPosRange };
export type TCall = { kind: "call"; func: string; args: TExpr[]; pos: TPosRange };

export const AGGREGATORS = [
  "sum",
  "avg",
  "count",
  "min",
  "max",
  "group",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "count_values",
  "quantile",
] as const;
export type TAggregateOp = (typeof AGGREGATORS)[number];

export type TAggregateExpr = {
  kind: "aggregate";
  op: TAggregateOp;
  expr: TExpr;
  param: TExpr | undefined;
  grouping: string[];
  without: boolean;
  pos: TPosRange;
};

export type TArithmeticOp = "+" | "-" | "*" | "/" | "%" | "^" | "atan2";
export type TComparisonOp = "==" | "!=" | ">" | "<" | ">=" | "<=";
export type TSetOp = "and" | "or" | "unless";
export type TBinaryOp = TArithmeticOp | TComparisonOp | TSetOp;

export type TCardinality = "one-to-one" | "many-to-one" | "one-to-many" | "many-to-many";

export type TVectorMatching = {
  card: TCardinality;
  /** `on(...)` when true, `ignoring(...)` (or nothing) when false. */
  on: boolean;
  labels: string[];
  /** The extra labels of `group_left(...)` / `group_right(...)`. */
  include: string[];
};

export type TBinaryExpr = {
  kind: "binary";
  op: TBinaryOp;
  lhs: TExpr;
  rhs: TExpr;
  returnBool: boolean;
  /** Only for vector-vector operations. */
  matching: TVectorMatching | undefined;
  /** Offset of the operator, for error messages. */
  opPos: number;
  pos: TPosRange;
};

export type TExpr =
  | TVectorSelector
  | TMatrixSelector
  | TNumberLiteral
  | TStringLiteral
  | TParenExpr
  | TUnaryExpr
  | TCall
  | TAggregateExpr
  | TBinaryExpr;

export function isComparison(op: TBinaryOp): op is TComparisonOp {
  return op === "==" || op === "!=" || op === ">" || op === "<" || op === ">=" || op === "<=";
}

export function isSetOp(op: TBinaryOp): op is TSetOp {
  return op === "and" || op === "or" || op === "unless";
}

export function unwrapParens(e: TExpr): TExpr {
  let x = e;
  while (x.kind === "paren") x = x.expr;
  return x;
}
