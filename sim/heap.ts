/** A min-heap of timed callbacks; ties run in insertion order. */
export class EventQueue {
  private readonly items: { t: number; seq: number; run: () => void }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(t: number, run: () => void): void {
    const item = { t, seq: this.seq++, run };
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[p], item)) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = item;
  }

  peekTime(): number {
    return this.items.length > 0 ? this.items[0].t : Infinity;
  }

  pop(): { t: number; run: () => void } | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        const cand = (k: number): boolean => k < a.length && this.less(a[k], m === i ? last : a[m]);
        if (cand(l)) m = l;
        if (cand(r)) m = r;
        if (m === i) break;
        a[i] = a[m];
        i = m;
      }
      a[i] = last;
    }
    return top;
  }

  private less(x: { t: number; seq: number }, y: { t: number; seq: number }): boolean {
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
}
