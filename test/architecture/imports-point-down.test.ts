/**
 * The layering docs/architecture.md draws, checked on the source: every import of a folder points
 * at itself or at a folder below it, and only the git core (repo-server/git/) parses objects and
 * packs. A new import that points up fails here, with the file and the import named.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = process.cwd();

/** Folder -> the folders of ours it may import (besides itself). Longest matching folder wins. */
const MAY_IMPORT: Record<string, string[]> = {
  webmachine: [],
  'fs-service': [],
  'repo-server/git': ['fs-service'],
  'repo-server/observability': ['fs-service'],
  'repo-server/domain': ['repo-server/git', 'fs-service'],
  'repo-server/settings': ['repo-server/git', 'fs-service'],
  'repo-server/auth': ['repo-server/settings', 'repo-server/git', 'fs-service'],
  'repo-server/git-http': ['repo-server/git', 'webmachine', 'fs-service'],
  'repo-server/webhooks': ['repo-server/git', 'repo-server/observability', 'fs-service'],
  'repo-server/events': ['repo-server/domain', 'repo-server/git', 'repo-server/observability', 'webmachine', 'fs-service'],
  'repo-server/http': ['repo-server/auth', 'repo-server/domain', 'repo-server/git', 'repo-server/observability', 'repo-server/settings', 'repo-server/webhooks', 'webmachine', 'fs-service'],
  'repo-server/resources': ['repo-server/http', 'repo-server/auth', 'repo-server/domain', 'repo-server/git', 'repo-server/observability', 'repo-server/settings', 'repo-server/webhooks', 'webmachine', 'fs-service'],
  'repo-server/web': ['repo-server/domain'],
  // The entry points wire everything together.
  'repo-server': ['repo-server', 'webmachine', 'fs-service'],
  nginx: ['repo-server', 'fs-service'],
};

/** Who may name the object and pack parsers (and zlib on git data). */
const PARSERS = /\b(parseCommit|parseCommitDetails|parseTree|parseTag|parseTagDetails|readEntryHeader|PackIndex|applyDelta|objectLinks)\b/;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|js)$/.test(name)) out.push(path);
  }
  return out;
}

function folderOf(file: string): string {
  const candidates = Object.keys(MAY_IMPORT).filter((f) => file.startsWith(`${f}/`));
  return candidates.sort((a, b) => b.length - a.length)[0] as string;
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) => m[1] as string);
}

const FILES = ['webmachine', 'fs-service', 'repo-server', 'nginx'].flatMap(sources).filter((f) => !f.startsWith('repo-server/web/ui/'));

describe('imports point down', () => {
  it('every folder imports only itself and the folders below it', () => {
    const wrong: string[] = [];
    for (const file of FILES) {
      const from = folderOf(file);
      const allowed = [from, ...(MAY_IMPORT[from] ?? [])];
      for (const spec of importsOf(file)) {
        const target = normalize(relative(ROOT, join(ROOT, dirname(file), spec)));
        const to = folderOf(target);
        if (to === undefined) continue;
        const ok = allowed.some((a) => to === a || (a === 'repo-server' && to.startsWith('repo-server')));
        if (!ok) wrong.push(`${file} imports ${spec} (${from} -> ${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('only the git core parses objects and packs', () => {
    const outside = FILES.filter((f) => !f.startsWith('repo-server/git/') && PARSERS.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(outside).toEqual([]);
  });
});
