// Series identity and the cardinality guard. Maps a metric name + label set to its series id, from
// memory after the first sight; new series are created in one statement per request. The same map
// counts active series in total and per metric, so a label that explodes is refused before it
// reaches the store.
import { createHash } from "node:crypto";
import type { PrismaClient } from "@prisma/client";
import type { TLabels, TMetricMeta } from "./model";

export type TSeriesLimits = { maxActiveSeries: number; maxSeriesPerMetric: number };

export type TCardinalityError = {
  code: "cardinality_limit";
  message: string;
  metric: string;
  label: string | undefined;
  limit: number;
};

type TEntry = { id: number; name: string; labels: TLabels };

export type TSeriesInput = { name: string; labels: TLabels; meta: TMetricMeta | undefined };

/** Canonical identity: name and labels sorted by name, separated by bytes no valid name contains. */
export function seriesKey(name: string, labels: TLabels): string {
  const keys = Object.keys(labels);
  if (keys.length > 1) keys.sort();
  let key = name;
  for (const k of keys) key += `\u0000${k}\u0001${labels[k]}`;
  return key;
}

/** A stable signed 64-bit hash of the canonical key (the series table's unique column). */
export function seriesHash(key: string): bigint {
  return createHash("sha256").update(key).digest().readBigInt64LE(0);
}

export class SeriesRegistry {
  private readonly byKey = new Map<string, TEntry>();
  private readonly byId = new Map<number, TEntry>();
  private readonly perMetric = new Map<string, number>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly limits: TSeriesLimits,
  ) {}

  get activeSeries(): number {
    return this.byKey.size;
  }

  /**
   * Name and labels of a series id seen by this node (warm() loads the recent ones at start), for the
   * streaming consumers of committed columns (alerts, analyzer), which carry ids only.
   */
  describe(id: number): { name: string; labels: TLabels } | undefined {
    return this.byId.get(id);
  }

  /** Loads the series seen within `sinceMs` so limits and ids survive a restart. */
  async warm(sinceMs: number): Promise<void> {
    const rows = await this.prisma.series.findMany({
      where: { lastSeen: { gte: new Date(Date.now() - sinceMs) } },
      select: { id: true, name: true, labels: true },
    });
    for (const r of rows) this.remember({ id: r.id, name: r.name, labels: r.labels as TLabels });
  }

  /**
   * Ids for `inputs` (one per input, in order), creating the missing series. Either every input gets
   * an id or none is created: a request over a limit is refused whole.
   */
  async resolve(
    inputs: TSeriesInput[],
  ): Promise<{ ok: true; ids: Int32Array; created: number } | { ok: false; error: TCardinalityError }> {
    const ids = new Int32Array(inputs.length);
    const missing = new Map<string, { input: TSeriesInput; slots: number[] }>();
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i] as TSeriesInput;
      const key = seriesKey(input.name, input.labels);
      const hit = this.byKey.get(key);
      if (hit) {
        ids[i] = hit.id;
        continue;
      }
      const m = missing.get(key);
      if (m) m.slots.push(i);
      else missing.set(key, { input, slots: [i] });
    }
    if (missing.size === 0) return { ok: true, ids, created: 0 };

    const limitError = this.checkLimits([...missing.values()].map((m) => m.input));
    if (limitError) return { ok: false, error: limitError };

    const keys = [...missing.keys()];
    const hashes = keys.map(seriesHash);
    const names = keys.map((k) => (missing.get(k) as { input: TSeriesInput }).input.name);
    const labels = keys.map((k) => JSON.stringify((missing.get(k) as { input: TSeriesInput }).input.labels));
    const metas = keys.map((k) => (missing.get(k) as { input: TSeriesInput }).input.meta);
    const types = metas.map((m) => m?.type ?? "untyped");
    const units = metas.map((m) => m?.unit ?? "");
    const helps = metas.map((m) => m?.help ?? "");
    // ON CONFLICT covers a series another node (or an earlier process) created meanwhile.
    const rows = await this.prisma.$queryRaw<{ id: number; hash: bigint }[]>`
      INSERT INTO series (hash, name, labels, type, unit, help)
      SELECT h, n, l::jsonb, t, u, hp FROM unnest(${hashes}::int8[], ${names}::text[], ${labels}::text[],
        ${types}::text[], ${units}::text[], ${helps}::text[]) AS x(h, n, l, t, u, hp)
      ON CONFLICT (hash) DO UPDATE SET last_seen = now()
      RETURNING id, hash`;
    const idByHash = new Map<bigint, number>();
    for (const r of rows) idByHash.set(BigInt(r.hash), r.id);
    keys.forEach((key, i) => {
      const m = missing.get(key) as { input: TSeriesInput; slots: number[] };
      const id = idByHash.get(hashes[i] as bigint);
      if (id === undefined) throw new Error(`series insert returned no id for ${m.input.name}`);
      this.remember({ id, name: m.input.name, labels: m.input.labels }, key);
      for (const slot of m.slots) ids[slot] = id;
    });
    return { ok: true, ids, created: keys.length };
  }

  private remember(entry: TEntry, key = seriesKey(entry.name, entry.labels)): void {
    if (this.byKey.has(key)) return;
    this.byKey.set(key, entry);
    this.byId.set(entry.id, entry);
    this.perMetric.set(entry.name, (this.perMetric.get(entry.name) ?? 0) + 1);
  }

  private checkLimits(newSeries: TSeriesInput[]): TCardinalityError | undefined {
    if (this.byKey.size + newSeries.length > this.limits.maxActiveSeries) {
      const metric = mostFrequent(newSeries.map((s) => s.name));
      return this.cardinalityError(
        metric,
        newSeries,
        this.limits.maxActiveSeries,
        `active series limit reached (${this.byKey.size} active + ${newSeries.length} new > ${this.limits.maxActiveSeries})`,
      );
    }
    const added = new Map<string, number>();
    for (const s of newSeries) added.set(s.name, (added.get(s.name) ?? 0) + 1);
    for (const [metric, n] of added) {
      const have = this.perMetric.get(metric) ?? 0;
      if (have + n > this.limits.maxSeriesPerMetric) {
        return this.cardinalityError(
          metric,
          newSeries,
          this.limits.maxSeriesPerMetric,
          `metric "${metric}" would have ${have + n} series, over the per-metric limit of ${this.limits.maxSeriesPerMetric}`,
        );
      }
    }
    return undefined;
  }

  /** Names the label with the most distinct values for the metric: the one that exploded. */
  private cardinalityError(metric: string, incoming: TSeriesInput[], limit: number, why: string): TCardinalityError {
    const values = new Map<string, Set<string>>();
    const count = (labels: TLabels) => {
      for (const [k, v] of Object.entries(labels)) {
        let set = values.get(k);
        if (!set) {
          set = new Set();
          values.set(k, set);
        }
        set.add(v);
      }
    };
    for (const e of this.byKey.values()) if (e.name === metric) count(e.labels);
    for (const s of incoming) if (s.name === metric) count(s.labels);
    let label: string | undefined;
    let most = 0;
    for (const [k, set] of values) {
      if (set.size > most) {
        most = set.size;
        label = k;
      }
    }
    const blame = label ? `; label "${label}" has ${most} distinct values` : "";
    return {
      code: "cardinality_limit",
      message: `${why}${blame}. Drop or bucket that label, or raise the limit`,
      metric,
      label,
      limit,
    };
  }
}

function mostFrequent(names: string[]): string {
  const counts = new Map<string, number>();
  let best = names[0] ?? "";
  let bestN = 0;
  for (const n of names) {
    const c = (counts.get(n) ?? 0) + 1;
    counts.set(n, c);
    if (c > bestN) {
      bestN = c;
      best = n;
    }
  }
  return best;
}
