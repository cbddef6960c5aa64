/**
 * The client's browser modules, loaded into Node for unit tests of their pure parts (Markdown
 * to HTML, diff rows, routes). They are plain JavaScript checked by their own tsconfig (with the
 * DOM), outside this one, so they are imported by path and typed here by what the tests use.
 */
import { fileURLToPath } from 'node:url';

export const UI_DIR = fileURLToPath(new URL('../../../repo-server/web/ui/', import.meta.url));

export interface MarkdownModule {
  markdownToHtml(source: string): string;
  safeUrl(url: string): string | null;
}

export interface Row {
  type: 'same' | 'add' | 'del' | 'hunk' | 'meta';
  oldNo: number | null;
  newNo: number | null;
  text: string;
}

export interface FileDiff {
  oldPath: string | null;
  newPath: string | null;
  meta: string[];
  rows: Row[];
}

export type Region = { kind: 'resolved'; lines: string[] } | { kind: 'conflict'; base: string[]; ours: string[]; theirs: string[] };

export interface DiffModule {
  textRows(oldText: string, newText: string): Row[];
  stats(rows: Row[]): { added: number; removed: number };
  parseUnified(text: string): FileDiff[];
  underPath(files: FileDiff[], path: string): FileDiff[];
  mergeTexts(base: string, ours: string, theirs: string): Region[];
}

export interface RouterModule {
  parse(hash: string): { name: string; repo?: string; params: Record<string, string> } | null;
  href(name: string, repo?: string, params?: Record<string, string | undefined>): string;
}

export interface FilesModule {
  kindOf(path: string): string;
  resolvePath(from: string, relative: string): string | null;
}

export async function loadUi<T>(name: string): Promise<T> {
  return (await import(`${UI_DIR}${name}`)) as T;
}
