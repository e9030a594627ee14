/**
 * A map keyed by 48-bit MACs as numbers (macNumAt), iterated in insertion order like a Map.
 *
 * Why not a Map: a 48-bit number is not a small integer to V8, so every Map lookup hashes a heap number and
 * chases pointers to compare keys. Here keys sit in a Float64Array next to an open-addressing index
 * (linear probing, multiplicative hash), so a lookup reads two typed arrays and the value. It runs on every
 * packet-in (host learning, forwarding's destination lookup).
 *
 * Entries are appended; delete leaves a hole that the next growth compacts, so iteration stays valid while
 * entries are deleted (not while they are added).
 */

const MIN_CAPACITY = 16;

export class MacTable<V> {
  /** Entry slots in insertion order; macs[i] is -1 for a deleted entry. */
  private macs: Float64Array;
  private vals: (V | undefined)[];
  /** Entries appended so far (live + deleted). */
  private used = 0;
  private live = 0;
  /** Open-addressing index: entry number + 1, 0 when free. Twice the entry capacity, a power of two. */
  private index: Int32Array;
  private shift: number;

  constructor(capacity = MIN_CAPACITY) {
    const cap = Math.max(MIN_CAPACITY, 2 ** Math.ceil(Math.log2(capacity)));
    this.macs = new Float64Array(cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.index = new Int32Array(cap * 2);
    this.shift = 32 - Math.log2(cap * 2);
  }

  get size(): number {
    return this.live;
  }

  get(mac: number): V | undefined {
    const e = this.find(mac);
    return e < 0 ? undefined : this.vals[e];
  }

  has(mac: number): boolean {
    return this.find(mac) >= 0;
  }

  set(mac: number, value: V): this {
    if (!Number.isInteger(mac) || mac < 0 || mac > 0xffffffffffff) {
      throw new RangeError(`mac: must be a 48-bit unsigned integer, got ${mac}`);
    }
    const e = this.find(mac);
    if (e >= 0) {
      this.vals[e] = value;
      return this;
    }
    if (this.used === this.macs.length)
      this.resize(this.live * 2 >= this.macs.length ? this.macs.length * 2 : this.macs.length);
    const n = this.used++;
    this.macs[n] = mac;
    this.vals[n] = value;
    this.live++;
    const mask = this.index.length - 1;
    let i = this.slotOf(mac);
    while (this.index[i] !== 0) i = (i + 1) & mask;
    this.index[i] = n + 1;
    return this;
  }

  delete(mac: number): boolean {
    const mask = this.index.length - 1;
    let i = this.slotOf(mac);
    for (;;) {
      const e = this.index[i] - 1;
      if (e < 0) return false;
      if (this.macs[e] === mac) break;
      i = (i + 1) & mask;
    }
    const e = this.index[i] - 1;
    this.macs[e] = -1;
    this.vals[e] = undefined;
    this.live--;
    // Backward-shift deletion: move later members of the probe run into the gap so lookups need no tombstones.
    let gap = i;
    for (let j = (i + 1) & mask; this.index[j] !== 0; j = (j + 1) & mask) {
      const home = this.slotOf(this.macs[this.index[j] - 1]);
      // The entry at j may fill the gap when the gap lies on its probe path, i.e. in [home, j) cyclically.
      if (((j - home) & mask) >= ((j - gap) & mask)) {
        this.index[gap] = this.index[j];
        gap = j;
      }
    }
    this.index[gap] = 0;
    return true;
  }

  clear(): void {
    this.macs.fill(0);
    this.vals.fill(undefined);
    this.index.fill(0);
    this.used = 0;
    this.live = 0;
  }

  /** The entry added longest ago (insertion order), or undefined when empty. */
  first(): [number, V] | undefined {
    for (let e = 0; e < this.used; e++) if (this.macs[e] >= 0) return [this.macs[e], this.vals[e] as V];
    return undefined;
  }

  *entries(): IterableIterator<[number, V]> {
    for (let e = 0; e < this.used; e++) if (this.macs[e] >= 0) yield [this.macs[e], this.vals[e] as V];
  }

  *values(): IterableIterator<V> {
    for (let e = 0; e < this.used; e++) if (this.macs[e] >= 0) yield this.vals[e] as V;
  }

  *keys(): IterableIterator<number> {
    for (let e = 0; e < this.used; e++) if (this.macs[e] >= 0) yield this.macs[e];
  }

  private slotOf(mac: number): number {
    const lo = mac >>> 0;
    const hi = (mac / 0x100000000) | 0;
    return Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1) >>> this.shift;
  }

  /** Entry number of `mac`, -1 when absent. */
  private find(mac: number): number {
    const mask = this.index.length - 1;
    for (let i = this.slotOf(mac); ; i = (i + 1) & mask) {
      const e = this.index[i] - 1;
      if (e < 0 || this.macs[e] === mac) return e;
    }
  }

  /** Compacts the entries (dropping holes) into `cap` slots and rebuilds the index. */
  private resize(cap: number): void {
    const macs = new Float64Array(cap);
    const vals = new Array<V | undefined>(cap).fill(undefined);
    let n = 0;
    for (let e = 0; e < this.used; e++) {
      if (this.macs[e] < 0) continue;
      macs[n] = this.macs[e];
      vals[n] = this.vals[e];
      n++;
    }
    this.macs = macs;
    this.vals = vals;
    this.used = n;
    this.index = new Int32Array(cap * 2);
    this.shift = 32 - Math.log2(cap * 2);
    const mask = this.index.length - 1;
    for (let e = 0; e < n; e++) {
      let i = this.slotOf(macs[e]);
      while (this.index[i] !== 0) i = (i + 1) & mask;
      this.index[i] = e + 1;
    }
  }
}
