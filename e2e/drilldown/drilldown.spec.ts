import { randomBytes } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";

// The drill-down walk a user takes from "which service is slow" to "which index to add": Services →
// a route's traces → one trace → its DB span's query → the fingerprint with its plan and candidate
// index; and the Caches page naming a hit-ratio drop. Every test seeds its own data under unique names.

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const suffix = hex(3);
const SERVICE = `e2e-shop-${suffix}`;
const CACHE = `e2e-products-${suffix}`;
const ORDERS_SQL = `SELECT * FROM orders_${suffix} WHERE customer_id = $1`;
const PLAN = JSON.stringify([
  {
    Plan: {
      "Node Type": "Sort",
      "Startup Cost": 1900.1,
      "Total Cost": 1900.2,
      "Plan Rows": 3,
      "Sort Key": ["created_at DESC"],
      Plans: [
        {
          "Node Type": "Seq Scan",
          "Parent Relationship": "Outer",
          "Relation Name": `orders_${suffix}`,
          Alias: `orders_${suffix}`,
          "Startup Cost": 0,
          "Total Cost": 1850.5,
          "Plan Rows": 3,
          Filter: "(customer_id = 42)",
        },
      ],
    },
  },
]);

type TAttr = { key: string; value: { stringValue?: string; intValue?: string; boolValue?: boolean } };
const attr = (key: string, v: string | number | boolean): TAttr => ({
  key,
  value:
    typeof v === "string" ? { stringValue: v } : typeof v === "number" ? { intValue: String(v) } : { boolValue: v },
});
const nanos = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;

/** Creates a key from the dashboard (same-origin calls need none), as a user would on the Agents page. */
async function createKey(page: Page): Promise<string> {
  await page.goto("/");
  const created = await page.evaluate(() =>
    fetch("/api/keys", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "e2e-drilldown", rights: ["ingest", "read", "admin"] }),
    }).then((r) => r.json()),
  );
  expect(created.secret, JSON.stringify(created)).toMatch(/^hp_/);
  return created.secret as string;
}

function ordersTraces(now: number) {
  const spans: Record<string, unknown>[] = [];
  for (let i = 0; i < 3; i++) {
    const traceId = hex(16);
    const rootId = hex(8);
    const start = now - 120_000 + i * 5_000;
    spans.push(
      {
        traceId,
        spanId: rootId,
        name: "GET /orders/:id",
        kind: 2,
        startTimeUnixNano: nanos(start),
        endTimeUnixNano: nanos(start + 60 + i * 10),
        attributes: [attr("http.route", "/orders/:id"), attr("http.request.method", "GET")],
        status: {},
      },
      {
        traceId,
        spanId: hex(8),
        parentSpanId: rootId,
        name: "SELECT shop",
        kind: 3,
        startTimeUnixNano: nanos(start + 5),
        endTimeUnixNano: nanos(start + 45),
        attributes: [
          attr("db.system", "postgresql"),
          attr("db.query.text", ORDERS_SQL),
          attr("db.response.returned_rows", 3),
          ...(i === 0 ? [attr("db.plan", PLAN)] : []),
        ],
        status: {},
      },
    );
  }
  return {
    resourceSpans: [
      {
        resource: { attributes: [attr("service.name", SERVICE)] },
        scopeSpans: [{ scope: { name: "e2e" }, spans }],
      },
    ],
  };
}

/** 30 minutes of cache counters every 15 s: 90 % hits, then 30 % in the last 5 minutes. */
function cacheDrop(now: number): string {
  const lines = ["# TYPE cache_requests_total counter"];
  let hits = 0;
  let misses = 0;
  for (let t = now - 30 * 60_000; t <= now; t += 15_000) {
    const recent = t > now - 5 * 60_000;
    hits += recent ? 30 : 90;
    misses += recent ? 70 : 10;
    lines.push(
      `cache_requests_total{cache="${CACHE}",level="memory",result="hit"} ${hits} ${t}`,
      `cache_requests_total{cache="${CACHE}",level="memory",result="miss"} ${misses} ${t}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

test("Services → route traces → trace → DB span's query → plan and candidate index", async ({ page }) => {
  const key = await createKey(page);
  const push = await page.request.post("/v1/traces", {
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    data: ordersTraces(Date.now()),
  });
  expect(push.status(), await push.text()).toBe(200);

  await page.goto("/services");
  await expect(page.getByRole("heading", { name: "Services", level: 1 })).toBeVisible();
  const services = page.getByRole("table", { name: "Services" });
  await expect(services.getByRole("row").filter({ hasText: SERVICE }).first()).toContainText("3");
  const ops = page.getByRole("table", { name: `Top operations of ${SERVICE}` });
  await ops.getByRole("link", { name: "GET /orders/:id" }).click();

  await expect(page).toHaveURL(/\/traces\?/);
  expect(new URL(page.url()).searchParams.get("route")).toBe("/orders/:id");
  expect(new URL(page.url()).searchParams.get("service")).toBe(SERVICE);
  await expect(page.getByTestId("traces-scatter")).toBeVisible();
  const matching = page.getByRole("table", { name: "Matching spans" });
  await expect(matching.getByRole("row")).toHaveCount(4);
  await matching
    .getByRole("link", { name: /^Open trace / })
    .first()
    .click();

  await expect(page).toHaveURL(/\/traces\/[0-9a-f]{32}/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("GET /orders/:id");
  await expect(page.getByRole("region", { name: "Time per kind" })).toContainText("Database");
  await page
    .getByRole("list", { name: "Spans" })
    .getByRole("button", { name: /SELECT shop/ })
    .click();
  const details = page.getByRole("region", { name: "Span details" });
  await expect(details).toContainText(ORDERS_SQL);
  await details.getByRole("link", { name: "Query details, plan and index advice" }).click();

  await expect(page).toHaveURL(/\/queries\/[0-9a-f]{16}/);
  await expect(page.getByTestId("normalized-statement")).toHaveText(
    `SELECT * FROM orders_${suffix} WHERE customer_id = ?`,
  );
  await expect(page.getByTestId("plan-costliest")).toContainText("Seq Scan");
  await expect(page.getByTestId("plan-costliest")).toContainText(`orders_${suffix}`);
  await expect(page.getByRole("figure", { name: "Candidate index" })).toContainText(
    `CREATE INDEX ON orders_${suffix} (customer_id)`,
  );
  // And back: the query's routes link to that route's traces.
  const routes = page.getByRole("table", { name: "Routes that issue it" });
  await expect(routes).toContainText("/orders/:id");
  await routes.getByRole("link", { name: "/orders/:id" }).click();
  await expect(page.getByRole("table", { name: "Matching spans" }).getByRole("row")).toHaveCount(4);
});

test("the Caches page shows a hit-ratio drop", async ({ page }) => {
  const key = await createKey(page);
  const push = await page.request.post(`/api/v1/push?job=${SERVICE}`, {
    headers: { authorization: `Bearer ${key}`, "content-type": "text/plain; version=0.0.4" },
    data: cacheDrop(Date.now()),
  });
  expect(push.status(), await push.text()).toBe(200);

  await page.goto("/caches");
  await expect(page.getByRole("heading", { name: "Caches", level: 1 })).toBeVisible();
  const card = page.getByRole("article", { name: `Cache ${CACHE} memory` });
  await expect(card).toContainText("Hit ratio drop");
  const detections = page.getByRole("region", { name: "Detected" });
  const drop = detections.getByRole("listitem").filter({ hasText: CACHE }).filter({ hasText: "Hit ratio drop" });
  await expect(drop).toContainText(/Hit ratio fell to 3\d(\.\d)? % in the last 5 minutes from a median of 90 %/);
  await expect(page.getByTestId(`effective-${CACHE}`)).not.toHaveText("–");
});
