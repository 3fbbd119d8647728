import Link from "next/link";
import { type FormEvent, useId } from "react";
import { useServicesQuery } from "../hooks/queries/useServicesQuery";
import { RangePicker, useUrlState } from "./DrilldownCommon";
import { queryHref, rangeEntries, type TRangeParam, type TTraceFilters } from "./drilldown-format";

const FIELDS = ["service", "route", "operation", "minDurationMs", "attr", "status", "kind"] as const;

export function TracesSearchForm({ filters, range }: { filters: TTraceFilters; range: TRangeParam }) {
  const { set } = useUrlState();
  const services = useServicesQuery({ range });
  const id = useId();

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const patch: Record<string, string | null> = {};
    for (const k of FIELDS) patch[k] = String(form.get(k) ?? "").trim() || null;
    set(patch, { push: true });
  };
  // Inputs are uncontrolled and keyed by the URL's filters, so back/forward resets them.
  const key = JSON.stringify(filters);
  return (
    <form key={key} className="panel dd-form" aria-label="Search spans" onSubmit={submit}>
      <label className="dd-field">
        <span>Service</span>
        <input name="service" defaultValue={filters.service ?? ""} list={`${id}-services`} autoComplete="off" />
        <datalist id={`${id}-services`}>
          {services.data?.services.map((s) => (
            <option key={s.service} value={s.service} />
          ))}
        </datalist>
      </label>
      <label className="dd-field">
        <span>Route</span>
        <input name="route" defaultValue={filters.route ?? ""} placeholder="/orders/:id" autoComplete="off" />
      </label>
      <label className="dd-field">
        <span>Operation</span>
        <input name="operation" defaultValue={filters.operation ?? ""} placeholder="span name" autoComplete="off" />
      </label>
      <label className="dd-field dd-narrow">
        <span>Min duration (ms)</span>
        <input name="minDurationMs" type="number" min={0} step="any" defaultValue={filters.minDurationMs ?? ""} />
      </label>
      <label className="dd-field">
        <span>Status</span>
        <select name="status" defaultValue={filters.status ?? ""}>
          <option value="">any</option>
          <option value="error">error</option>
          <option value="ok">ok</option>
          <option value="unset">unset</option>
        </select>
      </label>
      <label className="dd-field">
        <span>Kind</span>
        <select name="kind" defaultValue={filters.kind ?? ""}>
          <option value="">any</option>
          <option value="server">server</option>
          <option value="client">client</option>
          <option value="internal">internal</option>
          <option value="producer">producer</option>
          <option value="consumer">consumer</option>
        </select>
      </label>
      <label className="dd-field">
        <span>Attribute</span>
        <input name="attr" defaultValue={filters.attr ?? ""} placeholder="cache.hit=false" autoComplete="off" />
      </label>
      <RangePicker
        value={range}
        onChange={(r) =>
          set("start" in r ? { range: null, ...rangeEntries(r) } : { range: r.range, start: null, end: null })
        }
      />
      <button type="submit" className="dd-button primary">
        Search
      </button>
      {filters.fingerprint && (
        <p className="dd-chip-row">
          Statements with fingerprint <Link href={queryHref(filters.fingerprint, range)}>{filters.fingerprint}</Link>{" "}
          <button type="button" className="dd-button" onClick={() => set({ fingerprint: null }, { push: true })}>
            Clear
          </button>
        </p>
      )}
    </form>
  );
}
