"use client";

// Function (by metric type), aggregation and grouping for the builder.
import {
  AGGREGATIONS,
  functionsFor,
  RATE_WINDOWS,
  type TAggregation,
  type TBuilder,
  type TFunction,
  type TMetricInfo,
} from "./builder";

const FUNCTION_LABELS: Record<TFunction, string> = {
  none: "raw values",
  rate: "rate() per second",
  increase: "increase() over window",
  histogram_quantile: "histogram_quantile()",
};
const QUANTILES = [0.5, 0.9, 0.95, 0.99, 0.999];

type Props = {
  builder: TBuilder;
  info: TMetricInfo | undefined;
  labelNames: string[];
  onChange: (b: TBuilder) => void;
};

export function ExploreAggregation({ builder: b, info, labelNames, onChange }: Props) {
  const fns = functionsFor(info, b.metric);
  if (!fns.includes(b.fn)) fns.push(b.fn);
  const hq = b.fn === "histogram_quantile";
  const grouping = hq || b.agg !== "none";
  const groupable = labelNames.filter((l) => l !== "__name__" && l !== "le");
  // A label picked earlier stays listed even when the current label list lacks it.
  for (const l of b.by) if (!groupable.includes(l)) groupable.push(l);

  const toggleBy = (label: string, on: boolean) =>
    onChange({ ...b, by: on ? [...b.by, label] : b.by.filter((l) => l !== label) });

  return (
    <div className="builder-agg">
      <label className="builder-field">
        <span>Function</span>
        <select value={b.fn} onChange={(e) => onChange({ ...b, fn: e.target.value as TFunction })}>
          {fns.map((f) => (
            <option key={f} value={f}>
              {FUNCTION_LABELS[f]}
            </option>
          ))}
        </select>
      </label>
      {b.fn !== "none" && (
        <label className="builder-field">
          <span>Window</span>
          <select value={b.window} onChange={(e) => onChange({ ...b, window: e.target.value })}>
            {[...new Set([...RATE_WINDOWS, b.window])].map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
      )}
      {hq && (
        <label className="builder-field">
          <span>Quantile</span>
          <select value={b.quantile} onChange={(e) => onChange({ ...b, quantile: Number(e.target.value) })}>
            {[...new Set([...QUANTILES, b.quantile])].map((q) => (
              <option key={q} value={q}>
                p{Math.round(q * 1000) / 10}
              </option>
            ))}
          </select>
        </label>
      )}
      {!hq && (
        <label className="builder-field">
          <span>Aggregation</span>
          <select
            value={b.agg}
            onChange={(e) =>
              onChange({ ...b, agg: e.target.value as TAggregation, by: e.target.value === "none" ? [] : b.by })
            }
          >
            {AGGREGATIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
      )}
      {grouping && (
        <fieldset className="builder-by">
          <legend>{hq ? "Quantile per" : "Group by"}</legend>
          {groupable.length === 0 && <span className="muted">no labels</span>}
          {groupable.map((l) => (
            <label key={l}>
              <input type="checkbox" checked={b.by.includes(l)} onChange={(e) => toggleBy(l, e.target.checked)} />
              {l}
            </label>
          ))}
        </fieldset>
      )}
    </div>
  );
}
