"use client";

// The time-series chart of Explore and dashboard panels. Memoized: it renders when its data or options
// change, not when the page around it does; live points reach it through the query cache.
import { type MouseEvent, memo, useMemo, useState } from "react";
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  type TooltipContentProps,
  XAxis,
  YAxis,
} from "recharts";
import { formatValue, type TUnit } from "../common/units";
import { formatTooltipTime, timeTickFormatter, timeTicks } from "./chart-format";
import { summarize, type TChartData, type TChartSeries } from "./series";

export type TChartStyle = "line" | "area" | "stacked";

type Props = {
  data: TChartData;
  unit: TUnit;
  style?: TChartStyle;
  thresholds?: number[];
  /** Time spans to shade (ms), such as when an alert rule would have fired. */
  bands?: { from: number; to: number }[];
  /** The x range to show (the query window), so a sparse series does not stretch across the chart. */
  domain?: [number, number];
  /** Called with a dragged selection, in ms; no selection without it. */
  onZoom?: (start: number, end: number) => void;
  /** Pixels, or "fill" to take the parent's height (dashboard panels). */
  height?: number | "fill";
  /** At most this many time ticks (narrow panels want fewer). */
  maxTicks?: number;
  legend?: boolean;
};

const TOOLTIP_MAX = 15;

export const TimeSeriesChart = memo(function TimeSeriesChart({
  data,
  unit,
  style = "line",
  thresholds,
  bands,
  domain,
  onZoom,
  height = 320,
  legend = true,
  maxTicks = 7,
}: Props) {
  const [hidden, setHidden] = useState<ReadonlySet<string>>(() => new Set());
  const [selection, setSelection] = useState<{ a: number; b?: number }>();
  const summaries = useMemo(() => (legend ? summarize(data) : []), [data, legend]);
  const x0 = domain ? domain[0] : (data.rows[0]?.t ?? 0);
  const x1 = domain ? domain[1] : (data.rows.at(-1)?.t ?? 0);
  const tick = useMemo(() => timeTickFormatter(x1 - x0), [x0, x1]);
  const ticks = useMemo(() => timeTicks(x0, x1, maxTicks), [x0, x1, maxTicks]);
  const yTick = useMemo(() => (v: number) => formatValue(v, unit), [unit]);
  // A single sample has no line to draw: show dots until there are a few.
  const dot = data.rows.length <= 3 ? { r: 3 } : false;

  const toggle = (s: TChartSeries, e: MouseEvent) => {
    setHidden((prev) => {
      // Ctrl/Cmd-click shows this series alone (again: all), as in Grafana.
      if (e.ctrlKey || e.metaKey) {
        const alone = data.series.every((o) => o.id === s.id || prev.has(o.id)) && !prev.has(s.id);
        return alone ? new Set() : new Set(data.series.filter((o) => o.id !== s.id).map((o) => o.id));
      }
      const next = new Set(prev);
      if (next.has(s.id)) next.delete(s.id);
      else next.add(s.id);
      return next;
    });
  };

  const label = (v: unknown) => (typeof v === "number" ? v : Number(v));
  const chart = (
    <ResponsiveContainer
      width="100%"
      height={height === "fill" ? "100%" : height}
      initialDimension={{ width: 600, height: 200 }}
    >
      <ComposedChart
        data={data.rows}
        margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
        onMouseDown={
          onZoom
            ? (s) => {
                if (s.activeLabel !== undefined) setSelection({ a: label(s.activeLabel) });
              }
            : undefined
        }
        onMouseMove={
          onZoom
            ? (s) => {
                if (selection && s.activeLabel !== undefined) setSelection({ a: selection.a, b: label(s.activeLabel) });
              }
            : undefined
        }
        onMouseUp={
          onZoom
            ? () => {
                if (selection?.b !== undefined && selection.b !== selection.a) {
                  onZoom(Math.min(selection.a, selection.b), Math.max(selection.a, selection.b));
                }
                setSelection(undefined);
              }
            : undefined
        }
        onMouseLeave={onZoom ? () => setSelection(undefined) : undefined}
      >
        <CartesianGrid className="chart-grid" vertical={false} strokeDasharray="3 3" />
        <XAxis
          dataKey="t"
          type="number"
          domain={domain ?? ["dataMin", "dataMax"]}
          allowDataOverflow
          ticks={ticks}
          tickFormatter={tick}
          minTickGap={24}
          className="chart-axis"
        />
        <YAxis tickFormatter={yTick} width={84} className="chart-axis" />
        <Tooltip content={(p) => <ChartTooltip {...p} unit={unit} />} isAnimationActive={false} />
        {data.series.map((s) =>
          style === "line" ? (
            <Line
              key={s.key}
              dataKey={s.key}
              name={s.name}
              stroke={s.color}
              strokeWidth={1.5}
              dot={dot}
              activeDot={{ r: 3 }}
              type="linear"
              isAnimationActive={false}
              hide={hidden.has(s.id)}
            />
          ) : (
            <Area
              key={s.key}
              dataKey={s.key}
              name={s.name}
              stroke={s.color}
              fill={s.color}
              fillOpacity={style === "stacked" ? 0.45 : 0.15}
              strokeWidth={1.5}
              dot={dot}
              type="linear"
              stackId={style === "stacked" ? "stack" : undefined}
              isAnimationActive={false}
              hide={hidden.has(s.id)}
            />
          ),
        )}
        {bands?.map((b) => (
          <ReferenceArea
            key={`${b.from}-${b.to}`}
            x1={b.from}
            x2={b.to}
            className="chart-band"
            fill="#ef4444"
            fillOpacity={0.12}
            ifOverflow="hidden"
          />
        ))}
        {thresholds?.map((t) => (
          <ReferenceLine key={t} y={t} stroke="#ef4444" strokeDasharray="6 4" ifOverflow="extendDomain" />
        ))}
        {selection?.b !== undefined && (
          <ReferenceArea
            x1={selection.a}
            x2={selection.b}
            className="chart-selection"
            fill="#f97316"
            fillOpacity={0.15}
          />
        )}
      </ComposedChart>
    </ResponsiveContainer>
  );

  return (
    <div
      className={`chart${height === "fill" ? " fill" : ""}${onZoom ? " zoomable" : ""}`}
      data-testid="timeseries-chart"
    >
      {height === "fill" ? (
        <div className="chart-area">
          <div className="chart-area-inner">{chart}</div>
        </div>
      ) : (
        chart
      )}
      {legend && data.series.length > 0 && (
        <ul className="chart-legend" aria-label="Legend">
          {summaries.map(({ series: s, last }) => (
            <li key={s.key}>
              <button
                type="button"
                aria-pressed={!hidden.has(s.id)}
                title="Click to hide or show; Ctrl/Cmd-click to show this series alone"
                onClick={(e) => toggle(s, e)}
              >
                <span className="chart-swatch" style={{ background: s.color }} />
                <span className="chart-legend-name">{s.name}</span>
                <span className="chart-legend-value">{formatValue(last, unit)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
});

function ChartTooltip({ active, payload, label, unit }: TooltipContentProps & { unit: TUnit }) {
  if (!active || !payload?.length) return null;
  const items = payload
    .filter((p) => typeof p.value === "number")
    .sort((a, b) => (b.value as number) - (a.value as number));
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-time">{formatTooltipTime(Number(label))}</div>
      <ul>
        {items.slice(0, TOOLTIP_MAX).map((p) => (
          <li key={String(p.dataKey)}>
            <span className="chart-swatch" style={{ background: p.color ?? p.stroke }} />
            <span className="chart-tooltip-name">{p.name}</span>
            <strong>{formatValue(p.value as number, unit)}</strong>
          </li>
        ))}
      </ul>
      {items.length > TOOLTIP_MAX && <div className="muted">and {items.length - TOOLTIP_MAX} more</div>}
    </div>
  );
}
