// OTLP/HTTP traces (ExportTraceServiceRequest, protobuf or JSON) → TSpanIn.
import type { TAttributes, TParseResult, TSpanEventIn, TSpanIn, TSpanKind, TSpanStatus } from "../model";
import {
  arrayField,
  attributes,
  elementObject,
  enumField,
  fail,
  idField,
  isZeroHex,
  objectField,
  parseJsonBody,
  stringField,
  type TEncoding,
  type TObj,
  toParseError,
  uint64Field,
} from "./otlp-common";
import { decodeOtlpProtobuf, ExportTraceServiceRequestType } from "./otlp-proto";

const KIND_NAMES = [
  "SPAN_KIND_UNSPECIFIED",
  "SPAN_KIND_INTERNAL",
  "SPAN_KIND_SERVER",
  "SPAN_KIND_CLIENT",
  "SPAN_KIND_PRODUCER",
  "SPAN_KIND_CONSUMER",
] as const;
const KINDS: readonly TSpanKind[] = ["unspecified", "internal", "server", "client", "producer", "consumer"];

const STATUS_NAMES = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"] as const;
const STATUSES: readonly TSpanStatus[] = ["unset", "ok", "error"];

function walkTraces(req: TObj): TSpanIn[] {
  const out: TSpanIn[] = [];
  const rss = arrayField(req, "resourceSpans", "");
  for (let ri = 0; ri < rss.length; ri++) {
    const rp = `resourceSpans[${ri}]`;
    const rs = elementObject(rss[ri], rp);
    const resourceObj = objectField(rs, "resource", rp);
    // One resource object per ResourceSpans, shared by its spans: treat as immutable downstream.
    const resource: TAttributes = resourceObj ? attributes(resourceObj, "attributes", `${rp}.resource`) : {};
    const sss = arrayField(rs, "scopeSpans", rp);
    for (let si = 0; si < sss.length; si++) {
      const sp = `${rp}.scopeSpans[${si}]`;
      const ss = elementObject(sss[si], sp);
      const scopeObj = objectField(ss, "scope", sp);
      const scope = scopeObj ? stringField(scopeObj, "name", `${sp}.scope`) : "";
      const spans = arrayField(ss, "spans", sp);
      for (let i = 0; i < spans.length; i++) {
        const p = `${sp}.spans[${i}]`;
        out.push(span(elementObject(spans[i], p), p, resource, scope));
      }
    }
  }
  return out;
}

function span(s: TObj, path: string, resource: TAttributes, scope: string): TSpanIn {
  const traceId = idField(s, "traceId", path, 16);
  if (traceId === undefined || isZeroHex(traceId)) {
    fail(`${path}.traceId`, "trace id is missing or all zeros; expected 16 bytes, not all zero");
  }
  const spanId = idField(s, "spanId", path, 8);
  if (spanId === undefined || isZeroHex(spanId)) {
    fail(`${path}.spanId`, "span id is missing or all zeros; expected 8 bytes, not all zero");
  }
  const parent = idField(s, "parentSpanId", path, 8);
  const name = stringField(s, "name", path);
  if (name === "") fail(`${path}.name`, "span name is missing or empty; expected a non-empty string");
  const kind = KINDS[enumField(s, "kind", path, KIND_NAMES)] as TSpanKind;
  const startUnixNano = uint64Field(s, "startTimeUnixNano", path);
  const endUnixNano = uint64Field(s, "endTimeUnixNano", path);
  if (endUnixNano < startUnixNano) {
    fail(
      `${path}.endTimeUnixNano`,
      `span ends (${endUnixNano}) before it starts (${startUnixNano}); expected end >= start`,
    );
  }
  const statusObj = objectField(s, "status", path);
  let status: TSpanStatus = "unset";
  let statusMessage = "";
  if (statusObj) {
    status = STATUSES[enumField(statusObj, "code", `${path}.status`, STATUS_NAMES)] as TSpanStatus;
    statusMessage = stringField(statusObj, "message", `${path}.status`);
  }
  const eventList = arrayField(s, "events", path);
  const events: TSpanEventIn[] = new Array(eventList.length);
  for (let i = 0; i < eventList.length; i++) {
    const ep = `${path}.events[${i}]`;
    const e = elementObject(eventList[i], ep);
    events[i] = {
      name: stringField(e, "name", ep),
      timeUnixNano: uint64Field(e, "timeUnixNano", ep),
      attributes: attributes(e, "attributes", ep),
    };
  }
  return {
    traceId,
    spanId,
    // Some senders write an all-zero parent for roots; that is "no parent", not a span id.
    parentSpanId: parent === undefined || isZeroHex(parent) ? undefined : parent,
    name,
    kind,
    startUnixNano,
    endUnixNano,
    status,
    statusMessage,
    attributes: attributes(s, "attributes", path),
    resource,
    scope,
    events,
  };
}

/**
 * Decodes an OTLP trace export request into spans. Ids become lower-case hex; timestamps stay bigint
 * nanoseconds; kvlist attributes become JSON strings and bytes base64. Never throws.
 */
export function decodeOtlpTraces(body: Buffer, encoding: TEncoding): TParseResult<TSpanIn[]> {
  try {
    const req =
      encoding === "json"
        ? parseJsonBody(body, "OTLP/JSON ExportTraceServiceRequest")
        : decodeOtlpProtobuf(ExportTraceServiceRequestType, body);
    return { ok: true, value: walkTraces(req) };
  } catch (e) {
    return {
      ok: false,
      error: toParseError(e, encoding === "json" ? "OTLP/JSON trace request" : "OTLP protobuf trace request"),
    };
  }
}
