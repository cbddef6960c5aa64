import type { ZodType } from 'zod';
import type { BodyDoc, ParamDoc, RouteSpec } from '../http/route-spec.js';
import type { ApiContext } from '../http/api-context.js';
import { BranchesResource, BranchResource, branchInputSchema, branchListSchema, branchSchema } from './branches.js';
import { CommitResource, CommitsResource, commitInputSchema, commitPageSchema, commitSchema, createdCommitSchema } from './commits.js';
import { ContentsResource, FILE_METADATA_TYPE, fileOrFolderSchema, fileSchema, folderSchema, writtenFileSchema } from './contents.js';
import { TagResource, TagsResource, tagInputSchema, tagListSchema, tagSchema } from './tags.js';
import { TokenResource, TokensResource, createdTokenSchema, tokenInputSchema, tokenListSchema, tokenSchema } from './admin-tokens.js';
import { RepoSettingsResource, settingsInputSchema, settingsSchema } from './repo-settings.js';
import { CurrentSessionResource, SessionsResource, sessionSchema, signedInSchema, signInSchema } from './sessions.js';
import { UserResource, UsersResource, userInputSchema, userListSchema, userSchema } from './admin-users.js';
import { CompareResource, comparisonSchema } from './compare.js';
import { MergeResource, MergesResource, mergedSchema, mergeInputSchema, mergePreviewSchema, resolvedMergeSchema } from './merges.js';
import { ArchiveResource } from './archives.js';
import { EventTicketsResource, eventTicketSchema } from './event-tickets.js';
import { ProblemTypeResource, ProblemTypesResource, problemTypeSchema, problemTypesSchema } from './problems.js';
import { RepositoriesResource, RepositoryResource, repoInputSchema, repositoryListSchema, repositorySchema } from './repositories.js';
import { DeliveriesResource, DeliveryResource, deliveryListSchema, deliverySchema, HookResource, HooksResource, hookInputSchema, hookListSchema, hookSchema, RedeliveryResource } from './webhooks.js';

const repoParam: ParamDoc = { name: 'repo', description: 'Repository name: letters, digits, ".", "_", "-"; 1 to 100 characters; not ending in ".git".', schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,100}$' } };
const json = (schema: ZodType): BodyDoc => ({ contentType: 'application/json', schema });
const refQuery: ParamDoc = { name: 'ref', description: 'Branch, tag or commit id; default branch when absent' };
const hookParam: ParamDoc = { name: 'id', description: 'Hook id', schema: { type: 'string', pattern: '^[0-9a-f]{16}$' } };
const deliveryParam: ParamDoc = { name: 'delivery', description: 'Delivery id (as X-Content-Repo-Delivery names it)' };

/**
 * The webhook routes of one scope: a repository's (/repos/{repo}/hooks, its events) or the
 * service's (/admin/hooks, repositories created and deleted). Same resources, same rules.
 */
function hookRoutes(api: ApiContext, base: string, params: ParamDoc[], ids: { one: string; many: string }, who: string): RouteSpec[] {
  const tag = 'webhooks';
  // A repository can be missing or deleted; the service cannot.
  const scope = params.length > 0 ? [404, 410] : [];
  const one = [404, ...scope.filter((s) => s !== 404)];
  return [
    {
      path: base,
      tag,
      params,
      factory: (init) => new HooksResource(init, api),
      operations: {
        get: { operationId: `list${ids.many}`, summary: `List the ${who} webhooks, by id`, statuses: [200, 304, ...scope], paginated: true, responses: [json(hookListSchema)], headers: { 200: ['Link'] } },
        post: { operationId: `create${ids.one}`, summary: `Register a ${who} webhook: URL, events, secret, active`, statuses: [201, ...scope], requestBody: json(hookInputSchema), responses: [json(hookSchema)], headers: { 201: ['Location'] } },
      },
    },
    {
      path: `${base}/{id}`,
      tag,
      params: [...params, hookParam],
      factory: (init) => new HookResource(init, api),
      operations: {
        get: { operationId: `get${ids.one}`, summary: 'Read a webhook (never its secret)', statuses: [200, 304, ...one], responses: [json(hookSchema)], headers: { 200: ['ETag'] } },
        put: { operationId: `put${ids.one}`, summary: 'Replace a webhook\'s URL, events, active flag (and secret, when given)', statuses: [200, ...one, 412], requestBody: json(hookInputSchema), responses: [json(hookSchema)] },
        delete: { operationId: `delete${ids.one}`, summary: 'Remove a webhook; its pending deliveries fail', statuses: [204, ...one, 412] },
      },
    },
    {
      path: `${base}/{id}/deliveries`,
      tag,
      params: [...params, hookParam],
      factory: (init) => new DeliveriesResource(init, api),
      operations: { get: { operationId: `list${ids.one}Deliveries`, summary: 'The webhook\'s delivery log, newest first: state, attempts, last status and duration', statuses: [200, 304, ...one], paginated: true, responses: [json(deliveryListSchema)], headers: { 200: ['Link'] } } },
    },
    {
      path: `${base}/{id}/deliveries/{delivery}`,
      tag,
      params: [...params, hookParam, deliveryParam],
      factory: (init) => new DeliveryResource(init, api),
      operations: { get: { operationId: `get${ids.one}Delivery`, summary: 'One delivery: its payload and every attempt (when, how long, the receiver\'s status)', statuses: [200, 304, ...one], responses: [json(deliverySchema)], headers: { 200: ['ETag'] } } },
    },
    {
      path: `${base}/{id}/deliveries/{delivery}/attempts`,
      tag,
      params: [...params, hookParam, deliveryParam],
      factory: (init) => new RedeliveryResource(init, api),
      operations: {
        post: { operationId: `redeliver${ids.one}Delivery`, summary: 'Send a delivery again (202): pending at once, with a fresh retry budget', statuses: [202, ...one, 409], responses: [json(deliverySchema)], headers: { 202: ['Location'] } },
      },
    },
  ];
}

/** The REST API's route table: the front end's RouteTable serves it, /openapi.json describes it. */
export function apiRoutes(api: ApiContext): RouteSpec[] {
  return [
    {
      path: '/repos',
      tag: 'repositories',
      params: [],
      factory: (init) => new RepositoriesResource(init, api),
      operations: { get: { operationId: 'listRepositories', summary: 'List the repositories the caller may read, by name', statuses: [200, 304], paginated: true, responses: [json(repositoryListSchema)], headers: { 200: ['Link'] } } },
    },
    {
      path: '/repos/{repo}',
      tag: 'repositories',
      params: [repoParam],
      factory: (init) => new RepositoryResource(init, api),
      operations: {
        get: { operationId: 'getRepository', summary: 'Read a repository', statuses: [200, 304, 404, 410], responses: [json(repositorySchema)], headers: { 200: ['ETag', 'Last-Modified'] } },
        put: { operationId: 'putRepository', summary: 'Create (201) or update (204) a repository; If-None-Match: * to only create', statuses: [201, 204, 404, 409, 412], requestBody: json(repoInputSchema), responses: [json(repositorySchema)], headers: { 201: ['Location'] } },
        delete: { operationId: 'deleteRepository', summary: 'Delete a repository (afterwards 410)', statuses: [204, 404, 410, 412] },
      },
    },
    {
      path: '/repos/{repo}/branches',
      tag: 'branches',
      params: [repoParam],
      factory: (init) => new BranchesResource(init, api),
      operations: { get: { operationId: 'listBranches', summary: 'List branches, by name', statuses: [200, 304, 404, 410], paginated: true, responses: [json(branchListSchema)], headers: { 200: ['Link'] } } },
    },
    {
      path: '/repos/{repo}/branches/{branch}',
      rest: 'branch',
      tag: 'branches',
      params: [repoParam, { name: 'branch', description: 'Branch name; may contain "/".' }],
      factory: (init) => new BranchResource(init, api),
      operations: {
        get: { operationId: 'getBranch', summary: 'Read a branch; ETag is its commit id', statuses: [200, 304, 404], responses: [json(branchSchema)], headers: { 200: ['ETag'] } },
        put: {
          operationId: 'putBranch',
          summary: 'Create from {from} (201) or move to {commit} with If-Match (200)',
          statuses: [200, 201, 404, 409, 412, 428],
          requestHeaders: ['If-Match'],
          requestBody: json(branchInputSchema),
          responses: [json(branchSchema)],
          headers: { 200: ['ETag'], 201: ['ETag', 'Location'] },
        },
        delete: { operationId: 'deleteBranch', summary: 'Delete a branch (If-Match required)', statuses: [204, 404, 409, 412, 428], requestHeaders: ['If-Match'] },
      },
    },
    {
      path: '/repos/{repo}/contents/{path}',
      rest: 'path',
      tag: 'contents',
      params: [repoParam, { name: 'path', description: 'File or folder path; empty for the root folder.' }],
      factory: (init) => new ContentsResource(init, api),
      operations: {
        get: {
          operationId: 'getContents',
          summary: 'A file (raw bytes, or metadata with Accept: application/json) or a folder listing',
          statuses: [200, 206, 304, 404, 416],
          query: [refQuery],
          requestHeaders: ['Range', 'If-Range'],
          responses: [{ contentType: '*/*', description: 'The file\'s bytes, typed by its name' }, json(fileOrFolderSchema), { contentType: FILE_METADATA_TYPE, schema: fileSchema }],
          headers: { 200: ['ETag', 'Last-Modified'], 206: ['ETag'] },
        },
        put: {
          operationId: 'putContents',
          summary: 'Write a file in one commit (201 new, 200 replaced)',
          statuses: [200, 201, 404, 409, 412],
          query: [
            { name: 'branch', description: 'Branch to commit on; default branch when absent' },
            { name: 'message', description: 'Commit message' },
          ],
          requestHeaders: ['If-Match', 'If-None-Match'],
          requestBody: { contentType: 'application/octet-stream', description: 'The file\'s bytes (any Content-Type)' },
          responses: [json(writtenFileSchema)],
          headers: { 200: ['ETag'], 201: ['ETag'] },
        },
        delete: {
          operationId: 'deleteContents',
          summary: 'Delete a file in one commit',
          statuses: [204, 404, 409, 412],
          query: [
            { name: 'branch', description: 'Branch' },
            { name: 'message', description: 'Commit message' },
          ],
          requestHeaders: ['If-Match'],
        },
      },
    },
    {
      path: '/repos/{repo}/contents',
      tag: 'contents',
      params: [repoParam],
      factory: (init) => new ContentsResource(init, api),
      operations: {
        get: { operationId: 'getRootFolder', summary: 'The root folder listing', statuses: [200, 304, 404], query: [refQuery], responses: [json(folderSchema)], headers: { 200: ['ETag', 'Last-Modified'] } },
      },
    },
    {
      path: '/repos/{repo}/commits',
      tag: 'commits',
      params: [repoParam],
      factory: (init) => new CommitsResource(init, api),
      operations: {
        get: {
          operationId: 'listCommits',
          summary: 'History, newest first; each page continues where the last one stopped',
          statuses: [200, 304, 404],
          paginated: true,
          query: [
            { name: 'ref', description: 'Branch, tag or commit id' },
            { name: 'path', description: 'Only commits that changed this path' },
          ],
          responses: [json(commitPageSchema)],
          headers: { 200: ['ETag', 'Link'] },
        },
        post: { operationId: 'createCommit', summary: 'One atomic commit of several changes (201 + Location)', statuses: [201, 404, 409, 412], requestBody: json(commitInputSchema), responses: [json(createdCommitSchema)], headers: { 201: ['Location'] } },
      },
    },
    {
      path: '/repos/{repo}/commits/{id}',
      tag: 'commits',
      params: [repoParam, { name: 'id', description: 'Commit id (full, or an unambiguous prefix)', schema: { type: 'string', pattern: '^[0-9a-f]{4,40}$' } }],
      factory: (init) => new CommitResource(init, api),
      operations: { get: { operationId: 'getCommit', summary: 'One commit; immutable', statuses: [200, 304, 404], responses: [json(commitSchema)], headers: { 200: ['ETag', 'Last-Modified'] } } },
    },
    {
      path: '/repos/{repo}/tags',
      tag: 'tags',
      params: [repoParam],
      factory: (init) => new TagsResource(init, api),
      operations: { get: { operationId: 'listTags', summary: 'List tags (published versions), by name', statuses: [200, 304, 404, 410], paginated: true, responses: [json(tagListSchema)], headers: { 200: ['Link'] } } },
    },
    {
      path: '/repos/{repo}/tags/{tag}',
      rest: 'tag',
      tag: 'tags',
      params: [repoParam, { name: 'tag', description: 'Tag name; may contain "/".' }],
      factory: (init) => new TagResource(init, api),
      operations: {
        get: { operationId: 'getTag', summary: 'Read a tag; immutable', statuses: [200, 304, 404], responses: [json(tagSchema)], headers: { 200: ['ETag'] } },
        put: { operationId: 'putTag', summary: 'Publish an annotated tag (201); the same again is 200; another commit is 409', statuses: [200, 201, 404, 409, 412], requestBody: json(tagInputSchema), responses: [json(tagSchema)], headers: { 200: ['ETag'], 201: ['ETag', 'Location'] } },
      },
    },
    {
      path: '/repos/{repo}/settings',
      tag: 'settings',
      params: [repoParam],
      factory: (init) => new RepoSettingsResource(init, api),
      operations: {
        get: { operationId: 'getSettings', summary: 'Repository settings (admin)', statuses: [200, 304, 404, 410], responses: [json(settingsSchema)], headers: { 200: ['ETag'] } },
        put: { operationId: 'putSettings', summary: 'Change anonymous read and protected branches (admin)', statuses: [200, 404, 412], requestBody: json(settingsInputSchema), responses: [json(settingsSchema)] },
      },
    },
    {
      path: '/admin/tokens',
      tag: 'tokens',
      params: [],
      factory: (init) => new TokensResource(init, api),
      operations: {
        get: { operationId: 'listTokens', summary: 'List tokens, oldest first (no secrets; admin)', statuses: [200, 304], paginated: true, responses: [json(tokenListSchema)], headers: { 200: ['Link'] } },
        post: { operationId: 'createToken', summary: 'Create a token; the secret is shown once in the 201 body (admin)', statuses: [201], requestBody: json(tokenInputSchema), responses: [json(createdTokenSchema)], headers: { 201: ['Location'] } },
      },
    },
    {
      path: '/admin/tokens/{id}',
      tag: 'tokens',
      params: [{ name: 'id', description: 'Token id' }],
      factory: (init) => new TokenResource(init, api),
      operations: {
        get: { operationId: 'getToken', summary: 'Read a token (no secret; admin)', statuses: [200, 304, 404], responses: [json(tokenSchema)] },
        delete: { operationId: 'revokeToken', summary: 'Revoke a token (admin)', statuses: [204, 404] },
      },
    },
    {
      path: '/admin/users',
      tag: 'users',
      params: [],
      factory: (init) => new UsersResource(init, api),
      operations: { get: { operationId: 'listUsers', summary: 'List the users who sign in with a password, by name (no secrets; admin)', statuses: [200, 304], paginated: true, responses: [json(userListSchema)], headers: { 200: ['Link'] } } },
    },
    {
      path: '/admin/users/{name}',
      tag: 'users',
      params: [{ name: 'name', description: 'User name: 1 to 64 letters, digits, ".", "_" or "-"' }],
      factory: (init) => new UserResource(init, api),
      operations: {
        get: { operationId: 'getUser', summary: 'Read a user (no password; admin)', statuses: [200, 304, 404], responses: [json(userSchema)] },
        put: { operationId: 'putUser', summary: 'Create (201, password required) or replace (200) a user; ends their sign-ins (admin)', statuses: [200, 201, 404, 412], requestBody: json(userInputSchema), responses: [json(userSchema)], headers: { 201: ['Location'] } },
        delete: { operationId: 'deleteUser', summary: 'Delete a user and end their sign-ins (admin)', statuses: [204, 404, 412] },
      },
    },
    {
      path: '/sessions',
      tag: 'sessions',
      params: [],
      factory: (init) => new SessionsResource(init, api),
      operations: {
        post: { operationId: 'signIn', summary: 'Sign in with a user name and password: a token for 12 hours carrying the user\'s roles and identity', statuses: [201], security: 'public', requestBody: json(signInSchema), responses: [json(signedInSchema)], headers: { 201: ['Location'] } },
      },
    },
    {
      path: '/sessions/current',
      tag: 'sessions',
      params: [],
      factory: (init) => new CurrentSessionResource(init, api),
      operations: {
        get: { operationId: 'getSession', summary: 'Who the presented token is: name, roles, and for a sign-in the user, address and expiry', statuses: [200, 304], responses: [json(sessionSchema)] },
        delete: { operationId: 'signOut', summary: 'Sign out: the sign-in\'s token stops working at once (409 for a long-lived token)', statuses: [204, 409, 412] },
      },
    },
    {
      path: '/repos/{repo}/compare/{spec}',
      rest: 'spec',
      tag: 'compare',
      params: [repoParam, { name: 'spec', description: '{base}...{head}: branches, tags or commit ids' }],
      factory: (init) => new CompareResource(init, api),
      operations: {
        get: {
          operationId: 'compare',
          summary: 'Ahead/behind, merge base and changed files; Accept: text/x-diff for a unified diff',
          statuses: [200, 304, 404],
          responses: [json(comparisonSchema), { contentType: 'text/x-diff' }],
          headers: { 200: ['ETag'] },
        },
      },
    },
    {
      path: '/repos/{repo}/merges',
      tag: 'merges',
      params: [repoParam],
      factory: (init) => new MergesResource(init, api),
      operations: {
        post: {
          operationId: 'merge',
          summary: 'Merge head into the base branch: 201 merged or fast-forwarded, 204 nothing to do, 409 conflicts (listed; no ref moved)',
          statuses: [201, 204, 404, 409, 412],
          requestBody: json(mergeInputSchema),
          responses: [json(mergedSchema)],
          headers: { 201: ['Location'] },
        },
      },
    },
    {
      path: '/repos/{repo}/merges/{spec}',
      rest: 'spec',
      tag: 'merges',
      params: [repoParam, { name: 'spec', description: '{base}...{head}: the branch to merge into, then a branch, tag or commit id' }],
      factory: (init) => new MergeResource(init, api),
      operations: {
        get: {
          operationId: 'previewMerge',
          summary: 'What merging head into base would do now: status, and every conflict with its base, ours and theirs and a text file\'s three-way regions; ETag names both commits',
          statuses: [200, 304, 404],
          responses: [json(mergePreviewSchema)],
          headers: { 200: ['ETag'] },
        },
        post: {
          operationId: 'resolveMerge',
          summary: 'Commit the merge with a resolution for every conflicting path, as a merge commit with both parents (If-Match required)',
          statuses: [201, 204, 404, 409, 412, 428],
          requestHeaders: ['If-Match'],
          requestBody: json(resolvedMergeSchema),
          responses: [json(mergedSchema)],
          headers: { 201: ['Location'] },
        },
      },
    },
    {
      path: '/repos/{repo}/archive/{spec}',
      rest: 'spec',
      tag: 'archives',
      params: [repoParam, { name: 'spec', description: '{ref}.tar.gz or {ref}.zip' }],
      factory: (init) => new ArchiveResource(init, api),
      operations: {
        get: {
          operationId: 'getArchive',
          summary: 'The tree of a commit as a streamed .tar.gz or .zip; byte-identical for a commit',
          statuses: [200, 304, 404],
          responses: [{ contentType: 'application/gzip' }, { contentType: 'application/zip' }],
          headers: { 200: ['ETag', 'Content-Disposition'] },
        },
      },
    },
    {
      path: '/events/tickets',
      tag: 'events',
      params: [],
      factory: (init) => new EventTicketsResource(init, api),
      operations: {
        post: {
          operationId: 'createEventTicket',
          summary: 'A one-time ticket (good for a minute) to open the /events WebSocket with, instead of the token in its URL',
          statuses: [200],
          responses: [json(eventTicketSchema)],
        },
      },
    },
    ...hookRoutes(api, '/repos/{repo}/hooks', [repoParam], { one: 'Hook', many: 'Hooks' }, 'repository\'s'),
    ...hookRoutes(api, '/admin/hooks', [], { one: 'ServiceHook', many: 'ServiceHooks' }, 'service\'s'),
    {
      path: '/problems',
      tag: 'problems',
      params: [],
      factory: (init) => new ProblemTypesResource(init),
      operations: { get: { operationId: 'listProblemTypes', summary: 'Every problem type the API answers (HTML, or JSON with Accept: application/json)', statuses: [200, 304], security: 'public', responses: [{ contentType: 'text/html' }, json(problemTypesSchema)], headers: { 200: ['ETag'] } } },
    },
    {
      path: '/problems/{name}',
      tag: 'problems',
      params: [{ name: 'name', description: 'A problem type\'s name: the last segment of its `type`' }],
      factory: (init) => new ProblemTypeResource(init),
      operations: { get: { operationId: 'getProblemType', summary: 'What one problem type means and what to do about it', statuses: [200, 304, 404], security: 'public', responses: [{ contentType: 'text/html' }, json(problemTypeSchema)], headers: { 200: ['ETag'] } } },
    },
  ];
}
