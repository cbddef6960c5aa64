import type { ZodType } from 'zod';
import type { BodyDoc, RouteSpec } from '../http/route-spec.js';
import type { ApiContext } from '../http/api-context.js';
import { BranchesResource, BranchResource, branchInputSchema } from './branches.js';
import { CommitResource, CommitsResource, commitInputSchema } from './commits.js';
import { ContentsResource } from './contents.js';
import { TagResource, TagsResource, tagInputSchema } from './tags.js';
import { TokenResource, TokensResource, tokenInputSchema } from './admin-tokens.js';
import { RepoSettingsResource } from './repo-settings.js';
import { CurrentSessionResource, SessionsResource, signInSchema } from './sessions.js';
import { UserResource, UsersResource, userInputSchema } from './admin-users.js';
import { repoSettingsSchema } from '../settings/repo-settings.js';
import { CompareResource } from './compare.js';
import { MergeResource, MergesResource, mergeInputSchema, resolvedMergeSchema } from './merges.js';
import { ArchiveResource } from './archives.js';
import { RepositoriesResource, RepositoryResource, repoInputSchema } from './repositories.js';

const repoParam = { name: 'repo', description: 'Repository name: letters, digits, ".", "_", "-"; 1 to 100 characters; not ending in ".git".' };
const json = (schema?: ZodType): BodyDoc => ({ contentType: 'application/json', ...(schema ? { schema } : {}) });

/** The REST API's route table: the front end's RouteTable serves it, /openapi.json describes it. */
export function apiRoutes(api: ApiContext): RouteSpec[] {
  return [
    {
      path: '/repos',
      params: [],
      factory: (init) => new RepositoriesResource(init, api),
      operations: { get: { summary: 'List repositories', statuses: [200, 304], responses: [json()] } },
    },
    {
      path: '/repos/{repo}',
      params: [repoParam],
      factory: (init) => new RepositoryResource(init, api),
      operations: {
        get: { summary: 'Read a repository', statuses: [200, 304, 404, 410], responses: [json()] },
        put: { summary: 'Create (201) or update (204) a repository; If-None-Match: * to only create', statuses: [201, 204, 404, 409, 412], requestBody: json(repoInputSchema), responses: [json()] },
        delete: { summary: 'Delete a repository (afterwards 410)', statuses: [204, 404, 410, 412] },
      },
    },
    {
      path: '/repos/{repo}/branches',
      params: [repoParam],
      factory: (init) => new BranchesResource(init, api),
      operations: { get: { summary: 'List branches', statuses: [200, 304, 404, 410], responses: [json()] } },
    },
    {
      path: '/repos/{repo}/branches/{branch}',
      rest: 'branch',
      params: [repoParam, { name: 'branch', description: 'Branch name; may contain "/".' }],
      factory: (init) => new BranchResource(init, api),
      operations: {
        get: { summary: 'Read a branch; ETag is its commit id', statuses: [200, 304, 404], responses: [json()] },
        put: { summary: 'Create from {from} (201) or move to {commit} with If-Match (200)', statuses: [200, 201, 404, 409, 412, 428], requestBody: json(branchInputSchema), responses: [json()] },
        delete: { summary: 'Delete a branch (If-Match required)', statuses: [204, 404, 409, 412, 428] },
      },
    },
    {
      path: '/repos/{repo}/contents/{path}',
      rest: 'path',
      params: [repoParam, { name: 'path', description: 'File or folder path; empty for the root folder.' }],
      factory: (init) => new ContentsResource(init, api),
      operations: {
        get: {
          summary: 'A file (raw bytes, or metadata with Accept: application/json) or a folder listing',
          statuses: [200, 206, 304, 404, 416],
          query: [{ name: 'ref', description: 'Branch, tag or commit id; default branch when absent' }],
          responses: [{ contentType: 'application/octet-stream' }, json()],
        },
        put: {
          summary: 'Write a file in one commit (201 new, 200 replaced)',
          statuses: [200, 201, 404, 409, 412],
          query: [
            { name: 'branch', description: 'Branch to commit on; default branch when absent' },
            { name: 'message', description: 'Commit message' },
          ],
          requestBody: { contentType: 'application/octet-stream' },
          responses: [json()],
        },
        delete: { summary: 'Delete a file in one commit', statuses: [204, 404, 409, 412], query: [{ name: 'branch', description: 'Branch' }, { name: 'message', description: 'Commit message' }] },
      },
    },
    {
      path: '/repos/{repo}/contents',
      params: [repoParam],
      factory: (init) => new ContentsResource(init, api),
      operations: {
        get: {
          summary: 'The root folder listing',
          statuses: [200, 304, 404],
          query: [{ name: 'ref', description: 'Branch, tag or commit id; default branch when absent' }],
          responses: [json()],
        },
      },
    },
    {
      path: '/repos/{repo}/commits',
      params: [repoParam],
      factory: (init) => new CommitsResource(init, api),
      operations: {
        get: {
          summary: 'History, newest first, paginated with Link: rel="next"',
          statuses: [200, 304, 404],
          query: [
            { name: 'ref', description: 'Branch, tag or commit id' },
            { name: 'path', description: 'Only commits that changed this path' },
            { name: 'limit', description: 'Page size, 1 to 100 (default 30)' },
            { name: 'cursor', description: 'Continue from this commit (from the Link header)' },
          ],
          responses: [json()],
        },
        post: { summary: 'One atomic commit of several changes (201 + Location)', statuses: [201, 404, 409, 412], requestBody: json(commitInputSchema), responses: [json()] },
      },
    },
    {
      path: '/repos/{repo}/commits/{id}',
      params: [repoParam, { name: 'id', description: 'Commit id (full, or an unambiguous prefix)' }],
      factory: (init) => new CommitResource(init, api),
      operations: { get: { summary: 'One commit; immutable', statuses: [200, 304, 404], responses: [json()] } },
    },
    {
      path: '/repos/{repo}/tags',
      params: [repoParam],
      factory: (init) => new TagsResource(init, api),
      operations: { get: { summary: 'List tags (published versions)', statuses: [200, 304, 404, 410], responses: [json()] } },
    },
    {
      path: '/repos/{repo}/tags/{tag}',
      rest: 'tag',
      params: [repoParam, { name: 'tag', description: 'Tag name; may contain "/".' }],
      factory: (init) => new TagResource(init, api),
      operations: {
        get: { summary: 'Read a tag; immutable', statuses: [200, 304, 404], responses: [json()] },
        put: { summary: 'Publish an annotated tag (201); the same again is 200; another commit is 409', statuses: [200, 201, 404, 409, 412], requestBody: json(tagInputSchema), responses: [json()] },
      },
    },
    {
      path: '/repos/{repo}/settings',
      params: [repoParam],
      factory: (init) => new RepoSettingsResource(init, api),
      operations: {
        get: { summary: 'Repository settings (admin)', statuses: [200, 304, 404, 410], responses: [json()] },
        put: { summary: 'Change anonymous read and protected branches (admin)', statuses: [200, 404, 412], requestBody: json(repoSettingsSchema), responses: [json()] },
      },
    },
    {
      path: '/admin/tokens',
      params: [],
      factory: (init) => new TokensResource(init, api),
      operations: {
        get: { summary: 'List tokens (no secrets; admin)', statuses: [200, 304], responses: [json()] },
        post: { summary: 'Create a token; the secret is shown once in the 201 body (admin)', statuses: [201], requestBody: json(tokenInputSchema), responses: [json()] },
      },
    },
    {
      path: '/admin/tokens/{id}',
      params: [{ name: 'id', description: 'Token id' }],
      factory: (init) => new TokenResource(init, api),
      operations: {
        get: { summary: 'Read a token (no secret; admin)', statuses: [200, 304, 404], responses: [json()] },
        delete: { summary: 'Revoke a token (admin)', statuses: [204, 404] },
      },
    },
    {
      path: '/admin/users',
      params: [],
      factory: (init) => new UsersResource(init, api),
      operations: { get: { summary: 'List the users who sign in with a password (no secrets; admin)', statuses: [200, 304], responses: [json()] } },
    },
    {
      path: '/admin/users/{name}',
      params: [{ name: 'name', description: 'User name: 1 to 64 letters, digits, ".", "_" or "-"' }],
      factory: (init) => new UserResource(init, api),
      operations: {
        get: { summary: 'Read a user (no password; admin)', statuses: [200, 304, 404], responses: [json()] },
        put: { summary: 'Create (201, password required) or replace (200) a user; ends their sign-ins (admin)', statuses: [200, 201, 404, 412], requestBody: json(userInputSchema), responses: [json()] },
        delete: { summary: 'Delete a user and end their sign-ins (admin)', statuses: [204, 404, 412] },
      },
    },
    {
      path: '/sessions',
      params: [],
      factory: (init) => new SessionsResource(init, api),
      operations: {
        post: { summary: 'Sign in with a user name and password: a token for 12 hours carrying the user\'s roles and identity', statuses: [201], requestBody: json(signInSchema), responses: [json()] },
      },
    },
    {
      path: '/sessions/current',
      params: [],
      factory: (init) => new CurrentSessionResource(init, api),
      operations: {
        get: { summary: 'Who the presented token is: name, roles, and for a sign-in the user, address and expiry', statuses: [200, 304], responses: [json()] },
        delete: { summary: 'Sign out: the sign-in\'s token stops working at once (409 for a long-lived token)', statuses: [204, 409, 412] },
      },
    },
    {
      path: '/repos/{repo}/compare/{spec}',
      rest: 'spec',
      params: [repoParam, { name: 'spec', description: '{base}...{head}: branches, tags or commit ids' }],
      factory: (init) => new CompareResource(init, api),
      operations: {
        get: {
          summary: 'Ahead/behind, merge base and changed files; Accept: text/x-diff for a unified diff',
          statuses: [200, 304, 404],
          responses: [json(), { contentType: 'text/x-diff' }],
        },
      },
    },
    {
      path: '/repos/{repo}/merges',
      params: [repoParam],
      factory: (init) => new MergesResource(init, api),
      operations: {
        post: {
          summary: 'Merge head into the base branch: 201 merged or fast-forwarded, 204 nothing to do, 409 conflicts (listed; no ref moved)',
          statuses: [201, 204, 404, 409, 412],
          requestBody: json(mergeInputSchema),
          responses: [json()],
        },
      },
    },
    {
      path: '/repos/{repo}/merges/{spec}',
      rest: 'spec',
      params: [repoParam, { name: 'spec', description: '{base}...{head}: the branch to merge into, then a branch, tag or commit id' }],
      factory: (init) => new MergeResource(init, api),
      operations: {
        get: {
          summary: 'What merging head into base would do now: status, and every conflict with its base, ours and theirs and a text file\'s three-way regions; ETag names both commits',
          statuses: [200, 304, 404],
          responses: [json()],
        },
        post: {
          summary: 'Commit the merge with a resolution for every conflicting path, as a merge commit with both parents (If-Match required)',
          statuses: [201, 204, 404, 409, 412, 428],
          requestBody: json(resolvedMergeSchema),
          responses: [json()],
        },
      },
    },
    {
      path: '/repos/{repo}/archive/{spec}',
      rest: 'spec',
      params: [repoParam, { name: 'spec', description: '{ref}.tar.gz or {ref}.zip' }],
      factory: (init) => new ArchiveResource(init, api),
      operations: {
        get: {
          summary: 'The tree of a commit as a streamed .tar.gz or .zip; byte-identical for a commit',
          statuses: [200, 304, 404],
          responses: [{ contentType: 'application/gzip' }, { contentType: 'application/zip' }],
        },
      },
    },
  ];
}
