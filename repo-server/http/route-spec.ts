import type { ZodType } from 'zod';
import type { ResourceFactory } from '../../webmachine/index.js';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

export interface BodyDoc {
  contentType: string;
  /** Registered in requestSchemas (request bodies) or responseSchemas (answers): http/api-schemas.ts. */
  schema?: ZodType;
  description?: string;
}

/** A JSON Schema for a parameter (they are simple: strings and integers). */
export type ParamSchema = { type: 'string'; pattern?: string; maxLength?: number; enum?: string[] } | { type: 'integer'; minimum?: number; maximum?: number };

export interface ParamDoc {
  name: string;
  description: string;
  required?: boolean;
  schema?: ParamSchema;
}

/** Response headers documented in components/headers (http/openapi.ts); "?" marks one that may be absent. */
export type HeaderName =
  | 'ETag'
  | 'Location'
  | 'Link'
  | 'Last-Modified'
  | 'Cache-Control'
  | 'Content-Disposition'
  | 'Content-Range'
  | 'Accept-Ranges'
  | 'Retry-After'
  | 'WWW-Authenticate'
  | 'Allow';
export type HeaderRef = HeaderName | `${HeaderName}?`;

/** Request headers an operation reads beyond the conditional ones every method gets. */
export type RequestHeader = 'If-Match' | 'If-None-Match' | 'Range' | 'If-Range';

/** What one method of one route promises; the OpenAPI description is generated from these. */
export interface OperationDoc {
  /** Unique across the API: the name a generated client gives the call. */
  operationId: string;
  summary: string;
  description?: string;
  /** Every status this operation can answer (beyond the engine-wide ones added for all). */
  statuses: number[];
  query?: ParamDoc[];
  /** Request headers it reads, when they mean more than the usual conditional request. */
  requestHeaders?: RequestHeader[];
  requestBody?: BodyDoc;
  /** The representations of its 2xx answers (except 204 and 304). */
  responses?: BodyDoc[];
  /** Response headers per status, beyond the ones every answer of that kind carries. */
  headers?: Partial<Record<number, HeaderRef[]>>;
  /** Who may call it: a token (default: bearer or basic, anonymous where a repository allows reading), or anyone. */
  security?: 'token' | 'public';
  /** The answer is a page of a list (per_page, cursor, Link). */
  paginated?: boolean;
}

/**
 * One route of the REST API: its OpenAPI path template, the resource that serves it, and the
 * documentation of each method. The route table and /openapi.json are both built from this list,
 * so the description cannot drift from the routes.
 */
export interface RouteSpec {
  /** OpenAPI template: "/repos/{repo}/branches/{branch}". A parameter named in `rest` spans slashes. */
  path: string;
  /** The parameter (if any) that takes the rest of the path, slashes included. */
  rest?: string;
  /** The OpenAPI tag its operations are grouped under. */
  tag: string;
  params: ParamDoc[];
  factory: ResourceFactory;
  operations: Partial<Record<HttpMethod, OperationDoc>>;
}

/** "/repos/{repo}/branches/{branch}" -> "/repos/:repo/branches/*branch" (Express 5 syntax). */
export function expressPath(spec: RouteSpec): string {
  return spec.path.replace(/\{([^}]+)\}/g, (_, name: string) => (name === spec.rest ? `*${name}` : `:${name}`));
}
