/** A max-heap of commits by committer time: git's revision walk visits newest first. */
export class CommitQueue {
  private readonly heap: { oid: string; time: number }[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(oid: string, time: number): void {
    const h = this.heap;
    h.push({ oid, time });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as { time: number }).time >= time) break;
      [h[i], h[parent]] = [h[parent] as { oid: string; time: number }, h[i] as { oid: string; time: number }];
      i = parent;
    }
  }

  pop(): { oid: string; time: number } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && (h[l] as { time: number }).time > (h[m] as { time: number }).time) m = l;
        if (r < h.length && (h[r] as { time: number }).time > (h[m] as { time: number }).time) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as { oid: string; time: number }, h[i] as { oid: string; time: number }];
        i = m;
      }
    }
    return top;
  }
}
