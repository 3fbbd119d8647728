// The transport alone, with an injected fetch: back-off schedule, Retry-After, the bounded buffer and
// what each answer does to a queued body.
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Backoff, MAX_RETRY_AFTER_MS, parseRetryAfter } from "./backoff";
import { countSamples, rewriteExposition } from "./exposition";
import { createAgent } from "./index";
import { PushQueue, type TQueuedBody } from "./push";

function body(bytes: number, samples = 10): TQueuedBody {
  return { body: new Uint8Array(bytes), samples, contentType: "text/plain", collectedAtMs: Date.now() };
}

type TCall = { url: string; init: RequestInit };

/** A fetch that answers from a script of responses (or errors), recording each call. */
function scriptedFetch(script: (call: number) => Response | Error | Promise<Response>) {
  const calls: TCall[] = [];
  const fn = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const r = await script(calls.length);
    if (r instanceof Error) throw r;
    return r;
  }) as typeof fetch;
  return { fn, calls };
}

const ok = () => new Response('{"status":"success"}', { status: 200 });
const refused = () => new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) });

/** Lets I/O callbacks and promise chains run without moving fake time (vi.waitFor would move it). */
async function settle() {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

afterEach(() => {
  vi.useRealTimers();
});

describe("Backoff", () => {
  it("doubles from 1 s to a 15 s ceiling", () => {
    const b = new Backoff({ random: () => 0.5 });
    const delays = Array.from({ length: 9 }, () => b.nextDelayMs());
    expect(delays).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000, 15000, 15000]);
    b.reset();
    expect(b.nextDelayMs()).toBe(1000);
  });

  it("applies ±20% jitter, never above the ceiling", () => {
    const low = new Backoff({ random: () => 0 });
    const high = new Backoff({ random: () => 0.999999 });
    expect(low.nextDelayMs()).toBe(800);
    expect(high.nextDelayMs()).toBe(1200);
    for (let i = 0; i < 10; i++) {
      low.nextDelayMs();
      high.nextDelayMs();
    }
    expect(low.nextDelayMs()).toBe(12000);
    expect(high.nextDelayMs()).toBe(15000);
    const spread = new Set(Array.from({ length: 20 }, () => new Backoff().nextDelayMs()));
    expect(spread.size).toBeGreaterThan(1);
    for (const d of spread) expect(d).toBeGreaterThanOrEqual(800);
  });

  it("honours Retry-After: never less, at most 10% more", () => {
    expect(new Backoff({ random: () => 0 }).retryAfterDelayMs(7000)).toBe(7000);
    expect(new Backoff({ random: () => 0.999999 }).retryAfterDelayMs(7000)).toBe(7700);
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("5", now)).toBe(5000);
    expect(parseRetryAfter(" 1.5 ", now)).toBe(1500);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 23:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("99999", now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("PushQueue", () => {
  it("keeps queued bytes under maxBufferBytes, dropping the oldest and counting them", () => {
    const drops: number[] = [];
    const q = new PushQueue({
      url: "http://hotpath.invalid/api/v1/push",
      maxBufferBytes: 3500,
      fetch: scriptedFetch(() => refused()).fn,
      onDrop: (_b, s) => drops.push(s),
    });
    const bodies = [body(1000, 1), body(1000, 2), body(1000, 3), body(1000, 4), body(1000, 5)];
    for (const b of bodies) q.enqueue(b);
    expect(q.stats.queuedBodies).toBe(3);
    expect(q.stats.queuedBytes).toBe(3000);
    expect(q.stats.droppedBodies).toBe(2);
    expect(q.stats.droppedSamples).toBe(1 + 2);
    expect(drops).toEqual([1, 2]);
    // A single body larger than the bound is kept alone rather than lost.
    q.enqueue(body(10_000, 9));
    expect(q.stats.queuedBodies).toBe(1);
    expect(q.stats.droppedBodies).toBe(5);
  });

  it("never evicts the body in flight", async () => {
    let release: (r: Response) => void = () => {};
    const f = scriptedFetch(() => new Promise<Response>((r) => (release = r)));
    const q = new PushQueue({ url: "http://h/api/v1/push", maxBufferBytes: 2500, fetch: f.fn });
    const first = body(1000, 1);
    q.enqueue(first);
    const flushing = q.flush();
    await vi.waitFor(() => expect(f.calls).toHaveLength(1));
    q.enqueue(body(1000, 2));
    q.enqueue(body(1000, 3)); // over the bound: the oldest *not in flight* goes
    expect(q.stats.droppedSamples).toBe(2);
    release(ok());
    // the loop goes on with what is left
    await vi.waitFor(() => expect(f.calls).toHaveLength(2));
    release(ok());
    await flushing;
    expect(q.stats.pushes).toBe(2);
    expect(q.stats.queuedBodies).toBe(0);
  });

  it("backs off exponentially on network errors; flush() overrides the back-off", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const f = scriptedFetch((n) => (n <= 3 ? refused() : ok()));
    const q = new PushQueue({
      url: "http://h/api/v1/push",
      maxBufferBytes: 1e6,
      fetch: f.fn,
      backoff: { random: () => 0.5 },
    });
    q.enqueue(body(100));
    q.kick();
    await settle();
    expect(q.stats.failures).toBe(1);
    expect(f.calls).toHaveLength(1);
    expect(q.waiting).toBe(true);
    expect(q.stats.lastError).toMatch(/fetch failed.*ECONNREFUSED/);
    await vi.advanceTimersByTimeAsync(999);
    expect(f.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2); // 1 s: the retry timer fires
    await settle();
    expect(f.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1990);
    expect(f.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(20); // 2 s
    await settle();
    expect(f.calls).toHaveLength(3);
    // now waiting 4 s; a flush does not wait
    await q.flush();
    expect(f.calls).toHaveLength(4);
    expect(q.stats.pushes).toBe(1);
    expect(q.stats.lastError).toBeUndefined();
    expect(q.waiting).toBe(false);
  });

  it("waits the Retry-After of a 429/503, even through flush()", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const f = scriptedFetch((n) =>
      n === 1
        ? new Response('{"error":{"message":"ingest buffer is full"}}', {
            status: 429,
            headers: { "retry-after": "7" },
          })
        : n === 2
          ? new Response("down", { status: 503, headers: { "retry-after": "3" } })
          : ok(),
    );
    const q = new PushQueue({
      url: "http://h/api/v1/push",
      maxBufferBytes: 1e6,
      fetch: f.fn,
      backoff: { random: () => 0 },
    });
    q.enqueue(body(100));
    await q.flush();
    expect(f.calls).toHaveLength(1);
    expect(q.stats.lastError).toBe("HTTP 429 from http://h/api/v1/push: ingest buffer is full");
    await q.flush(); // Retry-After pending: not sent
    expect(f.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(6900);
    expect(f.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100); // 7 s after the 429
    await settle();
    expect(f.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2800);
    expect(f.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(200); // 3 s after the 503
    await settle();
    expect(q.stats.pushes).toBe(1);
    expect(q.stats.failures).toBe(2);
    expect(q.stats.droppedBodies).toBe(0);
  });

  it("drops a body refused with 400 (logged once per message) and goes on", async () => {
    const logs: string[] = [];
    const f = scriptedFetch((n) =>
      n <= 2
        ? new Response('{"error":{"code":"parse_error","message":"line 3, column 1: bad"}}', { status: 400 })
        : ok(),
    );
    const q = new PushQueue({ url: "http://h/p", maxBufferBytes: 1e6, fetch: f.fn, log: (m) => logs.push(m) });
    q.enqueue(body(10, 4));
    q.enqueue(body(10, 5));
    q.enqueue(body(10, 6));
    await q.flush();
    expect(f.calls).toHaveLength(3);
    expect(q.stats).toMatchObject({ pushes: 1, failures: 2, droppedBodies: 2, droppedSamples: 9, queuedBodies: 0 });
    expect(q.waiting).toBe(false);
    expect(logs.filter((l) => l.includes("line 3, column 1: bad"))).toHaveLength(1);
  });

  it("pauses on 401/403 until the next interval, keeping the body", async () => {
    const f = scriptedFetch((n) => (n === 1 ? new Response("{}", { status: 401 }) : ok()));
    const q = new PushQueue({ url: "http://h/p", maxBufferBytes: 1e6, fetch: f.fn });
    q.enqueue(body(10));
    await q.flush(true);
    expect(q.stats.lastError).toMatch(/^HTTP 401/);
    expect(q.waiting).toBe(true);
    q.kick();
    await q.flush();
    expect(f.calls).toHaveLength(1);
    expect(q.stats.queuedBodies).toBe(1);
    q.newInterval();
    await q.flush();
    expect(f.calls).toHaveLength(2);
    expect(q.stats.pushes).toBe(1);
    expect(q.stats.queuedBodies).toBe(0);
  });

  it("sends gzip with the content type and headers given", async () => {
    const f = scriptedFetch(() => ok());
    const q = new PushQueue({
      url: "http://h/api/v1/push?job=a",
      headers: { authorization: "Bearer k" },
      maxBufferBytes: 1e6,
      fetch: f.fn,
    });
    q.enqueue({ ...body(5), contentType: "text/plain; version=0.0.4" });
    await q.flush();
    const headers = f.calls[0]?.init.headers as Record<string, string>;
    expect(headers).toMatchObject({
      authorization: "Bearer k",
      "content-type": "text/plain; version=0.0.4",
      "content-encoding": "gzip",
    });
  });
});

describe("exposition rewrite", () => {
  it("stamps every sample line that has no timestamp", () => {
    const text = [
      "# HELP a_total A.",
      "# TYPE a_total counter",
      'a_total{path="/x y",q="say \\"hi\\" }"} 3',
      "b 1.5",
      "c 2 1700000000000",
      "",
    ].join("\n");
    const out = rewriteExposition(text, { timestampMs: 1234 });
    expect(out.samples).toBe(3);
    expect(out.text.split("\n")).toEqual([
      "# HELP a_total A.",
      "# TYPE a_total counter",
      'a_total{path="/x y",q="say \\"hi\\" }"} 3 1234',
      "b 1.5 1234",
      "c 2 1700000000000",
      "",
    ]);
    expect(countSamples(out.text)).toBe(3);
  });

  it("renames clashing job/instance labels to exported_*", () => {
    const out = rewriteExposition('up{job="node",x="job=\\"y\\"",instance="a:1"} 1\n', {
      exportLabels: ["job", "instance"],
    });
    expect(out.text).toBe('up{exported_job="node",x="job=\\"y\\"",exported_instance="a:1"} 1\n');
  });
});

describe("agent transport (injected fetch)", () => {
  it("pushes gzip'd, timestamped Prometheus text to /api/v1/push with job and instance", async () => {
    const f = scriptedFetch(() => ok());
    const agent = createAgent({
      url: "http://hotpath.test:3000/",
      key: "secret-key-123456",
      service: "orders api",
      instance: "host-1:8080",
      fetch: f.fn,
      traces: false,
      logger: false,
    });
    agent.queueGauge(
      "emails",
      () => 12,
      () => 3.5,
    );
    agent.workerPoolGauges("resize", () => ({ size: 4, active: 3, queued: 9 }));
    const before = Date.now();
    await agent.flush();
    await agent.shutdown();
    expect(f.calls.length).toBeGreaterThanOrEqual(1);
    const call = f.calls[0] as TCall;
    expect(call.url).toBe("http://hotpath.test:3000/api/v1/push?job=orders%20api&instance=host-1%3A8080");
    expect(call.init.headers).toMatchObject({ authorization: "Bearer secret-key-123456", "content-encoding": "gzip" });
    const text = gunzipSync(call.init.body as Uint8Array).toString("utf8");
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
    const depth = /^queue_depth\{queue="emails"\} 12 (\d+)$/m.exec(text);
    expect(depth).not.toBeNull();
    expect(Number(depth?.[1])).toBeGreaterThanOrEqual(before);
    expect(text).toMatch(/^queue_consumer_lag_seconds\{queue="emails"\} 3.5 \d+$/m);
    expect(text).toMatch(/^worker_pool_queued\{pool="resize"\} 9 \d+$/m);
    expect(text).toMatch(/^hotpath_agent_push_failures_total 0 \d+$/m);
    expect(agent.stats).toMatchObject({ pushes: 2, failures: 0, droppedBodies: 0 });
  });

  it("never throws into the host: a throwing fetch, a throwing gauge, a dead URL", async () => {
    const logs: string[] = [];
    const agent = createAgent({
      url: "http://127.0.0.1:9",
      service: "svc",
      fetch: (() => {
        throw new Error("boom");
      }) as typeof fetch,
      traces: false,
      defaultMetrics: false,
      logger: (m) => logs.push(m),
      pushIntervalMs: 10,
    });
    agent.queueGauge("q", () => {
      throw new Error("gauge exploded");
    });
    agent.start();
    await new Promise((r) => setTimeout(r, 50));
    await expect(agent.flush()).resolves.toBeUndefined();
    await expect(agent.shutdown()).resolves.toBeUndefined();
    await expect(agent.shutdown()).resolves.toBeUndefined();
    expect(agent.stats.failures).toBeGreaterThanOrEqual(1);
    expect(agent.stats.lastError).toContain("boom");
    expect(logs.filter((l) => l.includes("gauge exploded"))).toHaveLength(1);
  });

  it("rejects invalid options at creation", () => {
    expect(() => createAgent({ url: "not a url", service: "x" })).toThrow(/valid URL/);
    expect(() => createAgent({ url: "ftp://h", service: "x" })).toThrow(/http or https/);
    expect(() => createAgent({ url: "http://h", service: " " })).toThrow(/service/);
    expect(() => createAgent({ url: "http://h", service: "x", pushIntervalMs: 0 })).toThrow(/pushIntervalMs/);
  });
});
