import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { TCacheLevel, TRangeOut } from "../../lib/contracts/drilldown";
import { Stat } from "../traces/DrilldownCommon";
import { formatClock, formatMs, formatNumber, formatPct, formatRate, formatTime } from "../traces/drilldown-format";
import { DetectionBadge } from "./CacheDetections";

export function CacheLevelCard({ level: c, range }: { level: TCacheLevel; range: TRangeOut }) {
  const span = range.end - range.start;
  const tick = (v: number) => formatClock(v, span);
  const label = (v: unknown) => (typeof v === "number" ? formatTime(v) : String(v));
  const name = `${c.cache} ${c.level || "(no level)"}`;
  return (
    <article className="panel dd-section dd-cache-level" aria-label={`Cache ${name}`}>
      <h3>
        {c.level || "(no level)"}
        {c.services.length > 0 && <span className="muted dd-small"> · {c.services.join(", ")}</span>}{" "}
        {c.detections.map((d) => (
          <DetectionBadge key={d.kind} d={d} />
        ))}
      </h3>
      <dl className="dd-stats">
        <Stat label="Hit ratio" value={formatPct(c.hitRatio)} />
        <Stat
          label="Last 5 min"
          value={formatPct(c.recentHitRatio)}
          hint={`Baseline (median before): ${formatPct(c.baselineHitRatio)}`}
        />
        <Stat label="Hits" value={formatRate(c.hitsPerSec)} />
        <Stat label="Misses" value={formatRate(c.missesPerSec)} />
        <Stat label="Evictions" value={formatRate(c.evictionsPerSec)} />
        {c.setsPerSec !== null && <Stat label="Sets" value={formatRate(c.setsPerSec)} />}
        <Stat label="Get p95" value={formatMs(c.p95Ms)} />
        <Stat label="Entries" value={formatNumber(c.entries)} />
      </dl>
      <div className="dd-chart" role="img" aria-label={`Hit ratio of ${name} over time`}>
        <ResponsiveContainer width="100%" height={160}>
          <LineChart data={c.series} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
            <XAxis
              dataKey="t"
              type="number"
              domain={[range.start, range.end]}
              tickFormatter={tick}
              stroke="var(--muted)"
              fontSize={10}
            />
            <YAxis domain={[0, 1]} tickFormatter={(v: number) => `${Math.round(v * 100)}%`} width={40} fontSize={10} />
            <Tooltip labelFormatter={label} formatter={(v) => formatPct(Number(v))} />
            {c.baselineHitRatio !== null && (
              <ReferenceLine
                y={c.baselineHitRatio}
                stroke="var(--muted)"
                strokeDasharray="4 4"
                label={{ value: "baseline", fill: "var(--muted)", fontSize: 10, position: "insideTopLeft" }}
              />
            )}
            <Line
              name="hit ratio"
              dataKey="hitRatio"
              stroke="var(--ok)"
              dot={false}
              connectNulls
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <div className="dd-chart" role="img" aria-label={`Hits, misses and evictions per second of ${name}`}>
        <ResponsiveContainer width="100%" height={140}>
          <LineChart data={c.series} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
            <XAxis
              dataKey="t"
              type="number"
              domain={[range.start, range.end]}
              tickFormatter={tick}
              stroke="var(--muted)"
              fontSize={10}
            />
            <YAxis tickFormatter={(v: number) => formatRate(v)} width={56} fontSize={10} />
            <Tooltip labelFormatter={label} formatter={(v) => formatRate(Number(v))} />
            <Legend />
            <Line name="hits/s" dataKey="hitsPerSec" stroke="var(--ok)" dot={false} isAnimationActive={false} />
            <Line name="misses/s" dataKey="missesPerSec" stroke="var(--bad)" dot={false} isAnimationActive={false} />
            <Line
              name="evictions/s"
              dataKey="evictionsPerSec"
              stroke="var(--warn)"
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </article>
  );
}
