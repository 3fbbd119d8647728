// Signals and detection for services that do not run Hotpath's agent: per-service resource and SLI
// metrics under generic names, as a Kubernetes/service-mesh exporter, a cloud monitor or a replayed
// dataset provides them, usually at 60 s or 5 min resolution rather than the agent's 5 s.
//
// Naming convention (gauges; labels `service` (or `job`), optional `pod`, which is ignored):
//   service_cpu_usage_ratio                     CPU used / CPU limit of the service's pods (0..1)
//   service_memory_usage_ratio                  memory used / limit (0..1)
//   service_network_receive_bytes_per_second    network in (bytes/s)
//   service_network_transmit_bytes_per_second   network out (bytes/s)
//   service_server_latency_<stat>_seconds       latency of the requests the service serves
//   service_client_latency_<stat>_seconds       latency of the calls the service makes
//   service_requests_per_second                 requests served per second
//   service_success_ratio                       share of requests served without error (0..1)
//   service_call_latency_<stat>_seconds{service, peer, side="client"|"server"}
//                                               latency of the calls from `service` to `peer`, as
//                                               measured by the caller (client) or the callee (server)
//   service_dependency_info{service, peer}      1 while `service` calls `peer` (a service map's edge)
// where <stat> is mean, p50, p90, p95 or p99. Other names are not generic signals.
//
// (The network byte rates are routed and kept, but no detector reads them yet: they follow traffic.)
//
// Detection works on these series and on the trace window (server spans per service, client calls
// per peer) at one point per minute: the store's 5 s buckets are averaged per minute, empty minutes
// skipped, so a 60 s source gives a point per sample and a 5 min source one every five minutes
// (kept for 6 h here, as the store's 30 min hold only six of them). A source's current level is the
// less extreme of its last two points, which must be consecutive minutes (one slow minute, or a
// spike every other minute, is not a level), or for coarser sources the last point (already an
// average over minutes). The baseline is the median and MAD of the points before. A signal counts
// in threshold units: the smallest of its robust z over a z bar, its ratio over a ratio bar, and
// its distance past its usual highs (so a series that spikes often must spike higher); an absolute
// change below a floor does not count at all. Latency counts the typical request (the mean or the
// median, else the lowest quantile given), weighted down when few requests make it.
//
// Attribution: a fault in a service raises latency in it and in every caller, so each service's
// evidence is split into what a caller inherits (its latency, its error ratio, the latency of the
// calls into it) and what it cannot (its own CPU and memory, the time its requests spend outside
// their calls, per the traces, and how slow its own calls out are). Inherited evidence is discounted
// when a callee (from the service map, the call-latency series and the traces' peers) is anomalous
// about as clearly, or when the service's own calls slowed as much, so the deepest anomalous
// service ranks first and its callers stay visible below it. A slow link blames the callee when
// most of the callee's callers see it, the caller when most of the caller's calls are slow.
import type { TLabels } from "../ingest/model";
import { medianMad } from "./baseline";
import type { TCandidate, TEvidenceSeries, TFindingKind, Window } from "./detectors";
import { BUCKET_MS, keyParts, SEP, type SignalStore } from "./signals";

const STATS = "(mean|p50|p90|p95|p99)";
const LATENCY_RE = new RegExp(`^service_(server|client)_latency_${STATS}_seconds$`);
const CALL_RE = new RegExp(`^service_call_latency_${STATS}_seconds$`);

/** Signal-key prefixes of the generic signals (first part of the key; the service is the second). */
export const GENERIC_PREFIX = {
  cpu: "g.cpu",
  memory: "g.mem",
  rx: "g.rx",
  tx: "g.tx",
  serverLatency: "g.lat",
  clientLatency: "g.clat",
  requests: "g.req",
  success: "g.ok",
  call: "g.call",
  dependency: "g.dep",
} as const;

/** The signal a generic per-service metric feeds; null when it is none of them. */
export function genericSignalOf(name: string, labels: TLabels): { kind: "counter" | "gauge"; key: string } | null {
  const svc = labels.service ?? labels.job;
  if (!svc) return null;
  const gauge = (...parts: string[]) => ({ kind: "gauge" as const, key: parts.join(SEP) });
  switch (name) {
    case "service_cpu_usage_ratio":
      return gauge(GENERIC_PREFIX.cpu, svc);
    case "service_memory_usage_ratio":
      return gauge(GENERIC_PREFIX.memory, svc);
    case "service_network_receive_bytes_per_second":
      return gauge(GENERIC_PREFIX.rx, svc);
    case "service_network_transmit_bytes_per_second":
      return gauge(GENERIC_PREFIX.tx, svc);
    case "service_requests_per_second":
      return gauge(GENERIC_PREFIX.requests, svc);
    case "service_success_ratio":
      return gauge(GENERIC_PREFIX.success, svc);
    case "service_dependency_info":
      return labels.peer ? gauge(GENERIC_PREFIX.dependency, svc, labels.peer) : null;
  }
  const lat = LATENCY_RE.exec(name);
  if (lat)
    return gauge(
      lat[1] === "server" ? GENERIC_PREFIX.serverLatency : GENERIC_PREFIX.clientLatency,
      svc,
      lat[2] as string,
    );
  const call = CALL_RE.exec(name);
  if (call && labels.peer) {
    return gauge(
      GENERIC_PREFIX.call,
      svc,
      labels.peer,
      labels.side === "server" ? "server" : "client",
      call[1] as string,
    );
  }
  return null;
}

// ---- per-minute points --------------------------------------------------------------------------

/** One series as points: minute index and value, oldest first. */
export type TPoints = { m: number[]; v: number[] };

/**
 * A series' baseline (median, MAD, and `high`: its usual high, a quantile in the bad direction) and
 * current level, in its own unit; cadence = minutes between points.
 */
export type TLevel = { base: number; mad: number; high: number; cur: number; n: number; cadence: number };

/** How far a level is from its baseline for one signal; 1 = exactly at every threshold. */
export type TSignalSpec = {
  /** +1: a rise is bad (latency, CPU); −1: a drop is (success ratio). */
  dir: 1 | -1;
  /** Robust z (MAD units, with floors) at which the signal counts. */
  z: number;
  /** Floors on the scale: a fraction of the baseline, and an absolute amount in the unit. */
  rel: number;
  abs: number;
  /** The change must also be at least this much in the unit… */
  minDelta: number;
  /** …and, for rises, this ratio over the baseline. */
  minRatio: number;
};

export const SPECS = {
  cpu: { dir: 1, z: 8, rel: 0.1, abs: 0.01, minDelta: 0.02, minRatio: 1.3 },
  memory: { dir: 1, z: 8, rel: 0.02, abs: 0.002, minDelta: 0.04, minRatio: 1.05 },
  latency: { dir: 1, z: 10, rel: 0.1, abs: 0.002, minDelta: 0.02, minRatio: 3 },
  success: { dir: -1, z: 8, rel: 0, abs: 0.003, minDelta: 0.01, minRatio: 1 },
  call: { dir: 1, z: 8, rel: 0.1, abs: 0.001, minDelta: 0.01, minRatio: 3 },
  /** Trace-derived durations, in ms. */
  traceLatency: { dir: 1, z: 8, rel: 0.1, abs: 2, minDelta: 20, minRatio: 1.5 },
  traceGap: { dir: 1, z: 8, rel: 0.1, abs: 2, minDelta: 20, minRatio: 2 },
} satisfies Record<string, TSignalSpec>;

/** The quantile each latency statistic stands for; a mean is as noisy as a p90 (its tail makes it). */
const QUANTILE: Record<string, number> = { mean: 0.9, p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };
/** Requests per second for a service's latency and errors to count fully (less: in proportion). */
const MIN_RATE = 0.2;
/** Requests beyond a quantile, per point, for its latency to count fully, and to count at all. */
const TAIL_REQUESTS = 10;
const TAIL_MIN_REQUESTS = 3;

/**
 * A baseline's usual high: this quantile in the bad direction (for a coarse source, with hours of
 * history: its usual extreme); the level must stand HIGH_MARGIN times as far from the median.
 */
const BASE_HIGH_FINE = 0.8;
const BASE_HIGH_COARSE = 0.95;
const HIGH_MARGIN = 1.5;

/** Fewest baseline points for a verdict: minute-resolution sources, then coarser ones. */
const MIN_BASE_FINE = 8;
const MIN_BASE_COARSE = 2;
/**
 * Trace series are per minute by construction, and come in bursts (sampling), so fewer points do;
 * and a burst is a large share of a sparse baseline, so its usual highs are not held against it.
 */
const TRACE_LEVEL = { minBase: 5, cadence: 1, highs: false };

function bucketsPerMinute(): number {
  return Math.round(60_000 / BUCKET_MS);
}

/** Per-minute means of one signal over the window (minutes with no bucket are skipped). */
export function minutePoints(w: Window, key: string): TPoints {
  const bpm = bucketsPerMinute();
  const from = w.baseFrom;
  const values = w.store.range(key, from, w.nb);
  const out: TPoints = { m: [], v: [] };
  let minute = Number.NaN;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined) continue;
    const m = Math.floor((from + i) / bpm);
    if (m !== minute) {
      if (n > 0) {
        out.m.push(minute);
        out.v.push(sum / n);
      }
      minute = m;
      sum = 0;
      n = 0;
    }
    sum += v;
    n++;
  }
  if (n > 0) {
    out.m.push(minute);
    out.v.push(sum / n);
  }
  return out;
}

/**
 * Coarse series (a point every few minutes) keep LONG_HISTORY_MIN of points here, beyond the store's
 * 30 min, which hold only six points of a 5-minute source: too few to know what is usual. Keyed by
 * store, so each analyzer (and each test) has its own.
 */
const LONG_HISTORY_MIN = 6 * 60;
const longHistory = new WeakMap<SignalStore, Map<string, Map<number, number>>>();

export function withLongHistory(store: SignalStore, key: string, p: TPoints, nowMinute: number): TPoints {
  let perStore = longHistory.get(store);
  let h = perStore?.get(key);
  let minGap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < p.m.length; i++) minGap = Math.min(minGap, (p.m[i] as number) - (p.m[i - 1] as number));
  // Two points are needed to tell a coarse source; a fine one keeps the store's 30 min.
  if (!h && !(minGap >= 2)) return p;
  if (!h) {
    if (!perStore) {
      perStore = new Map();
      longHistory.set(store, perStore);
    }
    h = new Map();
    perStore.set(key, h);
  }
  for (let i = 0; i < p.m.length; i++) h.set(p.m[i] as number, p.v[i] as number);
  for (const m of h.keys()) if (m < nowMinute - LONG_HISTORY_MIN) h.delete(m);
  const ms_ = [...h.keys()].sort((a, b) => a - b);
  return { m: ms_, v: ms_.map((m) => h.get(m) as number) };
}

function medianOf(xs: number[]): number {
  return medianMad(xs).median;
}

/**
 * Baseline and current level of a series of points at `nowMinute`: undefined when the series is
 * stale (no recent point), or too short to judge. The source's cadence is the smallest gap between
 * points (a missing minute is no data, not a coarser source), unless the caller knows it.
 */
export function levelOf(
  p: TPoints,
  nowMinute: number,
  dir: 1 | -1,
  opts: { minBase?: number; cadence?: number; highs?: boolean } = {},
): TLevel | undefined {
  const n = p.m.length;
  if (n < 3) return undefined;
  let cadence = opts.cadence ?? Number.POSITIVE_INFINITY;
  if (opts.cadence === undefined) {
    for (let i = 1; i < n; i++) cadence = Math.min(cadence, (p.m[i] as number) - (p.m[i - 1] as number));
  }
  const minBaseFine = opts.minBase ?? MIN_BASE_FINE;
  const fine = cadence <= 1.5;
  const nCur = fine ? 2 : 1;
  const minBase = fine ? minBaseFine : MIN_BASE_COARSE;
  if (n < nCur + minBase) return undefined;
  const last = p.m[n - 1] as number;
  if (nowMinute - last > (fine ? 2 : 1.5 * cadence)) return undefined;
  // The current points must be consecutive (a missing minute allowed): a spike every other minute is
  // not a level.
  if (fine && last - (p.m[n - nCur] as number) > 2) return undefined;
  const cur = p.v.slice(n - nCur).sort((a, b) => (b - a) * dir);
  const sorted = p.v.slice(0, n - nCur).sort((a, b) => a - b);
  const nb = sorted.length;
  const mid = nb >> 1;
  const median = nb % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  const mad = medianMad(sorted.map((x) => Math.abs(x - median))).median;
  const at = Math.min(nb - 1, Math.floor(nb * (fine ? BASE_HIGH_FINE : BASE_HIGH_COARSE)));
  const high = opts.highs === false ? median : (sorted[dir > 0 ? at : nb - 1 - at] as number);
  // The less extreme of the current points in the bad direction: both must be off.
  return { base: median, mad, high, cur: cur.at(-1) as number, n: nb, cadence };
}

/** Threshold units of a level under a spec: the smallest of z, delta and ratio, each over its bar. */
export function unitsOf(l: TLevel, s: TSignalSpec): number {
  const delta = (l.cur - l.base) * s.dir;
  if (!(delta > 0)) return 0;
  const scale = Math.max(1.4826 * l.mad, Math.abs(l.base) * s.rel, s.abs);
  const z = delta / scale;
  // A series that often spikes (a fifth of its baseline points as high as now) is spiking again:
  // the level must stand well above its usual highs, not only above its median.
  const usualHigh = Math.max((l.high - l.base) * s.dir, 0);
  // The absolute change is a bar, not a measure: past it, a slow service's 300 ms is as clear as a
  // fast one's 30 ms (else callers, which add up their callees' delays, would always look worse).
  const deltaTerm = delta / s.minDelta;
  let u = Math.min(
    z / s.z,
    deltaTerm < 1 ? deltaTerm : Number.POSITIVE_INFINITY,
    usualHigh > 0 ? delta / (HIGH_MARGIN * usualHigh) : Number.POSITIVE_INFINITY,
  );
  if (s.dir > 0 && s.minRatio > 1) {
    const ratio = l.base > 0 ? l.cur / l.base : Number.POSITIVE_INFINITY;
    u = Math.min(u, (ratio - 1) / (s.minRatio - 1));
  }
  return Math.max(0, u);
}

// ---- evidence per service -----------------------------------------------------------------------

/** One piece of evidence: its units, the kind of fault it points at, and the figures to show. */
type TEvidence = { units: number; kind: TFindingKind; what: string; series: TEvidenceSeries };

type TService = {
  /** Evidence a caller cannot inherit: the service's own CPU, its own time per request (traces). */
  own: TEvidence[];
  /** Evidence a caller inherits: its latency and errors, the latency of calls into it. */
  inherited: TEvidence[];
};

const best = (xs: TEvidence[]): TEvidence | undefined =>
  xs.reduce<TEvidence | undefined>((a, x) => (a === undefined || x.units > a.units ? x : a), undefined);

const q = (s: string) => s.replace(/"/g, '\\"');
const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
const secs = (x: number) => ms(x * 1000);

function serviceOf(map: Map<string, TService>, svc: string): TService {
  let s = map.get(svc);
  if (!s) {
    s = { own: [], inherited: [] };
    map.set(svc, s);
  }
  return s;
}

/** Trace side, per service and minute: requests, total and own (outside downstream calls) ms. */
type TTraceMinute = { count: number; totalMs: number; ownMs: number };

function traceMinutes(w: Window): Map<string, Map<number, TTraceMinute>> {
  const bpm = bucketsPerMinute();
  const out = new Map<string, Map<number, TTraceMinute>>();
  for (const [key, buckets] of w.traces.routes.byKey) {
    const svc = keyParts(key)[0] as string;
    let per = out.get(svc);
    if (!per) {
      per = new Map();
      out.set(svc, per);
    }
    for (const [b, v] of buckets) {
      if (b < w.baseFrom || b > w.nb || v.count === 0) continue;
      const m = Math.floor(b / bpm);
      const t = per.get(m) ?? { count: 0, totalMs: 0, ownMs: 0 };
      t.count += v.count;
      t.totalMs += v.totalMs;
      t.ownMs += v.totalMs - v.parts.downstream - v.parts.pool_wait;
      per.set(m, t);
    }
  }
  return out;
}

function toPoints(per: Map<number, number>): TPoints {
  const ms_ = [...per.keys()].sort((a, b) => a - b);
  return { m: ms_, v: ms_.map((m) => per.get(m) as number) };
}

/** Per-minute mean client latency of each traced caller → peer link. */
function peerMinutes(w: Window): Map<string, { caller: string; peer: string; per: Map<number, TTraceMinute> }> {
  const bpm = bucketsPerMinute();
  const out = new Map<string, { caller: string; peer: string; per: Map<number, TTraceMinute> }>();
  for (const [key, buckets] of w.traces.peers.byKey) {
    const [caller, peer] = keyParts(key) as [string, string];
    if (caller === peer) continue;
    const per = new Map<number, TTraceMinute>();
    for (const [b, v] of buckets) {
      if (b < w.baseFrom || b > w.nb || v.count === 0) continue;
      const m = Math.floor(b / bpm);
      const t = per.get(m) ?? { count: 0, totalMs: 0, ownMs: 0 };
      t.count += v.count;
      t.totalMs += v.totalMs;
      per.set(m, t);
    }
    out.set(key, { caller, peer, per });
  }
  return out;
}

function evidence(
  units: number,
  kind: TFindingKind,
  what: string,
  label: string,
  query: string,
  unit: string,
  l: TLevel,
): TEvidence {
  return { units, kind, what, series: { label, query, unit, baseline: l.base, current: l.cur } };
}

/** Collects every service's evidence at this instant, and the call graph (caller → callees). */
function collect(w: Window): { services: Map<string, TService>; callees: Map<string, Set<string>> } {
  const services = new Map<string, TService>();
  const callees = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    if (a === b) return;
    let s = callees.get(a);
    if (!s) {
      s = new Set();
      callees.set(a, s);
    }
    s.add(b);
  };
  const nowMinute = Math.floor(w.nb / bucketsPerMinute());
  const memo = new Map<string, TPoints>();
  const points = (key: string) => {
    let p = memo.get(key);
    if (!p) {
      p = withLongHistory(w.store, key, minutePoints(w, key), nowMinute);
      memo.set(key, p);
    }
    return p;
  };
  const level = (key: string, dir: 1 | -1) => levelOf(points(key), nowMinute, dir);

  // Slow calls, per link: evidence against the callee (its way in) and the caller (its way out),
  // reduced per service below.
  type TCall = { caller: string; callee: string; units: number; l: TLevel; unit: string; source: string };
  const calls: TCall[] = [];
  const callStats = new Map<string, { rank: number; entry: TCall }>();

  // Latency per statistic, reduced per service below.
  const latency = new Map<string, { stat: string; l: TLevel }[]>();
  const clientLatency = new Map<string, { stat: string; l: TLevel }[]>();
  /** Requests behind one point of a series (the baseline's typical rate), if the rate is known. */
  const requestsPerPoint = (svc: string, cadence: number): number | undefined => {
    const p = points(`${GENERIC_PREFIX.requests}${SEP}${svc}`);
    if (p.v.length === 0) return undefined;
    return medianOf(p.v) * 60 * cadence;
  };

  /**
   * What a request-derived signal (latency, errors) weighs for the traffic behind it: a service
   * serving a request every few seconds affects few users whatever its latency does, and its
   * figures are a handful of requests.
   */
  const trafficWeight = (n: number | undefined, cadence: number) =>
    n === undefined ? 1 : Math.min(1, n / (60 * cadence) / MIN_RATE);

  for (const key of w.store.keys("g.")) {
    const parts = keyParts(key);
    const [prefix, svc] = parts as [string, string];
    switch (prefix) {
      case GENERIC_PREFIX.cpu: {
        const l = level(key, 1);
        if (!l) break;
        const u = unitsOf(l, SPECS.cpu);
        serviceOf(services, svc).own.push(
          evidence(
            u,
            "cpu_saturation",
            `CPU ${(l.cur * 100).toFixed(0)} % of its limit (usual ${(l.base * 100).toFixed(0)} %)`,
            "CPU / limit",
            `service_cpu_usage_ratio{service="${q(svc)}"}`,
            "ratio",
            l,
          ),
        );
        break;
      }
      case GENERIC_PREFIX.memory: {
        const l = level(key, 1);
        if (!l) break;
        serviceOf(services, svc).own.push(
          evidence(
            unitsOf(l, SPECS.memory),
            "memory_leak",
            `memory ${(l.cur * 100).toFixed(0)} % of its limit (usual ${(l.base * 100).toFixed(0)} %)`,
            "memory / limit",
            `service_memory_usage_ratio{service="${q(svc)}"}`,
            "ratio",
            l,
          ),
        );
        break;
      }
      case GENERIC_PREFIX.serverLatency:
      case GENERIC_PREFIX.clientLatency: {
        const stat = parts[2] as string;
        const l = level(key, 1);
        if (!l) break;
        const map = prefix === GENERIC_PREFIX.serverLatency ? latency : clientLatency;
        const list = map.get(svc) ?? [];
        list.push({ stat, l });
        map.set(svc, list);
        break;
      }
      case GENERIC_PREFIX.success: {
        const l = level(key, -1);
        if (!l) break;
        // Binomial noise: with n requests a point, a ratio p wobbles by √(p(1−p)/n) (p ≥ 1 % assumed).
        const n = requestsPerPoint(svc, l.cadence);
        const floor = n ? Math.sqrt(Math.max(l.base * (1 - l.base), 0.01) / n) : 0;
        serviceOf(services, svc).inherited.push(
          evidence(
            unitsOf(l, { ...SPECS.success, abs: Math.max(SPECS.success.abs, floor) }) * trafficWeight(n, l.cadence),
            "latency_regression",
            `${((1 - l.cur) * 100).toFixed(1)} % of requests fail (usual ${((1 - l.base) * 100).toFixed(1)} %)`,
            "success ratio",
            `service_success_ratio{service="${q(svc)}"}`,
            "ratio",
            l,
          ),
        );
        break;
      }
      case GENERIC_PREFIX.call: {
        const [, , peer, side, stat] = parts as [string, string, string, string, string];
        link(svc, peer);
        if (side !== "client") break;
        const l = level(key, 1);
        if (!l) break;
        // One link may come with several statistics: its central one (as for latency) stands for it.
        const link_ = `${svc}${SEP}${peer}`;
        const prev = callStats.get(link_);
        const rank = stat === "mean" || stat === "p50" ? 0 : (QUANTILE[stat] ?? 0.5);
        const units = unitsOf(l, SPECS.call);
        if (prev && (prev.rank < rank || (prev.rank === rank && prev.entry.units >= units))) break;
        callStats.set(link_, {
          rank,
          entry: {
            caller: svc,
            callee: peer,
            units,
            l: { ...l, base: l.base * 1000, cur: l.cur * 1000, high: l.high * 1000, mad: l.mad * 1000 },
            unit: `${stat} latency`,
            source: `service_call_latency_${stat}_seconds{service="${q(svc)}",peer="${q(peer)}",side="client"}`,
          },
        });
        break;
      }
      case GENERIC_PREFIX.dependency:
        link(svc, parts[2] as string);
        break;
      default:
        serviceOf(services, svc);
    }
  }

  /**
   * The typical request's latency drives: the mean and the median, else the lowest quantile the
   * source gives. Tails move on their own all the time (a GC pause, one slow client) and are not
   * evidence on their own. A statistic over few requests is a handful of them: its evidence counts
   * in proportion to the requests that make it, per point (TAIL_REQUESTS or more count fully, fewer
   * than TAIL_MIN_REQUESTS not at all); a mean is made by its slowest tenth.
   */
  const typical = (svc: string, list: { stat: string; l: TLevel }[], side: "server" | "client") => {
    const central = list.filter(({ stat }) => stat === "mean" || stat === "p50");
    const lowest = Math.min(...list.map(({ stat }) => QUANTILE[stat] ?? 0.5));
    const chosen = central.length > 0 ? central : list.filter(({ stat }) => (QUANTILE[stat] ?? 0.5) === lowest);
    return chosen
      .map(({ stat, l }) => {
        const n = requestsPerPoint(svc, l.cadence);
        const beyond = n === undefined ? TAIL_REQUESTS : n * (1 - (QUANTILE[stat] ?? 0.5));
        const weight =
          (beyond < TAIL_MIN_REQUESTS ? 0 : Math.min(1, beyond / TAIL_REQUESTS)) * trafficWeight(n, l.cadence);
        return evidence(
          unitsOf(l, SPECS.latency) * weight,
          "latency_regression",
          `${stat} latency ${secs(l.cur)} (usual ${secs(l.base)})${side === "client" ? " of its calls" : ""}`,
          `${stat} latency${side === "client" ? " of its calls" : ""}`,
          `service_${side}_latency_${stat}_seconds{service="${q(svc)}"}`,
          "s",
          l,
        );
      })
      .sort((a, b) => b.units - a.units)[0];
  };
  for (const { entry } of callStats.values()) calls.push(entry);
  for (const [svc, list] of latency) {
    const e = typical(svc, list, "server");
    if (!e) continue;
    // Slower to answer because its own calls got slower (as the service measures them): a
    // symptom of a dependency, or of the network, even when no dependency is identified.
    const calls = typical(svc, clientLatency.get(svc) ?? [], "client");
    if (calls && calls.units >= Math.max(1, e.units / 2)) {
      e.units *= EXPLAINED_FACTOR;
      e.what += `, as its calls (${calls.what.replace(/ of its calls$/, "")})`;
    }
    serviceOf(services, svc).inherited.push(e);
  }

  // Traces: per service, mean request duration (inherited) and own time (not); per link, the gap
  // between the caller's client span and the callee's server spans (the network, or a queue).
  const tm = traceMinutes(w);
  const meanDur = new Map<string, Map<number, number>>();
  for (const [svc, per] of tm) {
    const dur = new Map<number, number>();
    const own = new Map<number, number>();
    for (const [m, t] of per) {
      dur.set(m, t.totalMs / t.count);
      own.set(m, t.ownMs / t.count);
    }
    meanDur.set(svc, dur);
    const s = serviceOf(services, svc);
    const ld = levelOf(toPoints(dur), nowMinute, 1, TRACE_LEVEL);
    if (ld) {
      s.inherited.push(
        evidence(
          unitsOf(ld, SPECS.traceLatency),
          "latency_regression",
          `requests take ${ms(ld.cur)} (usual ${ms(ld.base)})`,
          "mean request duration (traces)",
          `traces{service="${q(svc)}"}`,
          "ms",
          ld,
        ),
      );
    }
    const lo = levelOf(toPoints(own), nowMinute, 1, TRACE_LEVEL);
    if (lo) {
      s.own.push(
        evidence(
          unitsOf(lo, SPECS.traceLatency),
          "latency_regression",
          `${ms(lo.cur)} per request in its own code (usual ${ms(lo.base)})`,
          "own time per request (traces)",
          `traces{service="${q(svc)}"}`,
          "ms",
          lo,
        ),
      );
    }
  }
  for (const { caller, peer, per } of peerMinutes(w).values()) {
    link(caller, peer);
    const callee = meanDur.get(peer);
    if (!callee) continue;
    const gap = new Map<number, number>();
    for (const [m, t] of per) {
      const server = callee.get(m);
      if (server !== undefined) gap.set(m, Math.max(0, t.totalMs / t.count - server));
    }
    const l = levelOf(toPoints(gap), nowMinute, 1, TRACE_LEVEL);
    if (!l) continue;
    calls.push({
      caller,
      callee: peer,
      units: unitsOf(l, SPECS.traceGap),
      l,
      unit: "time outside the callee's spans",
      source: `traces{service="${q(caller)}",peer="${q(peer)}"}`,
    });
  }
  // A slow link is the callee's problem (its network, its queue) when most of the callee's callers
  // see it, and the caller's (its network, its CPU: a starved client is slow to send and to read)
  // when most of the caller's calls are slow: the lower median over the service's links on that
  // side. A service with one link on a side cannot tell the two apart: its evidence counts less.
  const sides = new Map<string, { in: typeof calls; out: typeof calls }>();
  const sideOf = (svc: string) => {
    let x = sides.get(svc);
    if (!x) {
      x = { in: [], out: [] };
      sides.set(svc, x);
    }
    return x;
  };
  for (const c of calls) {
    sideOf(c.callee).in.push(c);
    sideOf(c.caller).out.push(c);
  }
  for (const [svc, { in: ins, out }] of sides) {
    for (const [list, way] of [
      [ins, "in"],
      [out, "out"],
    ] as const) {
      if (list.length === 0) continue;
      const sorted = [...list].sort((a, b) => b.units - a.units);
      const mid = sorted[Math.floor(sorted.length / 2)] as TCall;
      const units = mid.units * (list.length > 1 ? 1 : way === "in" ? SINGLE_LINK_IN : SINGLE_LINK_OUT);
      const slow = list.filter((c) => c.units >= 1).length;
      const what =
        way === "in"
          ? `calls into it from ${mid.caller}${list.length > 1 ? ` (${slow} of ${list.length} callers)` : ""} take ${ms(mid.l.cur)} (${mid.unit}; usual ${ms(mid.l.base)})`
          : `its calls to ${mid.callee}${list.length > 1 ? ` (${slow} of ${list.length} callees)` : ""} take ${ms(mid.l.cur)} (${mid.unit}; usual ${ms(mid.l.base)})`;
      const e = evidence(
        units,
        "network_delay",
        what,
        `${mid.unit}, ${mid.caller} → ${mid.callee}`,
        mid.source,
        "ms",
        mid.l,
      );
      // Its way in is what its callers inherit; its way out is its own.
      if (way === "in") serviceOf(services, svc).inherited.push(e);
      else serviceOf(services, svc).own.push(e);
    }
  }
  return { services, callees };
}

/**
 * What a service's only link on one side counts for (caller or callee, it cannot tell); a callee a
 * little more, as a caller's own trouble usually shows on all of its calls.
 */
const SINGLE_LINK_IN = 0.5;
const SINGLE_LINK_OUT = 0.4;

/** Evidence below this many threshold units is not listed at all. */
const LIST_UNITS = 0.25;
/** What an inherited anomaly keeps when a callee is anomalous too, at least this share as clearly. */
const EXPLAINED_FACTOR = 0.3;
const CALLEE_SHARE = 0.3;
const MAX_CANDIDATES = 10;

const RECOMMENDATION: Partial<Record<TFindingKind, (svc: string) => string>> = {
  cpu_saturation: (svc) =>
    `Look at what else runs on ${svc}'s nodes (a noisy neighbour, a batch job) and at its CPU limit; profile it if its own work grew, and scale it out meanwhile.`,
  network_delay: (svc) =>
    `Calls into ${svc} wait on the network or a queue in front of it, not on its code: check its pods' network (packet loss, a saturated interface, a sidecar), and its connection limits.`,
  memory_leak: (svc) =>
    `${svc}'s memory stepped up with no matching traffic: compare its latest deploy and its error logs (exceptions and retries hold memory), and take a heap profile if it keeps climbing.`,
  latency_regression: (svc) =>
    `${svc} itself got slower or started failing while its dependencies did not: look at its latest deploy and its logs and traces for the slow or failing requests.`,
};

export function genericDetector(w: Window): TCandidate[] {
  const { services, callees } = collect(w);
  const scored: { svc: string; score: number; top: TEvidence; explainedBy?: string }[] = [];
  const inheritedUnits = (svc: string) => best(services.get(svc)?.inherited ?? [])?.units ?? 0;
  const ownUnits = (svc: string) => best(services.get(svc)?.own ?? [])?.units ?? 0;
  for (const [svc, s] of services) {
    const own = best(s.own);
    const inh = best(s.inherited);
    let explainedBy: string | undefined;
    let inhScore = inh?.units ?? 0;
    if (inh && inhScore > 0) {
      // A callee explains it when anomalous itself, about as clearly (in its own noise units) as
      // this service: a root cause is usually the clearest signal, its callers' delays diluted in
      // their own variability; a callee far less anomalous than its caller is a side effect.
      for (const c of callees.get(svc) ?? []) {
        const cu = Math.max(inheritedUnits(c), ownUnits(c));
        if (cu >= 1 && cu >= inhScore * CALLEE_SHARE) {
          explainedBy = c;
          inhScore *= EXPLAINED_FACTOR;
          break;
        }
      }
    }
    const ownScore = own?.units ?? 0;
    const top = ownScore >= inhScore ? own : inh;
    const score = Math.max(ownScore, inhScore);
    if (!top || score < LIST_UNITS) continue;
    scored.push({ svc, score, top, ...(explainedBy && top === inh ? { explainedBy } : {}) });
  }
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(0, MAX_CANDIDATES).map(({ svc, score, top, explainedBy }) => {
    const s = services.get(svc) as TService;
    // Owned evidence names the cause: CPU beats own-time when both moved.
    const cpu = s.own.find((e) => e.kind === "cpu_saturation" && e.units >= 1);
    const kind: TFindingKind = cpu ? "cpu_saturation" : top.kind;
    const others = [...s.own, ...s.inherited]
      .filter((e) => e !== top && e.units >= 0.5)
      .sort((a, b) => b.units - a.units)
      .slice(0, 2);
    // Strength: 1 at the thresholds, then logarithmic, so that ten times the evidence is not ten
    // times the score.
    const strength = score < 1 ? score : Math.min(8, 1 + Math.log2(score));
    return {
      kind,
      target: { service: svc },
      targetKey: svc,
      strength,
      title: `${svc}: ${top.what}`,
      summary:
        `${[top, ...others].map((e) => e.what).join("; ")}.` +
        (explainedBy ? ` Its callee ${explainedBy} is anomalous too and may be the cause.` : ""),
      recommendation: (RECOMMENDATION[kind] ?? (RECOMMENDATION.latency_regression as (s: string) => string))(svc),
      evidence: {
        series: [top, ...others].map((e) => e.series),
        traces: [],
        links: [{ label: "Services", href: `/services?service=${encodeURIComponent(svc)}` }],
      },
    };
  });
}
