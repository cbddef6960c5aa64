/**
 * One delivery attempt: a POST of the payload with its headers, through the SSRF guard, bounded
 * by a timeout from the first byte sent to the last byte of the answer (a receiver that hangs
 * costs one attempt, never a writer's time). Redirects are not followed; only 2xx is success.
 * The answer's body is read (at most 64 KiB kept) and thrown away.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { addressAllowed, type AllowList, guardedLookup } from './url-guard.js';

export interface PostResult {
  status: number | null;
  durationMs: number;
  error?: string;
}

/** `signal` ends the attempt early (the front end is stopping); it answers `aborted`. */
export function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number, allow: AllowList, signal?: AbortSignal): Promise<PostResult & { aborted?: true }> {
  const started = process.hrtime.bigint();
  const elapsed = (): number => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Omit<PostResult, 'durationMs'> & { aborted?: true }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      resolve({ ...result, durationMs: elapsed() });
    };
    const abort = (): void => {
      done({ status: null, error: 'aborted', aborted: true });
      req?.destroy();
    };
    let req: ReturnType<typeof httpRequest> | undefined;
    let timer: NodeJS.Timeout | undefined;
    if (signal?.aborted === true) return abort();
    signal?.addEventListener('abort', abort);
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return done({ status: null, error: 'invalid URL' });
    }
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    // A literal address is never looked up, so it is checked here.
    if (isIP(host) !== 0 && !addressAllowed(host, allow)) return done({ status: null, error: `${host} is an internal address` });
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    req = send(target, {
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(allow),
      agent: false,
    });
    const sent = req;
    timer = setTimeout(() => {
      sent.destroy(new Error(`no answer within ${timeoutMs} ms`));
      done({ status: null, error: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    sent.on('error', (err: NodeJS.ErrnoException) => done({ status: null, error: err.code === 'EADDRNOTALLOWED' ? err.message : (err.code ?? err.message) }));
    sent.on('response', (res: IncomingMessage) => {
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        kept += chunk.length;
        if (kept > 64 * 1024) res.destroy();
      });
      res.on('close', () => done({ status: res.statusCode ?? null }));
      res.on('error', () => done({ status: res.statusCode ?? null }));
    });
    sent.end(body);
  });
}
