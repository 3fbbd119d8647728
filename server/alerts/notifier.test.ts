import { afterEach, describe, expect, it } from "vitest";
import type { TChannel } from "./channels";
import { Notifier } from "./notifier";
import type { TOutgoingAlert, TWebhookMessage } from "./notify";

const channel = (over: Partial<TChannel> = {}): TChannel => ({
  id: "ch1",
  name: "ops",
  url: "http://receiver.test/hook",
  groupBy: ["alertname"],
  groupWaitMs: 0,
  groupIntervalMs: 60_000,
  repeatIntervalMs: 3_600_000,
  headers: { authorization: "Bearer s3cret" },
  ...over,
});

const alert = (name: string, labels: Record<string, string> = {}, endsAtMs: number | null = null): TOutgoingAlert => ({
  labels: { alertname: name, severity: "warning", ...labels },
  annotations: { value: "12", threshold: "10" },
  startsAtMs: Date.now() - 1000,
  endsAtMs,
  generatorURL: "http://hotpath.test/explore?query=temp&threshold=10",
});

type TCall = { url: string; headers: Record<string, string>; body: TWebhookMessage };

function fakeFetch(statuses: number[]) {
  const calls: TCall[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    calls.push({ url, headers: init.headers as Record<string, string>, body: JSON.parse(String(init.body)) });
    const status = statuses.shift() ?? 200;
    return new Response("", { status, headers: status === 503 ? { "retry-after": "0" } : {} });
  }) as unknown as typeof fetch;
  return { fn, calls };
}

const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

const notifiers: Notifier[] = [];
afterEach(async () => {
  for (const n of notifiers.splice(0)) await n.stop(0);
});

function make(statuses: number[] = [], retry = { baseMs: 10, maxAttempts: 3 }) {
  const f = fakeFetch(statuses);
  const n = new Notifier({ externalUrl: () => "http://hotpath.test", fetch: f.fn, retry });
  notifiers.push(n);
  return { n, calls: f.calls };
}

describe("Notifier", () => {
  it("sends at once with a group wait of 0, with the channel's headers and Alertmanager's body", async () => {
    const { n, calls } = make();
    n.setChannels([channel()]);
    n.add(alert("Hot", { room: "a" }), []);
    await until(() => calls.length === 1);
    const c = calls[0] as TCall;
    expect(c.url).toBe("http://receiver.test/hook");
    expect(c.headers).toMatchObject({ authorization: "Bearer s3cret", "content-type": "application/json" });
    expect(c.body).toMatchObject({
      receiver: "ops",
      status: "firing",
      version: "4",
      externalURL: "http://hotpath.test",
      groupKey: '{}:{alertname="Hot"}',
      alerts: [
        { status: "firing", labels: { alertname: "Hot", room: "a" }, annotations: { value: "12", threshold: "10" } },
      ],
    });
    expect(n.status("ch1")).toMatchObject({ sent: 1, failed: 0 });
  });

  it("retries a 500 with back-off until the receiver takes it", async () => {
    const { n, calls } = make([500, 503]);
    n.setChannels([channel()]);
    n.add(alert("Hot"), []);
    await until(() => calls.length === 3);
    expect(n.status("ch1")).toMatchObject({ sent: 1, failed: 0 });
    expect(calls.map((c) => c.body.groupKey)).toEqual(Array(3).fill('{}:{alertname="Hot"}'));
  });

  it("gives up after the last attempt and sends again at the group's next flush", async () => {
    const { n, calls } = make([500, 500, 500, 500], { baseMs: 5, maxAttempts: 2 });
    n.setChannels([channel({ groupIntervalMs: 1000 })]);
    n.add(alert("Hot"), []);
    await until(() => calls.length === 3);
    expect(n.status("ch1")).toMatchObject({ failed: 1, lastError: "the receiver answered HTTP 500" });
    // Grouper.failed() put it back: not before the group interval, then once more.
    n.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.length).toBe(3);
    await until(() => calls.length >= 4);
    expect(calls[3]?.body.status).toBe("firing");
  });

  it("does not retry a 400: it would fail the same way", async () => {
    const { n, calls } = make([400]);
    n.setChannels([channel()]);
    n.add(alert("Hot"), []);
    await until(() => (n.status("ch1")?.failed ?? 0) === 1);
    expect(calls.length).toBe(1);
  });

  it("groups by the channel's labels and routes to the rule's channels only", async () => {
    const { n, calls } = make();
    n.setChannels([
      channel({ id: "a", name: "team-a", groupBy: ["room"], groupWaitMs: 30 }),
      channel({ id: "b", name: "team-b", url: "http://b.test/hook" }),
    ]);
    n.add(alert("Hot", { room: "1" }), ["a"]);
    n.add(alert("Cold", { room: "1" }), ["a"]);
    n.add(alert("Hot", { room: "2" }), ["a"]);
    await until(() => calls.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.length).toBe(2);
    const byRoom = Object.fromEntries(calls.map((c) => [c.body.groupLabels.room, c.body.alerts.length]));
    expect(byRoom).toEqual({ "1": 2, "2": 1 });
    expect(calls.every((c) => c.url === "http://receiver.test/hook")).toBe(true);
  });

  it("sends the resolved message after the firing one, in order", async () => {
    const { n, calls } = make([500]);
    n.setChannels([channel({ groupIntervalMs: 1000 })]);
    n.add(alert("Hot"), []);
    await until(() => calls.length >= 1);
    n.add(alert("Hot", {}, Date.now()), []);
    n.flush();
    // The firing message's retry goes first; the group interval holds the resolved one back.
    await until(() => calls.length === 2);
    await new Promise((r) => setTimeout(r, 1100));
    n.flush();
    await until(() => calls.length === 3);
    expect(calls.map((c) => c.body.status)).toEqual(["firing", "firing", "resolved"]);
    expect(calls[2]?.body.alerts[0]?.endsAt).not.toBe("0001-01-01T00:00:00Z");
  });
});
