// Panel layout on the 12-column grid, for the editor's move and resize buttons. Every edit goes through
// `settle`: panels the edited one now overlaps are pushed below it, then everything floats up into free
// space (react-grid-layout's vertical compaction), so no sequence of clicks can leave overlaps or holes.
import type { TPanel } from "../../lib/contracts/dashboards";

export const GRID_COLUMNS = 12;
export type TGrid = TPanel["grid"];
export type TMove = "up" | "down" | "left" | "right";

function overlaps(a: TGrid, b: TGrid): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function clampGrid(g: TGrid): TGrid {
  const w = Math.min(GRID_COLUMNS, Math.max(1, g.w));
  return { w, h: Math.min(40, Math.max(1, g.h)), x: Math.min(GRID_COLUMNS - w, Math.max(0, g.x)), y: Math.max(0, g.y) };
}

/** Compacts `panels`; the panel `pinned` keeps its place and whatever it overlaps moves below it. */
export function settle(panels: TPanel[], pinned?: string): TPanel[] {
  const grids = new Map(panels.map((p) => [p.id, clampGrid(p.grid)]));
  // Push down: process top to bottom, the pinned panel first among equals.
  const order = [...panels].sort((a, b) => {
    const ga = grids.get(a.id) as TGrid;
    const gb = grids.get(b.id) as TGrid;
    return ga.y - gb.y || (a.id === pinned ? -1 : b.id === pinned ? 1 : ga.x - gb.x);
  });
  const placed: TGrid[] = [];
  if (pinned && grids.has(pinned)) placed.push(grids.get(pinned) as TGrid);
  for (const p of order) {
    if (p.id === pinned) continue;
    const g = { ...(grids.get(p.id) as TGrid) };
    // Float up while the space above is free…
    while (g.y > 0 && !placed.some((o) => overlaps({ ...g, y: g.y - 1 }, o))) g.y--;
    // …and down past anything in the way.
    for (let hit = placed.find((o) => overlaps(g, o)); hit; hit = placed.find((o) => overlaps(g, o))) {
      g.y = hit.y + hit.h;
    }
    grids.set(p.id, g);
    placed.push(g);
  }
  // The pinned panel floats up too, once the others are placed around it.
  if (pinned && grids.has(pinned)) {
    const g = grids.get(pinned) as TGrid;
    const others = placed.filter((o) => o !== g);
    while (g.y > 0 && !others.some((o) => overlaps({ ...g, y: g.y - 1 }, o))) g.y--;
  }
  return panels.map((p) => ({ ...p, grid: grids.get(p.id) as TGrid }));
}

/**
 * Up and down swap with the nearest panel above or below that shares columns; left and right shift one
 * column, swapping with a same-row neighbour instead of pushing it out of the row.
 */
export function movePanel(panels: TPanel[], id: string, dir: TMove): TPanel[] {
  const me = panels.find((p) => p.id === id);
  if (!me) return panels;
  const g = me.grid;
  const sharesColumns = (o: TGrid) => o.x < g.x + g.w && g.x < o.x + o.w;
  const others = panels.filter((p) => p.id !== id);
  const set = (pid: string, grid: Partial<TGrid>) =>
    panels.map((p) => (p.id === pid ? { ...p, grid: { ...p.grid, ...grid } } : p));

  if (dir === "up" || dir === "down") {
    const candidates = others.filter(
      (o) => sharesColumns(o.grid) && (dir === "up" ? o.grid.y + o.grid.h <= g.y : o.grid.y >= g.y + g.h),
    );
    if (candidates.length === 0) return panels;
    const nearest = candidates.reduce((a, b) =>
      dir === "up" ? (b.grid.y > a.grid.y ? b : a) : b.grid.y < a.grid.y ? b : a,
    );
    if (dir === "up") return settle(set(id, { y: nearest.grid.y }), id);
    // Moving down is the neighbour below moving up.
    return settle(set(nearest.id, { y: g.y }), nearest.id);
  }

  const dx = dir === "left" ? -1 : 1;
  const x = g.x + dx;
  if (x < 0 || x + g.w > GRID_COLUMNS) return panels;
  const neighbour = others.find(
    (o) => o.grid.y === g.y && (dir === "left" ? o.grid.x + o.grid.w === g.x : o.grid.x === g.x + g.w),
  );
  if (neighbour) {
    // Swap the two: the left one of the pair starts where the left one started.
    const left = dir === "left" ? neighbour.grid.x : g.x;
    const first = dir === "left" ? me : neighbour;
    const second = dir === "left" ? neighbour : me;
    const moved = panels.map((p) =>
      p.id === first.id
        ? { ...p, grid: { ...p.grid, x: left } }
        : p.id === second.id
          ? { ...p, grid: { ...p.grid, x: left + first.grid.w } }
          : p,
    );
    return settle(moved, id);
  }
  return settle(set(id, { x }), id);
}

export function resizePanel(panels: TPanel[], id: string, dw: number, dh: number): TPanel[] {
  const moved = panels.map((p) => {
    if (p.id !== id) return p;
    const w = Math.min(GRID_COLUMNS, Math.max(1, p.grid.w + dw));
    return {
      ...p,
      grid: { ...p.grid, w, x: Math.min(p.grid.x, GRID_COLUMNS - w), h: Math.min(40, Math.max(2, p.grid.h + dh)) },
    };
  });
  return settle(moved, id);
}

/** Where a new panel goes: full rows below everything, half width. */
export function nextSlot(panels: TPanel[], w = 6, h = 8): TGrid {
  const bottom = panels.reduce((m, p) => Math.max(m, p.grid.y + p.grid.h), 0);
  // Beside the last panel when the bottom row has room.
  const lastRow = panels.filter((p) => p.grid.y + p.grid.h === bottom);
  const right = lastRow.reduce((m, p) => Math.max(m, p.grid.x + p.grid.w), 0);
  const row = lastRow[0];
  if (row && right + w <= GRID_COLUMNS) return { x: right, y: Math.min(...lastRow.map((p) => p.grid.y)), w, h };
  return { x: 0, y: bottom, w, h };
}

export function addPanel(panels: TPanel[], panel: TPanel): TPanel[] {
  return settle([...panels, panel], panel.id);
}

export function removePanel(panels: TPanel[], id: string): TPanel[] {
  return settle(panels.filter((p) => p.id !== id));
}
