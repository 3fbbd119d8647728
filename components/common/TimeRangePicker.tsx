"use client";

// Presets for "the last N", plus a custom absolute range in local time. The value is the range as written
// (time-range.ts), so a preset stays relative in the URL and keeps sliding.
import { type FormEvent, useId, useState } from "react";
import {
  absoluteRange,
  describeRange,
  fromLocalInput,
  isRelativeRange,
  RANGE_PRESETS,
  resolveRange,
  type TTimeRange,
  toLocalInput,
} from "./time-range";

export function TimeRangePicker({ value, onChange }: { value: TTimeRange; onChange: (range: TTimeRange) => void }) {
  const [custom, setCustom] = useState<{ from: string; to: string }>();
  const [error, setError] = useState<string>();
  const ids = useId();
  const isPreset = value.to === "now" && RANGE_PRESETS.some((p) => p.from === value.from);

  const openCustom = () => {
    if (custom) {
      setCustom(undefined);
      return;
    }
    const r = resolveRange(value, Date.now()) ?? { start: Date.now() - 3_600_000, end: Date.now() };
    setCustom({ from: toLocalInput(r.start), to: toLocalInput(r.end) });
    setError(undefined);
  };
  const apply = (e: FormEvent) => {
    e.preventDefault();
    if (!custom) return;
    const start = fromLocalInput(custom.from);
    const end = fromLocalInput(custom.to);
    if (start === undefined || end === undefined) return setError("enter both dates and times");
    if (end <= start) return setError("the end must be after the start");
    onChange(absoluteRange(start, end));
    setCustom(undefined);
  };

  return (
    <div className="range-picker">
      <fieldset className="range-presets">
        <legend className="agents-sr-only">Time range</legend>
        {RANGE_PRESETS.map((p) => (
          <button
            key={p.from}
            type="button"
            title={p.label}
            aria-pressed={value.to === "now" && value.from === p.from}
            onClick={() => {
              setCustom(undefined);
              onChange({ from: p.from, to: "now" });
            }}
          >
            {p.short}
          </button>
        ))}
        <button type="button" aria-pressed={!isPreset} aria-expanded={Boolean(custom)} onClick={openCustom}>
          Custom
        </button>
      </fieldset>
      {!isPreset && (
        <span className="range-current" data-testid="range-current">
          {describeRange(value)}
          {!isRelativeRange(value) && " (absolute)"}
        </span>
      )}
      {custom && (
        <form className="range-custom" onSubmit={apply} aria-label="Custom time range">
          <label>
            <span>From</span>
            <input
              type="datetime-local"
              value={custom.from}
              onChange={(e) => setCustom({ ...custom, from: e.target.value })}
              aria-describedby={error ? `${ids}-err` : undefined}
            />
          </label>
          <label>
            <span>To</span>
            <input
              type="datetime-local"
              value={custom.to}
              onChange={(e) => setCustom({ ...custom, to: e.target.value })}
            />
          </label>
          <button type="submit" className="agents-button primary">
            Apply
          </button>
          {error && (
            <span id={`${ids}-err`} role="alert" className="agents-error">
              {error}
            </span>
          )}
        </form>
      )}
    </div>
  );
}
