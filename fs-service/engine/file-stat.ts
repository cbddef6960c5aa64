import type { Stats } from 'node:fs';
import type { FileStat } from '../contract.js';

/** The data of a FileStat, as it travels on the wire. */
export type StatFields = Omit<FileStat, 'isFile' | 'isDirectory' | 'isSymbolicLink'>;

export function statFieldsOf(stats: Stats): StatFields {
  const type = stats.isSymbolicLink() ? 'symlink' : stats.isDirectory() ? 'dir' : 'file';
  return {
    type,
    mode: stats.mode,
    size: stats.size,
    ino: stats.ino,
    mtimeMs: stats.mtimeMs,
    ctimeMs: stats.ctimeMs,
    uid: stats.uid,
    gid: stats.gid,
    dev: stats.dev,
  };
}

/** The repository root exists for every repository, even before its first file is written. */
export const VIRTUAL_ROOT: StatFields = { type: 'dir', mode: 0o40755, size: 0, ino: 0, mtimeMs: 0, ctimeMs: 0, uid: 0, gid: 0, dev: 0 };

/**
 * Adds the predicates and the normalizeStats fields isomorphic-git reads (ctimeSeconds and
 * friends are used by index features).
 */
export function toFileStat(fields: StatFields): FileStat & { ctimeSeconds: number; ctimeNanoseconds: number; mtimeSeconds: number; mtimeNanoseconds: number } {
  return {
    ...fields,
    ctimeSeconds: Math.floor(fields.ctimeMs / 1000),
    ctimeNanoseconds: Math.floor((fields.ctimeMs % 1000) * 1e6),
    mtimeSeconds: Math.floor(fields.mtimeMs / 1000),
    mtimeNanoseconds: Math.floor((fields.mtimeMs % 1000) * 1e6),
    isFile: () => fields.type === 'file',
    isDirectory: () => fields.type === 'dir',
    isSymbolicLink: () => fields.type === 'symlink',
  };
}
