import { createInflate, inflateSync } from 'node:zlib';
import type { ByteReader } from './byte-reader.js';

export type InflateOutcome = { ok: true; size: number } | { ok: false; reason: 'truncated' | 'corrupt' | 'too-large' };

/**
 * Inflates `input` synchronously if the whole zlib stream is in it: the output and how many input
 * bytes the stream took, or 'short' when `input` ends inside the stream (not an error yet: the rest
 * may still be arriving), or the reason it cannot inflate to `size` bytes. For small objects,
 * where a thread-pool round trip would cost more than the work.
 */
export function inflatePrefix(input: Buffer, size: number): { data: Buffer; used: number } | 'short' | 'corrupt' | 'too-large' {
  try {
    // One output buffer of the object's size (+1 to see a lie), not zlib's 16 KiB default per call:
    // a push of many small objects would otherwise allocate gigabytes for the collector.
    const out = inflateSync(input, { info: true, chunkSize: Math.max(64, size + 1), maxOutputLength: Math.max(1, size + 1) }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    if (out.buffer.length !== size) return out.buffer.length > size ? 'too-large' : 'corrupt';
    return { data: out.buffer, used: out.engine.bytesWritten };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') return 'too-large';
    if (code === 'Z_BUF_ERROR') return 'short';
    return 'corrupt';
  }
}

/**
 * Inflates the zlib stream that starts at the reader's position on the thread pool, consuming
 * exactly its bytes from the reader and handing the output to `onData` as it comes, never held
 * whole. More output than `size` is refused as soon as it appears.
 */
export async function inflateFromReader(reader: ByteReader, size: number, onData: (chunk: Buffer) => void): Promise<InflateOutcome> {
  const inflater = createInflate();
  let produced = 0;
  let failure: InflateOutcome | null = null;
  const ended = new Promise<void>((resolve) => {
    inflater.on('end', resolve);
    inflater.on('close', resolve);
  });
  inflater.on('data', (chunk: Buffer) => {
    produced += chunk.length;
    if (produced > size) {
      failure ??= { ok: false, reason: 'too-large' };
      inflater.destroy();
      return;
    }
    if (failure === null) onData(chunk);
  });
  inflater.on('error', () => {
    failure ??= { ok: false, reason: 'corrupt' };
  });
  try {
    for (;;) {
      const chunk = await reader.someBytes();
      if (chunk === null) return { ok: false, reason: 'truncated' };
      const before = inflater.bytesWritten;
      // An engine error destroys the stream, which may never call back: closing settles it too.
      await Promise.race([new Promise<void>((resolve) => inflater.write(chunk, () => resolve())), ended]);
      if (failure !== null) return failure;
      const used = inflater.bytesWritten - before;
      reader.consume(used);
      // The engine stopped taking input: the stream ended inside this chunk (or just before it).
      if (used < chunk.length) break;
    }
    await ended;
    if (failure !== null) return failure;
    return produced === size ? { ok: true, size } : { ok: false, reason: 'corrupt' };
  } finally {
    inflater.destroy();
  }
}

/** zlib's compressBound: the most bytes deflate makes of `size` bytes (stored blocks and headers). */
export function deflateBound(size: number): number {
  return size + Math.floor(size / 4096) + Math.floor(size / 16384) + Math.floor(size / 33554432) + 13 + 6;
}
