// Who is calling: a key from `Authorization: Bearer`, or Basic auth (the password, else the user name:
// prom-client's Pushgateway and OTLP exporters can send either), or a trusted network, or the
// dashboard itself (same-origin browser calls, open like Prometheus's own UI until accounts exist).
import type { IncomingHttpHeaders } from "node:http";
import { isCidr } from "../config/env";
import { hasRight, type KeyStore, type TRight } from "./keys";

export type TAuthResult =
  | { ok: true; via: "key" | "network" | "dashboard" }
  | { ok: false; status: 401 | 403; message: string };

export function extractSecret(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (!auth) return undefined;
  const [scheme, value = ""] = auth.split(/\s+/, 2);
  if (scheme?.toLowerCase() === "bearer") return value.trim() || undefined;
  if (scheme?.toLowerCase() === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
    const pass = colon >= 0 ? decoded.slice(colon + 1) : "";
    return pass || user || undefined;
  }
  return undefined;
}

export function isSameOrigin(headers: IncomingHttpHeaders): boolean {
  if (headers["sec-fetch-site"] === "same-origin") return true;
  const origin = headers.origin;
  if (!origin || !headers.host) return false;
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}

export async function authorize(
  keys: KeyStore,
  req: { headers: IncomingHttpHeaders; ip: string },
  needed: TRight,
  opts: { openCidrs: string[]; dashboardAllowed: boolean },
): Promise<TAuthResult> {
  const secret = extractSecret(req.headers);
  if (secret) {
    const key = await keys.check(secret);
    if (!key) return { ok: false, status: 401, message: "unknown or revoked API key" };
    if (!hasRight(key.rights, needed)) {
      return {
        ok: false,
        status: 403,
        message: `this key lacks the "${needed}" right (it has: ${key.rights.join(", ")})`,
      };
    }
    return { ok: true, via: "key" };
  }
  if (opts.openCidrs.length > 0 && inCidrs(req.ip, opts.openCidrs)) return { ok: true, via: "network" };
  if (opts.dashboardAllowed && isSameOrigin(req.headers)) return { ok: true, via: "dashboard" };
  return {
    ok: false,
    status: 401,
    message: `an API key with the "${needed}" right is required: send "Authorization: Bearer <key>" (create keys on the Agents page or with \`npm run keys -- create\`)`,
  };
}

export function inCidrs(ip: string, cidrs: string[]): boolean {
  const v4 = ip.startsWith("::ffff:") ? ip.slice(7) : ip === "::1" ? "127.0.0.1" : ip;
  const addr = ipv4ToInt(v4);
  if (addr === undefined) return false;
  return cidrs.some((c) => {
    if (!isCidr(c)) return false;
    const [base, bits] = c.split("/") as [string, string];
    const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
    return (addr & mask) >>> 0 === ((ipv4ToInt(base) as number) & mask) >>> 0;
  });
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    const o = Number(p);
    if (!Number.isInteger(o) || o < 0 || o > 255) return undefined;
    n = n * 256 + o;
  }
  return n >>> 0;
}
