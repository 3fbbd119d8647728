// A Map-backed LRU with lru-cache's surface (get/set/delete/has/size/max and the dispose option), for
// the tests: lru-cache itself is not a dependency of this project.

export type TMiniLruOptions<K, V> = {
  max: number;
  dispose?: (value: V, key: K, reason: "evict" | "set" | "delete") => void;
};

export class MiniLru<K, V> {
  readonly #map = new Map<K, V>();
  readonly max: number;
  readonly #dispose: TMiniLruOptions<K, V>["dispose"];

  constructor(opts: TMiniLruOptions<K, V>) {
    this.max = opts.max;
    this.#dispose = opts.dispose;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    if (!this.#map.has(key)) return undefined;
    const v = this.#map.get(key) as V;
    this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): this {
    if (this.#map.has(key)) {
      const old = this.#map.get(key) as V;
      this.#map.delete(key);
      this.#dispose?.(old, key, "set");
    } else if (this.#map.size >= this.max) {
      const [oldKey, oldValue] = this.#map.entries().next().value as [K, V];
      this.#map.delete(oldKey);
      this.#dispose?.(oldValue, oldKey, "evict");
    }
    this.#map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (!this.#map.has(key)) return false;
    const v = this.#map.get(key) as V;
    this.#map.delete(key);
    this.#dispose?.(v, key, "delete");
    return true;
  }

  clear(): void {
    this.#map.clear();
  }
}
