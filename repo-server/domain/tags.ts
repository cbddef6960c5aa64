/**
 * Tags are published versions: annotated tags that never move. Creating a tag that exists
 * already is harmless when it names the same commit (`created: false`) and a conflict otherwise.
 */
import git from 'isomorphic-git';
import type { ServiceDeps } from './deps.js';
import { mapLimit } from '../../fs-service/index.js';
import { peelToCommit, tryReadTag, type ObjectKind } from './objects.js';
import type { RepoContext } from './repo-context.js';
import { readRef } from '../git/index.js';
import { listRefs, resolveRef, tagRef } from './refs.js';
import { swapRef } from './ref-writes.js';
import { openRepo, openWithRefName } from './repositories.js';
import { normalizeMessage, person, validatePerson } from './signatures.js';
import { notFound, type Invalid, type NotFound, type Oid, type Person, type PersonInput, type RefNameConflict, type WriteOptions } from './types.js';

export interface TagInfo {
  name: string;
  /** The ref's value: the tag object of an annotated tag, else the tagged object. */
  oid: Oid;
  annotated: boolean;
  /** The commit the tag finally names (null if it names a tree or blob). */
  commit: Oid | null;
  /** Annotated tags: what the tag object points at, its tagger and message. */
  target?: Oid;
  targetType?: ObjectKind;
  tagger?: Person;
  message?: string;
}

export type ListTagsResult = { ok: true; tags: TagInfo[] } | NotFound | Invalid;
export type TagResult = { ok: true; tag: TagInfo } | NotFound | Invalid;
export type CreateTagResult = { ok: true; created: boolean; tag: TagInfo } | { ok: false; reason: 'conflict'; current: TagInfo } | RefNameConflict | NotFound | Invalid;

export interface CreateTagInput extends WriteOptions {
  /** Branch, tag or commit id to publish. */
  ref: string;
  message: string;
  tagger?: PersonInput;
}

async function describeTag(ctx: RepoContext, name: string, oid: Oid): Promise<TagInfo> {
  const annotated = await tryReadTag(ctx, oid);
  const commit = await peelToCommit(ctx, oid);
  if (annotated === null) return { name, oid, annotated: false, commit };
  return { name, oid, annotated: true, commit, target: annotated.object, targetType: annotated.type, tagger: annotated.tagger, message: annotated.message };
}

/**
 * The repository's tags, described (an annotated tag's object read and peeled). `pick` chooses
 * which of all the tags to describe, e.g. one page of them: a repository with ten thousand tags
 * then reads ten thousand ref names, but only a page of tag objects.
 */
export async function listTags(deps: ServiceDeps, repo: string, pick: (all: { name: string; oid: Oid }[]) => { name: string; oid: Oid }[] = (all) => all): Promise<ListTagsResult> {
  const opened = await openRepo(deps, repo);
  if (!opened.ok) return opened;
  const refs = pick(await listRefs(opened.ctx, 'tags'));
  return { ok: true, tags: await mapLimit(refs, (r) => describeTag(opened.ctx, r.name, r.oid)) };
}

export async function getTag(deps: ServiceDeps, repo: string, name: string): Promise<TagResult> {
  const opened = await openWithRefName(deps, repo, name, 'tag-name');
  if (!opened.ok) return opened;
  const oid = await readRef(opened.ctx.store, tagRef(name));
  return oid === null ? notFound('tag', name) : { ok: true, tag: await describeTag(opened.ctx, name, oid) };
}

export async function createTag(deps: ServiceDeps, repo: string, name: string, input: CreateTagInput): Promise<CreateTagResult> {
  const opened = await openWithRefName(deps, repo, name, 'tag-name');
  if (!opened.ok) return opened;
  const { ctx } = opened;
  const message = normalizeMessage(input.message);
  if (typeof message !== 'string') return message;
  const bad = validatePerson(input.tagger, 'tagger');
  if (bad !== null) return bad;
  const target = await resolveRef(ctx, input.ref);
  if (!target.ok) return target;
  const existing = async (oid: Oid): Promise<CreateTagResult> => {
    const current = await describeTag(ctx, name, oid);
    return current.commit === target.commit ? { ok: true, created: false, tag: current } : { ok: false, reason: 'conflict', current };
  };
  const before = await readRef(ctx.store, tagRef(name));
  if (before !== null) return existing(before);
  const oid = await git.writeTag({
    fs: ctx.fs,
    gitdir: '/',
    tag: { object: target.commit, type: 'commit', tag: name, tagger: person(deps, input.tagger, input.actor, input.actorEmail), message },
  });
  const swapped = await swapRef(deps, ctx, tagRef(name), null, oid, input);
  if (swapped.ok) return { ok: true, created: true, tag: await describeTag(ctx, name, oid) };
  if (swapped.reason === 'ref-name-conflict') return swapped;
  // Someone else created it between our read and our swap; judge theirs.
  const now = await readRef(ctx.store, tagRef(name));
  if (now === null) throw new Error(`tag ${name} could neither be created nor read`);
  return existing(now);
}
