import type { CaseSpec } from '../case.js';
import type { Context } from '../context.js';
import { equal, header, json } from '../expect.js';
import { JSON_TYPE, SetupError } from '../fixtures.js';
import { P } from '../paths.js';

/**
 * Access control from outside (only with --token): 401 with a challenge for the API (Bearer) and
 * for git (Basic, so git prompts), and 403 for a token whose role is too low.
 */

const OCTETS = { 'Content-Type': 'application/octet-stream' };

/** A token that may only read the scratch repository, made with the admin token. */
function readOnlyToken(ctx: Context): Promise<string> {
  return ctx.memo('auth-read-token', async () => {
    const ex = await ctx.send({ method: 'POST', target: '/admin/tokens', headers: JSON_TYPE, body: JSON.stringify({ name: `${ctx.repo}-reader`, repos: { [ctx.repo]: 'read' } }) });
    const made = ex.status === 201 ? (JSON.parse(ex.body.toString('utf8')) as { token?: unknown; id?: unknown }) : {};
    if (typeof made.token !== 'string') throw new SetupError(`POST /admin/tokens answered ${ex.status}: ${ex.body.toString('utf8').slice(0, 160)}`);
    ctx.state.reader = { id: String(made.id), token: made.token };
    return made.token;
  });
}

export const authCases: CaseSpec[] = [
  {
    id: 'auth/anonymous-write',
    title: 'A write without credentials: 401 with a Bearer challenge',
    expect: 401,
    requires: ['token'],
    path: ['b8', 401],
    async run(t) {
      const ex = await t.exchange({ method: 'PUT', target: t.ctx.repoPath('/contents/auth/anonymous.txt'), headers: OCTETS, body: 'x' }, { anonymous: true });
      header(t, ex, 'www-authenticate', /^Bearer\b/i);
    },
  },
  {
    id: 'auth/invalid-token',
    title: 'A token that is not valid: 401, even for a read',
    expect: 401,
    requires: ['token'],
    path: ['b8', 401],
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.repoPath(), headers: { Authorization: 'Bearer crt_0000000000000000_not-a-real-secret-not-a-real-secret-xxxxxx' } }, { anonymous: true });
    },
  },
  {
    id: 'auth/anonymous-read-private',
    title: 'An anonymous read of a private repository: 401 (anonymous read is off by default)',
    expect: 401,
    requires: ['token'],
    path: ['b8', 401],
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.repoPath() }, { anonymous: true });
    },
  },
  {
    id: 'auth/git-anonymous',
    title: 'git info/refs without credentials: 401 with a Basic challenge, so git prompts',
    expect: 401,
    requires: ['token'],
    async run(t) {
      const ex = await t.exchange({ method: 'GET', target: t.ctx.gitPath('/info/refs?service=git-upload-pack') }, { anonymous: true, git: true });
      header(t, ex, 'www-authenticate', /^Basic\b/i);
    },
  },
  {
    id: 'auth/git-clone-anonymous',
    title: 'git ls-remote without credentials fails with an authentication error',
    expect: 'exit != 0, authentication failed',
    requires: ['token'],
    async run(t) {
      const r = await t.ctx.git().run(['ls-remote', t.ctx.http.url(t.ctx.gitPath())], { anonymous: true });
      t.actual(`exit ${r.code}`);
      t.check('git refused', r.code !== 0 && /auth|401|credential|terminal prompts disabled/i.test(r.stderr), 'authentication failed', r.stderr.trim().split('\n').pop() ?? '');
    },
  },
  {
    id: 'auth/reader-reads',
    title: 'A read-only token reads the repository: 200',
    expect: 200,
    requires: ['token', 'admin-tokens'],
    path: P.get200,
    async run(t) {
      const token = await readOnlyToken(t.ctx);
      await t.exchange({ method: 'GET', target: t.ctx.repoPath(), headers: { Authorization: `Bearer ${token}` } }, { anonymous: true });
    },
  },
  {
    id: 'auth/reader-cannot-write',
    title: 'A read-only token writing: 403, nothing written',
    expect: 403,
    requires: ['token', 'admin-tokens'],
    path: ['b7', 403],
    async run(t) {
      const token = await readOnlyToken(t.ctx);
      const target = t.ctx.repoPath('/contents/auth/by-reader.txt');
      await t.exchange({ method: 'PUT', target, headers: { ...OCTETS, Authorization: `Bearer ${token}` }, body: 'x' }, { anonymous: true });
      equal(t, 'not written', 404, (await t.ctx.send({ method: 'GET', target })).status);
    },
  },
  {
    id: 'auth/reader-cannot-push',
    title: 'A read-only token asking for git-receive-pack: 403',
    expect: 403,
    requires: ['token', 'admin-tokens'],
    async run(t) {
      const token = await readOnlyToken(t.ctx);
      const basic = Buffer.from(`reader:${token}`).toString('base64');
      await t.exchange({ method: 'GET', target: t.ctx.gitPath('/info/refs?service=git-receive-pack'), headers: { Authorization: `Basic ${basic}` } }, { anonymous: true, git: true });
    },
  },
  {
    id: 'auth/token-not-echoed',
    title: 'The token list never shows secrets',
    expect: 200,
    requires: ['token', 'admin-tokens'],
    path: P.get200,
    async run(t) {
      const token = await readOnlyToken(t.ctx);
      const ex = await t.exchange({ method: 'GET', target: '/admin/tokens' });
      json(t, ex);
      // crt_<16 hex id>_<secret>; the secret itself may contain "_".
      const secret = /^crt_[0-9a-f]{16}_(.+)$/.exec(token)?.[1] ?? token;
      t.check('no secret in the listing', !ex.body.toString('utf8').includes(secret), 'no token secret', ex.body.toString('utf8').includes(secret) ? 'secret present' : 'none');
    },
  },
];

/** Run with the clean-up: the reader token made above must not outlive the run. */
export const authCleanupCases: CaseSpec[] = [
  {
    id: 'auth/revoke-reader',
    title: 'Revoking the read-only token: 204, and it no longer works (401)',
    expect: 204,
    requires: ['token', 'admin-tokens'],
    path: ['g7', 'g7a', 'g8', 'h10', 'i12', 'l13', 'm16', 'm20', 'm20b', 'o20', 204],
    async run(t) {
      const reader = t.ctx.state.reader;
      if (reader === undefined) {
        t.actual('no reader token was made');
        return;
      }
      await t.exchange({ method: 'DELETE', target: `/admin/tokens/${reader.id}` });
      const after = await t.ctx.send({ method: 'GET', target: '/repos', headers: { Authorization: `Bearer ${reader.token}` } }, true);
      equal(t, 'revoked token refused', 401, after.status);
    },
  },
];
