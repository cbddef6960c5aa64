/**
 * The client's browser modules, loaded into Node for unit tests of their pure parts (Markdown
 * parsing, diffs, routes). They are plain JavaScript outside tsconfig, so they are imported by
 * path and typed here by what the tests use.
 */
import { fileURLToPath } from 'node:url';

export const UI_DIR = fileURLToPath(new URL('../../../repo-server/web/ui/', import.meta.url));

export type Inline =
  | { type: 'text' | 'code'; text: string }
  | { type: 'strong' | 'em'; children: Inline[] }
  | { type: 'link'; href: string | null; children: Inline[] }
  | { type: 'image'; src: string | null; alt: string }
  | { type: 'break' };

export type Block =
  | { type: 'heading'; level: number; inlines: Inline[] }
  | { type: 'paragraph'; inlines: Inline[] }
  | { type: 'code'; lang: string; text: string }
  | { type: 'quote'; blocks: Block[] }
  | { type: 'hr' }
  | { type: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { type: 'table'; align: (string | null)[]; head: Inline[][]; rows: Inline[][][] };

export interface MarkdownModule {
  parseMarkdown(source: string): Block[];
  parseInline(text: string): Inline[];
  safeUrl(url: string): string | null;
}

export interface Op {
  type: 'same' | 'add' | 'del';
  text: string;
}

export interface FileDiff {
  oldPath: string | null;
  newPath: string | null;
  lines: { type: string; text: string }[];
}

export interface DiffModule {
  splitLines(text: string): string[];
  diffLines(a: string[], b: string[]): Op[];
  lineDiff(oldText: string, newText: string): Op[];
  hunks(ops: Op[], context?: number): { oldStart: number; oldCount: number; newStart: number; newCount: number; lines: Op[] }[];
  merge3(base: string, mine: string, theirs: string, labels?: { mine?: string; theirs?: string }): { text: string; conflicts: number };
  parseUnified(text: string): FileDiff[];
  underPath(files: FileDiff[], path: string): FileDiff[];
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
