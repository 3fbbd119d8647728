import { type APIRequestContext, expect, type Page, test } from "@playwright/test";

// Dashboards end to end: a panel built with Explore's builder in a new dashboard survives save and
// reload with its layout; a stale save is refused with a reload hint; the provisioned overview renders
// every panel kind it uses over pushed data; the theme toggle sticks.

async function createKey(page: Page): Promise<string> {
  await page.goto("/");
  return page.evaluate(async () => {
    const res = await fetch("/api/keys", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "e2e-dashboards", rights: ["ingest", "read", "admin"] }),
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

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Ten minutes of the agent's conventional metrics (README "Conventions"), one sample every 15 s. */
async function seedOverview(request: APIRequestContext, secret: string) {
  const now = Date.now();
  const routes = { "/users": 1, "/orders": 3 };
  for (let i = 40; i >= 0; i--) {
    const t = now - i * 15_000;
    const n = 41 - i;
    const lines = [
      "# TYPE http_server_request_duration_seconds histogram",
      "# HELP http_server_request_duration_seconds Duration of HTTP server requests.",
    ];
    for (const [route, slow] of Object.entries(routes)) {
      // Cumulative bucket counts: most requests fast, a slower tail on /orders.
      let cum = 0;
      for (const le of BUCKETS) {
        cum += Math.round((le < 0.05 * slow ? 20 : le < 0.25 * slow ? 6 : 1) * n);
        lines.push(`http_server_request_duration_seconds_bucket{route="${route}",status="200",le="${le}"} ${cum} ${t}`);
      }
      lines.push(`http_server_request_duration_seconds_bucket{route="${route}",status="200",le="+Inf"} ${cum} ${t}`);
      lines.push(`http_server_request_duration_seconds_count{route="${route}",status="200"} ${cum} ${t}`);
      lines.push(
        `http_server_request_duration_seconds_sum{route="${route}",status="200"} ${(cum * 0.03 * slow).toFixed(3)} ${t}`,
      );
      lines.push(`http_server_request_duration_seconds_count{route="${route}",status="500"} ${n * slow} ${t}`);
    }
    lines.push(
      "# TYPE process_cpu_seconds_total counter",
      `process_cpu_seconds_total ${(n * 4.5).toFixed(1)} ${t}`,
      "# TYPE process_resident_memory_bytes gauge",
      `process_resident_memory_bytes ${180_000_000 + (n % 5) * 4_000_000} ${t}`,
      "# TYPE nodejs_heap_size_used_bytes gauge",
      `nodejs_heap_size_used_bytes ${90_000_000 + (n % 7) * 3_000_000} ${t}`,
      "# TYPE nodejs_eventloop_lag_p99_seconds gauge",
      `nodejs_eventloop_lag_p99_seconds ${(0.012 + (n % 4) * 0.01).toFixed(3)} ${t}`,
      "# TYPE cache_requests_total counter",
      `cache_requests_total{cache="users",level="l1",result="hit"} ${n * 90} ${t}`,
      `cache_requests_total{cache="users",level="l1",result="miss"} ${n * 10} ${t}`,
      "# TYPE queue_depth gauge",
      `queue_depth{queue="emails"} ${3 + (n % 6)} ${t}`,
      "",
    );
    await push(request, secret, "e2e-api", lines.join("\n"));
  }
}

test("a panel built with the Explore builder is saved in a new dashboard and shown after a reload", async ({
  page,
  request,
}, testInfo) => {
  const secret = await createKey(page);
  const now = Date.now();
  for (let i = 20; i >= 0; i--) {
    await push(
      request,
      secret,
      "e2e-dash",
      [
        "# TYPE e2e_dash_requests_total counter",
        "# HELP e2e_dash_requests_total Requests served, for the dashboards e2e test.",
        `e2e_dash_requests_total{route="/a"} ${(20 - i) * 15} ${now - i * 15_000}`,
        `e2e_dash_requests_total{route="/b"} ${(20 - i) * 45} ${now - i * 15_000}`,
        "",
      ].join("\n"),
    );
  }

  await page.goto("/dashboards");
  await expect(page.getByRole("heading", { name: "Dashboards", level: 1 })).toBeVisible();
  await expect(
    page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Dashboards" }),
  ).toHaveAttribute("aria-current", "page");
  const title = `E2E dashboard ${Date.now()}`;
  const create = page.getByRole("form", { name: "Create a dashboard" });
  await create.getByLabel("Title").fill(title);
  await create.getByRole("button", { name: "Create dashboard" }).click();
  await expect(page).toHaveURL(/\/dashboards\/[\w-]+\?edit=1$/);
  const dashboardUrl = page.url().replace(/\?.*$/, "");

  // A panel from the builder: metric, sum by route, legend template, in the editor's live preview.
  await page.getByRole("button", { name: "Add panel" }).click();
  const editor = page.getByRole("dialog", { name: "New panel" });
  await editor.getByLabel("Panel title").fill("Requests by route");
  await editor.getByLabel("Panel unit").selectOption("reqps");
  const picker = editor.getByRole("combobox", { name: "Metric" });
  await picker.click();
  await picker.fill("e2e_dash");
  await editor.getByRole("option", { name: /^e2e_dash_requests_total/ }).click();
  await editor.getByLabel("Aggregation").selectOption("sum");
  await editor.getByRole("group", { name: "Group by" }).getByLabel("route").check();
  await expect(editor.getByTestId("promql-preview")).toHaveText("sum by (route) (rate(e2e_dash_requests_total[1m]))");
  await editor.getByLabel("Legend for query A").fill("route {{route}}");
  const preview = editor.getByRole("region", { name: "Preview" });
  await expect(preview.locator("path.recharts-line-curve")).toHaveCount(2);
  await expect(preview.getByRole("list", { name: "Legend" })).toContainText("route /b");
  await testInfo.attach("panel-editor", { body: await page.screenshot(), contentType: "image/png" });
  await editor.getByRole("button", { name: "Apply" }).click();
  await expect(editor).toHaveCount(0);

  // Arrange it: wider and taller, then save.
  const panel = page.getByRole("region", { name: "Requests by route" });
  await expect(panel.locator("path.recharts-line-curve")).toHaveCount(2);
  await panel.getByRole("button", { name: "Wider" }).click();
  await panel.getByRole("button", { name: "Taller" }).click();
  await expect(page.getByText("unsaved changes")).toBeVisible();
  await page.getByRole("button", { name: "Save dashboard" }).click();
  await expect(page.getByRole("button", { name: "Edit" })).toBeVisible();
  await expect(page).not.toHaveURL(/edit=1/);

  await page.goto(dashboardUrl);
  await expect(page.getByRole("heading", { name: title, level: 1 })).toBeVisible();
  const saved = page.getByRole("region", { name: "Requests by route" });
  await expect(saved.locator("path.recharts-line-curve")).toHaveCount(2);
  await expect(saved.getByRole("list", { name: "Legend" })).toContainText("route /a");
  // 45 per 15 s is 3 req/s.
  await expect(saved.getByRole("list", { name: "Legend" })).toContainText("3 req/s");
  // Its place on the 12-column grid: x 0, width 7 (6 + 1), height 9 (8 + 1).
  await expect
    .poll(() => saved.evaluate((el) => [el.style.gridColumn, el.style.gridRow]))
    .toEqual(["1 / span 7", "1 / span 9"]);

  // The list shows it; duplicating makes a copy.
  await page.goto("/dashboards");
  const row = page.getByRole("row").filter({ hasText: title }).first();
  await expect(row).toContainText("1");
  await row.getByRole("button", { name: "Duplicate" }).click();
  await expect(page.getByRole("link", { name: `${title} (copy)` })).toBeVisible();
  const copyRow = page.getByRole("row").filter({ hasText: `${title} (copy)` });
  await copyRow.getByRole("button", { name: "Delete" }).click();
  await copyRow.getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByRole("link", { name: `${title} (copy)` })).toHaveCount(0);
});

test("saving over a newer version is refused and asks for a reload", async ({ page }) => {
  await page.goto("/dashboards");
  const title = `E2E conflict ${Date.now()}`;
  await page.getByRole("form", { name: "Create a dashboard" }).getByLabel("Title").fill(title);
  await page.getByRole("button", { name: "Create dashboard" }).click();
  await expect(page).toHaveURL(/\?edit=1$/);
  const uid = new URL(page.url()).pathname.split("/").pop() as string;

  await page.getByLabel("Dashboard title").fill(`${title} (mine)`);
  // Someone else saves first, from the version this editor loaded.
  const status = await page.evaluate(async (id) => {
    const d = await (await fetch(`/api/dashboards/${id}`)).json();
    const res = await fetch(`/api/dashboards/${id}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        title: `${d.title} (theirs)`,
        description: d.description,
        spec: d.spec,
        version: d.version,
      }),
    });
    return res.status;
  }, uid);
  expect(status).toBe(200);

  await page.getByRole("button", { name: "Save dashboard" }).click();
  const conflict = page.getByRole("alert").filter({ hasText: "Someone saved this dashboard" });
  await expect(conflict).toContainText("reload");
  await conflict.getByRole("button", { name: "Reload dashboard" }).click();
  await expect(page.getByLabel("Dashboard title")).toHaveValue(`${title} (theirs)`);
});

test("the provisioned overview dashboard renders its panels over pushed data", async ({ page, request }, testInfo) => {
  const secret = await createKey(page);
  await seedOverview(request, secret);

  await page.setViewportSize({ width: 1440, height: 1600 });
  await page.goto("/dashboards/data-api-overview?from=now-15m&to=now");
  await expect(page.getByRole("heading", { name: "Data API overview", level: 1 })).toBeVisible();
  await expect(page.getByText("provisioned", { exact: true })).toBeVisible();
  const grid = page.getByTestId("dashboard-grid");
  await expect(grid.locator(".dash-panel")).toHaveCount(16);

  const rps = page.getByRole("region", { name: "Requests per second by route" });
  await expect(rps.locator("path.recharts-area-curve").first()).toBeVisible();
  await expect(rps.getByRole("list", { name: "Legend" })).toContainText("/orders");
  await expect(
    // Three queries, two routes each, drawn as lines (a "d" with segments), not isolated points: the
    // queries share their timestamps.
    page.getByRole("region", { name: "Latency p50 / p95 / p99 by route" }).locator('path.recharts-line-curve[d*="L"]'),
  ).toHaveCount(6);
  // Heatmap of the histogram's buckets, a stat with its sparkline, a table of routes.
  await expect(
    page.getByRole("region", { name: "Request duration distribution" }).locator("svg rect").first(),
  ).toBeVisible();
  await expect(
    page.getByRole("region", { name: "Requests per second", exact: true }).getByTestId("stat-panel"),
  ).toContainText("req/s");
  await expect(page.getByRole("table", { name: "Routes by p95" })).toContainText("/orders");
  await expect(
    page.getByRole("region", { name: "Heap used and RSS" }).getByRole("list", { name: "Legend" }),
  ).toContainText("MiB");
  // Two queries (heap, RSS) over our job (Hotpath may report its own too), drawn as lines, not points.
  const memory = page.getByRole("region", { name: "Heap used and RSS" });
  await expect(memory.getByRole("list", { name: "Legend" })).toContainText("rss e2e-api");
  await expect(memory.locator('path.recharts-line-curve[name$="e2e-api"][d*="L"]')).toHaveCount(2);

  // The shared range applies to every panel and lives in the URL.
  await page.getByRole("group", { name: "Time range" }).getByRole("button", { name: "1 h" }).click();
  await expect(page).toHaveURL(/from=now-1h/);
  await expect(rps.locator("path.recharts-area-curve").first()).toBeVisible();

  await testInfo.attach("overview-dashboard", {
    body: await page.screenshot({ fullPage: true }),
    contentType: "image/png",
  });

  // Theme toggle: the other palette, kept across a reload.
  const before = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.getByTestId("theme-toggle").click();
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  expect(theme === "light" || theme === "dark").toBe(true);
  await expect.poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe(before);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Data API overview", level: 1 })).toBeVisible();
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
  await testInfo.attach(`overview-dashboard-${theme}`, {
    body: await page.screenshot({ fullPage: true }),
    contentType: "image/png",
  });
});
