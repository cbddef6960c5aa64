import { FsError } from '../contract.js';

export type FsErrorCode = FsError['code'];

const PASSED_THROUGH: ReadonlySet<string> = new Set(['ENOENT', 'ENOTDIR', 'EEXIST', 'ENOTEMPTY', 'EISDIR', 'EINVAL', 'EACCES']);

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** True only for the codes isomorphic-git reads as "absent". */
export function isNotFound(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function hasCode(err: unknown, code: string): boolean {
  return codeOf(err) === code;
}

/**
 * Turns an OS error into the contract's vocabulary. Codes that mean "absent" or a precise
 * conflict pass through because the disk is authoritative; anything else is EIO so that
 * isomorphic-git never mistakes a disk fault for a missing file.
 */
export function toFsError(err: unknown, path?: string): FsError {
  if (err instanceof FsError) return err;
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code !== undefined && PASSED_THROUGH.has(code)) return new FsError(code as FsErrorCode, message.replace(/^[A-Z]+: /, ''), path);
  if (code === 'EPERM') return new FsError('EISDIR', 'operation not permitted on a directory', path);
  if (code === 'ENAMETOOLONG') return new FsError('EINVAL', 'name too long', path);
  if (code === 'ELOOP') return new FsError('EACCES', 'too many symbolic links', path);
  return new FsError('EIO', `${code ?? 'error'}: ${message}`, path);
}

/** Runs `fn`, translating whatever it throws. */
export async function translated<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFsError(err, path);
  }
}
