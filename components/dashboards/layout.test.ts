import { describe, expect, it } from "vitest";
import type { TPanel } from "../../lib/contracts/dashboards";
import { addPanel, movePanel, nextSlot, removePanel, resizePanel, settle } from "./layout";

const panel = (id: string, x: number, y: number, w: number, h: number): TPanel => ({
  id,
  title: id,
  kind: "timeseries",
  unit: "short",
  queries: [{ expr: "up" }],
  grid: { x, y, w, h },
});
const grids = (ps: TPanel[]) => Object.fromEntries(ps.map((p) => [p.id, [p.grid.x, p.grid.y, p.grid.w, p.grid.h]]));

describe("dashboard layout", () => {
  const two = [panel("a", 0, 0, 6, 8), panel("b", 6, 0, 6, 8), panel("c", 0, 8, 12, 6)];

  it("settles overlaps and holes", () => {
    expect(grids(settle([panel("a", 0, 4, 6, 4), panel("b", 0, 5, 6, 4)]))).toEqual({
      a: [0, 0, 6, 4],
      b: [0, 4, 6, 4],
    });
    expect(grids(settle(two))).toEqual(grids(two));
  });
  it("swaps same-row neighbours left and right", () => {
    expect(grids(movePanel(two, "b", "left"))).toEqual({ a: [6, 0, 6, 8], b: [0, 0, 6, 8], c: [0, 8, 12, 6] });
    expect(grids(movePanel(two, "a", "right"))).toEqual({ a: [6, 0, 6, 8], b: [0, 0, 6, 8], c: [0, 8, 12, 6] });
    // Against the edge: nothing happens.
    expect(grids(movePanel(two, "a", "left"))).toEqual(grids(two));
  });
  it("shifts a panel with room one column", () => {
    const ps = [panel("a", 0, 0, 4, 4)];
    expect(grids(movePanel(ps, "a", "right"))).toEqual({ a: [1, 0, 4, 4] });
  });
  it("moves a panel above the one over it, and below the one under it", () => {
    expect(grids(movePanel(two, "c", "up"))).toEqual({ a: [0, 6, 6, 8], b: [6, 6, 6, 8], c: [0, 0, 12, 6] });
    // c spans both columns, so taking the top row moves b down with a.
    expect(grids(movePanel(two, "a", "down"))).toEqual({ a: [0, 6, 6, 8], b: [6, 6, 6, 8], c: [0, 0, 12, 6] });
    const stacked = [panel("a", 0, 0, 6, 4), panel("b", 0, 4, 6, 4), panel("x", 6, 0, 6, 8)];
    expect(grids(movePanel(stacked, "a", "down"))).toEqual({ a: [0, 4, 6, 4], b: [0, 0, 6, 4], x: [6, 0, 6, 8] });
    expect(grids(movePanel(two, "c", "down"))).toEqual(grids(two));
  });
  it("resizes within the grid and pushes what it now covers", () => {
    expect(grids(resizePanel(two, "a", 2, 0))).toEqual({ a: [0, 0, 8, 8], b: [6, 8, 6, 8], c: [0, 16, 12, 6] });
    expect(grids(resizePanel(two, "c", 10, -10))).toEqual({ a: [0, 0, 6, 8], b: [6, 0, 6, 8], c: [0, 8, 12, 2] });
  });
  it("adds beside the last panel when the row has room, else below", () => {
    expect(nextSlot([panel("a", 0, 0, 6, 8)])).toEqual({ x: 6, y: 0, w: 6, h: 8 });
    expect(nextSlot(two)).toEqual({ x: 0, y: 14, w: 6, h: 8 });
    const added = addPanel(two, panel("d", 0, 14, 6, 8));
    expect(grids(added).d).toEqual([0, 14, 6, 8]);
    expect(grids(removePanel(two, "a"))).toEqual({ b: [6, 0, 6, 8], c: [0, 8, 12, 6] });
  });
});
