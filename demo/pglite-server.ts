// PGlite over the PostgreSQL wire protocol on loopback, for many concurrent pg connections.
//
// PGlite is one Postgres backend (one session). @electric-sql/pglite-socket's handler frames the
// protocol per connection; its stock queue runs messages one at a time in arrival order, which lets
// two connections' extended-protocol messages interleave (A:Parse, B:Parse, A:Bind...) and clobber the
// session's unnamed statement and portal ("bind message supplies 4 parameters, but prepared statement
// "" requires 1"). This queue keeps each connection's messages together up to its Sync (or simple
// Query), and a whole transaction together, which is what a single-backend server can promise.
import net from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from "@electric-sql/pglite-socket";

type TQueued = {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: Error) => void;
};

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'
const SYNC_MESSAGE = new Uint8Array([SYNC, 0, 0, 0, 4]);

/** Implements the queue interface PGLiteSocketHandler calls (enqueue, clearQueueForHandler, clearTransactionIfNeeded). */
class MessageGroupQueue {
  private queue: TQueued[] = [];
  /** The connection whose message group (or transaction) is in progress. */
  private owner: number | null = null;
  private busy = false;

  constructor(private readonly db: PGlite) {}

  get length(): number {
    return this.queue.length;
  }

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (;;) {
        const i = this.owner === null ? 0 : this.queue.findIndex((q) => q.handlerId === this.owner);
        if (i < 0 || this.queue.length === 0) break;
        const q = this.queue.splice(i, 1)[0] as TQueued;
        const type = q.message[0];
        const endsGroup = type === SYNC || type === QUERY || type === TERMINATE;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(q.message, {
              syncToFs: endsGroup,
              onRawData: (data) => {
                bytes += data.length;
                q.onData(data);
              },
            }),
          );
        } catch (err) {
          this.release(q.handlerId, endsGroup);
          q.reject(err as Error);
          continue;
        }
        if (type !== 0) this.release(q.handlerId, endsGroup);
        q.resolve(bytes);
      }
    } finally {
      this.busy = false;
    }
  }

  private release(handlerId: number, endsGroup: boolean): void {
    this.owner = !endsGroup || this.db.isInTransaction() ? handlerId : null;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((q) => {
      if (q.handlerId !== handlerId) return true;
      q.reject(new Error("connection closed"));
      return false;
    });
  }

  /** A connection went away mid-group or mid-transaction: end its group, roll back, let others in. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    await this.db.runExclusive(async () => {
      await this.db.execProtocolRaw(SYNC_MESSAGE);
      if (this.db.isInTransaction()) await this.db.execProtocolRaw(encodeQuery("ROLLBACK"));
    });
    this.owner = null;
    void this.pump();
  }
}

function encodeQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, "utf8");
  const out = Buffer.alloc(5 + text.length);
  out[0] = QUERY;
  out.writeInt32BE(4 + text.length, 1);
  text.copy(out, 5);
  return out;
}

export type TPgliteServer = {
  host: string;
  port: number;
  connections: () => number;
  queued: () => number;
  close(): Promise<void>;
};

export async function servePglite(db: PGlite, host = "127.0.0.1"): Promise<TPgliteServer> {
  await db.waitReady;
  const queue = new MessageGroupQueue(db);
  const handlers = new Set<PGLiteSocketHandler>();
  const server = net.createServer((socket) => {
    const handler = new PGLiteSocketHandler({
      queryQueue: queue as unknown as PGLiteSocketHandlerOptions["queryQueue"],
      closeOnDetach: true,
    });
    handlers.add(handler);
    handler.addEventListener("close", () => handlers.delete(handler));
    handler.addEventListener("error", () => handlers.delete(handler));
    void handler.attach(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    host,
    port,
    connections: () => handlers.size,
    queued: () => queue.length,
    close: async () => {
      await Promise.all([...handlers].map((h) => h.detach(true).catch(() => undefined)));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
