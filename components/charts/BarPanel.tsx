"use client";

// Each series' latest value as a horizontal bar: the "which route, which cache" comparison.
import { memo, useMemo } from "react";
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatValue, type TUnit } from "../common/units";
import { summarize, type TChartData } from "./series";

const MAX_BARS = 30;

export const BarPanel = memo(function BarPanel({ data, unit }: { data: TChartData; unit: TUnit }) {
  const bars = useMemo(
    () =>
      summarize(data)
        .filter((s) => s.last !== null)
        .sort((a, b) => (b.last as number) - (a.last as number))
        .slice(0, MAX_BARS)
        .map((s) => ({ name: s.series.name, value: s.last as number, color: s.series.color })),
    [data],
  );
  if (bars.length === 0) return <p className="muted chart-empty">No data in this range.</p>;
  const fmt = (v: number) => formatValue(v, unit);
  return (
    <div className="chart fill" data-testid="bar-panel">
      <div className="chart-area">
        <div className="chart-area-inner">
          <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 600, height: 200 }}>
            <BarChart data={bars} layout="vertical" margin={{ top: 4, right: 16, bottom: 0, left: 0 }}>
              <CartesianGrid className="chart-grid" horizontal={false} strokeDasharray="3 3" />
              <XAxis type="number" tickFormatter={fmt} className="chart-axis" />
              <YAxis type="category" dataKey="name" width={140} className="chart-axis" tick={{ fontSize: 11 }} />
              <Tooltip
                isAnimationActive={false}
                cursor={{ fillOpacity: 0.1 }}
                formatter={(v) => fmt(Number(v))}
                contentStyle={{ background: "var(--panel)", border: "1px solid var(--border)", borderRadius: 6 }}
                labelStyle={{ color: "var(--text)" }}
              />
              <Bar dataKey="value" name="last" isAnimationActive={false}>
                {bars.map((b) => (
                  <Cell key={b.name} fill={b.color} />
                ))}
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        </div>
      </div>
    </div>
  );
});
