// Streaming windows for alert evaluation: the last few minutes of every series that some rule
// selects, fed by the live bus's commit events and served to the PromQL engine as a TSampleSource,
// so rules evaluate as data commits without reading the store. Only series a rule selects are kept,
// each for as long as the longest rule over it reads back (its span), with a cap on samples per
// series and on series, so memory is bounded whatever is pushed. At start (and when a rule starts
// selecting new series) the windows are seeded from the store's recent samples.

import { compareLabels } from "../query/promql/format";
import type { TSampleSource, TSeriesSamples } from "../query/promql/source";
import { labelsMatch } from "../query/promql/source";
import type { TMatcher } from "../query/selector";
import { exactName } from "./compile";

export type TSeriesMeta = { name: string; labels: Record<string, string> };
/** Which rules read a series and how far back: null when no rule selects it. */
export type TInterest = { spanMs: number; ruleIds: string[] } | null;

export type TWindowOptions = {
  /** Oldest samples go first past this, whatever the span. Default 16,384 (4.5 h at one a second). */
  maxSamplesPerSeries?: number;
  /** Series beyond this are not tracked (and counted in stats.refusedSeries). Default 200,000. */
  maxSeries?: number;
};

type TEntry = {
  id: number;
  name: string;
  /** The series' labels with __name__, one object for the entry's life (the engine caches by identity). */
  labels: Record<string, string>;
  ts: number[];
  values: number[];
  /** Index of the first live sample: trimming moves it, compaction resets it. */
  head: number;
  spanMs: number;
  ruleIds: string[];
  /** The commit that last touched it, so its rules are collected once per commit. */
  mark: number;
};

const UNKNOWN = 0;
const TRACKED = 1;
const IGNORED = 2;

export class WindowStore {
  private readonly entries = new Map<number, TEntry>();
  private readonly byName = new Map<string, Set<TEntry>>();
  /** Per series id: unknown, tracked or ignored (a byte per id: a million series cost 1 MB). */
  private status = new Uint8Array(1024);
  private interest: (meta: TSeriesMeta) => TInterest = () => null;
  private seq = 0;
  /** Bumped whenever a series is tracked or dropped: the selector cache is valid for one version. */
  private version = 0;
  /** Per selector (by identity): the series it matches, in the engine's label order. */
  private readonly matchCache = new WeakMap<TMatcher[], { version: number; entries: TEntry[] }>();
  private readonly maxPerSeries: number;
  private readonly maxSeries: number;
  readonly stats = { samples: 0, refusedSeries: 0, droppedSamples: 0 };

  constructor(
    private readonly lookup: (id: number) => TSeriesMeta | undefined,
    opts: TWindowOptions = {},
  ) {
    this.maxPerSeries = opts.maxSamplesPerSeries ?? 16_384;
    this.maxSeries = opts.maxSeries ?? 200_000;
  }

  get seriesCount(): number {
    return this.entries.size;
  }

  /** Sets which series are kept (rules changed): re-decides every tracked series and forgets the ignored ones. */
  setInterest(fn: (meta: TSeriesMeta) => TInterest): void {
    this.interest = fn;
    this.status.fill(UNKNOWN);
    for (const e of [...this.entries.values()]) {
      const i = fn({ name: e.name, labels: e.labels });
      if (!i) {
        this.remove(e);
        continue;
      }
      e.spanMs = i.spanMs;
      e.ruleIds = i.ruleIds;
      this.setStatus(e.id, TRACKED);
    }
  }

  /** Adds one committed batch; the ids of the rules whose series it touched are added to `touched`. */
  append(cols: { seriesIds: Int32Array; ts: Float64Array; values: Float64Array }, touched: Set<string>): void {
    const seq = ++this.seq;
    const n = cols.seriesIds.length;
    for (let i = 0; i < n; i++) {
      const id = cols.seriesIds[i] as number;
      let e = this.entries.get(id);
      if (!e) {
        if (this.getStatus(id) !== UNKNOWN) continue;
        e = this.track(id);
        if (!e) continue;
      }
      this.push(e, cols.ts[i] as number, cols.values[i] as number);
      if (e.mark !== seq) {
        e.mark = seq;
        for (const r of e.ruleIds) touched.add(r);
      }
    }
  }

  /**
   * Merges samples read from the store (sorted by time) into a series' window, tracking it if some
   * rule selects it. Samples already there win: they came from commits, which are at least as new.
   */
  seed(id: number, meta: TSeriesMeta, ts: number[], values: number[]): void {
    let e = this.entries.get(id);
    if (!e) {
      if (this.getStatus(id) === IGNORED) return;
      e = this.track(id, meta);
      if (!e) return;
    }
    const live = e.ts.length - e.head;
    if (live === 0) {
      e.ts = ts.slice();
      e.values = values.slice();
      e.head = 0;
    } else {
      const merged = mergeSorted(e.ts.slice(e.head), e.values.slice(e.head), ts, values);
      e.ts = merged.ts;
      e.values = merged.values;
      e.head = 0;
    }
    this.stats.samples += e.ts.length - live;
    this.cap(e);
  }

  /** Drops samples older than each series' span, and series left with nothing. */
  trim(nowMs: number): void {
    for (const e of [...this.entries.values()]) {
      const cut = nowMs - e.spanMs;
      let h = e.head;
      while (h < e.ts.length && (e.ts[h] as number) < cut) h++;
      this.stats.samples -= h - e.head;
      e.head = h;
      if (e.head === e.ts.length) {
        // Nothing left: forget it; its next commit tracks it again.
        this.remove(e);
        continue;
      }
      if (e.head > 256 && e.head * 2 > e.ts.length) this.compact(e);
    }
  }

  /**
   * The engine's view of the windows. For the selectors in `lastOnly` (instant vectors: the engine
   * takes the latest sample of the window) only that sample is handed over, not minutes of them.
   */
  source(lastOnly?: Set<TMatcher[]>): TSampleSource {
    return {
      select: async (matchers: TMatcher[], startMs: number, endMs: number): Promise<TSeriesSamples[]> =>
        this.select(matchers, startMs, endMs, lastOnly?.has(matchers) ?? false),
    };
  }

  select(matchers: TMatcher[], startMs: number, endMs: number, lastOnly = false): TSeriesSamples[] {
    let cached = this.matchCache.get(matchers);
    if (cached?.version !== this.version) {
      const name = exactName(matchers);
      const candidates: Iterable<TEntry> = name === undefined ? this.entries.values() : (this.byName.get(name) ?? []);
      const entries: TEntry[] = [];
      for (const e of candidates) if (labelsMatch(matchers, e.labels)) entries.push(e);
      // Sorted as the engine sorts what it loads, so its sort finds them in order.
      entries.sort((a, b) => compareLabels(a.labels, b.labels));
      cached = { version: this.version, entries };
      this.matchCache.set(matchers, cached);
    }
    const out: TSeriesSamples[] = [];
    for (const e of cached.entries) {
      const hi = upperBound(e.ts, e.head, endMs);
      const lo = lastOnly ? hi - 1 : lowerBound(e.ts, e.head, startMs);
      if (hi <= lo || lo < e.head || (e.ts[lo] as number) < startMs) continue;
      out.push({ labels: e.labels, ts: e.ts.slice(lo, hi), values: e.values.slice(lo, hi) });
    }
    return out;
  }

  private track(id: number, known?: TSeriesMeta): TEntry | undefined {
    const meta = known ?? this.lookup(id);
    if (!meta) return undefined;
    const labels = { ...meta.labels, __name__: meta.name };
    const i = this.interest({ name: meta.name, labels });
    if (!i) {
      this.setStatus(id, IGNORED);
      return undefined;
    }
    if (this.entries.size >= this.maxSeries) {
      this.stats.refusedSeries++;
      this.setStatus(id, IGNORED);
      return undefined;
    }
    const e: TEntry = {
      id,
      name: meta.name,
      labels,
      ts: [],
      values: [],
      head: 0,
      spanMs: i.spanMs,
      ruleIds: i.ruleIds,
      mark: 0,
    };
    this.entries.set(id, e);
    this.version++;
    let set = this.byName.get(meta.name);
    if (!set) {
      set = new Set();
      this.byName.set(meta.name, set);
    }
    set.add(e);
    this.setStatus(id, TRACKED);
    return e;
  }

  private remove(e: TEntry): void {
    this.entries.delete(e.id);
    this.version++;
    this.stats.samples -= e.ts.length - e.head;
    const set = this.byName.get(e.name);
    set?.delete(e);
    if (set?.size === 0) this.byName.delete(e.name);
    this.setStatus(e.id, UNKNOWN);
  }

  private push(e: TEntry, t: number, v: number): void {
    const n = e.ts.length;
    if (n === e.head || t > (e.ts[n - 1] as number)) {
      e.ts.push(t);
      e.values.push(v);
      this.stats.samples++;
    } else if (t === e.ts[n - 1]) {
      // A later write of the same (series, time) wins, as in the store.
      e.values[n - 1] = v;
    } else {
      const at = lowerBound(e.ts, e.head, t);
      if (e.ts[at] === t) e.values[at] = v;
      else {
        e.ts.splice(at, 0, t);
        e.values.splice(at, 0, v);
        this.stats.samples++;
      }
    }
    this.cap(e);
  }

  private cap(e: TEntry): void {
    const over = e.ts.length - e.head - this.maxPerSeries;
    if (over > 0) {
      e.head += over;
      this.stats.samples -= over;
      this.stats.droppedSamples += over;
      if (e.head * 2 > e.ts.length) this.compact(e);
    }
  }

  private compact(e: TEntry): void {
    e.ts = e.ts.slice(e.head);
    e.values = e.values.slice(e.head);
    e.head = 0;
  }

  private getStatus(id: number): number {
    return id < this.status.length ? (this.status[id] as number) : UNKNOWN;
  }

  private setStatus(id: number, s: number): void {
    if (id < 0) return;
    if (id >= this.status.length) {
      let size = this.status.length;
      while (size <= id) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.status);
      this.status = grown;
    }
    this.status[id] = s;
  }
}

function lowerBound(ts: number[], from: number, t: number): number {
  let lo = from;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(ts: number[], from: number, t: number): number {
  let lo = from;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Two sorted sample lists as one; on equal times the first list's value wins. */
export function mergeSorted(
  aTs: number[],
  aV: number[],
  bTs: number[],
  bV: number[],
): { ts: number[]; values: number[] } {
  const ts: number[] = [];
  const values: number[] = [];
  let i = 0;
  let j = 0;
  while (i < aTs.length || j < bTs.length) {
    const a = i < aTs.length ? (aTs[i] as number) : Number.POSITIVE_INFINITY;
    const b = j < bTs.length ? (bTs[j] as number) : Number.POSITIVE_INFINITY;
    if (a <= b) {
      ts.push(a);
      values.push(aV[i] as number);
      i++;
      if (a === b) j++;
    } else {
      ts.push(b);
      values.push(bV[j] as number);
      j++;
    }
  }
  return { ts, values };
}
