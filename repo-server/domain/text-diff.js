// @ts-check
/**
 * Line diffs and three-way merges of text: the one implementation. The server uses it for
 * unified diffs and tree merges; the web client loads this same file (through its import map,
 * as "#text-diff") for the diffs it draws and for merging an edit into a newer save, so the
 * browser and the server cannot disagree about what changed or what conflicts. It is plain
 * JavaScript with JSDoc types, checked by tsc, because the client has no build step.
 *
 * Lines are strings that keep their "\n" (the last may have none): byte-exact when the server
 * decodes bytes as latin1, and a last line without a newline differs from the same line with
 * one, as in git.
 */

/**
 * a[aStart, aEnd) was replaced by b[bStart, bEnd); either range may be empty.
 * @typedef {{ aStart: number, aEnd: number, bStart: number, bEnd: number }} LineChange
 */

/**
 * Where a three-way merge agrees (`resolved`: lines both sides accept) and where it does not
 * (`conflict`: what the common base, ours and theirs have for the same stretch).
 * @typedef {{ kind: 'resolved', lines: string[] } | { kind: 'conflict', base: string[], ours: string[], theirs: string[] }} MergeRegion
 */

/** @typedef {{ clean: true, lines: string[] } | { clean: false, conflicts: number }} Merge3Result */

/**
 * Beyond this many edits the O(D^2) trace would cost too much memory; the middle is then
 * reported as one replaced block (still a correct diff, just not a minimal one).
 */
export const MAX_EDITS = 4000;

/**
 * A text as lines that keep their "\n"; the last line may lack one.
 * @param {string} text
 * @returns {string[]}
 */
export function splitText(text) {
  /** @type {string[]} */
  const lines = [];
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
    lines.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** @typedef {{ a: number, b: number, length: number }} Snake */

/**
 * Matching runs of the minimal edit script between two integer sequences, in order (Myers'
 * O(ND) algorithm); null past MAX_EDITS.
 * @param {Int32Array} a
 * @param {Int32Array} b
 * @returns {Snake[] | null}
 */
function myersMatches(a, b) {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  /** @type {Int32Array[]} */
  const trace = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && /** @type {number} */ (v[offset + k - 1]) < /** @type {number} */ (v[offset + k + 1]));
      let x = down ? /** @type {number} */ (v[offset + k + 1]) : /** @type {number} */ (v[offset + k - 1]) + 1;
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

/**
 * @param {Int32Array[]} trace
 * @param {number} n
 * @param {number} m
 * @param {number} edits
 * @returns {Snake[]}
 */
function backtrack(trace, n, m, edits) {
  /** @type {Snake[]} */
  const snakes = [];
  let x = n;
  let y = m;
  for (let d = edits; d > 0; d--) {
    const before = /** @type {Int32Array} */ (trace[d]);
    /** @param {number} k */
    const at = (k) => /** @type {number} */ (before[k + d + 1]);
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
 * @param {LineChange[]} changes
 * @param {Int32Array} a
 * @param {Int32Array} b
 */
function slideDown(changes, a, b) {
  for (let i = 0; i < changes.length; i++) {
    const c = /** @type {LineChange} */ (changes[i]);
    const next = changes[i + 1];
    const limitA = next === undefined ? a.length : next.aStart;
    const limitB = next === undefined ? b.length : next.bStart;
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

/**
 * A block slid down against the next change becomes one change with it.
 * @param {LineChange[]} changes
 * @returns {LineChange[]}
 */
function joinTouching(changes) {
  /** @type {LineChange[]} */
  const out = [];
  for (const c of changes) {
    const last = out[out.length - 1];
    if (last !== undefined && last.aEnd === c.aStart && last.bEnd === c.bStart) {
      last.aEnd = c.aEnd;
      last.bEnd = c.bEnd;
    } else out.push(c);
  }
  return out;
}

/**
 * The changes that turn lines `aLines` into `bLines`, in order.
 * @param {readonly string[]} aLines
 * @param {readonly string[]} bLines
 * @returns {LineChange[]}
 */
export function diffLines(aLines, bLines) {
  /** @type {Map<string, number>} */
  const ids = new Map();
  /** @param {readonly string[]} lines */
  const intern = (lines) =>
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
  /** @type {LineChange[]} */
  const changes = [];
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

/**
 * Changes grouped into hunks as `diff -u` shows them: a gap of more than 2 x `context`
 * unchanged lines starts a new hunk.
 * @param {readonly LineChange[]} changes
 * @param {number} context
 * @returns {LineChange[][]}
 */
export function groupHunks(changes, context) {
  /** @type {LineChange[][]} */
  const groups = [];
  for (const change of changes) {
    const current = groups[groups.length - 1];
    const previous = current?.[current.length - 1];
    if (current !== undefined && previous !== undefined && change.aStart - previous.aEnd <= 2 * context) current.push(change);
    else groups.push([change]);
  }
  return groups;
}

/** @typedef {LineChange & { side: 0 | 1 }} SideChange */

/**
 * The stretch of one side that a group of its changes covers, widened to base[lo, hi).
 * @param {SideChange[]} changes
 * @param {number} lo
 * @param {number} hi
 * @returns {[number, number]}
 */
function sideRange(changes, lo, hi) {
  const first = /** @type {SideChange} */ (changes[0]);
  const last = /** @type {SideChange} */ (changes[changes.length - 1]);
  return [first.bStart - (first.aStart - lo), last.bEnd + (hi - last.aEnd)];
}

/**
 * Three-way line merge (diff3): the changes base->ours and base->theirs are combined; where
 * they overlap or touch and differ, the stretch is a conflict (as in git, adjacent edits
 * conflict). Answers the whole text as regions, resolved lines kept together.
 * @param {readonly string[]} base
 * @param {readonly string[]} ours
 * @param {readonly string[]} theirs
 * @returns {MergeRegion[]}
 */
export function mergeRegions(base, ours, theirs) {
  const sides = [ours, theirs];
  /** @type {SideChange[]} */
  const all = [
    ...diffLines(base, ours).map((c) => ({ ...c, side: /** @type {const} */ (0) })),
    ...diffLines(base, theirs).map((c) => ({ ...c, side: /** @type {const} */ (1) })),
  ].sort((x, y) => x.aStart - y.aStart || x.side - y.side);
  /** @type {MergeRegion[]} */
  const regions = [];
  /** @param {readonly string[]} lines */
  const keep = (lines) => {
    if (lines.length === 0) return;
    const last = regions[regions.length - 1];
    if (last?.kind === 'resolved') last.lines.push(...lines);
    else regions.push({ kind: 'resolved', lines: [...lines] });
  };
  let cursor = 0;
  let i = 0;
  while (i < all.length) {
    const first = /** @type {SideChange} */ (all[i]);
    const group = [first];
    let hi = first.aEnd;
    for (i++; i < all.length && /** @type {SideChange} */ (all[i]).aStart <= hi; i++) {
      const next = /** @type {SideChange} */ (all[i]);
      group.push(next);
      hi = Math.max(hi, next.aEnd);
    }
    const lo = Math.min(...group.map((c) => c.aStart));
    keep(base.slice(cursor, lo));
    const [mine, other] = [0, 1].map((s) => {
      const changes = group.filter((c) => c.side === s);
      if (changes.length === 0) return null;
      const [start, end] = sideRange(changes, lo, hi);
      return /** @type {readonly string[]} */ (sides[s]).slice(start, end);
    });
    if (mine === null || mine === undefined) keep(other ?? []);
    else if (other === null || other === undefined) keep(mine);
    else if (mine.length === other.length && mine.every((line, k) => line === other[k])) keep(mine);
    else regions.push({ kind: 'conflict', base: base.slice(lo, hi), ours: mine, theirs: other });
    cursor = hi;
  }
  keep(base.slice(cursor));
  return regions;
}

/**
 * The merged lines, or how many stretches conflict (no conflict markers: a conflicted merge
 * on the server writes nothing, and the client shows the regions instead).
 * @param {readonly string[]} base
 * @param {readonly string[]} ours
 * @param {readonly string[]} theirs
 * @returns {Merge3Result}
 */
export function merge3(base, ours, theirs) {
  const regions = mergeRegions(base, ours, theirs);
  const conflicts = regions.filter((r) => r.kind === 'conflict').length;
  if (conflicts > 0) return { clean: false, conflicts };
  return { clean: true, lines: regions.flatMap((r) => (r.kind === 'resolved' ? r.lines : [])) };
}
