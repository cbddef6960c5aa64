import type { Context } from './context.js';
import type { Exchange } from './http-client.js';

/**
 * Set-up steps through the public API. They throw when the deployment refuses, so the case that
 * needed them fails with the reason instead of judging a request made on a wrong premise.
 */

export class SetupError extends Error {}

function must(ex: Exchange, what: string, ...statuses: number[]): Exchange {
  if (!statuses.includes(ex.status)) {
    throw new SetupError(`${what}: ${ex.method} ${ex.target} answered ${ex.status || ex.error} ${ex.body.toString('utf8').slice(0, 200)}`);
  }
  return ex;
}

function jsonOf(ex: Exchange): Record<string, unknown> {
  return JSON.parse(ex.body.toString('utf8')) as Record<string, unknown>;
}

export const JSON_TYPE = { 'Content-Type': 'application/json' };

export interface FileVersion {
  etag: string;
  commit: string;
}

/** Writes a file on a branch (default branch when absent) in one commit. */
export async function putFile(ctx: Context, path: string, content: string | Buffer, branch?: string): Promise<FileVersion> {
  const query = branch === undefined ? '' : `?branch=${encodeURIComponent(branch)}`;
  const ex = must(
    await ctx.send({ method: 'PUT', target: ctx.repoPath(`/contents/${path}${query}`), headers: { 'Content-Type': 'application/octet-stream' }, body: content }),
    `writing ${path}`,
    200,
    201,
  );
  return { etag: ex.headers.etag ?? '', commit: String(jsonOf(ex).commit) };
}

/** The current ETag of a file's raw bytes (no Accept, so the file's own type is chosen). */
export async function fileEtag(ctx: Context, path: string): Promise<string> {
  const ex = must(await ctx.send({ method: 'GET', target: ctx.repoPath(`/contents/${path}`) }), `reading ${path}`, 200);
  return ex.headers.etag ?? '';
}

export async function branchHead(ctx: Context, name: string): Promise<string> {
  const ex = must(await ctx.send({ method: 'GET', target: ctx.repoPath(`/branches/${name}`) }), `reading branch ${name}`, 200);
  return String(jsonOf(ex).commit);
}

export async function createBranch(ctx: Context, name: string, from: string): Promise<string> {
  const ex = must(
    await ctx.send({ method: 'PUT', target: ctx.repoPath(`/branches/${name}`), headers: JSON_TYPE, body: JSON.stringify({ from }) }),
    `creating branch ${name}`,
    201,
  );
  return String(jsonOf(ex).commit);
}

/** One commit of several files on a branch; answers the new commit id. */
export async function commitFiles(ctx: Context, branch: string, files: Record<string, string>, message = 'conformance'): Promise<string> {
  const changes = Object.entries(files).map(([path, content]) => ({ path, content }));
  const ex = must(
    await ctx.send({ method: 'POST', target: ctx.repoPath('/commits'), headers: JSON_TYPE, body: JSON.stringify({ branch, message, changes }) }),
    `committing on ${branch}`,
    201,
  );
  return String(jsonOf(ex).id);
}

/** The repository's Last-Modified, which date-precondition cases compare against. */
export async function lastModified(ctx: Context, target: string): Promise<{ date: Date; header: string }> {
  const ex = must(await ctx.send({ method: 'GET', target }), `reading ${target}`, 200);
  const header = ex.headers['last-modified'];
  if (header === undefined) throw new SetupError(`${target} sends no Last-Modified`);
  return { date: new Date(header), header };
}
