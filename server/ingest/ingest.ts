// From parsed metrics to committed samples: limits, label merge, series ids, delta and additive
// counters, then the batch writer. Callable without HTTP; the routes only parse and answer.
import type { TIngestLimits } from "../config/env";
import { distinctIds } from "../pipeline/distinct";
import type { BatchWriter } from "../pipeline/writer";
import { WriteRejected } from "../pipeline/writer";
import type { TLabels, TParsedMetrics, TParseError, TSampleIn } from "./model";
import { parsePromText } from "./parse/prom-text";
import type { SeriesRegistry, TSeriesInput } from "./series-registry";
import { RawSeriesCache } from "./text-fast-path";

export type TIngestError = {
  code: "limit_exceeded" | "invalid_labels" | "cardinality_limit" | "buffer_full" | "store_unavailable";
  message: string;
  retryAfterSeconds?: number;
  [detail: string]: unknown;
};

export type TIngestResult = { ok: true; samples: number; series: number; newSeries: number; seriesIds: Int32Array };

export type TIngestOptions = {
  /** Labels added to every series (URL `?job=&instance=`, a Pushgateway grouping key). */
  extraLabels?: TLabels;
  receivedAtMs: number;
  /** Counters add to the series' previous total (Pushgateway additive mode for short-lived jobs). */
  additiveCounters?: boolean;
};

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class Ingestor {
  // Running totals for delta-temporality counters and additive pushes, by series id.
  private readonly totals = new Map<number, number>();
  private readonly rawCache = new RawSeriesCache(2_000_000);

  constructor(
    private readonly registry: SeriesRegistry,
    private readonly writer: BatchWriter,
    private readonly limits: TIngestLimits,
  ) {}

  /**
   * Prometheus text: the raw-series cache first, the full parser when any line needs it. Both paths
   * store the same samples; only the full parser produces errors.
   */
  async ingestPromText(
    text: string,
    opts: TIngestOptions & { openMetrics?: boolean },
  ): Promise<TIngestResult | { ok: false; error: TIngestError } | { ok: false; parseError: TParseError }> {
    const context = contextKey(opts.extraLabels);
    const simple = !opts.openMetrics && !opts.additiveCounters;
    const fast = simple ? this.rawCache.tryResolve(text, context) : undefined;
    if (fast && fast.ids.length <= this.limits.maxSamplesPerRequest) {
      const n = fast.ids.length;
      const ts = fast.ts;
      for (let i = 0; i < n; i++) if (fast.hasTs[i] === 0) ts[i] = opts.receivedAtMs;
      try {
        await this.writer.submit({ seriesIds: fast.ids, ts, values: fast.values });
      } catch (err) {
        if (err instanceof WriteRejected) return { ok: false, error: { ...err.detail } };
        throw err;
      }
      return { ok: true, samples: n, series: countDistinct(fast.ids), newSeries: 0, seriesIds: fast.ids };
    }
    const parsed = parsePromText(text, { openMetrics: opts.openMetrics });
    if (!parsed.ok) return { ok: false, parseError: parsed.error };
    const result = await this.ingest(parsed.value, opts);
    if (result.ok && simple) {
      this.rawCache.learn(
        text,
        context,
        result.seriesIds,
        parsed.value.samples.map((s) => s.name),
      );
    }
    return result;
  }

  async ingest(
    parsed: TParsedMetrics,
    opts: TIngestOptions,
  ): Promise<TIngestResult | { ok: false; error: TIngestError }> {
    const { samples } = parsed;
    if (samples.length > this.limits.maxSamplesPerRequest) {
      return fail(
        "limit_exceeded",
        `${samples.length} samples in one request; the limit is ${this.limits.maxSamplesPerRequest}`,
        {
          limit: "samples_per_request",
        },
      );
    }
    const extra = opts.extraLabels ?? {};
    const inputs: TSeriesInput[] = new Array(samples.length);
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i] as TSampleIn;
      const merged = mergeLabels(s, extra);
      if (typeof merged === "string") return fail("invalid_labels", merged, { series: s.name });
      const problem = this.checkLabels(s.name, merged);
      if (problem) return fail("limit_exceeded", problem.message, { limit: problem.limit, series: s.name });
      inputs[i] = { name: s.name, labels: merged, meta: parsed.meta.get(s.family) };
    }

    const resolved = await this.registry.resolve(inputs);
    if (!resolved.ok) return { ok: false, error: resolved.error };
    const distinct = countDistinct(resolved.ids);
    if (distinct > this.limits.maxSeriesPerRequest) {
      return fail(
        "limit_exceeded",
        `${distinct} series in one request; the limit is ${this.limits.maxSeriesPerRequest}`,
        {
          limit: "series_per_request",
        },
      );
    }

    const n = samples.length;
    const cols = { seriesIds: resolved.ids, ts: new Float64Array(n), values: new Float64Array(n) };
    const pendingTotals = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const s = samples[i] as TSampleIn;
      const id = resolved.ids[i] as number;
      cols.ts[i] = s.timestampMs ?? opts.receivedAtMs;
      const cumulative = s.delta || (opts.additiveCounters && isCounterSample(s, parsed));
      if (cumulative) {
        const total = (pendingTotals.get(id) ?? this.totals.get(id) ?? 0) + s.value;
        pendingTotals.set(id, total);
        cols.values[i] = total;
      } else {
        cols.values[i] = s.value;
      }
    }

    try {
      await this.writer.submit(cols);
    } catch (err) {
      if (err instanceof WriteRejected) return { ok: false, error: { ...err.detail } };
      throw err;
    }
    // Only a committed total may become the base of the next increment.
    for (const [id, total] of pendingTotals) this.totals.set(id, total);
    return { ok: true, samples: n, series: distinct, newSeries: resolved.created, seriesIds: resolved.ids };
  }

  private checkLabels(name: string, labels: TLabels): { message: string; limit: string } | undefined {
    const keys = Object.keys(labels);
    if (keys.length > this.limits.maxLabelsPerSeries) {
      return {
        message: `series "${name}" has ${keys.length} labels; the limit is ${this.limits.maxLabelsPerSeries}`,
        limit: "labels_per_series",
      };
    }
    for (const k of keys) {
      if (k.length > this.limits.maxLabelNameLength) {
        return {
          message: `label name "${k.slice(0, 40)}…" of "${name}" is ${k.length} characters; the limit is ${this.limits.maxLabelNameLength}`,
          limit: "label_name_length",
        };
      }
      const v = labels[k] as string;
      if (v.length > this.limits.maxLabelValueLength) {
        return {
          message: `label "${k}" of "${name}" has a ${v.length}-character value; the limit is ${this.limits.maxLabelValueLength}`,
          limit: "label_value_length",
        };
      }
    }
    return undefined;
  }
}

function mergeLabels(s: TSampleIn, extra: TLabels): TLabels | string {
  const extraKeys = Object.keys(extra);
  if (extraKeys.length === 0) return s.labels;
  const merged: TLabels = { ...s.labels };
  for (const k of extraKeys) {
    if (!LABEL_NAME.test(k)) return `label name "${k}" is not valid: expected [a-zA-Z_][a-zA-Z0-9_]*`;
    const mine = merged[k];
    if (mine !== undefined && mine !== extra[k]) {
      return `series "${s.name}" has ${k}="${mine}" but the push sets ${k}="${extra[k]}"; remove one of them`;
    }
    merged[k] = extra[k] as string;
  }
  return merged;
}

function isCounterSample(s: TSampleIn, parsed: TParsedMetrics): boolean {
  const type = parsed.meta.get(s.family)?.type;
  if (type === "counter") return true;
  // Histogram and summary _count/_sum/_bucket are counters too.
  if (type === "histogram" || type === "summary") return s.name !== s.family || type === "histogram";
  return false;
}

function contextKey(extra: TLabels | undefined): string {
  if (!extra) return "";
  const keys = Object.keys(extra).sort();
  return keys.map((k) => `${k}\u0001${extra[k]}`).join("\u0000");
}

function countDistinct(ids: Int32Array): number {
  return distinctIds(ids).length;
}

function fail(code: TIngestError["code"], message: string, details: Record<string, unknown> = {}) {
  return { ok: false as const, error: { ...details, code, message } };
}
