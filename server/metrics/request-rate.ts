// Requests per second over a sliding window of one-second buckets; cheap enough to call per request.
export class RequestRate {
  private readonly buckets: number[];
  private current = 0;
  private currentSecond = Math.floor(Date.now() / 1000);

  constructor(private readonly windowSeconds = 10) {
    this.buckets = new Array(windowSeconds).fill(0);
  }

  hit(now = Date.now()): void {
    this.advance(now);
    this.current++;
  }

  /** Mean rate over the completed seconds of the window. */
  perSecond(now = Date.now()): number {
    this.advance(now);
    let sum = 0;
    for (const b of this.buckets) sum += b;
    return sum / this.windowSeconds;
  }

  private advance(now: number): void {
    const second = Math.floor(now / 1000);
    if (second === this.currentSecond) return;
    const steps = Math.min(second - this.currentSecond, this.windowSeconds);
    for (let i = 0; i < steps; i++) {
      this.buckets.shift();
      this.buckets.push(i === 0 ? this.current : 0);
    }
    this.current = 0;
    this.currentSecond = second;
  }
}
