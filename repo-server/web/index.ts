import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import { type Asset, loadAssets } from './assets.js';

/**
 * The page's policy: everything from this origin only (the API, the WebSocket, the modules), no
 * inline script but the page's own import map, allowed by its hash. Inline styles are allowed
 * because an authored HTML file is previewed in a sandboxed srcdoc iframe, which inherits this
 * policy, and such files carry their own styles; scripts never run there (the sandbox has no
 * allow-scripts). Images may be blob: URLs, made from bytes fetched with the token.
 */
export function contentSecurityPolicy(page: Buffer): string {
  return [
    "default-src 'self'",
    `script-src 'self'${importMapHashes(page)}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "connect-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** " 'sha256-...'" for each inline <script type="importmap"> of the page (CSP 3 hashes its text). */
function importMapHashes(page: Buffer): string {
  const maps = page.toString('utf8').matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g);
  return [...maps].map((m) => ` 'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`).join('');
}

const UI_ROOT = fileURLToPath(new URL('./ui/', import.meta.url));

function send(req: Request, res: Response, asset: Asset, extra: Record<string, string>): void {
  res.setHeader('Content-Type', asset.type);
  res.setHeader('ETag', asset.etag);
  // Unversioned file names: always revalidate (cheap, 304) so an upgrade is seen at once.
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  for (const [name, value] of Object.entries(extra)) res.setHeader(name, value);
  const presented = req.headers['if-none-match'];
  if (presented !== undefined && presented.split(',').some((t) => t.trim().replace(/^W\//, '') === asset.etag)) {
    res.status(304).end();
    return;
  }
  res.setHeader('Content-Length', String(asset.bytes.length));
  res.status(200).end(req.method === 'HEAD' ? undefined : asset.bytes);
}

/**
 * The web authoring client: the single page at GET / and its files under /ui/. Everything else
 * falls through to the API, so mount this before it (no API path is "/" or starts with "/ui/").
 */
export function webClientRouter(root: string = UI_ROOT): express.Router {
  const assets = loadAssets(root);
  const page = assets.get('index.html');
  if (page === undefined) throw new Error(`web client: no index.html in ${root}`);
  const router = express.Router();
  const pageHeaders = { 'Content-Security-Policy': contentSecurityPolicy(page.bytes), 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' };
  router.get('/', (req, res) => send(req, res, page, pageHeaders));
  router.get('/ui/*file', (req, res) => {
    const segments: unknown = req.params.file;
    const key = Array.isArray(segments) ? segments.join('/') : String(segments);
    const asset = assets.get(key);
    if (asset === undefined) {
      res.status(404).type('text/plain').end('Not found\n');
      return;
    }
    send(req, res, asset, key === 'index.html' ? pageHeaders : {});
  });
  return router;
}
