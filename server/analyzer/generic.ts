// Signals and detection for services that do not run Hotpath's agent: per-service resource and SLI
// metrics under generic names (pod CPU, memory, network, server latency, success rate), as a
// Kubernetes exporter or a replayed dataset provides them. Filled in by the replay work (bench/rca).
import type { TLabels } from "../ingest/model";
import type { TCandidate, Window } from "./detectors";

/** The signal a generic per-service metric feeds; null when it is none of them. */
export function genericSignalOf(_name: string, _labels: TLabels): { kind: "counter" | "gauge"; key: string } | null {
  return null;
}

export function genericDetector(_w: Window): TCandidate[] {
  return [];
}
