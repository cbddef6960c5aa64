import { isWellFormedText } from '../text.js';

// Normalisation leaves printable ASCII as it is (and is the costly part of the check).
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * git check-ref-format rules for a full ref name ("refs/heads/main"), as receive-pack applies
 * them (at least two levels below refs/: "refs/x" is refused), plus our length cap and
 * well-formed Unicode. Every ref written through the API or a push passes here first, so no ref
 * can become a path outside refs/ or a name git itself would refuse.
 */
export function isValidRefName(ref: string): boolean {
  if (ref.length === 0 || ref.length > 255) return false;
  if (!ref.startsWith('refs/') || ref.indexOf('/', 5) < 0) return false;
  if (ref.endsWith('/') || ref.endsWith('.')) return false;
  if (ref.includes('..') || ref.includes('//') || ref.includes('@{') || ref === '@') return false;
  // Control characters, space, and the characters git reserves for revision syntax.
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return false;
  // Names git accepts but that look like path tricks once decoded or normalised (%2e%2e,
  // fullwidth dots, the two-dot leader) are refused: storage refuses them too, and a reader
  // should never have to tell "．．" from "..".
  if (ref.includes('%')) return false;
  if (!PRINTABLE_ASCII.test(ref) && (!isWellFormedText(ref) || ref.normalize('NFKC') !== ref.normalize('NFC'))) return false;
  return ref.split('/').every((part) => part.length > 0 && !part.startsWith('.') && !part.endsWith('.lock'));
}

/** A short branch or tag name as used in URLs ("main", "drafts/ch1"). */
export function isValidShortRefName(name: string): boolean {
  return isValidRefName(`refs/heads/${name}`) && !name.startsWith('-');
}
