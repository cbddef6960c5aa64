/**
 * `git diff` output: "diff --git" headers, mode and index lines, "Binary files ... differ",
 * and hunks with 3 lines of context, merged when at most 6 lines apart, each headed by the
 * nearest preceding line that starts with a letter, "_" or "$" (git's default function line).
 * The result is bytes: file content is not necessarily UTF-8.
 */
import { entryType } from './contents.js';
import { isBinary, splitLines, type LineChange } from './line-diff.js';
import { diffLines, groupHunks } from './text-diff.js';
import { readBlob } from './objects.js';
import type { RepoContext } from './repo-context.js';
import type { FileDiff } from './tree-diff.js';
import type { EntryMode, Oid } from './types.js';

const CONTEXT = 3;
const ZERO = '0000000';

/** A side of a file pair as the diff needs it. */
export interface DiffSide {
  path: string;
  oid: Oid;
  mode: EntryMode;
  bytes: Uint8Array;
}

/** git's quote_c_style with core.quotePath on: names with control, quote, backslash or non-ASCII bytes are quoted. */
export function quotePath(name: string): string {
  const bytes = Buffer.from(name, 'utf8');
  if (!bytes.some((c) => c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f)) return bytes.toString('latin1');
  const escapes: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x22: '\\"', 0x5c: '\\\\' };
  let out = '"';
  for (const c of bytes) {
    if (escapes[c] !== undefined) out += escapes[c];
    else if (c < 0x20 || c >= 0x7f) out += `\\${c.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(c);
  }
  return `${out}"`;
}

function short(oid: Oid | null): string {
  return oid === null ? ZERO : oid.slice(0, 7);
}

function range(start: number, count: number): string {
  // A range of no lines names the line before it (0 for the start of the file).
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

function functionLine(lines: readonly string[], before: number): string {
  for (let i = before - 1; i >= 0; i--) {
    const line = lines[i]!.replace(/\n$/, '');
    if (/^[A-Za-z_$]/.test(line)) return ` ${line.slice(0, 80).replace(/[ \t\n\v\f\r]+$/, '')}`;
  }
  return '';
}

function emitLine(out: string[], marker: string, line: string): void {
  out.push(marker, line);
  if (!line.endsWith('\n')) out.push('\n\\ No newline at end of file\n');
}

function hunkText(a: readonly string[], b: readonly string[], changes: LineChange[], out: string[]): void {
  for (const group of groupHunks(changes, CONTEXT)) {
    const first = group[0]!;
    const last = group[group.length - 1]!;
    const aStart = Math.max(0, first.aStart - CONTEXT);
    const aEnd = Math.min(a.length, last.aEnd + CONTEXT);
    const bStart = first.bStart - (first.aStart - aStart);
    const bEnd = last.bEnd + (aEnd - last.aEnd);
    out.push(`@@ -${range(aStart, aEnd - aStart)} +${range(bStart, bEnd - bStart)} @@${functionLine(a, aStart)}\n`);
    let cursor = aStart;
    for (const c of group) {
      for (let i = cursor; i < c.aStart; i++) emitLine(out, ' ', a[i]!);
      for (let i = c.aStart; i < c.aEnd; i++) emitLine(out, '-', a[i]!);
      for (let i = c.bStart; i < c.bEnd; i++) emitLine(out, '+', b[i]!);
      cursor = c.aEnd;
    }
    for (let i = cursor; i < aEnd; i++) emitLine(out, ' ', a[i]!);
  }
}

function tabIfSpace(name: string): string {
  return name.includes(' ') ? '\t' : '';
}

/** The diff of one file pair; `old`/`next` null for an added/deleted file. */
export function fileDiff(old: DiffSide | null, next: DiffSide | null): Buffer {
  const path = (next ?? old)!.path;
  const kind = (side: DiffSide) => entryType(side.mode);
  if (old !== null && next !== null && kind(old) !== kind(next)) {
    // git shows a change of kind (file <-> symlink <-> submodule) as a deletion and an addition.
    return Buffer.concat([fileDiff(old, null), fileDiff(null, next)]);
  }
  const nameA = quotePath(`a/${path}`);
  const nameB = quotePath(`b/${path}`);
  const out: string[] = [`diff --git ${nameA} ${nameB}\n`];
  if (old === null) out.push(`new file mode ${next!.mode}\n`);
  else if (next === null) out.push(`deleted file mode ${old.mode}\n`);
  else if (old.mode !== next.mode) out.push(`old mode ${old.mode}\nnew mode ${next.mode}\n`);
  const sameMode = old !== null && next !== null && old.mode === next.mode;
  if (old?.oid !== next?.oid) out.push(`index ${short(old?.oid ?? null)}..${short(next?.oid ?? null)}${sameMode ? ` ${old.mode}` : ''}\n`);
  const before = old?.bytes ?? new Uint8Array(0);
  const after = next?.bytes ?? new Uint8Array(0);
  const fromName = old === null ? '/dev/null' : nameA;
  const toName = next === null ? '/dev/null' : nameB;
  if (old?.oid !== next?.oid) {
    if (isBinary(before) || isBinary(after)) {
      out.push(`Binary files ${fromName} and ${toName} differ\n`);
    } else {
      const a = splitLines(before);
      const b = splitLines(after);
      const changes = diffLines(a, b);
      if (changes.length > 0) {
        out.push(`--- ${fromName}${tabIfSpace(fromName)}\n+++ ${toName}${tabIfSpace(toName)}\n`);
        hunkText(a, b, changes, out);
      }
    }
  }
  return Buffer.from(out.join(''), 'latin1');
}

async function side(ctx: RepoContext, path: string, oid: Oid | null, mode: EntryMode | null): Promise<DiffSide | null> {
  if (oid === null || mode === null) return null;
  // A submodule is shown as git shows it: one line naming the commit.
  const bytes = mode === '160000' ? Buffer.from(`Subproject commit ${oid}\n`) : await readBlob(ctx, oid);
  return { path, oid, mode, bytes };
}

/** The unified diff of a list of changed files (as from diffTrees), in their order. */
export async function unifiedDiff(ctx: RepoContext, files: readonly FileDiff[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const f of files) {
    const [old, next] = await Promise.all([side(ctx, f.path, f.oldBlob, f.oldMode), side(ctx, f.path, f.newBlob, f.newMode)]);
    parts.push(fileDiff(old, next));
  }
  return Buffer.concat(parts);
}
