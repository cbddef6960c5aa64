import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One static file of the client, read once: its bytes, media type and a strong ETag. */
export interface Asset {
  bytes: Buffer;
  type: string;
  etag: string;
}

/** Only these kinds are served; anything else in the folder (notes, editor backups) stays private. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The libraries the client imports by bare name, served from node_modules as the ES modules their
 * packages ship (no copy in the repository, no build step): `files` are the module files of the
 * package, or every module under a folder for a package split into many files. The page's
 * import map (ui/index.html) names the same paths; a test checks that the two agree.
 */
export const LIBRARIES: ReadonlyArray<{ name: string; files?: string[]; folder?: string }> = [
  { name: 'markdown-it', files: ['dist/browser/markdown-it.esm.min.mjs'] },
  { name: 'markdown-it-footnote', files: ['index.mjs'] },
  { name: '@mdit/plugin-tasklist', files: ['dist/index.js'] },
  { name: '@mdit/plugin-tex', files: ['dist/index.js'] },
  { name: 'temml', files: ['dist/temml.mjs'] },
  { name: 'dompurify', files: ['dist/purify.es.mjs'] },
  { name: 'diff', folder: 'libesm' },
];

/** Server modules the client runs as they are (one implementation for both; see the module). */
export const SHARED: Readonly<Record<string, string>> = {
  'shared/text-diff.js': fileURLToPath(new URL('../domain/text-diff.js', import.meta.url)),
};

const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));

function asset(bytes: Buffer, type: string): Asset {
  return { bytes, type, etag: `"${createHash('sha1').update(bytes).digest('hex').slice(0, 20)}"` };
}

/** Every file under `dir` whose extension is served, keyed by its path relative to `root`. */
function walk(root: string, dir: string, into: Map<string, Asset>, prefix = ''): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(root, full, into, prefix);
      continue;
    }
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || type === undefined || entry.name.endsWith('.d.ts')) continue;
    into.set(`${prefix}${relative(root, full).split(sep).join('/')}`, asset(readFileSync(full), type));
  }
}

/**
 * Every servable file: the client under `root`, the libraries under lib/<package>/, the shared
 * modules under shared/; keyed by the path after /ui/ with "/" separators. The table is fixed at
 * start: a request can only ever name one of these keys, so no request path reaches the file
 * system (no traversal to guard against).
 */
export function loadAssets(root: string, nodeModules: string = NODE_MODULES): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  walk(root, root, assets);
  for (const lib of LIBRARIES) {
    const base = join(nodeModules, lib.name);
    for (const file of lib.files ?? []) assets.set(`lib/${lib.name}/${file}`, asset(readFileSync(join(base, file)), TYPES[extname(file)]!));
    if (lib.folder !== undefined) walk(base, join(base, lib.folder), assets, `lib/${lib.name}/`);
  }
  for (const [key, file] of Object.entries(SHARED)) assets.set(key, asset(readFileSync(file), TYPES['.js']!));
  return assets;
}
