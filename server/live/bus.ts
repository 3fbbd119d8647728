// The in-process live bus: the pipeline announces every committed batch here; live charts, the query
// cache and the analyzer subscribe. In-process only: cross-node fan-out goes through Socket.IO's
// Redis adapter at the edge, not through this bus.
import { EventEmitter } from "node:events";
import type { TSpanIn } from "../ingest/model";

export type TCommitEvent = {
  /** Distinct series ids in the batch. */
  seriesIds: Int32Array;
  minTs: number;
  maxTs: number;
  samples: number;
  /** The committed columns, for consumers that keep streaming windows (alerts, analyzer). */
  columns: { seriesIds: Int32Array; ts: Float64Array; values: Float64Array };
};

export type TSpanCommitEvent = {
  spans: number;
  traceIds: string[];
  services: string[];
  /** The committed spans themselves, for the analyzer's trace windows. */
  items: readonly TSpanIn[];
};

type TEvents = { commit: [TCommitEvent]; spans: [TSpanCommitEvent] };

export class LiveBus extends EventEmitter<TEvents> {
  constructor() {
    super();
    // Many widgets and detectors subscribe; a listener count warning would be noise.
    this.setMaxListeners(0);
  }
}
