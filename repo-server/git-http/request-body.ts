import { err, ok, type Result } from '../git/index.js';
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

export interface BodyError {
  status: 400 | 413 | 415;
  message: string;
}

/**
 * Reads a request body whole, bounded by `maxBytes` after decompression. git gzips upload-pack
 * requests over 1 KB (Content-Encoding: gzip) and sends pushes over http.postBuffer with
 * Transfer-Encoding: chunked (Node's parser already de-chunks). The cap applies to the
 * inflated size, so a small gzip bomb cannot exhaust memory.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Result<Buffer, BodyError>> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toString().trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    req.resume();
    return Promise.resolve(err({ status: 415, message: `unsupported Content-Encoding: ${encoding}` }));
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (encoding === 'identity' && Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.resolve(err({ status: 413, message: `request body of ${declared} bytes exceeds the limit of ${maxBytes}` }));
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (r: Result<Buffer, BodyError>): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const source = encoding === 'identity' ? req : req.pipe(createGunzip());
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish(err({ status: 413, message: `request body exceeds the limit of ${maxBytes} bytes` }));
        if (source !== req) source.destroy();
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    source.on('end', () => finish(ok(Buffer.concat(chunks, size))));
    source.on('error', (e: Error) => finish(err({ status: 400, message: `bad request body: ${e.message}` })));
    req.on('aborted', () => finish(err({ status: 400, message: 'request aborted' })));
  });
}
