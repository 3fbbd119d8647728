// Rate-limited trace sampling: every trace while a service is quiet, at most `perSecond` new traces
// once it is busy (a token bucket over root spans; children follow their parent). A recorded trace
// costs the host most of a millisecond of CPU in the OTel SDK (span objects, OTLP encoding, the GC
// that follows), so full tracing at 1,000 requests/s took a third of a core (bench/agent.ts); the
// analyzer and the drill-down views need examples, not every trace, and metrics count every request.

// The global `performance` is a lazy accessor run on every read (Node 20); this binding is not.
import { performance } from "node:perf_hooks";
import type { Attributes, Context, Link, SpanKind } from "@opentelemetry/api";
import { type Sampler, SamplingDecision, type SamplingResult } from "@opentelemetry/sdk-trace-node";

export class RateLimitingSampler implements Sampler {
  private tokens: number;
  private last = performance.now();

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  /** Whether a new root would be sampled now, without taking a token (the HTTP hook asks first). */
  canSample(now = performance.now()): boolean {
    if (this.tokens >= 1) return true;
    this.refill(now);
    return this.tokens >= 1;
  }

  shouldSample(
    _context: Context,
    _traceId: string,
    _name: string,
    _kind: SpanKind,
    _attributes: Attributes,
    _links: Link[],
  ): SamplingResult {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    }
    return { decision: SamplingDecision.NOT_RECORD };
  }

  private refill(now = performance.now()): void {
    // A caller's clock reading can be a little older than the last one taken here.
    if (now <= this.last) return;
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  toString(): string {
    return `RateLimitingSampler{${this.perSecond}/s}`;
  }
}
