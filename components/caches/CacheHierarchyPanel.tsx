import { Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { TCacheHierarchy, TRangeOut } from "../../lib/contracts/drilldown";
import { Stat } from "../traces/DrilldownCommon";
import { formatClock, formatPct, formatRate, formatTime } from "../traces/drilldown-format";

/** The levels of one cache in lookup order and how many lookups fall through all of them. */
export function CacheHierarchyPanel({ hierarchy: h, range }: { hierarchy: TCacheHierarchy; range: TRangeOut }) {
  const span = range.end - range.start;
  return (
    <div className="panel dd-section">
      <h2>
        {h.cache} <span className="muted dd-small">{[...h.levels, "database"].join(" → ")}</span>
      </h2>
      <div className="dd-row">
        <dl className="dd-stats">
          <Stat
            label="Effective hit ratio"
            value={<span data-testid={`effective-${h.cache}`}>{formatPct(h.effectiveHitRatio)}</span>}
            hint="Share of first-level lookups that did not reach the database"
          />
          <Stat label="Lookups" value={formatRate(h.getsPerSec)} />
          <Stat label="Reach the database" value={formatRate(h.dbReadsPerSec)} />
        </dl>
        <div className="dd-chart dd-chart-small" role="img" aria-label={`Effective hit ratio of ${h.cache} over time`}>
          <ResponsiveContainer width="100%" height={90}>
            <LineChart data={h.series} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
              <XAxis
                dataKey="t"
                type="number"
                domain={[range.start, range.end]}
                tickFormatter={(v: number) => formatClock(v, span)}
                stroke="var(--muted)"
                fontSize={10}
              />
              <YAxis
                domain={[0, 1]}
                tickFormatter={(v: number) => `${Math.round(v * 100)}%`}
                width={40}
                fontSize={10}
              />
              <Tooltip
                labelFormatter={(v) => (typeof v === "number" ? formatTime(v) : String(v))}
                formatter={(v) => formatPct(Number(v))}
              />
              <Line
                name="effective hit ratio"
                dataKey="effectiveHitRatio"
                stroke="var(--ok)"
                dot={false}
                connectNulls
                isAnimationActive={false}
              />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </div>
    </div>
  );
}
