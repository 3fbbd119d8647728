import type { TTraceViewResponse } from "../../lib/contracts/drilldown";
import { formatMs } from "./drilldown-format";

/** Spans in tree order, indented by depth, each bar placed on the trace's time axis. */
export function TraceWaterfall({
  trace,
  selectedId,
  onSelect,
}: {
  trace: TTraceViewResponse;
  selectedId: string | null;
  onSelect: (spanId: string) => void;
}) {
  const total = Math.max(trace.durationMs, 0.001);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <div className="dd-waterfall">
      <div className="dd-wf-axis" aria-hidden="true">
        <span />
        <div className="dd-wf-ticks">
          {ticks.map((f) => (
            <span key={f} style={{ left: `${f * 100}%` }}>
              {formatMs(f * total)}
            </span>
          ))}
        </div>
      </div>
      <ol className="dd-wf-list" aria-label="Spans">
        {trace.spans.map((s) => {
          const left = (s.offsetMs / total) * 100;
          const width = Math.max(0.3, (s.durationMs / total) * 100);
          return (
            <li key={s.spanId}>
              <button
                type="button"
                className={`dd-wf-row${selectedId === s.spanId ? " selected" : ""}${s.status === "error" ? " error" : ""}`}
                aria-pressed={selectedId === s.spanId}
                data-category={s.category}
                onClick={() => onSelect(s.spanId)}
              >
                <span className="dd-wf-name" style={{ paddingLeft: `${Math.min(s.depth, 20) * 14}px` }}>
                  <span className={`dd-kind dd-cat-${s.category}`} aria-hidden="true" />
                  <span className="dd-wf-label">{s.name}</span>
                  <span className="muted dd-small"> {s.service}</span>
                </span>
                <span className="dd-wf-track">
                  <span
                    className={`dd-wf-bar dd-cat-${s.category}`}
                    style={{
                      left: `${Math.min(left, 99.7)}%`,
                      width: `${Math.min(width, 100 - Math.min(left, 99.7))}%`,
                    }}
                  />
                  <span
                    className="dd-wf-dur"
                    style={left + width > 80 ? { right: `${100 - left + 0.5}%` } : { left: `${left + width + 0.5}%` }}
                  >
                    {formatMs(s.durationMs)}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
