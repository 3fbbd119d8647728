import { expect, test } from "../fixtures/demo";

// From a live demo run (demo/service.ts in this worker, its agent pushing here every second, the load
// generator in the background): a rule on the demo's latency histogram is created in the editor, the
// matching fault (slow_dependency at full intensity slows GET /inventory/:id by 750-1250 ms) is switched on, the alert
// fires (toast, badge, firing table), is silenced in one click and shows as silenced.

const RULE = `InventorySlow${Date.now().toString(36)}`;
const QUERY =
  'histogram_quantile(0.95, sum by (le) (rate(http_server_request_duration_seconds_bucket{route="/inventory/:id"}[30s])))';

test("create a rule on a demo metric, trigger its fault, see it fire, silence it", async ({ page, demoRun }) => {
  test.setTimeout(150_000);
  demoRun.startLoad();

  // Wait (as a user would wait for data) until the route's histogram is in Hotpath.
  await expect
    .poll(
      async () => {
        const res = await page.request.get(
          `/api/v1/series?match[]=${encodeURIComponent('http_server_request_duration_seconds_bucket{route="/inventory/:id"}')}`,
          { headers: { origin: demoRun.hotpath } },
        );
        return res.ok() ? ((await res.json()) as { data: unknown[] }).data.length : 0;
      },
      { timeout: 40_000, intervals: [1000], message: `demo log:\n${demoRun.log.slice(-20).join("\n")}` },
    )
    .toBeGreaterThan(0);

  await page.goto("/alerts");
  await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();
  await page.getByRole("link", { name: "New rule" }).click();
  await expect(page.getByRole("heading", { name: "New alert rule" })).toBeVisible();

  await page.getByLabel("Rule name").fill(RULE);
  await page.getByRole("button", { name: "PromQL" }).click();
  await page.getByLabel("PromQL query").fill(QUERY);
  await page.getByRole("button", { name: "Run query" }).click();
  await page.getByLabel("Summary").fill("p95 of /inventory/:id is {{ humanizeDuration $value }}");

  // A threshold that is not a number is named as such, and the rule cannot be saved.
  await page.getByLabel("Threshold").fill("fast");
  await expect(page.getByText('threshold must be a number, not "fast"')).toBeVisible();
  await expect(page.getByRole("button", { name: "Create rule" })).toBeDisabled();
  await page.getByLabel("Threshold").fill("0.6");

  // The preview charts the query over the last 24 h, the threshold drawn, and says how often it would have fired.
  const preview = page.getByRole("region", { name: "Preview" });
  await expect(preview.getByTestId("would-have-fired")).toHaveText(
    /^Would (not have fired|have fired (once|\d+ times)) in the last 24 hours\./,
    { timeout: 15_000 },
  );
  await expect(preview.getByTestId("timeseries-chart")).toBeVisible();
  await expect(preview.locator(".recharts-reference-line")).toHaveCount(1);

  await page.getByRole("button", { name: "Create rule" }).click();
  await expect(page).toHaveURL(/\/alerts\?tab=rules$/);
  await expect(page.getByRole("table", { name: "Alert rules" }).getByRole("link", { name: RULE })).toBeVisible();

  await page.getByRole("tab", { name: "Alerts" }).click();
  await expect(page).toHaveURL(/\/alerts$/);

  await demoRun.fault("slow_dependency", 1);

  // A toast, live, without a reload.
  const toast = page.getByTestId("alert-toast").filter({ hasText: RULE });
  await expect(toast).toBeVisible({ timeout: 60_000 });
  await expect(toast).toContainText("p95 of /inventory/:id is");
  await expect(toast).toContainText("threshold 0.6");

  const firing = page.getByRole("table", { name: "Firing alerts" }).getByTestId("alert-row").filter({ hasText: RULE });
  await expect(firing).toBeVisible();
  await expect(page.getByTestId("alerts-badge")).toHaveText(/^[1-9]\d* firing$/);
  const chart = firing.getByRole("link", { name: "Chart" });
  await expect(chart).toHaveAttribute("href", /\/explore\?query=.*&threshold=0\.6$/);

  // One click silences it: it moves to the silenced table, marked so.
  await firing.getByRole("button", { name: "Silence" }).click();
  const silenced = page
    .getByRole("table", { name: "Silenced alerts" })
    .getByTestId("alert-row")
    .filter({ hasText: RULE });
  await expect(silenced).toBeVisible();
  await expect(silenced).toHaveAttribute("data-silenced", "true");
  await expect(silenced).toContainText("silenced");
  await expect(
    page.getByRole("table", { name: "Firing alerts" }).getByTestId("alert-row").filter({ hasText: RULE }),
  ).toHaveCount(0);

  await page.getByRole("tab", { name: "Silences" }).click();
  const silences = page.getByRole("table", { name: "Silences list" });
  await expect(silences).toContainText(`alertname="${RULE}"`);
  await expect(silences.getByRole("row").filter({ hasText: RULE })).toContainText("active");

  // The alert's chart link opens Explore with the threshold drawn on the query's chart.
  await page.getByRole("tab", { name: "Alerts" }).click();
  const href = await silenced.getByRole("link", { name: "Chart" }).getAttribute("href");
  await page.goto(href as string);
  await expect(page.getByRole("heading", { name: "Explore", level: 1 })).toBeVisible();
  await expect(page.getByTestId("timeseries-chart").locator(".recharts-reference-line")).toHaveCount(1, {
    timeout: 15_000,
  });
});
