/**
 * Line diffs and three-way merges in the browser, for what the API does not diff: the editor's
 * "their version against yours" after a 412, merging your edit into theirs, and two versions of
 * one file from its history. Pure functions over strings (no DOM), so they are unit-tested in Node.
 */

/** @typedef {{ type: 'same'|'add'|'del', text: string }} Op */

/** Edit distances above this are not worth a minimal diff: everything is shown as replaced. */
const MAX_EDITS = 2000;

/** Lines without their terminators; a final newline does not make an extra empty line. */
export function splitLines(text) {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Lines with their terminators, so that joining them gives the text back exactly. */
function splitKeep(text) {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * A shortest edit script (Myers' O(ND) algorithm) between two lists of lines.
 * @param {string[]} a
 * @param {string[]} b
 * @returns {Op[]}
 */
export function diffLines(a, b) {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const same = (text) => ({ type: /** @type {const} */ ('same'), text });
  return [...a.slice(0, start).map(same), ...middle(a.slice(start, endA), b.slice(start, endB)), ...a.slice(endA).map(same)];
}

/** @returns {Op[]} */
function middle(a, b) {
  const n = a.length;
  const m = b.length;
  const replaced = () => [...a.map((text) => ({ type: 'del', text })), ...b.map((text) => ({ type: 'add', text }))];
  if (n === 0 || m === 0) return /** @type {Op[]} */ (replaced());
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  /** Each round's frontier, only over the diagonals it can read: memory O(D^2), not O(D*N). */
  const trace = [];
  for (let d = 0; d <= Math.min(max, MAX_EDITS); d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b);
    }
  }
  return /** @type {Op[]} */ (replaced());
}

function backtrack(trace, a, b) {
  /** @type {Op[]} */
  const ops = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const snap = trace[d];
    const at = (k) => snap[k + d + 1];
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ type: 'same', text: a[x - 1] });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ type: 'add', text: b[y - 1] });
      else ops.push({ type: 'del', text: a[x - 1] });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

/**
 * The line diff of two texts.
 * @returns {Op[]}
 */
export function lineDiff(oldText, newText) {
  return diffLines(splitLines(oldText), splitLines(newText));
}

/**
 * @typedef {{ oldStart: number, oldCount: number, newStart: number, newCount: number, lines: Op[] }} Hunk
 */

/**
 * Groups an edit script into hunks with `context` unchanged lines around each change, as
 * `diff -u` shows them. Line numbers start at 1.
 * @param {Op[]} ops
 * @returns {Hunk[]}
 */
export function hunks(ops, context = 3) {
  const changed = ops.map((op, i) => (op.type === 'same' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return [];
  const ranges = [];
  for (const i of changed) {
    const last = ranges[ranges.length - 1];
    if (last && i - last[1] <= 2 * context + 1) last[1] = i;
    else ranges.push([i, i]);
  }
  const oldAt = [];
  const newAt = [];
  let o = 1;
  let n = 1;
  for (const op of ops) {
    oldAt.push(o);
    newAt.push(n);
    if (op.type !== 'add') o++;
    if (op.type !== 'del') n++;
  }
  return ranges.map(([first, last]) => {
    const from = Math.max(0, first - context);
    const to = Math.min(ops.length - 1, last + context);
    const lines = ops.slice(from, to + 1);
    return {
      oldStart: oldAt[from],
      oldCount: lines.filter((l) => l.type !== 'add').length,
      newStart: newAt[from],
      newCount: lines.filter((l) => l.type !== 'del').length,
      lines,
    };
  });
}

/** Counts of added and removed lines. */
export function stats(ops) {
  return { added: ops.filter((o) => o.type === 'add').length, removed: ops.filter((o) => o.type === 'del').length };
}

/** The changes of `other` against `base`: base lines [start, end) become `lines`. */
function changes(base, other) {
  const out = [];
  let at = 0;
  let current = null;
  for (const op of diffLines(base, other)) {
    if (op.type === 'same') {
      if (current) out.push(current);
      current = null;
      at++;
      continue;
    }
    current ??= { start: at, end: at, lines: [] };
    if (op.type === 'del') {
      at++;
      current.end = at;
    } else current.lines.push(op.text);
  }
  if (current) out.push(current);
  return out;
}

/** One side's version of base[lo, hi) with its own changes in that range applied. */
function apply(base, lo, hi, own) {
  const out = [];
  let pos = lo;
  for (const c of own) {
    out.push(...base.slice(pos, c.start), ...c.lines);
    pos = c.end;
  }
  out.push(...base.slice(pos, hi));
  return out;
}

const terminated = (lines) => lines.map((l, i) => (i === lines.length - 1 && !l.endsWith('\n') ? `${l}\n` : l));

/**
 * A three-way merge of two edits of one text (diff3): changes to different places are both
 * kept; where both sides changed the same (or touching) lines differently, the region is written
 * with git's conflict markers for the author to resolve.
 * @param {string} baseText the version both edits started from
 * @param {string} mineText
 * @param {string} theirsText
 * @param {{ mine?: string, theirs?: string }} [labels]
 * @returns {{ text: string, conflicts: number }}
 */
export function merge3(baseText, mineText, theirsText, labels = {}) {
  const base = splitKeep(baseText);
  const a = changes(base, splitKeep(mineText));
  const b = changes(base, splitKeep(theirsText));
  const out = [];
  let conflicts = 0;
  let pos = 0;
  let ia = 0;
  let ib = 0;
  while (ia < a.length || ib < b.length) {
    const useA = ib >= b.length || (ia < a.length && a[ia].start <= b[ib].start);
    // Changes come in order of where they start, so nothing left starts before `lo`.
    const lo = (useA ? a[ia] : b[ib]).start;
    let hi = lo;
    const mine = [];
    const theirs = [];
    // Grow the region while a change of either side starts inside it or right at its end.
    for (;;) {
      if (ia < a.length && a[ia].start <= hi) {
        hi = Math.max(hi, a[ia].end);
        mine.push(a[ia++]);
      } else if (ib < b.length && b[ib].start <= hi) {
        hi = Math.max(hi, b[ib].end);
        theirs.push(b[ib++]);
      } else break;
    }
    out.push(...base.slice(pos, lo));
    const mineVersion = apply(base, lo, hi, mine);
    const theirsVersion = apply(base, lo, hi, theirs);
    if (theirs.length === 0) out.push(...mineVersion);
    else if (mine.length === 0) out.push(...theirsVersion);
    else if (mineVersion.join('') === theirsVersion.join('')) out.push(...mineVersion);
    else {
      conflicts++;
      out.push(`<<<<<<< ${labels.mine ?? 'yours'}\n`, ...terminated(mineVersion), '=======\n', ...terminated(theirsVersion), `>>>>>>> ${labels.theirs ?? 'theirs'}\n`);
    }
    pos = hi;
  }
  out.push(...base.slice(pos));
  return { text: out.join(''), conflicts };
}

/**
 * @typedef {{ oldPath: string|null, newPath: string|null, lines: Array<{ type: 'add'|'del'|'same'|'hunk'|'meta', text: string }> }} FileDiff
 */

/**
 * The files of a unified diff as git prints it (text/x-diff from the compare endpoint).
 * @param {string} text
 * @returns {FileDiff[]}
 */
export function parseUnified(text) {
  /** @type {FileDiff[]} */
  const files = [];
  let file = null;
  let inHunk = false;
  for (const line of splitLines(text)) {
    if (line.startsWith('diff --git ')) {
      const m = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
      file = { oldPath: m ? m[1] : null, newPath: m ? m[2] : null, lines: [] };
      files.push(file);
      inHunk = false;
      continue;
    }
    if (file === null) continue;
    if (!inHunk && line.startsWith('--- ')) file.oldPath = line === '--- /dev/null' ? null : line.replace(/^--- a\//, '');
    else if (!inHunk && line.startsWith('+++ ')) file.newPath = line === '+++ /dev/null' ? null : line.replace(/^\+\+\+ b\//, '');
    else if (line.startsWith('@@')) {
      inHunk = true;
      file.lines.push({ type: 'hunk', text: line });
    } else if (inHunk && line.startsWith('+')) file.lines.push({ type: 'add', text: line.slice(1) });
    else if (inHunk && line.startsWith('-')) file.lines.push({ type: 'del', text: line.slice(1) });
    else if (inHunk && line.startsWith(' ')) file.lines.push({ type: 'same', text: line.slice(1) });
    else if (line.startsWith('\\')) file.lines.push({ type: 'meta', text: line });
    else if (!inHunk) file.lines.push({ type: 'meta', text: line });
  }
  return files;
}

/** The file diffs at `path` or below it ("" keeps all). */
export function underPath(files, path) {
  if (path === '') return files;
  const inside = (p) => p !== null && (p === path || p.startsWith(`${path}/`));
  return files.filter((f) => inside(f.oldPath) || inside(f.newPath));
}
