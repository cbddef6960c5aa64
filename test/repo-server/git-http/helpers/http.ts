import { gzipSync } from 'node:zlib';

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** A raw smart-HTTP request, as a client other than git would send it. */
export async function gitPost(
  base: string,
  repo: string,
  service: 'git-upload-pack' | 'git-receive-pack',
  body: Buffer | string,
  opts: { gzip?: boolean; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const raw = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  const headers: Record<string, string> = { 'Content-Type': `application/x-${service}-request`, ...opts.headers };
  if (opts.gzip === true) headers['Content-Encoding'] = 'gzip';
  const res = await fetch(`${base}/${repo}.git/${service}`, { method: 'POST', headers, body: opts.gzip === true ? gzipSync(raw) : raw });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

export async function gitGet(base: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const res = await fetch(`${base}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** Frames text lines as pkt-lines (no trailing flush). */
export function pkts(...lines: string[]): string {
  return lines.map((l) => (l === '0000' || l === '0001' ? l : (Buffer.byteLength(l) + 4).toString(16).padStart(4, '0') + l)).join('');
}
