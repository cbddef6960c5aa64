/**
 * Three-way line merge (diff3): the changes base->ours and base->theirs are combined; where
 * they overlap or touch and differ, the region is a conflict (as in git, adjacent edits
 * conflict). No conflict markers are produced: a conflicted merge writes nothing at all.
 */
import { diffLines, type LineChange } from './line-diff.js';

export type Merge3Result = { clean: true; lines: string[] } | { clean: false; conflicts: number };

interface SideChange extends LineChange {
  side: 0 | 1;
}

function sideRange(changes: SideChange[], lo: number, hi: number): [number, number] {
  const first = changes[0]!;
  const last = changes[changes.length - 1]!;
  return [first.bStart - (first.aStart - lo), last.bEnd + (hi - last.aEnd)];
}

export function merge3(base: readonly string[], ours: readonly string[], theirs: readonly string[]): Merge3Result {
  const sides = [ours, theirs] as const;
  const all: SideChange[] = [
    ...diffLines(base, ours).map((c) => ({ ...c, side: 0 as const })),
    ...diffLines(base, theirs).map((c) => ({ ...c, side: 1 as const })),
  ].sort((x, y) => x.aStart - y.aStart || x.side - y.side);
  const out: string[] = [];
  let conflicts = 0;
  let cursor = 0;
  let i = 0;
  while (i < all.length) {
    const group = [all[i]!];
    let lo = all[i]!.aStart;
    let hi = all[i]!.aEnd;
    for (i++; i < all.length && all[i]!.aStart <= hi; i++) {
      group.push(all[i]!);
      hi = Math.max(hi, all[i]!.aEnd);
    }
    lo = Math.min(...group.map((c) => c.aStart));
    out.push(...base.slice(cursor, lo));
    const bySide = [group.filter((c) => c.side === 0), group.filter((c) => c.side === 1)];
    const versions = bySide.map((changes, s) => {
      if (changes.length === 0) return null;
      const [start, end] = sideRange(changes, lo, hi);
      return sides[s]!.slice(start, end);
    });
    const [mine, other] = versions;
    if (mine === null || mine === undefined) out.push(...other!);
    else if (other === null || other === undefined) out.push(...mine);
    else if (mine.length === other.length && mine.every((line, k) => line === other[k])) out.push(...mine);
    else conflicts++;
    cursor = hi;
  }
  out.push(...base.slice(cursor));
  return conflicts === 0 ? { clean: true, lines: out } : { clean: false, conflicts };
}
