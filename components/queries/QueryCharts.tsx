import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { TQueryDetailResponse, TRangeOut } from "../../lib/contracts/drilldown";
import { formatClock, formatMs, formatMsTick, formatTime } from "../traces/drilldown-format";

export function QueryCharts({
  series,
  bucketMs,
  range,
}: {
  series: TQueryDetailResponse["series"];
  bucketMs: number;
  range: TRangeOut;
}) {
  const span = range.end - range.start;
  const tick = (v: number) => formatClock(v, span);
  const label = (v: unknown) => (typeof v === "number" ? formatTime(v) : String(v));
  return (
    <div className="dd-grid2">
      <div className="panel dd-section">
        <h2>Latency</h2>
        <div className="dd-chart" role="img" aria-label="Mean and p95 latency over time">
          <ResponsiveContainer width="100%" height={220}>
            <LineChart data={series} margin={{ top: 8, right: 12, bottom: 4, left: 4 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
              <XAxis
                dataKey="t"
                type="number"
                domain={[range.start, range.end]}
                tickFormatter={tick}
                stroke="var(--muted)"
                fontSize={11}
              />
              <YAxis tickFormatter={formatMsTick} stroke="var(--muted)" fontSize={11} width={64} />
              <Tooltip labelFormatter={label} formatter={(v) => formatMs(Number(v))} />
              <Legend />
              <Line
                name="mean"
                dataKey="meanMs"
                stroke="var(--dd-db)"
                dot={false}
                connectNulls
                isAnimationActive={false}
              />
              <Line
                name="p95"
                dataKey="p95Ms"
                stroke="var(--accent)"
                dot={false}
                connectNulls
                isAnimationActive={false}
              />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </div>
      <div className="panel dd-section">
        <h2>Calls per {bucketMs >= 60_000 ? `${bucketMs / 60_000} min` : `${bucketMs / 1000} s`}</h2>
        <div className="dd-chart" role="img" aria-label="Calls over time">
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={series} margin={{ top: 8, right: 12, bottom: 4, left: 4 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
              <XAxis
                dataKey="t"
                type="number"
                domain={[range.start - bucketMs / 2, range.end]}
                tickFormatter={tick}
                stroke="var(--muted)"
                fontSize={11}
              />
              <YAxis allowDecimals={false} stroke="var(--muted)" fontSize={11} width={48} />
              <Tooltip labelFormatter={label} />
              <Bar name="calls" dataKey="calls" fill="var(--dd-db)" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      </div>
    </div>
  );
}
