// Distinct series ids in a batch without a Set per call: a marker array indexed by id, stamped with
// an epoch so it never needs clearing. Ids are dense serials, so the array stays small.
let marks = new Uint32Array(1024);
let epoch = 0;

export function distinctIds(ids: Int32Array): Int32Array {
  epoch = (epoch + 1) >>> 0;
  if (epoch === 0) {
    marks.fill(0);
    epoch = 1;
  }
  const out = new Int32Array(ids.length);
  let n = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (id >= marks.length) {
      const grown = new Uint32Array(Math.max(id + 1, marks.length * 2));
      grown.set(marks);
      marks = grown;
    }
    if (marks[id] !== epoch) {
      marks[id] = epoch;
      out[n++] = id;
    }
  }
  return out.subarray(0, n);
}
