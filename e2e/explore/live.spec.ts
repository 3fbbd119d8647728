import { expect, test } from "@playwright/test";

// Live mode: Explore subscribes to its query over Socket.IO ("query:subscribe", lib/contracts/live.ts)
// and a pushed sample shows up on the chart within 2 s, without a reload and without waiting for the
// 10 s polling fallback.
test("a pushed sample appears on a live Explore chart within 2 s", async ({ page, request }) => {
  await page.goto("/");
  const secret = await page.evaluate(async () => {
    const res = await fetch("/api/keys", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "e2e-live", rights: ["ingest", "read", "admin"] }),
    });
    if (!res.ok) throw new Error(`POST /api/keys: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { secret: string }).secret;
  });
  const push = async (value: number) => {
    const res = await request.post("/api/v1/push?job=e2e-live", {
      headers: { authorization: `Bearer ${secret}`, "content-type": "text/plain; version=0.0.4" },
      data: `# TYPE e2e_live_gauge gauge\ne2e_live_gauge ${value}\n`,
    });
    expect(res.status(), await res.text()).toBe(200);
  };
  await push(1);

  await page.goto("/explore?q=e2e_live_gauge&mode=text&from=now-5m&to=now&live=1");
  const legend = page.getByTestId("timeseries-chart").getByRole("list", { name: "Legend" });
  await expect(legend).toContainText("e2e_live_gauge");

  const status = page.getByTestId("live-status");
  await expect(
    status,
    'the server must answer "query:subscribe" with { ok: true, id } (lib/contracts/live.ts); without the ack Explore falls back to polling',
  ).toHaveText("● live", { timeout: 10_000 });

  await push(4242);
  // 4242 formats as "4.24k": the new point is the series' last value in the legend.
  await expect(legend, "the pushed value must arrive over the socket (query:points) within 2 s").toContainText(
    "4.24k",
    {
      timeout: 2_000,
    },
  );
  await expect(status).toHaveText("● live");
});
