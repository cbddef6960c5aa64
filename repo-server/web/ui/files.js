/** What kind of file a path names, which decides how the file view shows it. */

const IMAGE = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'svg', 'avif', 'bmp', 'ico']);
const TEXT = new Set(['txt', 'text', 'css', 'js', 'mjs', 'ts', 'json', 'xml', 'csv', 'tsv', 'yml', 'yaml', 'toml', 'ini', 'tex', 'bib', 'rst', 'adoc', 'py', 'sh', 'svg']);

/**
 * @param {string} path
 * @returns {'markdown'|'html'|'cnxml'|'image'|'text'|'other'}
 */
export function kindOf(path) {
  const ext = extension(path);
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  if (ext === 'html' || ext === 'htm' || ext === 'xhtml') return 'html';
  if (ext === 'cnxml') return 'cnxml';
  if (IMAGE.has(ext)) return 'image';
  if (TEXT.has(ext)) return 'text';
  return 'other';
}

/** @param {string} path */
export function extension(path) {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/** @param {string} path */
export function baseName(path) {
  return path.split('/').pop() ?? '';
}

/** @param {string} path */
export function parentOf(path) {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/**
 * Resolves a relative link inside a file at `from` to a repository path, or null outside it.
 * @param {string} from
 * @param {string} relative
 */
export function resolvePath(from, relative) {
  const parts = relative.startsWith('/') ? [] : parentOf(from).split('/').filter(Boolean);
  for (const part of (relative.split(/[?#]/)[0] ?? '').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(decodeURIComponent(part));
  }
  return parts.join('/');
}

/**
 * Text if the bytes are UTF-8 without NUL (what an editor can safely round-trip), else null.
 * @param {ArrayBuffer} buffer
 */
export function decodeText(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
