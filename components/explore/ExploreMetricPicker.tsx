"use client";

// A searchable metric list (an ARIA combobox): name, type, unit and help for each, names first.
import { type KeyboardEvent, useId, useMemo, useState } from "react";
import { searchCatalog, type TMetricInfo } from "./builder";

type Props = {
  value: string;
  catalog: TMetricInfo[];
  loading: boolean;
  error?: string;
  onPick: (metric: TMetricInfo) => void;
};

export function ExploreMetricPicker({ value, catalog, loading, error, onPick }: Props) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState("");
  const [active, setActive] = useState(0);
  const ids = useId();
  const results = useMemo(() => searchCatalog(catalog, search, 100), [catalog, search]);

  const pick = (m: TMetricInfo) => {
    onPick(m);
    setOpen(false);
    setSearch("");
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(a + 1, results.length - 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === "Enter" && open) {
      e.preventDefault();
      const m = results[active];
      if (m) pick(m);
    } else if (e.key === "Escape") {
      setOpen(false);
    }
  };

  const listId = `${ids}-list`;
  return (
    <div className="metric-picker">
      <label className="builder-field">
        <span>Metric</span>
        <input
          role="combobox"
          aria-expanded={open}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={open && results[active] ? `${ids}-${active}` : undefined}
          value={open ? search : value}
          placeholder={loading ? "loading metrics…" : "search metrics by name or help"}
          onFocus={() => {
            setOpen(true);
            setSearch("");
            setActive(0);
          }}
          onBlur={() => setOpen(false)}
          onChange={(e) => {
            setSearch(e.target.value);
            setActive(0);
            setOpen(true);
          }}
          onKeyDown={onKeyDown}
          spellCheck={false}
          autoComplete="off"
        />
      </label>
      {error && (
        <p role="alert" className="agents-error builder-note">
          Could not load metric names: {error}
        </p>
      )}
      {open && (
        <div id={listId} role="listbox" aria-label="Metrics" className="metric-list">
          {results.length === 0 && (
            <div className="muted metric-empty">
              {loading ? "Loading…" : catalog.length === 0 ? "No metrics yet: push some first." : "No metric matches."}
            </div>
          )}
          {results.map((m, i) => (
            <div
              key={m.name}
              id={`${ids}-${i}`}
              role="option"
              // Not focusable: focus stays in the combobox input, which moves the active option (arrows, Enter).
              tabIndex={-1}
              aria-selected={i === active}
              className="metric-option"
              // mousedown, not click: the input's blur would close the list before a click lands.
              onMouseDown={(e) => {
                e.preventDefault();
                pick(m);
              }}
              onMouseEnter={() => setActive(i)}
            >
              <span className="metric-name">{m.name}</span>
              <span className={`metric-type ${m.type || "untyped"}`}>{m.type || "untyped"}</span>
              {m.unit && <span className="metric-unit">{m.unit}</span>}
              {m.help && <span className="metric-help">{m.help}</span>}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
