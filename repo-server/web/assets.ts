import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

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
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Every servable file under `root`, keyed by its path relative to it with "/" separators. The
 * table is fixed at start: a request can only ever name one of these keys, so no request path
 * reaches the file system (no traversal to guard against).
 */
export function loadAssets(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      const type = TYPES[extname(entry.name)];
      if (!entry.isFile() || type === undefined) continue;
      const bytes = readFileSync(full);
      const etag = `"${createHash('sha1').update(bytes).digest('hex').slice(0, 20)}"`;
      assets.set(relative(root, full).split(sep).join('/'), { bytes, type, etag });
    }
  };
  walk(root);
  return assets;
}
