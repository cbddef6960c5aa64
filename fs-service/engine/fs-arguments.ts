import { FsError, type EncodingOption, type FileData } from '../contract.js';

/** Normalizes the option shapes isomorphic-git passes (docs/fs-service.md, "The fs contract"). */
export function encodingOf(options: EncodingOption): 'utf8' | null {
  if (options === undefined || options === null) return null;
  if (options === 'utf8') return 'utf8';
  if (typeof options === 'object') {
    const encoding = options.encoding;
    if (encoding === undefined || encoding === null) return null;
    if (encoding === 'utf8') return 'utf8';
  }
  throw new FsError('EINVAL', `unsupported encoding option ${JSON.stringify(options)}`);
}

export function modeOf(options: EncodingOption): number | undefined {
  if (typeof options === 'object' && options !== null && typeof options.mode === 'number') return options.mode;
  return undefined;
}

export function toBytes(data: FileData, path?: string): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new FsError('EINVAL', `file data must be a string or bytes, got ${data === null ? 'null' : typeof data}`, path);
}

export function decode(bytes: Buffer, encoding: 'utf8' | null): Buffer | string {
  return encoding === 'utf8' ? bytes.toString('utf8') : bytes;
}

export function rmOptions(options: unknown): { recursive: boolean; force: boolean } {
  const o = typeof options === 'object' && options !== null ? (options as { recursive?: unknown; force?: unknown }) : {};
  return { recursive: o.recursive === true, force: o.force === true };
}

export function isRecursive(options: unknown): boolean {
  return typeof options === 'object' && options !== null && (options as { recursive?: unknown }).recursive === true;
}

/**
 * isomorphic-git calls readFile() with no path to learn whether the fs speaks promises; the
 * answer must be a rejected promise, and must never leave the process.
 */
export function probeRejection(): Promise<never> {
  return Promise.reject(new FsError('EINVAL', 'readFile needs a path'));
}
