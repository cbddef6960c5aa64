/**
 * The OpenAPI 3.1 description of the REST API, generated from the route table (resources/routes.ts)
 * and the zod schemas the resources validate and answer with (http/api-schemas.ts): every
 * operation with its operationId, tag, security, parameters, request and response headers, and
 * every status it can answer, each error with its problem body. Nothing here is written by hand
 * per endpoint, so the description cannot drift from what is served.
 */
import statuses from 'statuses';
import { z, type ZodType } from 'zod';
import { requestSchemas, responseSchemas, type SchemaMeta } from './api-schemas.js';
import { DEFAULT_PER_PAGE, MAX_PER_PAGE } from './pagination.js';
import { PROBLEM_TYPES } from './problem-types.js';
import type { BodyDoc, HeaderName, HeaderRef, OperationDoc, RouteSpec } from './route-spec.js';

/** Statuses any route can answer (B column, negotiation, rate limits, failures). */
export const ENGINE_STATUSES = [400, 401, 403, 405, 406, 414, 429, 500, 501, 503];
const BODY_STATUSES = [413, 415];

type Json = Record<string, unknown>;

const SCHEMA_REF = (id: string): string => `#/components/schemas/${id}`;

const HEADERS: Record<HeaderName | 'X-Request-Id' | 'RateLimit' | 'RateLimit-Policy' | 'Vary', Json> = {
  'X-Request-Id': { description: 'The request id (the one sent, if it is 1 to 64 of [A-Za-z0-9._-]; else a new UUID); logs name the request by it.', schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' } },
  ETag: { description: 'Entity tag: an object id, or a digest of the representation; strong unless W/.', schema: { type: 'string', pattern: '^(W/)?"[^"]*"$' } },
  Location: { description: 'Where the created (or sign-in) resource is.', schema: { type: 'string', pattern: '^/' } },
  Link: { description: 'RFC 8288 links to the first, prev, next and last pages (absolute URLs; those known).', schema: { type: 'string', pattern: '^<https?://[^>]+>; rel="(first|prev|next|last)"(, <https?://[^>]+>; rel="(first|prev|next|last)")*$' } },
  'Last-Modified': { description: 'HTTP date of the commit (or change) the representation comes from.', schema: { type: 'string' } },
  'Cache-Control': { description: 'no-cache for what may change, private immutable for what an object id names, no-store for secrets.', schema: { type: 'string' } },
  Vary: { description: 'Request headers the representation was chosen by.', schema: { type: 'string' } },
  'Content-Disposition': { description: 'attachment; filename="..."', schema: { type: 'string', pattern: '^attachment; filename=' } },
  'Content-Range': { description: 'bytes start-end/size (206), or bytes */size (416).', schema: { type: 'string', pattern: '^bytes (\\d+-\\d+|\\*)/\\d+$' } },
  'Accept-Ranges': { description: 'bytes: ranges of this file may be asked for.', schema: { type: 'string', enum: ['bytes'] } },
  'Retry-After': { description: 'Seconds to wait before sending the request again.', schema: { type: 'string', pattern: '^\\d+$' } },
  'WWW-Authenticate': { description: 'The authentication scheme (Bearer realm="content-repo").', schema: { type: 'string' } },
  Allow: { description: 'The methods the resource supports.', schema: { type: 'string' } },
  RateLimit: { description: 'IETF RateLimit header (draft 7): limit, remaining, reset; absent when rate limits are off.', schema: { type: 'string' } },
  'RateLimit-Policy': { description: 'IETF RateLimit-Policy (draft 7): limit;w=window seconds.', schema: { type: 'string' } },
};

/** Headers a response of this status carries whatever the operation. */
function statusHeaders(method: string, status: number): HeaderRef[] {
  const read = method === 'get';
  const out: HeaderRef[] = [];
  if (read && (status === 200 || status === 206 || status === 304)) out.push('ETag?', 'Last-Modified?');
  if (status === 201) out.push('Location?');
  if (status === 206) out.push('Content-Range', 'Accept-Ranges?');
  if (status === 200) out.push('Accept-Ranges?');
  if (status === 401) out.push('WWW-Authenticate');
  if (status === 405) out.push('Allow');
  if (status === 416) out.push('Content-Range', 'ETag?', 'Last-Modified?', 'Accept-Ranges?');
  if (status === 429) out.push('Retry-After');
  if (status === 503) out.push('Retry-After?');
  return out;
}

const PARAMETERS: Json = {
  'If-Match': { name: 'If-Match', in: 'header', description: 'Only if the current ETag is one of these: a compare-and-swap (412 when it is not).', schema: { type: 'string' } },
  'If-None-Match': { name: 'If-None-Match', in: 'header', description: 'GET: 304 when the ETag still matches. Writes: `*` to only create (412 when it exists).', schema: { type: 'string' } },
  'If-Modified-Since': { name: 'If-Modified-Since', in: 'header', description: '304 when not changed since this HTTP date.', schema: { type: 'string' } },
  'If-Unmodified-Since': { name: 'If-Unmodified-Since', in: 'header', description: '412 when changed since this HTTP date.', schema: { type: 'string' } },
  Range: { name: 'Range', in: 'header', description: 'One byte range (bytes=start-end); 206 or 416.', schema: { type: 'string', pattern: '^bytes=' } },
  'If-Range': { name: 'If-Range', in: 'header', description: 'Range only if the ETag or date still holds.', schema: { type: 'string' } },
  'X-Request-Id': { name: 'X-Request-Id', in: 'header', description: 'Names the request in logs and is answered back (1 to 64 of [A-Za-z0-9._-]).', schema: { type: 'string' } },
  per_page: { name: 'per_page', in: 'query', description: `Items per page, 1 to ${MAX_PER_PAGE} (default ${DEFAULT_PER_PAGE}).`, schema: { type: 'integer', minimum: 1, maximum: MAX_PER_PAGE, default: DEFAULT_PER_PAGE } },
  cursor: { name: 'cursor', in: 'query', description: 'Where the page starts: copy it from a Link header, never build it.', schema: { type: 'string' } },
};
const param = (name: string): Json => ({ $ref: `#/components/parameters/${name}` });

function reason(status: number): string {
  try {
    return statuses.message[status] ?? String(status);
  } catch {
    return String(status);
  }
}

/** components/schemas from both registries, with $refs between registered schemas. */
function componentSchemas(): Json {
  const out: Json = {};
  for (const [registry, io] of [
    [requestSchemas, 'input'],
    [responseSchemas, 'output'],
  ] as const) {
    const { schemas } = z.toJSONSchema(registry, { io, uri: SCHEMA_REF, unrepresentable: 'any', target: 'draft-2020-12' }) as { schemas: Record<string, Json> };
    for (const [id, schema] of Object.entries(schemas)) {
      if (out[id] !== undefined) throw new Error(`schema id ${id} is registered twice`);
      const { $schema: _s, $id: _i, ...rest } = schema;
      out[id] = rest;
    }
  }
  return out;
}

function idOf(schema: ZodType, registry: typeof requestSchemas): string {
  const meta = registry.get(schema) as SchemaMeta | undefined;
  if (meta === undefined) throw new Error(`a body schema is not registered in ${registry === requestSchemas ? 'requestSchemas' : 'responseSchemas'} (http/api-schemas.ts)`);
  return meta.id;
}

function content(bodies: BodyDoc[], registry: typeof requestSchemas): Json {
  return Object.fromEntries(
    bodies.map((b) => [b.contentType, { schema: b.schema === undefined ? { type: 'string', format: 'binary' } : { $ref: SCHEMA_REF(idOf(b.schema, registry)) } }]),
  );
}

/** Builds the document's parts, remembering which shared components it used. */
class Components {
  readonly headers = new Set<string>();
  readonly problems = new Map<number, Json>();

  headerObjects(refs: HeaderRef[]): Json {
    const out: Json = {};
    const use = (name: string, required: boolean): void => {
      const id = `${name}${required ? '-Required' : ''}`;
      this.headers.add(id);
      out[name] = { $ref: `#/components/headers/${id}` };
    };
    use('X-Request-Id', true);
    for (const ref of refs) use(ref.replace(/\?$/, ''), !ref.endsWith('?'));
    use('RateLimit', false);
    use('RateLimit-Policy', false);
    if (out['Cache-Control'] === undefined) use('Cache-Control', false);
    use('Vary', false);
    return out;
  }

  /** Error answers are the same for every operation (their headers depend on the status only): one shared response each. */
  problem(status: number): Json {
    if (!this.problems.has(status)) {
      this.problems.set(status, {
        description: `${reason(status)}: a problem whose type is one of /problems`,
        headers: this.headerObjects(statusHeaders('any', status)),
        content: { 'application/problem+json': { schema: { $ref: SCHEMA_REF('Problem') } } },
      });
    }
    return { $ref: `#/components/responses/Problem${status}` };
  }

  headerComponents(): Json {
    const out: Json = {};
    for (const id of [...this.headers].sort()) {
      const required = id.endsWith('-Required');
      const header = HEADERS[id.replace(/-Required$/, '') as keyof typeof HEADERS];
      out[id] = required ? { ...header, required: true } : header;
    }
    return out;
  }

  responseComponents(): Json {
    return Object.fromEntries([...this.problems].sort(([a], [b]) => a - b).map(([status, response]) => [`Problem${status}`, response]));
  }
}

function operationObject(parts: Components, route: RouteSpec, method: string, op: OperationDoc): Json {
  const all = new Set([...op.statuses, ...ENGINE_STATUSES, ...(op.requestBody ? BODY_STATUSES : [])]);
  const responses: Json = {};
  for (const status of [...all].sort((a, b) => a - b)) {
    if (status >= 400) {
      responses[String(status)] = parts.problem(status);
      continue;
    }
    const paged: HeaderRef[] = op.paginated === true && status === 304 ? ['Link?'] : [];
    const headers = parts.headerObjects([...statusHeaders(method, status), ...paged, ...(op.headers?.[status] ?? [])]);
    const response: Json = { description: reason(status), headers };
    if (op.responses && status !== 204 && status !== 304) response.content = content(op.responses, responseSchemas);
    responses[String(status)] = response;
  }
  const conditional = method === 'get' ? ['If-None-Match', 'If-Modified-Since'] : ['If-Match', 'If-None-Match', 'If-Unmodified-Since'];
  const headerParams = [...new Set([...conditional, ...(op.requestHeaders ?? [])])];
  const parameters = [
    ...route.params.map((p) => ({ name: p.name, in: 'path', required: true, description: p.description, schema: p.schema ?? { type: 'string' } })),
    ...(op.query ?? []).map((q) => ({ name: q.name, in: 'query', required: q.required ?? false, description: q.description, schema: q.schema ?? { type: 'string' } })),
    ...(op.paginated === true ? [param('per_page'), param('cursor')] : []),
    ...headerParams.map(param),
    param('X-Request-Id'),
  ];
  return {
    operationId: op.operationId,
    tags: [route.tag],
    summary: op.summary,
    ...(op.description === undefined ? {} : { description: op.description }),
    security: op.security === 'public' ? [{}] : [{ bearerAuth: [] }, { basicAuth: [] }, ...(method === 'get' ? [{}] : [])],
    parameters,
    ...(op.requestBody ? { requestBody: { required: true, content: content([op.requestBody], requestSchemas) } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 description of the REST API, generated from the route table. */
export function openApiDocument(routes: RouteSpec[], version: string): Json {
  const paths: Json = {};
  const parts = new Components();
  const ids = new Set<string>();
  for (const route of routes) {
    const item: Json = {};
    for (const [method, op] of Object.entries(route.operations)) {
      if (ids.has(op.operationId)) throw new Error(`operationId ${op.operationId} is used twice`);
      ids.add(op.operationId);
      item[method] = operationObject(parts, route, method, op);
    }
    paths[route.path] = item;
  }
  const tags = [...new Set(routes.map((r) => r.tag))].map((name) => ({ name, description: TAGS[name] ?? name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Content repository API',
      version,
      description:
        'Books as git repositories: authors edit files, branches, tags and merges over this API; editors use git over smart HTTP. ' +
        `Errors are application/problem+json whose type is one of ${Object.keys(PROBLEM_TYPES).length} pages under /problems. ` +
        'Lists are paginated with per_page and an opaque cursor taken from the Link header.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/', description: 'This service (the document is served by it)' }],
    tags,
    paths,
    components: {
      schemas: componentSchemas(),
      responses: parts.responseComponents(),
      headers: parts.headerComponents(),
      parameters: PARAMETERS,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'crt_<id>_<secret>', description: 'An access token (POST /admin/tokens, or POST /sessions for a sign-in).' },
        basicAuth: { type: 'http', scheme: 'basic', description: 'What git sends: any user name, the access token as the password (git smart HTTP at /{repo}.git takes only this).' },
      },
    },
  };
}

const TAGS: Record<string, string> = {
  repositories: 'Books: each one a git repository',
  contents: 'Files and folders at a branch, tag or commit; writing a file is one commit',
  commits: 'History and atomic commits of many changes',
  branches: 'Branches; moves are compare-and-swaps with If-Match',
  tags: 'Published versions: annotated tags that never move',
  compare: 'How two refs differ',
  merges: 'Merging branches, and resolving conflicts by hand',
  archives: 'A commit\'s tree as .tar.gz or .zip',
  settings: 'Per-repository policy (admin)',
  webhooks: 'Notifications of changes, POSTed to your URL and signed',
  events: 'Tickets for the /events WebSocket',
  tokens: 'Access tokens (global admin)',
  users: 'People who sign in with a password (global admin)',
  sessions: 'Signing in and out',
  problems: 'What each problem type means',
};
