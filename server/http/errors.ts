// One error envelope for Hotpath's own API: { error: { code, message, status, ...details } }.
// Codes are a closed union so clients can switch on them. Prometheus-compatible endpoints keep
// Prometheus's envelope instead (built in their own area).
import type { FastifyReply } from "fastify";

export type TApiErrorCode =
  | "bad_request"
  | "validation_failed"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "too_many_requests"
  | "store_unavailable"
  | "parse_error"
  | "limit_exceeded"
  | "invalid_labels"
  | "cardinality_limit"
  | "buffer_full"
  | "conflict"
  | "read_only"
  | "internal";

const STATUS: Record<TApiErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  store_unavailable: 503,
  parse_error: 400,
  limit_exceeded: 400,
  invalid_labels: 400,
  cardinality_limit: 429,
  buffer_full: 429,
  conflict: 409,
  read_only: 409,
  internal: 500,
};

export type TApiError = {
  code: TApiErrorCode;
  message: string;
  status: number;
  [detail: string]: unknown;
};

export function apiError(code: TApiErrorCode, message: string, details: Record<string, unknown> = {}): TApiError {
  return { ...details, code, message, status: STATUS[code] };
}

export function sendError(reply: FastifyReply, error: TApiError, headers: Record<string, string> = {}) {
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(error.status).send({ error });
}
