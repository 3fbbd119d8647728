// The analyzer's span side: spans from the bus grouped into traces; a trace is analysed once it has
// been quiet for a moment (children usually arrive in the same export as their root, late ones in the
// next), then folded into 5 s buckets: per route, the attribution of its requests' time; per
// statement fingerprint, its duration, rows and plans; N+1 repeats per route; per downstream peer,
// client-call durations. Each bucket keeps its slowest example trace for the evidence.

import type { TSpanIn } from "../ingest/model";
import { fingerprint } from "../sql/fingerprint";
import { attributeTrace, PARTS, type TParts } from "./attribution";
import { detectNPlusOne } from "./nplusone";
import { BUCKET_MS, HISTORY_BUCKETS, SEP } from "./signals";
import { classifySpan, statementOf, type TTraceSpan } from "./spans";

const SETTLE_MS = 2500;
const MAX_OPEN_TRACES = 20_000;

export type TRouteBucket = {
  count: number;
  errors: number;
  totalMs: number;
  parts: TParts;
  example?: string;
  exampleMs: number;
};
export type TStatementBucket = {
  count: number;
  totalMs: number;
  maxMs: number;
  rows: number;
  example?: string;
  exampleMs: number;
};
export type TNPlusOneBucket = {
  traces: number;
  repeats: number;
  example?: string;
  statement: string;
  recommendation: string;
};
export type TPeerBucket = { count: number; totalMs: number; example?: string; exampleMs: number };

/** Values keyed by name then bucket, pruned to the analyzer's history. */
class Buckets<T> {
  readonly byKey = new Map<string, Map<number, T>>();
  constructor(private readonly empty: () => T) {}

  at(key: string, bucket: number): T {
    let m = this.byKey.get(key);
    if (!m) {
      m = new Map();
      this.byKey.set(key, m);
    }
    let v = m.get(bucket);
    if (!v) {
      v = this.empty();
      m.set(bucket, v);
    }
    return v;
  }

  get(key: string, bucket: number): T | undefined {
    return this.byKey.get(key)?.get(bucket);
  }

  prune(oldestBucket: number): void {
    for (const [k, m] of this.byKey) {
      for (const b of m.keys()) if (b < oldestBucket) m.delete(b);
      if (m.size === 0) this.byKey.delete(k);
    }
  }
}

const zeroParts = (): TParts => Object.fromEntries(PARTS.map((p) => [p, 0])) as TParts;

export function toTraceSpanIn(s: TSpanIn): TTraceSpan {
  const route = s.attributes["http.route"];
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? null,
    service: String(s.resource["service.name"] ?? "unknown_service"),
    name: s.name,
    kind: s.kind,
    startNs: Number(s.startUnixNano),
    durationNs: Number(s.endUnixNano - s.startUnixNano),
    status: s.status,
    route: typeof route === "string" ? route : null,
    attributes: s.attributes as Record<string, unknown>,
  };
}

export type TPlanSample = { plan: string; traceId: string; atMs: number; statement: string };

export class TraceWindow {
  private readonly open = new Map<string, { spans: TTraceSpan[]; lastMs: number }>();
  readonly routes = new Buckets<TRouteBucket>(() => ({
    count: 0,
    errors: 0,
    totalMs: 0,
    parts: zeroParts(),
    exampleMs: -1,
  }));
  readonly statements = new Buckets<TStatementBucket>(() => ({
    count: 0,
    totalMs: 0,
    maxMs: 0,
    rows: 0,
    exampleMs: -1,
  }));
  readonly nPlusOne = new Buckets<TNPlusOneBucket>(() => ({
    traces: 0,
    repeats: 0,
    statement: "",
    recommendation: "",
  }));
  readonly peers = new Buckets<TPeerBucket>(() => ({ count: 0, totalMs: 0, exampleMs: -1 }));
  /** The latest plan per statement fingerprint key (service SEP fingerprint). */
  readonly plans = new Map<string, TPlanSample>();
  /** Statement text per fingerprint key, for the findings' wording. */
  readonly statementText = new Map<string, string>();
  dropped = 0;

  add(spans: readonly TSpanIn[], nowMs: number): void {
    for (const s of spans) {
      let t = this.open.get(s.traceId);
      if (!t) {
        if (this.open.size >= MAX_OPEN_TRACES) {
          this.dropped++;
          continue;
        }
        t = { spans: [], lastMs: nowMs };
        this.open.set(s.traceId, t);
      }
      t.spans.push(toTraceSpanIn(s));
      t.lastMs = nowMs;
    }
  }

  /** Analyses the traces that have been quiet for the settle time. */
  flush(nowMs: number, force = false): number {
    let n = 0;
    for (const [id, t] of this.open) {
      if (!force && nowMs - t.lastMs < SETTLE_MS) continue;
      this.open.delete(id);
      this.analyse(t.spans);
      n++;
    }
    this.routes.prune(Math.floor(nowMs / BUCKET_MS) - HISTORY_BUCKETS);
    this.statements.prune(Math.floor(nowMs / BUCKET_MS) - HISTORY_BUCKETS);
    this.nPlusOne.prune(Math.floor(nowMs / BUCKET_MS) - HISTORY_BUCKETS);
    this.peers.prune(Math.floor(nowMs / BUCKET_MS) - HISTORY_BUCKETS);
    return n;
  }

  private analyse(spans: TTraceSpan[]): void {
    for (const r of attributeTrace(spans)) {
      const b = this.routes.at(`${r.service}${SEP}${r.route}`, Math.floor(r.startNs / 1e6 / BUCKET_MS));
      b.count++;
      if (r.status === "error") b.errors++;
      b.totalMs += r.totalMs;
      for (const p of PARTS) b.parts[p] += r.parts[p];
      if (r.totalMs > b.exampleMs) {
        b.exampleMs = r.totalMs;
        b.example = r.traceId;
      }
    }
    for (const s of spans) {
      const cls = classifySpan(s);
      const bucket = Math.floor(s.startNs / 1e6 / BUCKET_MS);
      const ms = s.durationNs / 1e6;
      if (cls === "sql") {
        const text = statementOf(s);
        if (!text) continue;
        const fp = fingerprint(text);
        const key = `${s.service}${SEP}${fp.id}`;
        if (!this.statementText.has(key)) this.statementText.set(key, fp.text);
        const b = this.statements.at(key, bucket);
        b.count++;
        b.totalMs += ms;
        b.maxMs = Math.max(b.maxMs, ms);
        const rows = s.attributes["db.response.returned_rows"];
        if (typeof rows === "number") b.rows += rows;
        if (ms > b.exampleMs) {
          b.exampleMs = ms;
          b.example = s.traceId;
        }
        const plan = s.attributes["db.plan"];
        if (typeof plan === "string") {
          const sample = { plan, traceId: s.traceId, atMs: s.startNs / 1e6, statement: text };
          this.plans.set(key, sample);
          // The agent's metric label is the statement cut at 200 characters: found by that too.
          if (text.length > 200) this.plans.set(`${s.service}${SEP}${fingerprint(text.slice(0, 200)).id}`, sample);
        }
      } else if (cls === "downstream") {
        const peer = String(s.attributes["server.address"] ?? s.attributes["net.peer.name"] ?? s.name);
        const b = this.peers.at(`${s.service}${SEP}${peer}`, bucket);
        b.count++;
        b.totalMs += ms;
        if (ms > b.exampleMs) {
          b.exampleMs = ms;
          b.example = s.traceId;
        }
      }
    }
    for (const f of detectNPlusOne(spans).findings) {
      const key = `${f.service}${SEP}${f.route ?? "?"}${SEP}${f.fingerprint}`;
      const root = spans.find((s) => s.spanId === f.scopeSpanId);
      const b = this.nPlusOne.at(key, Math.floor((root?.startNs ?? spans[0]?.startNs ?? 0) / 1e6 / BUCKET_MS));
      b.traces++;
      b.repeats += f.count;
      b.example = f.traceId;
      b.statement = f.statement;
      b.recommendation = f.recommendation;
    }
  }

  get openTraces(): number {
    return this.open.size;
  }
}
