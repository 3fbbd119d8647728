import { expect, test } from "@playwright/test";

// The full life of an agent key: created on the Agents page, used by an agent (Prometheus text push
// and Pushgateway push), its push group listed, then revoked from the page and refused from then on.
test("an API key created on the Agents page lets an agent push until it is revoked", async ({ page, request }) => {
  const body = "e2e_probe_total 1\n";
  await page.goto("/agents");
  await expect(page.getByRole("heading", { name: "Agents", level: 1 })).toBeVisible();
  await expect(page.getByText("POST /api/v1/push")).toBeVisible();

  // The server's validation message is shown next to the form.
  const form = page.getByRole("form", { name: "Create an API key" });
  await form.getByRole("button", { name: "Create key" }).click();
  // Next.js keeps an empty route-announcer alert on every page: look for ours by its text.
  const formError = page.getByRole("alert").filter({ hasText: "Could not create the key" });
  await expect(formError).toContainText("name is required");

  await form.getByLabel("Name").fill("e2e-agent");
  await expect(form.getByLabel("ingest")).toBeChecked();
  await expect(form.getByLabel("read")).not.toBeChecked();
  await expect(form.getByLabel("admin")).not.toBeChecked();
  await form.getByRole("button", { name: "Create key" }).click();

  const created = page.getByRole("region", { name: "New API key" });
  await expect(created).toContainText("Copy it now: Hotpath stores only its hash");
  await expect(created.getByRole("button", { name: "Copy" })).toBeVisible();
  const secret = await created.getByLabel("New key secret").inputValue();
  expect(secret).toMatch(/^hp_/);
  await expect(formError).toHaveCount(0);

  // Rows are found by the key's prefix, so keys left by other tests or retries do not interfere.
  const keyRow = page
    .getByRole("table", { name: "API keys" })
    .getByRole("row")
    .filter({ hasText: secret.slice(0, 10) });
  await expect(keyRow).toContainText("e2e-agent");
  await expect(keyRow).toContainText("ingest");
  await expect(keyRow).toContainText("never");
  await expect(keyRow).toContainText("active");

  const auth = { authorization: `Bearer ${secret}`, "content-type": "text/plain; version=0.0.4" };
  const push = await request.post("/api/v1/push?job=e2e", { headers: auth, data: body });
  expect(push.status(), await push.text()).toBe(200);
  const pg = await request.put("/metrics/job/e2e", { headers: auth, data: body });
  expect(pg.status(), await pg.text()).toBe(200);

  // "Last seen" is flushed every 30 s, so the push group is the proof the push landed.
  await page.reload();
  const groupRow = page
    .getByRole("table", { name: "Push groups" })
    .getByRole("row")
    .filter({ has: page.getByRole("cell", { name: "e2e", exact: true }) });
  await expect(groupRow).toHaveCount(1);
  await expect(groupRow.getByRole("cell").nth(2)).toHaveText("1");
  await expect(groupRow).toContainText(/\d+ s ago/);
  await expect(groupRow).toContainText("replace");
  // The secret was shown once: after a reload it is gone from the page.
  await expect(page.getByRole("region", { name: "New API key" })).toHaveCount(0);

  // Revoking takes two clicks.
  const revokedRow = page
    .getByRole("table", { name: "API keys" })
    .getByRole("row")
    .filter({ hasText: secret.slice(0, 10) });
  await revokedRow.getByRole("button", { name: "Revoke" }).click();
  await revokedRow.getByRole("button", { name: "Confirm revoke" }).click();
  await expect(revokedRow).toContainText("revoked at");
  await expect(revokedRow.getByRole("button")).toHaveCount(0);

  const refused = await request.put("/metrics/job/e2e", { headers: auth, data: body });
  expect(refused.status()).toBe(401);
});
