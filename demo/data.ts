// Every query of the demo goes through here, so the pool faults act on all of them the way the real
// bugs would: pool_saturation (a smaller pool whose connections are held while the app works) and
// connection_leak (a code path that forgets `release()`).
import type pg from "pg";
import type { FaultRegistry } from "./faults";

export class PoolTimeoutError extends Error {
  override readonly name = "PoolTimeoutError";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DemoDb {
  private readonly leaked: pg.PoolClient[] = [];

  constructor(
    readonly pool: pg.Pool,
    private readonly faults: FaultRegistry,
    private readonly random: () => number,
    readonly poolMax: number,
  ) {
    faults.on("pool_saturation", (intensity) => {
      // pg-pool reads options.max whenever it decides to open a connection; connections above the
      // new limit are closed as they are released (see release below).
      this.pool.options.max = intensity === undefined ? this.poolMax : this.saturatedMax(intensity);
    });
    faults.on("connection_leak", (intensity) => {
      if (intensity === undefined) this.releaseLeaked();
    });
  }

  get leakedCount(): number {
    return this.leaked.length;
  }

  private saturatedMax(intensity: number): number {
    return Math.max(2, Math.round(this.poolMax - (this.poolMax - 2) * intensity));
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    const leak = this.faults.isOn("connection_leak");
    const saturate = this.faults.isOn("pool_saturation");
    if (!leak && !saturate) return this.wrapTimeout(() => this.pool.query<R>(text, values));

    const client = await this.wrapTimeout(() => this.pool.connect());
    if (leak && this.random() < 0.02 + 0.08 * this.faults.intensity("connection_leak")) {
      // The bug: an early return path that never calls release(). The client stays checked out.
      this.leaked.push(client);
      return client.query<R>(text, values);
    }
    let broken = false;
    try {
      const result = await client.query<R>(text, values);
      if (saturate) {
        // Work done while still holding the connection (serialising, calling out, logging...).
        await sleep(10 + 90 * this.faults.intensity("pool_saturation"));
      }
      return result;
    } catch (err) {
      broken = true;
      throw err;
    } finally {
      client.release(broken || this.pool.totalCount > this.pool.options.max);
    }
  }

  /** A transaction on one connection; the callback gets the client. */
  async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.wrapTimeout(() => this.pool.connect());
    let broken = false;
    try {
      await client.query("BEGIN");
      const out = await fn(client);
      await client.query("COMMIT");
      return out;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.release(broken || this.pool.totalCount > this.pool.options.max);
    }
  }

  releaseLeaked(): number {
    const n = this.leaked.length;
    for (const c of this.leaked.splice(0)) c.release();
    return n;
  }

  private async wrapTimeout<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (/timeout exceeded when trying to connect/i.test((err as Error).message)) {
        throw new PoolTimeoutError("database pool exhausted: timed out waiting for a connection");
      }
      throw err;
    }
  }
}
