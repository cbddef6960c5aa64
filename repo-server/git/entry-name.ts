/**
 * The one rule for a name inside a tree (a file or folder name, one segment of a path), for names
 * that arrive through the API and names that arrive in pushed trees alike: a name that one door
 * accepts and the other refuses would make a repository that one of them cannot read.
 *
 * Beyond what git itself needs (not empty, no "/", not "." or ".."), a name must not be ".git" on
 * any file system a clone may land on: any case, with the code points HFS+ ignores, with NTFS's
 * trailing dots and spaces, stream suffix or 8.3 short name, and not after percent-decoding or
 * Unicode compatibility folding (a reader should never have to tell "．ｇｉｔ" from ".git").
 */
import { isWellFormedText } from './text.js';

// Characters HFS+ ignores when comparing names: ".git" spelled with them is ".git" on a Mac.
const HFS_IGNORABLE = /[\u200C-\u200F\u202A-\u202E\u206A-\u206F\uFEFF]/g;
// Printable ASCII without "%": decoding and NFKC leave it as it is, so it has no look-alikes.
const PLAIN_ASCII = /^[\x20-\x24\x26-\x7e]*$/;

/** Why `name` cannot be a tree entry's name, or null when it can. */
export function entryNameProblem(name: string): string | null {
  if (name.length === 0) return 'empty name';
  if (name.includes('/')) return 'name contains "/"';
  if (name.includes('\0')) return 'NUL in name';
  // CR/LF and other controls end up in headers, logs and terminals; no author needs them.
  if (/[\x01-\x1f\x7f]/.test(name)) return 'control character in name';
  if (name.includes('\\')) return 'backslash in name';
  if (!isWellFormedText(name)) return 'name is not valid Unicode';
  if (PLAIN_ASCII.test(name)) return plainProblem(name);
  for (const form of lookAlikes(name)) {
    const problem = plainProblem(form);
    if (problem !== null) return form === name ? problem : `"${name}" reads as "${form}": ${problem}`;
  }
  return null;
}

/** What a name may turn into in someone's hands: percent-decoded, NFKC-normalised. */
function lookAlikes(name: string): string[] {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // not percent-encoding: nothing to decode
  }
  return [name, decoded, name.normalize('NFKC'), decoded.normalize('NFKC')];
}

function plainProblem(name: string): string | null {
  const hfsClean = name.replace(HFS_IGNORABLE, '');
  if (hfsClean === '.' || hfsClean === '..') return `"${name}" segment`;
  // NTFS: trailing dots/spaces vanish, "name:stream" addresses an alternate stream of "name".
  const normalized = (hfsClean.split(':')[0] ?? '').toLowerCase().replace(/[. ]+$/, '');
  if (normalized === '.git' || /^\.?git~[1-9]$/.test(normalized)) return `"${name}" is reserved by git`;
  return null;
}
