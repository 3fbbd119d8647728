// The path of a table-cell sparkline, computed once per render as a string: a Recharts chart per cell
// (a ResizeObserver, scales and a React subtree each) took seconds for a table of a hundred rows.

/**
 * An SVG path through `values` across a `width` × `height` box inset by `pad`, y from 0 to the largest
 * value (as an axis at zero would draw it). Missing values are skipped and the line joins across
 * them; a single point draws a short flat stroke so it stays visible. Empty when nothing is finite.
 */
export function sparkPath(
  values: readonly (number | null | undefined)[],
  width: number,
  height: number,
  pad = 2,
): string {
  const n = values.length;
  let max = 0;
  let finite = 0;
  for (const v of values) {
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    finite++;
    if (v > max) max = v;
  }
  if (finite === 0) return "";
  const w = width - 2 * pad;
  const h = height - 2 * pad;
  const x = (i: number) => pad + (n === 1 ? w / 2 : (i / (n - 1)) * w);
  // All zero: a line along the bottom rather than a division by zero.
  const y = (v: number) => pad + h - (max > 0 ? (Math.max(v, 0) / max) * h : 0);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    parts.push(`${parts.length === 0 ? "M" : "L"}${round(x(i))} ${round(y(v))}`);
  }
  if (finite === 1) {
    const only = parts[0]?.slice(1).split(" ").map(Number) ?? [0, 0];
    const [px = 0, py = 0] = only;
    return `M${round(Math.max(pad, px - 2))} ${py}L${round(Math.min(width - pad, px + 2))} ${py}`;
  }
  return parts.join("");
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
