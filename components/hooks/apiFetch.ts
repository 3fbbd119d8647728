// The browser's one way to call Hotpath's API: passes React Query's abort signal, validates the body
// with the resource's schema, and throws an Error carrying the API's code and status.
import type { z } from "zod";

export type TApiFetchError = Error & { code: string; status: number };

export async function apiFetch<S extends z.ZodType>(
  path: string,
  schema: S,
  init: RequestInit & { signal?: AbortSignal } = {},
): Promise<z.infer<S>> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers: { accept: "application/json", ...init.headers } });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw makeError(`cannot reach Hotpath (${(err as Error).message})`, "network_error", 0);
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw makeError(e?.message ?? `${res.status} ${res.statusText}`, e?.code ?? "http_error", res.status);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw makeError(`unexpected response from ${path}: ${parsed.error.issues[0]?.message}`, "bad_response", res.status);
  }
  return parsed.data;
}

function makeError(message: string, code: string, status: number): TApiFetchError {
  return Object.assign(new Error(message), { code, status });
}
