// Numbers, timestamps and label sets written exactly as Prometheus's HTTP API writes them.

/**
 * A sample value as Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that round-trip,
 * never in exponent notation; NaN, +Inf and -Inf spelled as Prometheus spells them.
 */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Object.is(v, -0)) return "-0";
  const s = String(v);
  const e = s.indexOf("e");
  if (e < 0) return s;
  const negative = s.startsWith("-");
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf(".");
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot < 0 ? mantissa.length : dot) + exp;
  let out: string;
  if (point <= 0) out = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

/** Unix ms as the JSON number of seconds Prometheus writes: `1700000000`, `1700000000.5` → `.500`. */
export function formatTimestamp(ms: number): string {
  let t = Math.trunc(ms);
  let sign = "";
  if (t < 0) {
    sign = "-";
    t = -t;
  }
  const secs = Math.trunc(t / 1000);
  const frac = t % 1000;
  if (frac === 0) return `${sign}${secs}`;
  return `${sign}${secs}.${String(frac).padStart(3, "0")}`;
}

/** Label names in Prometheus's order (byte order of the names). */
export function sortedLabelNames(labels: Record<string, string>): string[] {
  return Object.keys(labels).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Prometheus's labels.Compare over label sets sorted by name. */
export function compareLabels(a: Record<string, string>, b: Record<string, string>): number {
  const an = sortedLabelNames(a);
  const bn = sortedLabelNames(b);
  const l = Math.min(an.length, bn.length);
  for (let i = 0; i < l; i++) {
    const x = an[i] as string;
    const y = bn[i] as string;
    if (x !== y) return x < y ? -1 : 1;
    const xv = a[x] as string;
    const yv = b[y] as string;
    if (xv !== yv) return xv < yv ? -1 : 1;
  }
  return an.length - bn.length;
}

/** A label set as a JSON object with keys in Prometheus's order. */
export function labelsJson(labels: Record<string, string>): string {
  return `{${sortedLabelNames(labels)
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(labels[k])}`)
    .join(",")}}`;
}
