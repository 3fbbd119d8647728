// Histogram and counter families for the agent's per-call paths (every HTTP request, cache operation,
// pg query and pool checkout). prom-client's observe(labels, v) / inc(labels) validate the label
// object, build a hash string, look it up in a dictionary and key the buckets by number (a number to
// string conversion) on every call, and its .labels() children do the same work again: at 1,000
// requests/s that was the largest single share of the agent's own JavaScript time (bench/agent.ts).
// Here a label set is resolved once to a series (nested Maps over the label values: no strings built
// per call), which callers keep, and an observation is a bucket search and three additions. The
// families register with a prom-client Registry like its own metrics and export the same samples (the
// registry formats them), so pushes and /metrics scrapes do not change.
import type client from "prom-client";

type TSeriesLabels = Record<string, string>;

/** One label set of a histogram family. */
export class HistogramSeries {
  /** Per bucket, not cumulative (cumulated at export); observations above the last bound count only in +Inf. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: TSeriesLabels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    // prom-client throws here too; the agent's callers catch and log.
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    if (i < bounds.length) this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count += 1;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/** One label set of a counter family. */
export class CounterSeries {
  value = 0;

  constructor(readonly labels: TSeriesLabels) {}

  inc(by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by)) throw new TypeError(`Counter increment must be a finite number ≥ 0: ${by}`);
    this.value += by;
  }

  reset(): void {
    this.value = 0;
  }
}

type TFamilyConfig<L extends string> = {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: client.Registry[];
};

type TSample = {
  value: number;
  labels: Record<string, string | number>;
  sharedLabels?: TSeriesLabels;
  metricName?: string;
  exemplar?: null;
};

/** Series of one family by label values, in creation order (the export order). */
abstract class Family<L extends string, S extends { labels: TSeriesLabels; reset(): void }> {
  name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly aggregator = "sum";
  protected readonly all: S[] = [];
  private readonly byValues = new Map<string, unknown>();

  constructor(config: TFamilyConfig<L>) {
    if (config.labelNames.length < 1 || config.labelNames.length > 4) {
      throw new RangeError(`${config.name}: 1 to 4 label names`);
    }
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    // The registry only reads name/type/help/aggregator and calls get()/getForPromString()/reset().
    for (const r of config.registers) r.registerMetric(this as unknown as client.Metric);
  }

  protected abstract create(labels: TSeriesLabels): S;

  /**
   * The series of these label values (in labelNames order), created on first use. Callers that see
   * the same label set again keep the series rather than asking again.
   */
  series(v0: string, v1?: string, v2?: string, v3?: string): S {
    const depth = this.labelNames.length;
    let level = this.byValues;
    for (let i = 0; i < depth - 1; i++) {
      const key = (i === 0 ? v0 : i === 1 ? v1 : v2) ?? "";
      let next = level.get(key) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(key, next);
      }
      level = next;
    }
    const last = (depth === 1 ? v0 : depth === 2 ? v1 : depth === 3 ? v2 : v3) ?? "";
    let s = level.get(last) as S | undefined;
    if (s === undefined) {
      const values = [v0, v1, v2, v3];
      const labels: TSeriesLabels = {};
      for (let i = 0; i < depth; i++) labels[this.labelNames[i] as string] = values[i] ?? "";
      s = this.create(labels);
      level.set(last, s);
      this.all.push(s);
    }
    return s;
  }

  /** Zeroes every series in place: series already handed out stay valid. */
  reset(): void {
    for (const s of this.all) s.reset();
  }

  /** The samples with the family's labels apart from per-sample ones (le), as prom-client formats them. */
  protected abstract samples(): TSample[];

  async getForPromString() {
    return { name: this.name, help: this.help, type: this.type, values: this.samples(), aggregator: this.aggregator };
  }

  /** As prom-client's get(): every sample's labels in one object. */
  async get() {
    const values = this.samples().map(({ sharedLabels, ...sample }) => ({
      ...sample,
      labels: { ...sample.labels, ...sharedLabels },
    }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  abstract readonly type: "histogram" | "counter";
}

export class SeriesHistogram<L extends string> extends Family<L, HistogramSeries> {
  readonly type = "histogram";
  private readonly bounds: readonly number[];

  constructor(config: TFamilyConfig<L> & { buckets: readonly number[] }) {
    super(config);
    this.bounds = [...config.buckets].sort((a, b) => a - b);
  }

  protected create(labels: TSeriesLabels): HistogramSeries {
    return new HistogramSeries(labels, this.bounds);
  }

  protected samples(): TSample[] {
    const bucket = `${this.name}_bucket`;
    const out: TSample[] = [];
    for (const s of this.all) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.counts[i] as number;
        out.push({
          labels: { le: this.bounds[i] as number },
          sharedLabels: s.labels,
          value: cumulative,
          metricName: bucket,
          exemplar: null,
        });
      }
      out.push(
        { labels: { le: "+Inf" }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` },
      );
    }
    return out;
  }
}

export class SeriesCounter<L extends string> extends Family<L, CounterSeries> {
  readonly type = "counter";

  protected create(labels: TSeriesLabels): CounterSeries {
    return new CounterSeries(labels);
  }

  protected samples(): TSample[] {
    return this.all.map((s) => ({ labels: s.labels, value: s.value }));
  }
}
