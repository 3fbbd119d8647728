import { useRouter } from "next/navigation";
import { CartesianGrid, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from "recharts";
import type { TRangeOut, TSpanHit } from "../../lib/contracts/drilldown";
import { formatClock, formatMs, formatMsTick, formatTime, traceHref } from "./drilldown-format";

type TPoint = TSpanHit & { x: number; y: number };

function TooltipBody({ active, payload }: { active?: boolean; payload?: readonly { payload?: unknown }[] }) {
  const p = payload?.[0]?.payload as TPoint | undefined;
  if (!active || !p) return null;
  return (
    <div className="dd-tooltip">
      <strong>{p.name}</strong>
      <div>
        {p.service}
        {p.route ? ` · ${p.route}` : ""}
      </div>
      <div>
        {formatMs(p.durationMs)} at {formatTime(p.startMs)}
      </div>
      {p.status === "error" && <div className="dd-bad">error</div>}
      <div className="muted">Click to open the trace</div>
    </div>
  );
}

/** Span duration against start time; errors in red. A point opens its trace. */
export function TracesScatter({ spans, range }: { spans: TSpanHit[]; range: TRangeOut }) {
  const router = useRouter();
  const ok: TPoint[] = [];
  const failed: TPoint[] = [];
  for (const s of spans) (s.status === "error" ? failed : ok).push({ ...s, x: s.startMs, y: s.durationMs });
  const span = range.end - range.start;
  const open = (item: unknown) => {
    const p = (item as { payload?: TPoint } | undefined)?.payload;
    if (p?.traceId) router.push(traceHref(p.traceId, p.spanId));
  };
  return (
    <div className="dd-chart" data-testid="traces-scatter">
      <ResponsiveContainer width="100%" height={280}>
        <ScatterChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
          <XAxis
            type="number"
            dataKey="x"
            domain={[range.start, range.end]}
            tickFormatter={(v: number) => formatClock(v, span)}
            stroke="var(--muted)"
            fontSize={11}
          />
          <YAxis
            type="number"
            dataKey="y"
            tickFormatter={formatMsTick}
            stroke="var(--muted)"
            fontSize={11}
            width={70}
          />
          <ZAxis range={[30, 30]} />
          <Tooltip content={(props) => <TooltipBody active={props.active} payload={props.payload} />} />
          <Scatter
            name="ok"
            data={ok}
            fill="var(--dd-http)"
            onClick={open}
            cursor="pointer"
            isAnimationActive={false}
          />
          <Scatter
            name="error"
            data={failed}
            fill="var(--bad)"
            onClick={open}
            cursor="pointer"
            isAnimationActive={false}
          />
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
