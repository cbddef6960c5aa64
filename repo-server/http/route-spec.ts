import type { ZodType } from 'zod';
import type { ResourceFactory } from '../../webmachine/index.js';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

export interface BodyDoc {
  contentType: string;
  schema?: ZodType;
  description?: string;
}

export interface ParamDoc {
  name: string;
  description: string;
  required?: boolean;
}

/** What one method of one route promises; the OpenAPI description is generated from these. */
export interface OperationDoc {
  summary: string;
  /** Every status this operation can answer (beyond the engine-wide ones added for all). */
  statuses: number[];
  query?: ParamDoc[];
  requestBody?: BodyDoc;
  responses?: BodyDoc[];
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
  params: ParamDoc[];
  factory: ResourceFactory;
  operations: Partial<Record<HttpMethod, OperationDoc>>;
}

/** "/repos/{repo}/branches/{branch}" -> "/repos/:repo/branches/*branch" (Express 5 syntax). */
export function expressPath(spec: RouteSpec): string {
  return spec.path.replace(/\{([^}]+)\}/g, (_, name: string) => (name === spec.rest ? `*${name}` : `:${name}`));
}
