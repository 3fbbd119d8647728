// Writes (POST/PUT/DELETE) through the same apiFetch as reads, so errors carry the API's code and
// status and the answer is validated by the resource's schema. A body is sent as JSON; without one no
// content-type is set (Fastify rejects an empty body declared as JSON).
import type { z } from "zod";
import { apiFetch } from "./apiFetch";

export function apiSend<S extends z.ZodType>(
  method: "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  schema: S,
  body?: unknown,
  init: Omit<RequestInit, "method" | "body" | "headers" | "signal"> & {
    headers?: Record<string, string>;
    signal?: AbortSignal;
  } = {},
): Promise<z.infer<S>> {
  const headers: Record<string, string> = { ...init.headers };
  if (body !== undefined) headers["content-type"] = "application/json";
  return apiFetch(path, schema, {
    ...init,
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers,
  });
}
