/** A binary heap; `before(a, b)` true when a must come out first. Ties leave in insertion order. */
export class Heap<T> {
  private readonly items: { value: T; seq: number }[] = [];
  private seq = 0;

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  values(): T[] {
    return this.items.map((item) => item.value);
  }

  /** The values in the order pop() would give them, the heap left as it is. */
  inOrder(): T[] {
    const copy = new Heap<T>(this.before);
    copy.items.push(...this.items);
    copy.seq = this.seq;
    const out: T[] = [];
    while (copy.size > 0) out.push(copy.pop() as T);
    return out;
  }

  push(value: T): void {
    this.items.push({ value, seq: this.seq++ });
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.precedes(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.items.length > 0) {
      this.items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let best = i;
        if (left < this.items.length && this.precedes(left, best)) best = left;
        if (right < this.items.length && this.precedes(right, best)) best = right;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top.value;
  }

  private precedes(i: number, j: number): boolean {
    const a = this.items[i]!;
    const b = this.items[j]!;
    if (this.before(a.value, b.value)) return true;
    if (this.before(b.value, a.value)) return false;
    return a.seq < b.seq;
  }

  private swap(i: number, j: number): void {
    const a = this.items[i]!;
    this.items[i] = this.items[j]!;
    this.items[j] = a;
  }
}
