/**
 * What git's `receive.fsckObjects` (fsck in strict mode) checks of each object on its own, for
 * objects arriving in a push and objects the API writes alike: headers in their order and form,
 * well-formed identities and dates, tree entries with valid modes and names, sorted and unique.
 * Each accepted object also names its links with the type each must have (a commit's tree is a
 * tree, its parents are commits, a tag's object has the type the tag declares, a folder entry is a
 * tree, a file entry a blob); checkLinkTypes holds them against what the objects really are.
 * A problem is reported with git's own message id ("badTimezone: ...") so it can be looked up.
 */
import { entryNameProblem } from './entry-name.js';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export interface TypedLink {
  oid: string;
  type: ObjectType;
  /** Where the link sits, for messages: "tree", "parent", "object", or an entry name. */
  via: string;
}

export type ObjectCheck = { ok: true; links: TypedLink[] } | { ok: false; problem: string };

const OID = /^[0-9a-f]{40}$/;
const NULL_OID = '0'.repeat(40);
const TYPES: ReadonlySet<string> = new Set(['commit', 'tree', 'blob', 'tag']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Every check for one object of a known type; the links to verify come with a pass. */
export function checkObject(type: ObjectType, data: Buffer): ObjectCheck {
  switch (type) {
    case 'blob':
      return { ok: true, links: [] };
    case 'commit':
      return checkCommit(data);
    case 'tag':
      return checkTag(data);
    case 'tree':
      return checkTree(data);
  }
}

function fail(problem: string): ObjectCheck {
  return { ok: false, problem };
}

/** The header lines (before the blank line); null when the header is not terminated or holds a NUL. */
function headerLines(data: Buffer): string[] | string {
  const blank = data.indexOf('\n\n', 0, 'latin1');
  const end = blank >= 0 ? blank + 1 : data.length;
  if (blank < 0 && (data.length === 0 || data[data.length - 1] !== 0x0a)) return 'unterminatedHeader: header does not end with a newline';
  const nul = data.indexOf(0);
  if (nul >= 0 && nul < end) return `nulInHeader: NUL at offset ${nul}`;
  return data.toString('latin1', 0, end - 1).split('\n');
}

function checkCommit(data: Buffer): ObjectCheck {
  const lines = headerLines(data);
  if (typeof lines === 'string') return fail(lines);
  let at = 0;
  const treeLine = lines[at++] ?? '';
  if (!treeLine.startsWith('tree ')) return fail('missingTree: commit does not start with a tree line');
  const tree = treeLine.slice(5);
  if (!OID.test(tree)) return fail(`badTreeSha1: "${tree}" is not an object id`);
  const links: TypedLink[] = [{ oid: tree, type: 'tree', via: 'tree' }];
  while ((lines[at] ?? '').startsWith('parent ')) {
    const parent = (lines[at++] as string).slice(7);
    if (!OID.test(parent)) return fail(`badParentSha1: "${parent}" is not an object id`);
    links.push({ oid: parent, type: 'commit', via: 'parent' });
  }
  const author = lines[at++] ?? '';
  if (!author.startsWith('author ')) return fail('missingAuthor: no author line after the parents');
  const badAuthor = identProblem(author.slice(7));
  if (badAuthor !== null) return fail(`${badAuthor} (author)`);
  if ((lines[at] ?? '').startsWith('author ')) return fail('multipleAuthors: more than one author line');
  const committer = lines[at++] ?? '';
  if (!committer.startsWith('committer ')) return fail('missingCommitter: no committer line after the author');
  const badCommitter = identProblem(committer.slice(10));
  if (badCommitter !== null) return fail(`${badCommitter} (committer)`);
  return { ok: true, links };
}

function checkTag(data: Buffer): ObjectCheck {
  const lines = headerLines(data);
  if (typeof lines === 'string') return fail(lines);
  const objectLine = lines[0] ?? '';
  if (!objectLine.startsWith('object ')) return fail('missingObject: tag does not start with an object line');
  const object = objectLine.slice(7);
  if (!OID.test(object)) return fail(`badObjectSha1: "${object}" is not an object id`);
  const typeLine = lines[1] ?? '';
  if (!typeLine.startsWith('type ')) return fail('missingTypeEntry: no type line after the object');
  const type = typeLine.slice(5);
  if (!TYPES.has(type)) return fail(`badType: "${type}" is not an object type`);
  const tagLine = lines[2] ?? '';
  if (!tagLine.startsWith('tag ') || tagLine.length === 4) return fail('missingTagEntry: no tag name line after the type');
  const tagger = lines[3];
  if (tagger !== undefined && tagger.startsWith('tagger ')) {
    const bad = identProblem(tagger.slice(7));
    if (bad !== null) return fail(`${bad} (tagger)`);
  }
  return { ok: true, links: [{ oid: object, type: type as ObjectType, via: 'object' }] };
}

/**
 * "Name <email> seconds +zzzz". The name may be empty but must be followed by a space; neither
 * part may hold "<", ">" or a newline; seconds are decimal without padding; the zone is four digits.
 */
function identProblem(ident: string): string | null {
  const lt = ident.indexOf('<');
  const gtBefore = ident.indexOf('>');
  if (lt === 0) return 'missingNameBeforeEmail: no name before the email';
  if (gtBefore >= 0 && (lt < 0 || gtBefore < lt)) return 'badName: ">" in the name';
  if (lt < 0) return 'missingEmail: no email';
  if (ident[lt - 1] !== ' ') return 'missingSpaceBeforeEmail: no space before the email';
  const gt = ident.indexOf('>', lt + 1);
  if (gt < 0 || ident.slice(lt + 1, gt).includes('<')) return 'badEmail: the email is not closed by ">"';
  const rest = ident.slice(gt + 1);
  const m = /^ (\d+) ([+-]\d{4})$/.exec(rest);
  if (m === null) {
    if (!rest.startsWith(' ')) return 'missingSpaceBeforeDate: no space before the date';
    if (!/^ \d+ /.test(rest)) return 'badDate: the date is not a number of seconds';
    return 'badTimezone: the zone is not [+-]hhmm';
  }
  const seconds = m[1] as string;
  if (seconds.length > 1 && seconds.startsWith('0')) return 'zeroPaddedDate: the date has leading zeros';
  if (!Number.isSafeInteger(Number(seconds))) return 'badDateOverflow: the date is out of range';
  return null;
}

/** Modes git writes; anything else (zero-padded "040000", "100664", "777777") is refused. */
const ENTRY_TYPES: ReadonlyMap<string, ObjectType | null> = new Map([
  ['100644', 'blob'],
  ['100755', 'blob'],
  ['120000', 'blob'],
  ['40000', 'tree'],
  // A gitlink names a commit of another repository: never followed, never checked.
  ['160000', null],
]);

function checkTree(data: Buffer): ObjectCheck {
  const links: TypedLink[] = [];
  const names = new Set<string>();
  let previous: Buffer | null = null;
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    const nul = sp < 0 ? -1 : data.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 21 > data.length) return fail('badTree: truncated entry');
    const mode = data.toString('latin1', pos, sp);
    const rawName = data.subarray(sp + 1, nul);
    const oid = data.toString('hex', nul + 1, nul + 21);
    pos = nul + 21;
    if (!ENTRY_TYPES.has(mode)) return fail(mode === '040000' ? 'zeroPaddedFilemode: mode 040000' : `badFilemode: mode "${mode}"`);
    let name: string;
    try {
      name = utf8.decode(rawName);
    } catch {
      return fail('badTreeEntryName: a name is not valid UTF-8');
    }
    const problem = entryNameProblem(name);
    if (problem !== null) return fail(`${nameProblemId(name)}: ${problem}`);
    if (oid === NULL_OID) return fail(`nullSha1: "${name}" points to the null id`);
    if (names.has(name)) return fail(`duplicateEntries: "${name}" appears twice`);
    names.add(name);
    const type = ENTRY_TYPES.get(mode) as ObjectType | null;
    const key = type === 'tree' ? Buffer.concat([rawName, Buffer.from('/')]) : rawName;
    if (previous !== null && Buffer.compare(previous, key) >= 0) return fail(`treeNotSorted: "${name}" is out of order`);
    previous = key;
    if (type !== null) links.push({ oid, type, via: name });
  }
  return { ok: true, links };
}

/** git's message ids for the name problems it knows; ours (controls, look-alikes) share one. */
function nameProblemId(name: string): string {
  if (name === '') return 'emptyName';
  if (name === '.') return 'hasDot';
  if (name === '..') return 'hasDotdot';
  if (name.includes('/')) return 'fullPathname';
  return name.toLowerCase().includes('git') ? 'hasDotgit' : 'badTreeEntryName';
}

/**
 * Holds every link of a set of checked objects (`from` names the object: "commit <id>") against the objects' real types: `typeOf` answers
 * for objects of the same push first, then for what the repository stores; null is missing.
 * Returns the first problem, or null.
 */
export async function checkLinkTypes(
  links: Iterable<{ from: string; link: TypedLink }>,
  typeOf: (oid: string) => ObjectType | null | Promise<ObjectType | null>,
): Promise<string | null> {
  for (const { from, link } of links) {
    const actual = await typeOf(link.oid);
    if (actual === null) return `missingObject: ${from} links to ${link.oid} (${link.via}), which is neither sent nor stored`;
    if (actual !== link.type) return `badLinkType: ${from} links to ${link.oid} (${link.via}) as a ${link.type}, but it is a ${actual}`;
  }
  return null;
}
