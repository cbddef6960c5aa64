import type { Transform } from 'node:stream';
import { promisify } from 'node:util';
import { brotliCompress, constants, createBrotliCompress, createDeflate, createGzip, deflate, gzip } from 'node:zlib';

/** Brotli's default quality (11) costs ~100x gzip's CPU for a few percent; 5 is on a par with gzip -6. */
const brotliOptions = { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } };

interface Coding {
  stream: () => Transform;
  whole: (body: Buffer) => Promise<Buffer>;
}

/** The content-codings the engine can apply itself through zlib. */
const codings: Record<string, Coding> = {
  gzip: { stream: () => createGzip(), whole: promisify(gzip) },
  deflate: { stream: () => createDeflate(), whole: promisify(deflate) },
  br: {
    stream: () => createBrotliCompress(brotliOptions),
    whole: (body) => promisify(brotliCompress)(body, brotliOptions),
  },
};

/** The streaming encoder for a coding of supportedCodings other than identity (F6/F7 reject the rest). */
export function encoderFor(coding: string): Transform {
  return codings[coding]!.stream();
}

/**
 * Encodes a body already in memory in one piece, so status line, headers (with a
 * Content-Length) and body leave in one write: a process that dies mid-answer never leaves a
 * proxy holding headers it cannot retry.
 */
export function encodeWhole(coding: string, body: Buffer): Promise<Buffer> {
  return codings[coding]!.whole(body);
}

export const supportedCodings = ['identity', ...Object.keys(codings)];
