import { type APIRequestContext, expect, type Page, test } from "@playwright/test";

// Explore end to end: the builder picks a pushed counter and gauge (type and help shown), a label filter
// narrows the gauge, PromQL text mode runs an aggregation, the legend toggles series, and dragging across
// the chart zooms into an absolute range kept in the URL.

/** A key with every right, created the way the dashboard itself would (a same-origin browser call). */
async function createKey(page: Page): Promise<string> {
  await page.goto("/");
  return page.evaluate(async () => {
    const res = await fetch("/api/keys", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "e2e-explore", rights: ["ingest", "read", "admin"] }),
    });
    if (!res.ok) throw new Error(`POST /api/keys: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { secret: string }).secret;
  });
}

async function push(request: APIRequestContext, secret: string, job: string, body: string) {
  const res = await request.post(`/api/v1/push?job=${job}`, {
    headers: { authorization: `Bearer ${secret}`, "content-type": "text/plain; version=0.0.4" },
    data: body,
  });
  expect(res.status(), await res.text()).toBe(200);
}

/** Ten minutes of samples, one every 15 s, ending now: a counter per route and a gauge per queue. */
async function seed(request: APIRequestContext, secret: string) {
  const now = Date.now();
  for (let i = 40; i >= 0; i--) {
    const t = now - i * 15_000;
    const n = 40 - i;
    await push(
      request,
      secret,
      "e2e-explore",
      [
        "# HELP e2e_explore_requests_total Requests served by the e2e service.",
        "# TYPE e2e_explore_requests_total counter",
        `e2e_explore_requests_total{route="/a"} ${n * 30} ${t}`,
        `e2e_explore_requests_total{route="/b"} ${n * 12} ${t}`,
        "# HELP e2e_explore_queue_depth Jobs waiting in the e2e queue.",
        "# TYPE e2e_explore_queue_depth gauge",
        `e2e_explore_queue_depth{queue="jobs"} ${5 + (n % 7)} ${t}`,
        `e2e_explore_queue_depth{queue="mail"} ${2 + (n % 3)} ${t}`,
        "",
      ].join("\n"),
    );
  }
}

test("Explore builds a query from the picker, runs PromQL and zooms by dragging", async ({
  page,
  request,
}, testInfo) => {
  const secret = await createKey(page);
  await seed(request, secret);

  await page.goto("/explore");
  await expect(page.getByRole("heading", { name: "Explore", level: 1 })).toBeVisible();

  // The picker lists the counter with its type and help.
  const picker = page.getByRole("combobox", { name: "Metric" });
  await picker.click();
  await picker.fill("e2e_explore_req");
  const option = page.getByRole("option", { name: /^e2e_explore_requests_total/ });
  await expect(option).toContainText("counter");
  await expect(option).toContainText("Requests served by the e2e service.");
  await option.click();

  // A counter gets rate() by default; the chart draws one line per route.
  await expect(page.getByTestId("promql-preview")).toHaveText("rate(e2e_explore_requests_total[1m])");
  const chart = page.getByTestId("timeseries-chart");
  await expect(chart.locator("path.recharts-line-curve").first()).toBeVisible();
  const legend = chart.getByRole("list", { name: "Legend" });
  await expect(legend.getByRole("button")).toHaveCount(2);
  await expect(legend).toContainText('route="/a"');
  // The unit follows the metric: a request counter's rate is requests per second.
  await expect(legend).toContainText("req/s");

  // Legend click hides a series, a second click brings it back.
  const first = legend.getByRole("button").first();
  await first.click();
  await expect(first).toHaveAttribute("aria-pressed", "false");
  await expect(chart.locator("path.recharts-line-curve")).toHaveCount(1);
  await first.click();
  await expect(chart.locator("path.recharts-line-curve")).toHaveCount(2);

  // Aggregation in the builder.
  await page.getByLabel("Aggregation").selectOption("sum");
  await page.getByRole("group", { name: "Group by" }).getByLabel("route").check();
  await expect(page.getByTestId("promql-preview")).toHaveText("sum by (route) (rate(e2e_explore_requests_total[1m]))");

  // The gauge, narrowed by a label filter chip with value suggestions.
  await picker.click();
  await picker.fill("queue_depth");
  await page.getByRole("option", { name: /^e2e_explore_queue_depth/ }).click();
  await expect(page.getByTestId("promql-preview")).toHaveText("e2e_explore_queue_depth");
  await expect(page.getByTestId("metric-help")).toContainText("gauge");
  await page.getByLabel("Filter label").selectOption("queue");
  await expect(page.locator("datalist option[value='mail']")).toHaveCount(1);
  await page.getByLabel("Filter value").fill("jobs");
  await page.getByRole("button", { name: "Add filter" }).click();
  await expect(page.getByTestId("promql-preview")).toHaveText('e2e_explore_queue_depth{queue="jobs"}');
  await expect(legend.getByRole("button")).toHaveCount(1);

  // Text mode: the builder's query is there to edit; an aggregation over rate() is run.
  await page.getByRole("button", { name: "PromQL", exact: true }).click();
  const text = page.getByLabel("PromQL query");
  await expect(text).toHaveValue('e2e_explore_queue_depth{queue="jobs"}');
  await text.fill("sum(rate(e2e_explore_requests_total[1m]))");
  await page.getByRole("button", { name: "Run query" }).click();
  await expect(page).toHaveURL(/q=sum%28rate%28e2e_explore_requests_total/);
  await expect(legend.getByRole("button")).toHaveCount(1);
  await expect(legend).toContainText("sum(rate(e2e_explore_requests_total[1m]))");
  await expect(chart.locator("path.recharts-line-curve")).toHaveCount(1);
  // 30 + 12 per 15 s is 2.8 req/s.
  await expect(legend).toContainText("2.8 req/s");

  // A query the builder can read switches back to it.
  await page.getByRole("button", { name: "Builder", exact: true }).click();
  await expect(page.getByTestId("promql-preview")).toHaveText("sum(rate(e2e_explore_requests_total[1m]))");

  // Hover shows a tooltip with the formatted value.
  const surface = chart.locator(".recharts-surface").first();
  const box = await surface.boundingBox();
  if (!box) throw new Error("the chart has no size");
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
  await expect(page.locator(".chart-tooltip")).toContainText("req/s");

  // Drag across the middle of the chart: the range becomes absolute and the URL holds it.
  await page.mouse.move(box.x + box.width * 0.55, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 8 });
  await page.mouse.move(box.x + box.width * 0.85, box.y + box.height / 2, { steps: 8 });
  await page.mouse.up();
  await expect(page).toHaveURL(/from=\d{4}-\d{2}-\d{2}T/);
  await expect(page.getByTestId("range-current")).toContainText("(absolute)");
  await expect(chart.locator("path.recharts-line-curve")).toHaveCount(1);

  // The link opens the same view.
  const url = page.url();
  await page.goto(url);
  await expect(page.getByTestId("range-current")).toContainText("(absolute)");
  await expect(page.getByTestId("promql-preview")).toHaveText("sum(rate(e2e_explore_requests_total[1m]))");
  await expect(chart.locator("path.recharts-line-curve")).toHaveCount(1);

  await testInfo.attach("explore", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
});

test("Explore shows the PromQL error for a bad query", async ({ page }) => {
  await page.goto("/explore?mode=text&q=sum(rate(");
  await expect(page.getByRole("alert").filter({ hasText: "Query failed" })).toContainText("parse error");
});
