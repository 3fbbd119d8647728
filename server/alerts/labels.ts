// Label-set helpers shared by the alerting core: the canonical text of a label set (instance keys,
// group keys) and Prometheus's fingerprint, so that what Hotpath sends matches what Alertmanager
// would compute for the same labels.
export type TLabels = Record<string, string>;

/** Prometheus's legacy label-name rule; annotation names follow it too. */
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label names sorted by code unit, as Go's sort.Strings orders them (byte order for ASCII names). */
export function sortedNames(labels: TLabels): string[] {
  return Object.keys(labels).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The label set as model.LabelSet.String() writes it: `{a="x", b="y"}`, names sorted. Values are
 * JSON-quoted, which equals Go's strconv.Quote for printable text.
 */
export function labelSetString(labels: TLabels): string {
  return `{${sortedNames(labels)
    .map((n) => `${n}=${JSON.stringify(labels[n])}`)
    .join(", ")}}`;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;
const SEPARATOR = 0xff;
const encoder = new TextEncoder();

/**
 * model.LabelSet.Fingerprint(): FNV-1a 64 over `name 0xff value 0xff` for each label in name order,
 * as 16 hex digits. Alertmanager puts this in every webhook alert; receivers dedupe on it.
 */
export function fingerprint(labels: TLabels): string {
  let h = FNV_OFFSET;
  const add = (b: number) => {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK_64;
  };
  for (const name of sortedNames(labels)) {
    for (const b of encoder.encode(name)) add(b);
    add(SEPARATOR);
    for (const b of encoder.encode(labels[name] ?? "")) add(b);
    add(SEPARATOR);
  }
  return h.toString(16).padStart(16, "0");
}

/** Equal label sets, whatever the key order. */
export function sameLabels(a: TLabels, b: TLabels): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
