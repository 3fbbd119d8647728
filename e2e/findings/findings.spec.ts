import { randomBytes } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";

// The analyzer's answer in the UI: a service pushes a quarter of an hour of healthy statement timings,
// then one statement turns slow and its traces carry a plan with a sequential scan. The Overview's
// "Bottlenecks now" lists the slow query on top; its page shows the evidence chart, an example trace
// and the recommendation (the candidate index). Data is pushed with its timestamps through the
// normal ingest endpoints, so the test does not wait for a baseline to accumulate in real time.

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const suffix = hex(3);
const SERVICE = `e2e-findings-${suffix}`;
const TABLE = `orders_${suffix}`;
const SLOW_SQL = `SELECT * FROM ${TABLE} WHERE customer_id = $1`;
const FAST_SQL = [`SELECT * FROM products_${suffix} WHERE id = $1`, `SELECT * FROM customers_${suffix} WHERE id = $1`];
const PLAN = JSON.stringify([
  {
    Plan: {
      "Node Type": "Seq Scan",
      "Relation Name": TABLE,
      Alias: TABLE,
      "Startup Cost": 0,
      "Total Cost": 1850.5,
      "Plan Rows": 3,
      Filter: "(customer_id = 42)",
    },
  },
]);

type TAttr = { key: string; value: { stringValue?: string; intValue?: string } };
const attr = (key: string, v: string | number): TAttr => ({
  key,
  value: typeof v === "string" ? { stringValue: v } : { intValue: String(v) },
});
const nanos = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;

async function createKey(page: Page): Promise<string> {
  await page.goto("/");
  const created = await page.evaluate(() =>
    fetch("/api/keys", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "e2e-findings", rights: ["ingest", "read", "admin"] }),
    }).then((r) => r.json()),
  );
  expect(created.secret, JSON.stringify(created)).toMatch(/^hp_/);
  return created.secret as string;
}

/** Cumulative statement counters, one set per 5 s step. */
function timings(fromMs: number, toMs: number, totals: number[], slowMean: number) {
  const lines = ["# TYPE db_client_operation_duration_seconds histogram"];
  for (let t = fromMs; t <= toMs; t += 5000) {
    [SLOW_SQL, ...FAST_SQL].forEach((stmt, i) => {
      const mean = i === 0 ? slowMean : 0.002 + 0.0002 * Math.sin(t / 7000 + i);
      totals[2 * i] = (totals[2 * i] ?? 0) + 100;
      totals[2 * i + 1] = (totals[2 * i + 1] ?? 0) + 100 * mean;
      const labels = `db_system="postgresql",db_statement="${stmt}"`;
      lines.push(`db_client_operation_duration_seconds_count{${labels}} ${totals[2 * i]} ${t}`);
      lines.push(`db_client_operation_duration_seconds_sum{${labels}} ${totals[2 * i + 1]} ${t}`);
    });
  }
  return `${lines.join("\n")}\n`;
}

/** A slow request's trace: its orders query took 35 ms and carries the plan. */
function slowTrace(atMs: number) {
  const traceId = hex(16);
  const rootId = hex(8);
  return {
    traceId,
    body: {
      resourceSpans: [
        {
          resource: { attributes: [attr("service.name", SERVICE)] },
          scopeSpans: [
            {
              scope: { name: "e2e" },
              spans: [
                {
                  traceId,
                  spanId: rootId,
                  name: "GET /customers/:id/orders",
                  kind: 2,
                  startTimeUnixNano: nanos(atMs),
                  endTimeUnixNano: nanos(atMs + 40),
                  attributes: [attr("http.route", "/customers/:id/orders")],
                  status: {},
                },
                {
                  traceId,
                  spanId: hex(8),
                  parentSpanId: rootId,
                  name: "SELECT shop",
                  kind: 3,
                  startTimeUnixNano: nanos(atMs + 2),
                  endTimeUnixNano: nanos(atMs + 37),
                  attributes: [attr("db.system", "postgresql"), attr("db.query.text", SLOW_SQL), attr("db.plan", PLAN)],
                  status: {},
                },
              ],
            },
          ],
        },
      ],
    },
  };
}

test("a slow query is on top of Bottlenecks now, and its page shows evidence, a trace and the fix", async ({
  page,
}) => {
  test.setTimeout(90_000);
  const key = await createKey(page);
  const headers = { authorization: `Bearer ${key}` };
  const push = async (body: string) => {
    const res = await page.request.post(`/api/v1/push?job=${SERVICE}&instance=web-1`, {
      headers: { ...headers, "content-type": "text/plain; version=0.0.4" },
      data: body,
    });
    expect(res.status(), await res.text()).toBe(200);
  };
  const totals: number[] = [];
  let last = Date.now() - (Date.now() % 5000);
  await push(timings(last - 15 * 60_000, last, totals, 0.002));

  await page.goto("/");
  await expect(page.getByTestId("bottlenecks-now")).toBeVisible();

  // The fault: every 5 s step from now on, the orders statement takes 30 ms; a sampled trace shows why.
  let traceId = "";
  for (let i = 0; i < 6; i++) {
    const t = last + 5000;
    await page.waitForTimeout(Math.max(0, t - Date.now()));
    await push(timings(t, t, totals, 0.03));
    if (i === 1) {
      const trace = slowTrace(t - 1000);
      traceId = trace.traceId;
      const res = await page.request.post("/v1/traces", { headers, data: trace.body });
      expect(res.status(), await res.text()).toBe(200);
    }
    last = t;
  }

  const top = page.getByTestId("finding-item").first();
  await expect(top).toHaveAttribute("data-kind", "slow_query", { timeout: 30_000 });
  await expect(top).toContainText(SERVICE);
  await expect(top).toContainText(`CREATE INDEX`);
  await top.getByRole("link").click();

  await expect(page.getByTestId("finding-page")).toBeVisible();
  await expect(page.getByTestId("finding-recommendation")).toContainText(`CREATE INDEX`);
  await expect(page.getByTestId("finding-recommendation")).toContainText(TABLE);
  await expect(page.getByTestId("finding-plan")).toContainText(SLOW_SQL);
  await expect(page.getByTestId("evidence-chart").first().locator(".recharts-surface")).toBeVisible({
    timeout: 15_000,
  });
  const trace = page.getByTestId("finding-trace").first();
  await expect(trace).toHaveAttribute("href", `/traces/${traceId}`);
  await test
    .info()
    .attach("finding page", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
  await trace.click();
  await expect(page).toHaveURL(new RegExp(`/traces/${traceId}`));
});
