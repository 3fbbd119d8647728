import { usePushGroupsQuery } from "../hooks/queries/usePushGroupsQuery";
import { formatAgo, formatDateTime, useNow } from "./AgentsCommon";

export function AgentsPushGroups() {
  const groups = usePushGroupsQuery();
  const now = useNow();

  if (groups.isPending) return <p className="muted">Loading push groups…</p>;
  if (groups.isError) return <p role="alert">Could not load push groups: {groups.error.message}</p>;
  if (groups.data.groups.length === 0) {
    return (
      <p className="muted">
        No Pushgateway groups yet: they appear here after a <code>PUT</code> or <code>POST</code> to{" "}
        <code>/metrics/job/&lt;job&gt;</code>.
      </p>
    );
  }

  return (
    <table className="agents-table" aria-label="Push groups">
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Labels</th>
          <th scope="col" className="agents-num">
            Series
          </th>
          <th scope="col">Last push</th>
          <th scope="col">TTL</th>
          <th scope="col">Mode</th>
        </tr>
      </thead>
      <tbody>
        {groups.data.groups.map((g) => {
          // The grouping key includes job, which has its own column.
          const others = Object.entries(g.labels).filter(([name]) => name !== "job");
          // The server judged "expired" when it answered; the clock may have passed the TTL since.
          const expired = g.expired || (g.expiresAt !== null && Date.parse(g.expiresAt) <= now);
          return (
            <tr key={g.key}>
              <td>{g.job}</td>
              <td>
                {others.length === 0 ? (
                  <span className="muted">–</span>
                ) : (
                  others.map(([name, value]) => (
                    <code key={name} className="agents-chip">
                      {name}="{value}"
                    </code>
                  ))
                )}
              </td>
              <td className="agents-num">{g.seriesCount}</td>
              <td title={formatDateTime(g.pushedAt)}>{formatAgo(g.pushedAt, now)}</td>
              <td>
                {g.expiresAt === null ? (
                  <span className="muted">no TTL</span>
                ) : expired ? (
                  <span className="agents-status bad">expired at {formatDateTime(g.expiresAt)}</span>
                ) : (
                  <span className="agents-status ok">expires at {formatDateTime(g.expiresAt)}</span>
                )}
              </td>
              <td>{g.mode}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
