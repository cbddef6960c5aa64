import { ByteReader, ClientGone, err, ok, readableChunks, type Result, TooManyBytes } from '../git/index.js';
import { lingerAfterResponse } from '../../webmachine/index.js';
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

export interface BodyError {
  status: 400 | 413 | 415;
  message: string;
}

/** How to stop reading a request body early; see abandonBody. */
const abandoners = new WeakMap<IncomingMessage, () => void>();

/**
 * A request body as it arrives, bounded by `maxBytes` after decompression. git gzips upload-pack
 * requests over 1 KB (Content-Encoding: gzip) and sends pushes over http.postBuffer with
 * Transfer-Encoding: chunked (Node's parser already de-chunks). The cap applies to the inflated
 * size (the reader throws TooManyBytes past it), so a small gzip bomb cannot exhaust anything; an
 * announced length over the cap is refused before a byte is read.
 */
export function openBody(req: IncomingMessage, maxBytes: number): Result<ByteReader, BodyError> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toString().trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    return err({ status: 415, message: `unsupported Content-Encoding: ${encoding}` });
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (encoding === 'identity' && Number.isFinite(declared) && declared > maxBytes) {
    return err({ status: 413, message: `request body of ${declared} bytes exceeds the limit of ${maxBytes}` });
  }
  if (encoding === 'identity') {
    const chunks = readableChunks(req);
    abandoners.set(req, () => chunks.release());
    return ok(new ByteReader(chunks, maxBytes));
  }
  const gunzip = createGunzip();
  const fromClient = (e?: Error): void => void gunzip.destroy(new ClientGone(e));
  req.once('error', fromClient);
  req.once('aborted', fromClient);
  req.pipe(gunzip);
  const chunks = readableChunks(gunzip);
  abandoners.set(req, () => {
    chunks.release();
    req.off('error', fromClient);
    req.off('aborted', fromClient);
    req.unpipe(gunzip);
    gunzip.destroy();
  });
  return ok(new ByteReader(chunks, maxBytes));
}

/**
 * Stops reading the body of a request that is being answered before its end (a refusal): the
 * rest is read and dropped after the answer, bounded, so the client reads the answer rather than
 * a reset connection.
 */
export function abandonBody(req: IncomingMessage): void {
  abandoners.get(req)?.();
  abandoners.delete(req);
  if (!req.complete) lingerAfterResponse(req);
}

/** A small request body read whole (upload-pack's wants and haves). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Result<Buffer, BodyError>> {
  const opened = openBody(req, maxBytes);
  if (!opened.ok) return opened;
  const reader = opened.value;
  const chunks: Buffer[] = [];
  try {
    for (let chunk = await reader.someBytes(); chunk !== null; chunk = await reader.someBytes()) chunks.push(reader.consume(chunk.length));
  } catch (e) {
    if (e instanceof TooManyBytes) return err({ status: 413, message: `request body exceeds the limit of ${maxBytes} bytes` });
    return err({ status: 400, message: `bad request body: ${e instanceof Error ? e.message : String(e)}` });
  }
  return ok(Buffer.concat(chunks));
}
