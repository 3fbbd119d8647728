import Link from "next/link";
import type { TPlanNode, TQueryPlan } from "../../lib/contracts/drilldown";
import { CopyBox } from "../traces/DrilldownCommon";
import { formatMs, formatNumber, formatTime, traceHref } from "../traces/drilldown-format";

function NodeLine({ node, analyzed }: { node: TPlanNode; analyzed: boolean }) {
  const target = node.relation
    ? ` on ${node.relation}${node.alias && node.alias !== node.relation ? ` ${node.alias}` : ""}`
    : "";
  return (
    <li
      className={`dd-plan-node${node.costliest ? " costliest" : ""}`}
      style={{ marginLeft: `${Math.min(node.depth, 30) * 18}px` }}
      aria-current={node.costliest ? "true" : undefined}
      data-testid={node.costliest ? "plan-costliest" : undefined}
    >
      <div className="dd-plan-head">
        <strong>{node.nodeType}</strong>
        {target}
        {node.indexName && (
          <>
            {" "}
            using <code>{node.indexName}</code>
          </>
        )}
        {node.costliest && <span className="dd-badge critical">costliest</span>}
        {node.suggestion && <span className="dd-badge warning">index candidate</span>}
      </div>
      <div className="dd-plan-meta muted">
        {analyzed
          ? `self ${formatMs(node.selfCost)} · actual ${formatMs(node.actualTotalMs)} · rows ${formatNumber(node.actualRows)}`
          : `self cost ${formatNumber(node.selfCost, 1)} · total cost ${formatNumber(node.totalCost, 1)} · est. rows ${formatNumber(node.planRows)}`}
        {node.rowsRemovedByFilter !== null && ` · removed by filter ${formatNumber(node.rowsRemovedByFilter)}`}
        <span className="dd-plan-share" style={{ width: `${Math.round(node.costShare * 100)}%` }} aria-hidden="true" />
        <span> · {(node.costShare * 100).toFixed(1)} % of the plan</span>
      </div>
      {Object.entries(node.details).map(([k, v]) => (
        <div key={k} className="dd-plan-detail">
          <span className="muted">{k}:</span> <code>{v}</code>
        </div>
      ))}
    </li>
  );
}

/** The latest EXPLAIN plan a span carried, as an indented tree, and the candidate indexes it suggests. */
export function QueryPlanTree({ plan }: { plan: TQueryPlan | null }) {
  return (
    <section className="panel dd-section" aria-labelledby="query-plan">
      <h2 id="query-plan">Plan</h2>
      {!plan ? (
        <p className="muted">
          No plan captured in this range. The agent attaches <code>EXPLAIN (FORMAT JSON)</code> output to slow
          statements when <code>explainSlowQueriesMs</code> is set.
        </p>
      ) : (
        <>
          <p className="muted dd-small">
            {plan.analyzed ? "EXPLAIN ANALYZE" : "EXPLAIN"} captured {formatTime(plan.capturedAtMs)} in trace{" "}
            <Link href={traceHref(plan.traceId, plan.spanId)} className="dd-mono">
              {plan.traceId.slice(0, 12)}…
            </Link>
            {plan.totalCost !== null && ` · total cost ${formatNumber(plan.totalCost, 1)}`}
          </p>
          {plan.suggestions.length > 0 && (
            <section className="dd-suggestions" aria-label="Candidate indexes">
              {plan.suggestions.map((s) => (
                <div key={s.nodeId} className="dd-suggestion">
                  <h3>Candidate index</h3>
                  <p>{s.reason}</p>
                  <CopyBox text={s.sql} label="Candidate index" />
                  <p className="muted dd-small">
                    Check it against the table's other queries and write load first; on a busy table, build it with{" "}
                    <code>CREATE INDEX CONCURRENTLY</code>.
                  </p>
                </div>
              ))}
            </section>
          )}
          <ol className="dd-plan" aria-label="Plan tree">
            {plan.nodes.map((n) => (
              <NodeLine key={n.id} node={n} analyzed={plan.analyzed} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
