// The ingest benchmark's workload, shared with the profiling driver.
/** Series shaped like a data API's agent output, `n` of them, as label strings per metric. */
export function dataApiSeries(n: number, instance: string): string[] {
  const out: string[] = [];
  const buckets = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"];
  const methods = ["GET", "POST"];
  const statuses = ["200", "404", "500"];
  for (let i = 0; out.length < n; i++) {
    const service = `svc-${i % 4}`;
    const route = `/api/v1/resource-${Math.floor(i / 4) % 50}/:id`;
    const method = methods[i % 2] as string;
    const status = statuses[i % 3] as string;
    const base = `service="${service}",route="${route}",method="${method}",status="${status}",instance="${instance}",n="${i}"`;
    for (const le of buckets) out.push(`http_server_request_duration_seconds_bucket{${base},le="${le}"}`);
    out.push(
      `http_server_request_duration_seconds_sum{${base}}`,
      `http_server_request_duration_seconds_count{${base}}`,
    );
    out.push(`db_client_operation_duration_seconds_count{${base},db_operation="SELECT"}`);
    out.push(`cache_requests_total{${base},cache="catalog",level="memory",result="hit"}`);
    out.push(`cache_requests_total{${base},cache="catalog",level="redis",result="miss"}`);
    out.push(`nodejs_eventloop_lag_seconds{${base}}`);
  }
  return out.slice(0, n);
}

/**
 * Bodies a client cycles through: the same series with different values and no timestamps (the
 * server stamps receipt time, as for most agents). Built once, so the load generator's own CPU does
 * not compete with the server for this machine's two cores.
 */
export function pushBodies(series: string[], variants = 8): string[] {
  return Array.from({ length: variants }, (_, v) => {
    const lines = new Array<string>(series.length);
    for (let i = 0; i < series.length; i++) lines[i] = `${series[i]} ${v * 10 + (i % 7)}`;
    return `${lines.join("\n")}\n`;
  });
}
