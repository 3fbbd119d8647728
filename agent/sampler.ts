// Rate-limited trace sampling: every trace while a service is quiet, at most `perSecond` new traces
// once it is busy (a token bucket over root spans; children follow their parent). Full tracing at
// 1,000 requests/s cost the host a third of a core (bench/agent.ts); the analyzer and the drill-down
// views need examples, not every trace, and metrics still count every request.
import type { Attributes, Context, Link, SpanKind } from "@opentelemetry/api";
import { type Sampler, SamplingDecision, type SamplingResult } from "@opentelemetry/sdk-trace-node";

export class RateLimitingSampler implements Sampler {
  private tokens: number;
  private last = performance.now();

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  shouldSample(
    _context: Context,
    _traceId: string,
    _name: string,
    _kind: SpanKind,
    _attributes: Attributes,
    _links: Link[],
  ): SamplingResult {
    const now = performance.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    }
    return { decision: SamplingDecision.NOT_RECORD };
  }

  toString(): string {
    return `RateLimitingSampler{${this.perSecond}/s}`;
  }
}
