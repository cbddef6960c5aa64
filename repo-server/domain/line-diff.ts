/**
 * Line diff (Myers' O(ND) algorithm) for unified diffs and three-way merges. Lines are "latin1"
 * strings, one character per byte, each with its "\n": byte-exact for any content, and a last
 * line without a newline differs from the same line with one, as in git.
 */

/** a[aStart, aEnd) was replaced by b[bStart, bEnd); either range may be empty. */
export interface LineChange {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

export function splitLines(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const lines: string[] = [];
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
    lines.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** git's test: a NUL in the first 8000 bytes makes a file binary. */
export function isBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

// Beyond this many edits the O(D^2) trace would cost too much memory; the middle is then
// reported as one replaced block (still a correct diff, just not a minimal one).
const MAX_EDITS = 4000;

interface Snake {
  a: number;
  b: number;
  length: number;
}

/** Matching runs of the minimal edit script between two integer sequences, in order. */
function myersMatches(a: Int32Array, b: Int32Array): Snake[] | null {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
      let x = down ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, n, m, d);
    }
  }
  return null;
}

function backtrack(trace: Int32Array[], n: number, m: number, edits: number): Snake[] {
  const snakes: Snake[] = [];
  let x = n;
  let y = m;
  for (let d = edits; d > 0; d--) {
    const before = trace[d]!;
    const at = (k: number): number => before[k + d + 1]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    const startX = down ? prevX : prevX + 1;
    const startY = down ? prevY + 1 : prevY;
    if (x > startX) snakes.push({ a: startX, b: startY, length: x - startX });
    x = prevX;
    y = prevY;
  }
  if (x > 0) snakes.push({ a: 0, b: 0, length: x });
  return snakes.reverse();
}

/**
 * git slides an inserted or deleted block down while the line after it equals its first line
 * ("a\nb\n" -> "a\nb\nb\n" adds the last "b", not the middle one); so do we, so that hunks
 * look like git's.
 */
function slideDown(changes: LineChange[], a: Int32Array, b: Int32Array): void {
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    const limitA = i + 1 < changes.length ? changes[i + 1]!.aStart : a.length;
    const limitB = i + 1 < changes.length ? changes[i + 1]!.bStart : b.length;
    if (c.aStart === c.aEnd) {
      while (c.bEnd < limitB && c.aEnd < limitA && b[c.bStart] === b[c.bEnd]) {
        c.aStart++;
        c.aEnd++;
        c.bStart++;
        c.bEnd++;
      }
    } else if (c.bStart === c.bEnd) {
      while (c.aEnd < limitA && c.bEnd < limitB && a[c.aStart] === a[c.aEnd]) {
        c.aStart++;
        c.aEnd++;
        c.bStart++;
        c.bEnd++;
      }
    }
  }
}

export function diffLines(aLines: readonly string[], bLines: readonly string[]): LineChange[] {
  const ids = new Map<string, number>();
  const intern = (lines: readonly string[]): Int32Array =>
    Int32Array.from(lines, (line) => {
      let id = ids.get(line);
      if (id === undefined) ids.set(line, (id = ids.size));
      return id;
    });
  const a = intern(aLines);
  const b = intern(bLines);
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  const midA = a.subarray(prefix, a.length - suffix);
  const midB = b.subarray(prefix, b.length - suffix);
  const snakes = myersMatches(midA, midB) ?? [];
  // Walk the matching runs (plus a sentinel at the end); each gap between them is a change.
  const changes: LineChange[] = [];
  let x = 0;
  let y = 0;
  for (const s of [...snakes, { a: midA.length, b: midB.length, length: 0 }]) {
    if (s.a > x || s.b > y) changes.push({ aStart: prefix + x, aEnd: prefix + s.a, bStart: prefix + y, bEnd: prefix + s.b });
    x = s.a + s.length;
    y = s.b + s.length;
  }
  slideDown(changes, a, b);
  return joinTouching(changes);
}

/** A block slid down against the next change becomes one change with it. */
function joinTouching(changes: LineChange[]): LineChange[] {
  const out: LineChange[] = [];
  for (const c of changes) {
    const last = out[out.length - 1];
    if (last !== undefined && last.aEnd === c.aStart && last.bEnd === c.bStart) {
      last.aEnd = c.aEnd;
      last.bEnd = c.bEnd;
    } else out.push(c);
  }
  return out;
}
