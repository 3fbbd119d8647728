// Pushgateway grouping keys: `/job/<JOB>{/<LABEL>/<VALUE>}` after `/metrics`, with the `@base64`
// suffix convention from the Pushgateway README ("URL" section).
//
// Input must be the RAW path (before percent-decoding): segments are split on "/" first and each is
// decoded afterwards, so `%2F` inside a value stays part of the value. Pushgateway itself routes on the
// decoded path and therefore cannot take `%2F`, but prom-client's Pushgateway class sends exactly that
// for values containing "/" (it only uses encodeURIComponent), so accepting it is the useful choice.

import type { TParseResult } from "../model";

export type TGroupingKey = { job: string; labels: Record<string, string> };

const BASE64_SUFFIX = "@base64";
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// Both alphabets: the README specifies the URL-safe one (and Pushgateway only decodes that), but some
// clients send standard base64, and the two alphabets don't overlap so accepting both is unambiguous.
const BASE64_BODY = /^[A-Za-z0-9\-_+/]*$/;

function fail(message: string): TParseResult<TGroupingKey> {
  return { ok: false, error: { code: "parse_error", message, field: "path" } };
}

type TDecoded = { ok: true; value: string } | { ok: false; message: string };

function percentDecode(segment: string): TDecoded {
  if (segment.indexOf("%") === -1) return { ok: true, value: segment };
  try {
    return { ok: true, value: decodeURIComponent(segment) };
  } catch {
    return { ok: false, message: `invalid percent-encoding in path segment "${segment}"` };
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** RFC 4648 base64, URL-safe or standard alphabet; trailing "=" padding optional (as Pushgateway). */
function decodeBase64(encoded: string): TDecoded {
  let end = encoded.length;
  while (end > 0 && encoded.charCodeAt(end - 1) === 61) end--;
  const body = encoded.slice(0, end);
  if (!BASE64_BODY.test(body)) return { ok: false, message: "contains characters outside the base64 alphabet" };
  // A single leftover character carries only 6 bits, which can't encode a whole byte.
  if (body.length % 4 === 1) return { ok: false, message: "has an impossible length for base64" };
  const bytes = Buffer.from(body, "base64");
  try {
    return { ok: true, value: utf8.decode(bytes) };
  } catch {
    return { ok: false, message: "does not decode to valid UTF-8" };
  }
}

/**
 * Parses the path after `/metrics`, e.g. `/job/batch/instance/host-1` or
 * `/job@base64/YmF0Y2g/path@base64/L3Zhci90bXA`. The returned labels include `job`.
 *
 * Pass the path as it came over the wire (e.g. from `request.url`, query string removed), not a
 * router parameter: routers decode `%2F` to "/" and `%25` to "%", which would split values apart
 * and then be decoded a second time here.
 */
export function parseGroupingPath(path: string): TParseResult<TGroupingKey> {
  const trimmed = path.startsWith("/") ? path.slice(1) : path;
  if (trimmed === "") return fail('missing job: the path after /metrics must start with "/job/<job name>"');
  const segments = trimmed.split("/");
  // A trailing "/" after complete pairs is tolerated, as Pushgateway does for "/job/x/".
  if (segments.length > 2 && segments.length % 2 === 1 && segments[segments.length - 1] === "") segments.pop();
  if (segments.length % 2 !== 0) {
    return fail(
      `odd number of path segments in "${path}": expected /job/<job>{/<label>/<value>}; an empty value must be written as <label>@base64/=`,
    );
  }

  const labels: Record<string, string> = {};
  for (let i = 0; i < segments.length; i += 2) {
    const rawName = segments[i] as string;
    const rawValue = segments[i + 1] as string;
    if (rawName === "") return fail(`empty label name in "${path}" (a "//" in the path)`);
    const decodedName = percentDecode(rawName);
    if (!decodedName.ok) return fail(decodedName.message);
    let name = decodedName.value;
    const base64 = name.endsWith(BASE64_SUFFIX);
    if (base64) name = name.slice(0, -BASE64_SUFFIX.length);

    if (i === 0 && name !== "job") {
      return fail(`the path after /metrics must start with "/job/<job name>", got "/${rawName}"`);
    }
    if (!LABEL_NAME.test(name)) {
      return fail(`invalid label name "${name}" in path: expected [a-zA-Z_][a-zA-Z0-9_]*`);
    }
    if (name.startsWith("__")) return fail(`label name "${name}" is reserved (names starting with "__")`);
    if (Object.hasOwn(labels, name)) return fail(`duplicate label "${name}" in path`);

    let value: string;
    if (rawValue === "") {
      return fail(
        name === "job"
          ? "the job name can't be empty"
          : `empty value for label "${name}": write an empty value as /${name}@base64/=`,
      );
    }
    // Percent-decoding comes first for base64 values too: Pushgateway sees the router-decoded path,
    // so a client that escaped the "=" padding as %3D works there.
    const unescaped = percentDecode(rawValue);
    if (!unescaped.ok) return fail(unescaped.message);
    if (base64) {
      const decoded = decodeBase64(unescaped.value);
      if (!decoded.ok) return fail(`value of "${name}@base64" ${decoded.message}: "${rawValue}"`);
      value = decoded.value;
    } else {
      value = unescaped.value;
    }
    if (name === "job" && value === "") return fail("the job name can't be empty");

    labels[name] = value;
  }
  return { ok: true, value: { job: labels.job as string, labels } };
}

/**
 * Stable, unambiguous string for a label set (map/DB key): `k="v"` pairs sorted by name, values
 * JSON-escaped, joined by ",". Names that aren't valid label names are JSON-quoted too so two
 * different label sets can never collide.
 */
export function renderGroupingKey(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  let out = "";
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (i > 0) out += ",";
    out += LABEL_NAME.test(name) ? name : JSON.stringify(name);
    out += `=${JSON.stringify(labels[name])}`;
  }
  return out;
}
