// Binary layouts of ingest blocks and sample chunks (see prisma/schema.prisma). Little-endian,
// columnar: decoding is three typed-array views, no per-sample parsing.

export type TSampleColumns = {
  seriesIds: Int32Array;
  ts: Float64Array; // Unix ms, integral
  values: Float64Array;
};

// Millisecond timestamps fit in 53 bits: two 32-bit halves avoid a BigInt per sample.
function writeInt64s(buf: Buffer, ts: ArrayLike<number>, n: number): void {
  const words = new Uint32Array(buf.buffer, buf.byteOffset, n * 2);
  for (let i = 0; i < n; i++) {
    const t = ts[i] as number;
    const hi = Math.floor(t / 4294967296);
    words[i * 2] = t - hi * 4294967296;
    words[i * 2 + 1] = hi;
  }
}

export function encodeBlock(cols: TSampleColumns): Buffer {
  const n = cols.seriesIds.length;
  // Allocated from a fresh ArrayBuffer: typed-array views need 8-byte alignment.
  const buf = Buffer.from(new ArrayBuffer(n * 20));
  // Timestamps first so the 8-byte columns stay aligned for Float64Array views on decode.
  writeInt64s(buf, cols.ts, n);
  new Float64Array(buf.buffer, buf.byteOffset + n * 8, n).set(cols.values);
  new Int32Array(buf.buffer, buf.byteOffset + n * 16, n).set(cols.seriesIds);
  return buf;
}

export function decodeBlock(data: Uint8Array, count: number): TSampleColumns {
  const aligned = alignedCopy(data);
  const tsBig = new BigInt64Array(aligned.buffer, aligned.byteOffset, count);
  const ts = new Float64Array(count);
  for (let i = 0; i < count; i++) ts[i] = Number(tsBig[i]);
  return {
    ts,
    values: new Float64Array(aligned.buffer, aligned.byteOffset + count * 8, count),
    seriesIds: new Int32Array(aligned.buffer, aligned.byteOffset + count * 16, count),
  };
}

/** A chunk: `count` int64 timestamps then `count` float64 values, sorted by time. */
export function encodeChunk(ts: ArrayLike<number>, values: ArrayLike<number>): Buffer {
  const n = ts.length;
  const buf = Buffer.from(new ArrayBuffer(n * 16));
  writeInt64s(buf, ts, n);
  const vals = new Float64Array(buf.buffer, buf.byteOffset + n * 8, n);
  for (let i = 0; i < n; i++) vals[i] = values[i] as number;
  return buf;
}

export function decodeChunk(data: Uint8Array, count: number): { ts: Float64Array; values: Float64Array } {
  const aligned = alignedCopy(data);
  const tsBig = new BigInt64Array(aligned.buffer, aligned.byteOffset, count);
  const ts = new Float64Array(count);
  for (let i = 0; i < count; i++) ts[i] = Number(tsBig[i]);
  return { ts, values: new Float64Array(aligned.buffer, aligned.byteOffset + count * 8, count) };
}

// Typed-array views need an 8-byte aligned offset; buffers from drivers often are not.
function alignedCopy(data: Uint8Array): Uint8Array {
  if (data.byteOffset % 8 === 0) return data;
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return copy;
}
