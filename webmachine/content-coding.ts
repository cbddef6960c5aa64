import type { Transform } from 'node:stream';
import { createBrotliCompress, createDeflate, createGzip } from 'node:zlib';

/** The content-codings the engine can apply itself, streamed through zlib. */
const encoders: Record<string, () => Transform> = {
  gzip: () => createGzip(),
  deflate: () => createDeflate(),
  br: () => createBrotliCompress(),
};

export function encoderFor(coding: string): Transform {
  const make = encoders[coding.toLowerCase()];
  if (make === undefined) throw new Error(`no encoder for content-coding ${coding}`);
  return make();
}

export const supportedCodings = ['identity', ...Object.keys(encoders)];
