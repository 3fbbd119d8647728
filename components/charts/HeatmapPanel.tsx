"use client";

// Histogram buckets over time, drawn in plain SVG: x = time, y = bucket (`le`), colour = the rate that
// fell in that bucket. Columns are merged when there are more than the width can show.
import { memo, useMemo, useRef } from "react";
import type { TPromQueryData } from "../../lib/contracts/prom";
import { formatShort, formatValue, type TUnit } from "../common/units";
import { formatTooltipTime, timeTickFormatter, timeTicks } from "./chart-format";
import { toHeatmap } from "./series";
import { useElementSize } from "./useElementSize";

const LEFT = 64;
const BOTTOM = 20;
const MIN_COL_PX = 3;

export const HeatmapPanel = memo(function HeatmapPanel({
  data,
  unit,
  title,
  domain,
  stepMs,
}: {
  data: TPromQueryData | undefined;
  unit: TUnit;
  title: string;
  /** The query window, so the heatmap's time axis lines up with the dashboard's other panels. */
  domain?: [number, number];
  stepMs: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const { width, height } = useElementSize(ref);
  const heat = useMemo(() => toHeatmap(data), [data]);

  const plotW = Math.max(0, width - LEFT);
  const plotH = Math.max(0, height - BOTTOM);
  const x0 = domain?.[0] ?? heat.times[0] ?? 0;
  const x1 = Math.max(domain?.[1] ?? heat.times.at(-1) ?? 0, x0 + stepMs);
  const span = x1 - x0;
  const stepPx = (stepMs / span) * plotW;
  // Merge neighbouring columns (keeping each bucket's peak) until columns are at least a few px wide.
  const group = Math.max(1, Math.ceil(MIN_COL_PX / Math.max(stepPx, 0.01)));
  const cols = useMemo(() => {
    // Columns by time slot, not by index: a gap in the data stays a gap on the axis.
    const width = stepMs * group;
    const slots = new Map<number, { t: number; cells: (number | null)[] }>();
    heat.times.forEach((t, j) => {
      const k = Math.floor((t - x0) / width);
      let col = slots.get(k);
      if (!col) {
        col = { t, cells: heat.buckets.map(() => null) };
        slots.set(k, col);
      }
      const row = heat.cells[j] ?? [];
      col.cells = col.cells.map((v, b) => {
        const c = row[b];
        return c === null || c === undefined ? v : v === null ? c : Math.max(v, c);
      });
    });
    return [...slots.values()];
  }, [heat, group, stepMs, x0]);

  if (heat.buckets.length === 0) {
    return (
      <p className="muted chart-empty">
        No histogram buckets: a heatmap needs series with an <code>le</code> label, e.g.{" "}
        <code>sum by (le) (rate(x_bucket[1m]))</code>.
      </p>
    );
  }
  const colW = stepPx * group;
  const xOf = (t: number) => LEFT + ((t - x0) / span) * plotW;
  const rowH = plotH / heat.buckets.length;
  const bucketLabel = (b: number) => (b === Number.POSITIVE_INFINITY ? "+Inf" : formatValue(b, unit));
  const tick = timeTickFormatter(span);
  const ticks = timeTicks(x0, x1, Math.max(2, Math.floor(plotW / 90)));
  const labelEvery = Math.max(1, Math.ceil(heat.buckets.length / Math.max(1, Math.floor(plotH / 14))));

  return (
    <div ref={ref} className="heatmap" data-testid="heatmap-panel">
      {width > 0 && height > 0 && (
        <svg
          width={width}
          height={height}
          role="img"
          aria-label={`${title}: heatmap of ${heat.buckets.length} buckets`}
        >
          {heat.buckets.map((b, i) =>
            i % labelEvery === 0 ? (
              <text
                key={b}
                x={LEFT - 6}
                y={plotH - i * rowH - rowH / 2}
                textAnchor="end"
                dominantBaseline="middle"
                className="heatmap-label"
              >
                {bucketLabel(b)}
              </text>
            ) : null,
          )}
          {cols.map((c) =>
            c.cells.map((v, bi) =>
              v === null || v <= 0 ? null : (
                <rect
                  key={`${c.t}-${heat.buckets[bi]}`}
                  x={Math.max(LEFT, xOf(c.t) - colW / 2)}
                  y={plotH - (bi + 1) * rowH}
                  width={Math.max(1, colW - 0.5)}
                  height={Math.max(1, rowH - 0.5)}
                  fill="#f97316"
                  fillOpacity={0.12 + 0.88 * (heat.max ? v / heat.max : 0)}
                >
                  <title>
                    {`${formatTooltipTime(c.t)}\n${bi === 0 ? "≤" : `${bucketLabel(heat.buckets[bi - 1] as number)} –`} ${bucketLabel(heat.buckets[bi] as number)}: ${formatShort(v)}/s`}
                  </title>
                </rect>
              ),
            ),
          )}
          {ticks.map((t) => (
            <text key={t} x={xOf(t)} y={height - 4} textAnchor="middle" className="heatmap-label">
              {tick(t)}
            </text>
          ))}
        </svg>
      )}
    </div>
  );
});
