"use client";

// One panel on the grid: its frame, its place (CSS grid lines from its x/y/w/h), and in edit mode the
// buttons that move, resize, edit and remove it.
import { memo } from "react";
import type { TPanel } from "../../lib/contracts/dashboards";
import { ErrorBoundary } from "../charts/ErrorBoundary";
import type { TTimeRange } from "../common/time-range";
import { DashboardPanelBody } from "./DashboardPanelBody";
import { GRID_COLUMNS, type TMove } from "./layout";

export type TPanelAction =
  | { type: "move"; dir: TMove }
  | { type: "resize"; dw: number; dh: number }
  | { type: "edit" }
  | { type: "remove" };

type Props = {
  panel: TPanel;
  range: TTimeRange;
  editing: boolean;
  onAction: (id: string, action: TPanelAction) => void;
};

export const DashboardPanel = memo(function DashboardPanel({ panel, range, editing, onAction }: Props) {
  const { x, y, w, h } = panel.grid;
  const title = panel.title || "Untitled panel";
  const act = (a: TPanelAction) => () => onAction(panel.id, a);
  return (
    <section
      className="dash-panel"
      aria-label={title}
      data-panel-id={panel.id}
      style={{ gridColumn: `${x + 1} / span ${w}`, gridRow: `${y + 1} / span ${h}` }}
    >
      <header className="dash-panel-header">
        <h2 title={panel.queries.map((q) => q.expr).join("\n")}>{title}</h2>
        {editing && (
          <div className="dash-panel-tools" role="toolbar" aria-label={`Arrange ${title}`}>
            <button
              type="button"
              aria-label="Move left"
              title="Move left"
              onClick={act({ type: "move", dir: "left" })}
              disabled={x === 0}
            >
              ←
            </button>
            <button
              type="button"
              aria-label="Move up"
              title="Move up"
              onClick={act({ type: "move", dir: "up" })}
              disabled={y === 0}
            >
              ↑
            </button>
            <button type="button" aria-label="Move down" title="Move down" onClick={act({ type: "move", dir: "down" })}>
              ↓
            </button>
            <button
              type="button"
              aria-label="Move right"
              title="Move right"
              onClick={act({ type: "move", dir: "right" })}
              disabled={x + w >= GRID_COLUMNS}
            >
              →
            </button>
            <span className="dash-tool-sep" />
            <button
              type="button"
              aria-label="Narrower"
              title="Narrower"
              onClick={act({ type: "resize", dw: -1, dh: 0 })}
              disabled={w <= 1}
            >
              ⇤
            </button>
            <button
              type="button"
              aria-label="Wider"
              title="Wider"
              onClick={act({ type: "resize", dw: 1, dh: 0 })}
              disabled={w >= GRID_COLUMNS}
            >
              ⇥
            </button>
            <button
              type="button"
              aria-label="Shorter"
              title="Shorter"
              onClick={act({ type: "resize", dw: 0, dh: -1 })}
              disabled={h <= 2}
            >
              ⤒
            </button>
            <button type="button" aria-label="Taller" title="Taller" onClick={act({ type: "resize", dw: 0, dh: 1 })}>
              ⤓
            </button>
            <span className="dash-tool-sep" />
            <button type="button" aria-label="Edit panel" title="Edit panel" onClick={act({ type: "edit" })}>
              ✎
            </button>
            <button type="button" aria-label="Remove panel" title="Remove panel" onClick={act({ type: "remove" })}>
              ✕
            </button>
          </div>
        )}
        {editing && (
          <span className="dash-panel-size muted" aria-hidden="true">
            {w}×{h}
          </span>
        )}
      </header>
      <div className="dash-panel-body">
        <ErrorBoundary label="This panel" compact>
          <DashboardPanelBody panel={panel} range={range} />
        </ErrorBoundary>
      </div>
    </section>
  );
});
