import { expect, test } from "@playwright/test";

test("the app shell shows every section and a live status strip", async ({ page }) => {
  await page.goto("/");
  const nav = page.getByRole("navigation", { name: "Sections" });
  for (const label of ["Overview", "Explore", "Alerts", "Traces", "Queries", "Caches", "Agents", "Settings"]) {
    await expect(nav.getByRole("link", { name: label })).toBeVisible();
  }
  await expect(page.getByTestId("strip-connection")).toHaveText("live");
  await expect(page.getByTestId("strip-store")).toHaveText("pglite");

  // The strip is fed once a second: the uptime it shows must change without a reload.
  const uptime = page.getByTestId("strip-uptime");
  await expect(uptime).not.toHaveText("–");
  const first = await uptime.textContent();
  await expect(uptime).not.toHaveText(first ?? "", { timeout: 5_000 });
  await expect(page.getByTestId("strip-lag")).toContainText("ms");

  await expect(page.getByTestId("health-panel")).toContainText("is ok on pglite");

  await nav.getByRole("link", { name: "Queries" }).click();
  await expect(page.getByRole("heading", { name: "Queries" })).toBeVisible();
  await expect(page.getByTestId("strip-connection")).toHaveText("live");
});
