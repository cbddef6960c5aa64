/**
 * Compare base...head as GitHub does: how far head is ahead of and behind base, their merge
 * base, and the files head changed since the merge base (three dots). Unrelated histories have
 * no merge base; their files are then compared tip to tip.
 */
import { aheadBehind, mergeBases } from '../git/index.js';
import type { ServiceDeps } from './deps.js';
import { readCommit } from './objects.js';
import type { RepoContext } from './repo-context.js';
import { resolveRef } from './refs.js';
import { openRepo } from './repositories.js';
import { diffTrees, type FileDiff } from './tree-diff.js';
import type { Invalid, NotFound, Oid } from './types.js';
import { unifiedDiff } from './unified-diff.js';

export interface Comparison {
  base: Oid;
  head: Oid;
  /** The first of `mergeBases` (the one the file list is computed from), or null. */
  mergeBase: Oid | null;
  /** All best common ancestors; more than one in criss-cross histories. */
  mergeBases: Oid[];
  aheadBy: number;
  behindBy: number;
  status: 'identical' | 'ahead' | 'behind' | 'diverged';
  files: FileDiff[];
}

export type CompareResult = ({ ok: true } & Comparison) | NotFound | Invalid;
export type DiffResult = { ok: true; base: Oid; head: Oid; mergeBase: Oid | null; diff: Buffer } | NotFound | Invalid;

async function comparison(ctx: RepoContext, base: Oid, head: Oid): Promise<Comparison> {
  const history = await ctx.ancestry([base, head]);
  const [bases, counts] = await Promise.all([mergeBases(history, base, head), aheadBehind(history, base, head)]);
  const mergeBase = bases[0] ?? null;
  const from = (await readCommit(ctx, mergeBase ?? base)).tree;
  const to = (await readCommit(ctx, head)).tree;
  const { ahead, behind } = counts;
  const status = ahead === 0 && behind === 0 ? 'identical' : behind === 0 ? 'ahead' : ahead === 0 ? 'behind' : 'diverged';
  return { base, head, mergeBase, mergeBases: bases, aheadBy: ahead, behindBy: behind, status, files: await diffTrees(ctx, from, to) };
}

async function resolveBoth(deps: ServiceDeps, repo: string, base: string, head: string) {
  const opened = await openRepo(deps, repo);
  if (!opened.ok) return opened;
  const [b, h] = await Promise.all([resolveRef(opened.ctx, base), resolveRef(opened.ctx, head)]);
  if (!b.ok) return b;
  if (!h.ok) return h;
  return { ok: true as const, ctx: opened.ctx, base: b.commit, head: h.commit };
}

export async function compare(deps: ServiceDeps, repo: string, base: string, head: string): Promise<CompareResult> {
  const both = await resolveBoth(deps, repo, base, head);
  if (!both.ok) return both;
  return { ok: true, ...(await comparison(both.ctx, both.base, both.head)) };
}

/** The unified diff (git diff base...head) of the same comparison. */
export async function compareDiff(deps: ServiceDeps, repo: string, base: string, head: string): Promise<DiffResult> {
  const both = await resolveBoth(deps, repo, base, head);
  if (!both.ok) return both;
  const { ctx } = both;
  const bases = await mergeBases(await ctx.ancestry([both.base, both.head]), both.base, both.head);
  const mergeBase = bases[0] ?? null;
  const files = await diffTrees(ctx, (await readCommit(ctx, mergeBase ?? both.base)).tree, (await readCommit(ctx, both.head)).tree);
  return { ok: true, base: both.base, head: both.head, mergeBase, diff: await unifiedDiff(ctx, files) };
}
