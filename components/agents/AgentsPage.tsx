"use client";

import { useSyncExternalStore } from "react";
import { CopyButton } from "./AgentsCommon";
import { AgentsCreateKeyForm } from "./AgentsCreateKeyForm";
import { AgentsKeyTable } from "./AgentsKeyTable";
import { AgentsPushGroups } from "./AgentsPushGroups";

const PLACEHOLDER_ORIGIN = "http://<hotpath-host>:<port>";
const noSubscribe = () => () => undefined;

/** The page's own origin once in the browser; the placeholder while rendering on the server and
 * hydrating, so the server HTML and the first client render agree. */
function useOrigin(): string {
  return useSyncExternalStore(
    noSubscribe,
    () => window.location.origin,
    () => PLACEHOLDER_ORIGIN,
  );
}

export function AgentsPage() {
  const origin = useOrigin();
  const curl = [
    `printf 'my_metric_total 42\\n' | curl -X PUT --data-binary @- \\`,
    `  -H "Authorization: Bearer $HOTPATH_KEY" \\`,
    `  ${origin}/metrics/job/my-job`,
  ].join("\n");

  return (
    <section className="agents">
      <h1>Agents</h1>

      <section className="panel agents-section" aria-labelledby="agents-howto">
        <h2 id="agents-howto">How agents push</h2>
        <p>
          Agents send data to Hotpath with an API key that has the <strong>ingest</strong> right, in the header{" "}
          <code>Authorization: Bearer &lt;key&gt;</code> (Basic auth with the key as password works too). Endpoints:
        </p>
        <ul className="agents-endpoints">
          <li>
            <code>POST /api/v1/push</code>: Prometheus text exposition format (<code>?job=…&amp;instance=…</code> add
            labels).
          </li>
          <li>
            <code>PUT</code> / <code>POST</code> /{" "}
            <code>DELETE /metrics/job/&lt;job&gt;/&lt;label&gt;/&lt;value&gt;…</code>: the Pushgateway API, for batch
            jobs and prom-client's <code>Pushgateway</code>; the last push per group is listed below. A{" "}
            <code>Hotpath-TTL: 10m</code> header marks the group stale when no push follows in time.
          </li>
          <li>
            <code>POST /api/v1/write</code>: Prometheus remote write (from Prometheus, Grafana Agent/Alloy, Vector).
          </li>
          <li>
            <code>POST /v1/metrics</code> and <code>POST /v1/traces</code>: OTLP over HTTP (protobuf or JSON), for
            OpenTelemetry SDKs and collectors.
          </li>
        </ul>
        <p className="muted">
          Try it with a key created below (<code>export HOTPATH_KEY=hp_…</code>):
        </p>
        <div className="agents-code">
          <pre data-testid="agents-curl">{curl}</pre>
          <CopyButton text={curl} label="Copy command" />
        </div>
      </section>

      <section className="panel agents-section" aria-labelledby="agents-keys">
        <h2 id="agents-keys">API keys</h2>
        <AgentsCreateKeyForm />
        <AgentsKeyTable />
      </section>

      <section className="panel agents-section" aria-labelledby="agents-groups">
        <h2 id="agents-groups">Push groups</h2>
        <p className="muted">
          The last Pushgateway push per grouping key; refreshed every 10 s. A group past its TTL counts as stale.
        </p>
        <AgentsPushGroups />
      </section>
    </section>
  );
}
