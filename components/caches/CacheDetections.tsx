import type { TCacheDetection } from "../../lib/contracts/drilldown";
import { formatTime } from "../traces/drilldown-format";

export function DetectionBadge({ d }: { d: TCacheDetection }) {
  return (
    <span className={`dd-badge ${d.severity}`} title={d.message}>
      {d.title}
    </span>
  );
}

/** Every detection of the range, most severe first. */
export function CacheDetections({ detections }: { detections: TCacheDetection[] }) {
  if (detections.length === 0) {
    return <p className="panel muted dd-section">No cache problem detected in this range.</p>;
  }
  const sorted = [...detections].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "critical" ? -1 : 1));
  return (
    <section className="panel dd-section" aria-labelledby="cache-detections">
      <h2 id="cache-detections">Detected</h2>
      <ul className="dd-detections">
        {sorted.map((d) => (
          <li key={`${d.kind}-${d.cache}-${d.level}-${d.atMs}-${d.evidence.key ?? ""}`}>
            <DetectionBadge d={d} />{" "}
            <strong>
              {d.cache}
              {d.level ? ` (${d.level})` : ""}
            </strong>
            : {d.message}
            {d.atMs !== null && (
              <span className="muted">
                {" "}
                · {d.kind === "hit_ratio_drop" ? "since" : "at"} {formatTime(d.atMs)}
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
