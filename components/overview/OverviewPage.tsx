"use client";

import { BottlenecksNow } from "../findings/BottlenecksNow";
import { useHealthQuery } from "../hooks/queries/useHealthQuery";

export function OverviewPage() {
  const health = useHealthQuery();
  return (
    <section>
      <h1>Overview</h1>
      <div className="panel" data-testid="health-panel">
        {health.isPending && <p className="muted">Checking Hotpath's health…</p>}
        {health.isError && <p role="alert">Health check failed: {health.error.message}</p>}
        {health.data && (
          <p>
            Hotpath {health.data.version} is <strong>{health.data.status}</strong> on{" "}
            <strong>{health.data.store}</strong>
            {health.data.checks.redis.configured
              ? `, Redis ${health.data.checks.redis.ok ? "reachable" : `unreachable (${health.data.checks.redis.error})`}`
              : ", without Redis"}
            .
          </p>
        )}
      </div>
      <BottlenecksNow />
    </section>
  );
}
