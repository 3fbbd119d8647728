"use client";

// A big current value with a sparkline of the range behind it, one tile per series (up to four).
import { memo, useMemo } from "react";
import { Area, AreaChart, ResponsiveContainer, YAxis } from "recharts";
import { formatValue, type TUnit } from "../common/units";
import { summarize, type TChartData } from "./series";

const MAX_TILES = 4;

function level(v: number | null, thresholds: number[] | undefined): "" | "warn" | "bad" {
  if (v === null || !thresholds?.length) return "";
  const sorted = [...thresholds].sort((a, b) => a - b);
  if (sorted.length > 1 && v >= (sorted.at(-1) as number)) return "bad";
  return v >= (sorted[0] as number) ? (sorted.length > 1 ? "warn" : "bad") : "";
}

export const StatPanel = memo(function StatPanel({
  data,
  unit,
  thresholds,
}: {
  data: TChartData;
  unit: TUnit;
  thresholds?: number[];
}) {
  const stats = useMemo(() => summarize(data).slice(0, MAX_TILES), [data]);
  if (stats.length === 0) return <p className="muted chart-empty">No data in this range.</p>;
  return (
    <div className="stat-panel" data-testid="stat-panel">
      {stats.map(({ series, last }) => (
        <div key={series.key} className="stat-tile">
          <div className={`stat-value ${level(last, thresholds)}`}>{formatValue(last, unit)}</div>
          {stats.length > 1 && <div className="stat-name">{series.name}</div>}
          <div className="stat-spark" aria-hidden="true">
            <div className="chart-area-inner">
              <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 200, height: 40 }}>
                <AreaChart data={data.rows} margin={{ top: 2, right: 0, bottom: 0, left: 0 }}>
                  <YAxis hide domain={["dataMin", "dataMax"]} />
                  <Area
                    dataKey={series.key}
                    stroke={series.color}
                    fill={series.color}
                    fillOpacity={0.2}
                    dot={false}
                    isAnimationActive={false}
                    type="linear"
                  />
                </AreaChart>
              </ResponsiveContainer>
            </div>
          </div>
        </div>
      ))}
    </div>
  );
});
