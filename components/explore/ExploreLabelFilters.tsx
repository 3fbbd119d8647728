"use client";

// Label filters as removable chips, and a row to add one with suggestions from the metric's own values.
import { type FormEvent, useId, useState } from "react";
import { useLabelValuesQuery } from "../hooks/queries/useLabelValuesQuery";
import { MATCH_OPS, type TMatcher, type TMatchOp } from "./builder";

type Props = {
  /** The series name the filters apply to (a histogram's `_bucket`), for value suggestions. */
  seriesName: string;
  labelNames: string[];
  matchers: TMatcher[];
  onChange: (matchers: TMatcher[]) => void;
};

export function ExploreLabelFilters({ seriesName, labelNames, matchers, onChange }: Props) {
  const [label, setLabel] = useState("");
  const [op, setOp] = useState<TMatchOp>("=");
  const [value, setValue] = useState("");
  const ids = useId();
  const values = useLabelValuesQuery(label, seriesName);

  const add = (e: FormEvent) => {
    e.preventDefault();
    if (!label) return;
    onChange([...matchers, { label, op, value }]);
    setValue("");
  };

  return (
    <div className="builder-filters">
      <span className="builder-caption">Filters</span>
      <ul className="filter-chips" aria-label="Label filters">
        {matchers.map((m, i) => (
          <li key={`${m.label}${m.op}${m.value}`} className="filter-chip">
            <code>
              {m.label}
              {m.op}"{m.value}"
            </code>
            <button
              type="button"
              aria-label={`Remove filter ${m.label}${m.op}"${m.value}"`}
              onClick={() => onChange(matchers.filter((_, j) => j !== i))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <form className="filter-add" onSubmit={add} aria-label="Add a label filter">
        <select aria-label="Filter label" value={label} onChange={(e) => setLabel(e.target.value)}>
          <option value="">label…</option>
          {labelNames
            .filter((l) => l !== "__name__" && l !== "le")
            .map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
        </select>
        <select aria-label="Filter operator" value={op} onChange={(e) => setOp(e.target.value as TMatchOp)}>
          {MATCH_OPS.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
        <input
          aria-label="Filter value"
          list={`${ids}-values`}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder={op.includes("~") ? "regex" : "value"}
          disabled={!label}
          spellCheck={false}
          autoComplete="off"
        />
        <datalist id={`${ids}-values`}>
          {(values.data ?? []).slice(0, 500).map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
        <button type="submit" className="agents-button" disabled={!label}>
          Add filter
        </button>
      </form>
    </div>
  );
}
