import type { Transform } from 'node:stream';
import { createBrotliCompress, createDeflate, createGzip } from 'node:zlib';

/** The content-codings the engine can apply itself, streamed through zlib. */
const encoders: Record<string, () => Transform> = {
  gzip: () => createGzip(),
  deflate: () => createDeflate(),
  br: () => createBrotliCompress(),
};

/** The encoder for a coding of supportedCodings other than identity (F6/F7 reject the rest). */
export function encoderFor(coding: string): Transform {
  return encoders[coding]!();
}

export const supportedCodings = ['identity', ...Object.keys(encoders)];
