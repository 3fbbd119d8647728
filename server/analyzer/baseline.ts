// Robust baselines for the analyzer's streaming windows: what "normal" is for a series over the last
// half hour, and whether a series shifted to a new level. Medians and MADs rather than means and
// standard deviations, because latency series are heavy-tailed: one 4-second request must not move
// the baseline, and must not look like a regime change either.
//
// Both use floors on the spread: a series that was perfectly flat has MAD 0, and without a floor the
// first wobble would score as infinitely unusual. The floor is the larger of a fraction of the median
// (relative noise) and an absolute amount in the series' own unit (so a flat zero is covered too).

const MAD_TO_Z = 0.6745;

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const sortNum = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);

/** Median and median absolute deviation of a list. */
export function medianMad(xs: readonly number[]): { median: number; mad: number } {
  const m = median(sortNum(xs));
  return { median: m, mad: median(sortNum(xs.map((x) => Math.abs(x - m)))) };
}

export type TBucketReduce = "mean" | "sum" | "max" | "last";

export type TRollingRobustOptions = {
  /** Width of one bucket. Default 10 s. */
  bucketMs?: number;
  /** Closed buckets kept: the window's length. Default 30 min (180 buckets of 10 s). */
  windowMs?: number;
  /** How the samples of one bucket become its value: mean (latencies), sum (counts), max, last. */
  reduce?: TBucketReduce;
  /** The MAD is taken as at least this fraction of |median|. Default 0.05. */
  madFloorRatio?: number;
  /** …and at least this much, in the series' unit (1 ms for latencies, 1 for counts). Default 1. */
  madFloorAbs?: number;
  /** Weight of the newest closed bucket in the EWMA. Default 0.1. */
  ewmaAlpha?: number;
};

type TBucket = { index: number; sum: number; count: number; max: number; last: number };

/**
 * The last windowMs of a series in time buckets, with median, MAD, a robust z-score and an EWMA.
 *
 * Statistics cover the *closed* buckets only: the bucket still filling is `current()`, so a caller
 * scores the present against a baseline that does not contain it. A bucket closes when a sample or
 * `advance()` reaches a later bucket. Buckets with no sample are absent rather than zero, so a restart
 * gap thins the window instead of dragging the median down. Samples for an older bucket still in the
 * window are added to it (agents push late); the EWMA keeps the value the bucket had when it closed.
 */
export class RollingRobust {
  private readonly bucketMs: number;
  private readonly capacity: number;
  private readonly reduce: TBucketReduce;
  private readonly floorRatio: number;
  private readonly floorAbs: number;
  private readonly alpha: number;
  /** Ring of closed buckets plus the open one, slot = index mod (capacity + 1). */
  private readonly ring: (TBucket | undefined)[];
  private latest: number | undefined;
  private ewmaValue: number | undefined;
  private cache: { median: number; mad: number; values: number[] } | undefined;

  constructor(opts: TRollingRobustOptions = {}) {
    this.bucketMs = positive(opts.bucketMs ?? 10_000, "bucketMs");
    this.capacity = Math.max(1, Math.ceil(positive(opts.windowMs ?? 30 * 60_000, "windowMs") / this.bucketMs));
    this.reduce = opts.reduce ?? "mean";
    this.floorRatio = nonNegative(opts.madFloorRatio ?? 0.05, "madFloorRatio");
    this.floorAbs = nonNegative(opts.madFloorAbs ?? 1, "madFloorAbs");
    this.alpha = opts.ewmaAlpha ?? 0.1;
    if (!(this.alpha > 0 && this.alpha <= 1)) throw new RangeError("ewmaAlpha must be in (0, 1]");
    this.ring = new Array(this.capacity + 1).fill(undefined);
  }

  /** Records a sample at tMs (non-finite values are ignored). */
  add(tMs: number, value: number): void {
    if (!Number.isFinite(value) || !Number.isFinite(tMs)) return;
    this.advance(tMs);
    const index = Math.floor(tMs / this.bucketMs);
    const latest = this.latest as number;
    if (index <= latest - this.capacity - 1) return; // older than the window
    const slot = this.slot(index);
    let b = this.ring[slot];
    if (!b || b.index !== index) {
      b = { index, sum: 0, count: 0, max: Number.NEGATIVE_INFINITY, last: value };
      this.ring[slot] = b;
    }
    b.sum += value;
    b.count++;
    b.max = Math.max(b.max, value);
    b.last = value;
    if (index < latest) this.cache = undefined;
  }

  /** Moves time forward to tMs: buckets before tMs's bucket close, those older than the window go. */
  advance(tMs: number): void {
    const index = Math.floor(tMs / this.bucketMs);
    if (this.latest === undefined) {
      this.latest = index;
      return;
    }
    if (index <= this.latest) return;
    // Buckets between the old open one and the new open one close, oldest first (at most a window's worth).
    for (let i = Math.max(this.latest, index - this.capacity - 1); i < index; i++) {
      const b = this.ring[this.slot(i)];
      if (b && b.index === i) {
        const v = this.valueOf(b);
        this.ewmaValue = this.ewmaValue === undefined ? v : this.alpha * v + (1 - this.alpha) * this.ewmaValue;
      }
    }
    this.latest = index;
    for (let i = 0; i < this.ring.length; i++) {
      const b = this.ring[i];
      if (b && b.index <= index - this.capacity - 1) this.ring[i] = undefined;
    }
    this.cache = undefined;
  }

  /** Closed bucket values in the window, oldest first. */
  values(): number[] {
    return this.stats().values;
  }

  get size(): number {
    return this.stats().values.length;
  }

  /** The open bucket's value so far, if it has a sample. */
  current(): number | undefined {
    if (this.latest === undefined) return undefined;
    const b = this.ring[this.slot(this.latest)];
    return b && b.index === this.latest ? this.valueOf(b) : undefined;
  }

  /** NaN while no bucket has closed. */
  median(): number {
    return this.stats().median;
  }

  /** NaN while no bucket has closed. */
  mad(): number {
    return this.stats().mad;
  }

  /** The MAD with its floors applied: the unit a z-score counts in. */
  scale(): number {
    const { median: m, mad } = this.stats();
    const floor = Math.max(this.floorRatio * Math.abs(Number.isNaN(m) ? 0 : m), this.floorAbs);
    return Number.isNaN(mad) ? floor : Math.max(mad, floor);
  }

  /** 0.6745·(x − median)/MAD (floored): about a standard z-score for normal data; 0 without a baseline. */
  zScore(x: number): number {
    const m = this.median();
    if (Number.isNaN(m)) return 0;
    const s = this.scale();
    return s > 0 ? (MAD_TO_Z * (x - m)) / s : 0;
  }

  /** EWMA of the closed bucket values; undefined until one closes. */
  get ewma(): number | undefined {
    return this.ewmaValue;
  }

  private slot(index: number): number {
    const n = this.ring.length;
    return ((index % n) + n) % n;
  }

  private valueOf(b: TBucket): number {
    switch (this.reduce) {
      case "sum":
        return b.sum;
      case "max":
        return b.max;
      case "last":
        return b.last;
      default:
        return b.sum / b.count;
    }
  }

  private stats(): { median: number; mad: number; values: number[] } {
    if (this.cache) return this.cache;
    const values: number[] = [];
    if (this.latest !== undefined) {
      for (let i = this.latest - this.capacity; i < this.latest; i++) {
        const b = this.ring[this.slot(i)];
        if (b && b.index === i) values.push(this.valueOf(b));
      }
    }
    const mm = values.length > 0 ? medianMad(values) : { median: Number.NaN, mad: Number.NaN };
    this.cache = { ...mm, values };
    return this.cache;
  }
}

function positive(x: number, name: string): number {
  if (!(Number.isFinite(x) && x > 0)) throw new RangeError(`${name} must be a positive number`);
  return x;
}

function nonNegative(x: number, name: string): number {
  if (!(Number.isFinite(x) && x >= 0)) throw new RangeError(`${name} must be a non-negative number`);
  return x;
}

// ---------------------------------------------------------------- change points

export type TChangePointOptions = {
  /** Points on each side of a change; also the shortest level shift that counts. Default 8. */
  minSegment?: number;
  /**
   * Median shift over the windows' spread (×0.6745) needed to fire. Default 4: a ramp or a slow
   * swing scores about 1.3 whatever its slope, and noise alone stays below 2.
   */
  minScore?: number;
  /** |after − before| / |before| needed to fire. Default 0.2. */
  minRelativeShift?: number;
  /** Floor on the windows' MAD as a fraction of the larger median. Default 0.02. */
  madFloorRatio?: number;
  /** Absolute floor on the windows' MAD, in the series' unit. Default 1e-9 (only avoids 0/0). */
  madFloorAbs?: number;
};

export type TChangePoint = {
  /** Index in the input of the first value of the new level. */
  index: number;
  /** Median of the minSegment points before the change. */
  before: number;
  /** Median of the minSegment points from the change on. */
  after: number;
  /** after − before. */
  magnitude: number;
  /** magnitude / |before| (Infinity from a zero level). */
  relative: number;
  score: number;
};

/** |median of the second half − median of the first half| of a window. */
function drift(xs: readonly number[]): number {
  const h = xs.length >> 1;
  return Math.abs(medianMad(xs.slice(xs.length - h)).median - medianMad(xs.slice(0, h)).median);
}

/**
 * The strongest level shift in a series, or null. Two windows of minSegment points slide along the
 * series; a change is where their medians differ by much more than the spread inside them, the spread
 * being the larger of each window's MAD and its drift (second-half median − first-half median):
 * - one outlier (a slow request) cannot move a median of several points;
 * - on a smooth swing (daily traffic) the windows' medians differ by about twice the drift inside
 *   each window, a score near 0.6745·2 ≈ 1.3, whatever the swing's amplitude; a step has no drift;
 * - missing points (null, undefined, NaN) are skipped, and a run of zeros shorter than half a window
 *   (a restart) leaves both medians where they were.
 * The strongest split is then refined to the firing split nearby with the least absolute deviation
 * from the two medians, so that ties (floors, clean data) resolve to the exact step.
 */
export function changePoint(
  input: readonly (number | null | undefined)[],
  opts: TChangePointOptions = {},
): TChangePoint | null {
  const w = Math.max(2, Math.floor(opts.minSegment ?? 8));
  const minScore = opts.minScore ?? 4;
  const minRelative = opts.minRelativeShift ?? 0.2;
  const floorRatio = opts.madFloorRatio ?? 0.02;
  const floorAbs = opts.madFloorAbs ?? 1e-9;

  const values: number[] = [];
  const at: number[] = [];
  input.forEach((v, i) => {
    if (typeof v === "number" && Number.isFinite(v)) {
      values.push(v);
      at.push(i);
    }
  });
  const n = values.length;
  if (n < 2 * w) return null;

  type TSplit = { k: number; before: number; after: number; score: number; cost: number; fires: boolean };
  const split = (k: number): TSplit => {
    const before = values.slice(k - w, k);
    const after = values.slice(k, k + w);
    const b = medianMad(before);
    const a = medianMad(after);
    const shift = a.median - b.median;
    // The spread the shift is measured against: the noise inside each window (MAD) and the drift
    // across it (median of its second half minus its first). On a ramp the shift between windows is
    // only twice the drift within them, while a step has none.
    const scale = Math.max(
      b.mad,
      a.mad,
      drift(before),
      drift(after),
      floorRatio * Math.max(Math.abs(b.median), Math.abs(a.median)),
      floorAbs,
    );
    const score = (MAD_TO_Z * Math.abs(shift)) / scale;
    const relative = b.median === 0 ? (shift === 0 ? 0 : Number.POSITIVE_INFINITY) : Math.abs(shift / b.median);
    let cost = 0;
    for (let i = k - w; i < k; i++) cost += Math.abs((values[i] as number) - b.median);
    for (let i = k; i < k + w; i++) cost += Math.abs((values[i] as number) - a.median);
    return { k, before: b.median, after: a.median, score, cost, fires: score >= minScore && relative >= minRelative };
  };

  const splits: TSplit[] = [];
  for (let k = w; k <= n - w; k++) splits.push(split(k));
  let best: TSplit | undefined;
  for (const s of splits) if (s.fires && (!best || s.score > best.score)) best = s;
  if (!best) return null;
  // Refine around the strongest split: the cheapest firing split within one window of it.
  const top = best;
  for (const s of splits) {
    if (!s.fires || Math.abs(s.k - top.k) > w) continue;
    if (s.cost < best.cost || (s.cost === best.cost && s.score > best.score)) best = s;
  }
  const magnitude = best.after - best.before;
  return {
    index: at[best.k] as number,
    before: best.before,
    after: best.after,
    magnitude,
    relative: best.before === 0 ? Number.POSITIVE_INFINITY : magnitude / Math.abs(best.before),
    score: best.score,
  };
}
