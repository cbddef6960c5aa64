/**
 * The real git client against the cluster: clones that commit and push in a bounded loop
 * (rebasing on rejection, so history stays linear), recording every push git reported as done,
 * and a fresh clone that reads the final history back.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GitSandbox, gitUrl } from '../../repo-server/api/helpers/git.js';
import type { LoopLimits } from './load.js';

export { GitSandbox, gitUrl };

/** A push git reported as successful: the pushed head and every file written in that clone so far. */
export interface AcknowledgedPush {
  clone: string;
  sha: string;
  files: Map<string, string>;
  at: number;
}

export interface PushFailure {
  clone: string;
  at: number;
  stderr: string;
}

export interface PushLog {
  acknowledged: AcknowledgedPush[];
  /** Pushes that failed with an error (not a plain rejection of a stale head). */
  failed: PushFailure[];
  rejected: number;
}

export const newPushLog = (): PushLog => ({ acknowledged: [], failed: [], rejected: 0 });

/** git says a stale head this way; anything else is an error with an unknown outcome. */
const REJECTED = /\[rejected\]|fetch first|non-fast-forward|stale info|cannot lock ref|failed to update ref/;

/**
 * `-c` options that send the token on the first request: with the token only in the URL git asks
 * without it first and repeats every request after the 401, which doubles the time a
 * fetch-rebase-push cycle is exposed to other writers.
 */
export function authConfig(token: string | undefined): string[] {
  return token === undefined ? [] : ['-c', `http.extraHeader=Authorization: Bearer ${token}`];
}

/**
 * Clones `url` into `name`, then per iteration writes one new file, commits and pushes to main,
 * pulling with rebase and pushing again when the push was rejected (at most `retries` times).
 */
export async function pushLoop(git: GitSandbox, url: string, token: string | undefined, name: string, limits: LoopLimits, log: PushLog, retries = 6): Promise<void> {
  const dir = git.path(name);
  await git.ok([...authConfig(token), 'clone', '-q', url, dir]);
  // Kept in the clone's config so push and pull send it too.
  if (token !== undefined) await git.ok(['config', 'http.extraHeader', `Authorization: Bearer ${token}`], dir);
  const written = new Map<string, string>();
  for (let i = 0; i < limits.iterations && Date.now() < limits.until && limits.stop?.() !== true; i++) {
    const path = `pushed/${name}/c${i}.txt`;
    const content = `${name} commit ${i} ${Math.random()}\n`;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
    written.set(path, content);
    await git.ok(['add', path], dir);
    await git.ok(['commit', '-q', '-m', `${name} ${i}`], dir);
    for (let attempt = 0; attempt < retries && Date.now() < limits.until; attempt++) {
      const push = await git.run(['push', '-q', 'origin', 'HEAD:main'], dir);
      if (push.code === 0) {
        const sha = (await git.ok(['rev-parse', 'HEAD'], dir)).trim();
        log.acknowledged.push({ clone: name, sha, files: new Map(written), at: Date.now() });
        break;
      }
      if (REJECTED.test(push.stderr)) log.rejected++;
      else log.failed.push({ clone: name, at: Date.now(), stderr: push.stderr.trim() });
      // Whether or not the failed push landed, a rebase onto the remote puts our commits on top
      // (a commit that did land is dropped as already upstream).
      const pull = await git.run(['pull', '-q', '--rebase', 'origin', 'main'], dir);
      if (pull.code !== 0) {
        log.failed.push({ clone: name, at: Date.now(), stderr: `pull: ${pull.stderr.trim()}` });
        await git.run(['rebase', '--abort'], dir);
      }
    }
  }
}

export interface History {
  head: string;
  /** Commit -> parents, newest first. */
  commits: { sha: string; parents: string[] }[];
  /** Reads a file of the head's tree (null when absent). */
  read(path: string): string | null;
}

/** A fresh clone of `url`: the history of one branch and its files. */
export async function freshClone(git: GitSandbox, url: string, token: string | undefined, name: string, branch = 'main'): Promise<History> {
  const dir = git.path(name);
  await git.ok([...authConfig(token), 'clone', '-q', '--branch', branch, url, dir]);
  const head = (await git.ok(['rev-parse', 'HEAD'], dir)).trim();
  const commits = (await git.ok(['rev-list', '--parents', 'HEAD'], dir))
    .trim()
    .split('\n')
    .map((line) => {
      const [sha, ...parents] = line.split(' ');
      return { sha: sha!, parents };
    });
  return {
    head,
    commits,
    read: (path) => {
      try {
        return readFileSync(join(dir, path), 'utf8');
      } catch {
        return null;
      }
    },
  };
}

/** What an acknowledged push promised and the final history lacks. */
export function missingFromHistory(history: History, pushes: AcknowledgedPush[]): string[] {
  const known = new Set(history.commits.map((c) => c.sha));
  const out: string[] = [];
  for (const p of pushes) {
    if (!known.has(p.sha)) out.push(`pushed commit ${p.sha} of ${p.clone} is not in the history of main`);
    for (const [path, content] of p.files) if (history.read(path) !== content) out.push(`${path} (pushed by ${p.clone} in ${p.sha}) is missing or different`);
  }
  return out;
}
