"use client";

// One row per series: its legend name and its last, min, max and mean over the range; sortable.
import { memo, useMemo, useState } from "react";
import { formatValue, type TUnit } from "../common/units";
import { summarize, type TChartData, type TSeriesSummary } from "./series";

type TSortKey = "name" | "last" | "min" | "max" | "mean";
const COLUMNS: { key: TSortKey; label: string }[] = [
  { key: "name", label: "Series" },
  { key: "last", label: "Last" },
  { key: "min", label: "Min" },
  { key: "max", label: "Max" },
  { key: "mean", label: "Mean" },
];

function compare(a: TSeriesSummary, b: TSeriesSummary, key: TSortKey): number {
  if (key === "name") return a.series.name.localeCompare(b.series.name);
  // Missing values sort last either way.
  const x = a[key] ?? Number.NEGATIVE_INFINITY;
  const y = b[key] ?? Number.NEGATIVE_INFINITY;
  return x - y;
}

export const TablePanel = memo(function TablePanel({
  data,
  unit,
  title,
}: {
  data: TChartData;
  unit: TUnit;
  title: string;
}) {
  const [sort, setSort] = useState<{ key: TSortKey; desc: boolean }>({ key: "last", desc: true });
  const rows = useMemo(() => {
    const list = summarize(data);
    list.sort((a, b) => compare(a, b, sort.key) * (sort.desc ? -1 : 1));
    return list;
  }, [data, sort]);
  if (rows.length === 0) return <p className="muted chart-empty">No data in this range.</p>;
  return (
    <div className="table-panel">
      <table aria-label={title}>
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th
                key={c.key}
                scope="col"
                className={c.key === "name" ? undefined : "num"}
                aria-sort={sort.key === c.key ? (sort.desc ? "descending" : "ascending") : "none"}
              >
                <button
                  type="button"
                  className="table-sort"
                  onClick={() => setSort((s) => ({ key: c.key, desc: s.key === c.key ? !s.desc : c.key !== "name" }))}
                >
                  {c.label}
                  {sort.key === c.key ? (sort.desc ? " ↓" : " ↑") : ""}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.series.key}>
              <td>
                <span className="chart-swatch" style={{ background: r.series.color }} />
                {r.series.name}
              </td>
              <td className="num">{formatValue(r.last, unit)}</td>
              <td className="num">{formatValue(r.min, unit)}</td>
              <td className="num">{formatValue(r.max, unit)}</td>
              <td className="num">{formatValue(r.mean, unit)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
});
