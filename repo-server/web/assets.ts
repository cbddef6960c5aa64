import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
/**
 * The built service (`npm run build`) carries the libraries' files beside this module, under
 * lib/<package>/, copied from node_modules by scripts/build.mjs through libraryFiles: a deployment
 * runs without the client's libraries installed. A checkout reads them from node_modules.
 */
const BUNDLED = fileURLToPath(new URL('./lib/', import.meta.url));
const LIBRARY_ROOT = existsSync(BUNDLED) ? BUNDLED : NODE_MODULES;

function asset(bytes: Buffer, type: string): Asset {
  return { bytes, type, etag: `"${createHash('sha1').update(bytes).digest('hex').slice(0, 20)}"` };
}

/** Every file under `dir` whose extension is served: its key (path relative to `base`, after `prefix`) -> its path. */
function servable(base: string, dir: string, prefix = '', into = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) servable(base, full, prefix, into);
    else if (entry.isFile() && TYPES[extname(entry.name)] !== undefined && !entry.name.endsWith('.d.ts')) into.set(`${prefix}${relative(base, full).split(sep).join('/')}`, full);
  }
  return into;
}

/**
 * Every servable file: the client under `root`, the libraries under lib/<package>/, the shared
 * modules under shared/; keyed by the path after /ui/ with "/" separators. The table is fixed at
 * start: a request can only ever name one of these keys, so no request path reaches the file
 * system (no traversal to guard against).
 */
export function loadAssets(root: string, libraries: string = LIBRARY_ROOT): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [key, file] of [...servable(root, root), ...libraryFiles(libraries)]) assets.set(key, asset(readFileSync(file), TYPES[extname(file)]!));
  for (const [key, file] of Object.entries(SHARED)) assets.set(key, asset(readFileSync(file), TYPES['.js']!));
  return assets;
}

/** Every served file of the libraries: `lib/<package>/<path>` -> the file under `libraries` (node_modules, or the build's copy). */
export function libraryFiles(libraries: string = NODE_MODULES): Map<string, string> {
  const files = new Map<string, string>();
  for (const lib of LIBRARIES) {
    const base = join(libraries, lib.name);
    for (const file of lib.files ?? []) files.set(`lib/${lib.name}/${file}`, join(base, file));
    if (lib.folder !== undefined) servable(base, join(base, lib.folder), `lib/${lib.name}/`, files);
  }
  return files;
}
